//! What a simulation tells a council: the run summarised per week, as JSON and as a
//! self-contained HTML page with its charts drawn in inline SVG (no scripts, no
//! network), and the differences between two runs of the same cohort.
//!
//! Everything is ordered (`BTreeMap`, member order) so the same run always renders
//! to the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use super::run::{DecisionTrace, Run};
use crate::policy::{Reason, TimerKind};

/// IPS fidelity: 20 or fewer active participants per employment specialist scores highest.
pub const CASELOAD_CAP: u32 = crate::key_workers::DEFAULT_CASELOAD_CAP;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub plugin: String,
    pub settings: serde_json::Value,
    pub cohort_size: usize,
    pub months: u32,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// The Monday of each simulated week; every weekly series is indexed by it.
    pub weeks: Vec<NaiveDate>,
    pub actions_by_kind_per_week: BTreeMap<String, Vec<u64>>,
    pub actions_by_kind: BTreeMap<String, u64>,
    pub caseload: Caseload,
    pub indicators: Indicators,
    pub handovers_by_destination: BTreeMap<String, u64>,
    pub human_review_by_hook: BTreeMap<String, u64>,
    pub skipped_life_events: BTreeMap<String, u64>,
    pub final_states: BTreeMap<String, u64>,
    pub plugin_calls: u64,
    pub fuel_used: u64,
    /// Plans from which the host withheld employer work (first contact, check-ins)
    /// because the participant had not consented to employer contact.
    pub plans_with_employer_work_withheld: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caseload {
    pub cap: u32,
    pub key_workers: u32,
    /// The largest caseload of any key worker, each week.
    pub max_per_week: Vec<u32>,
    /// Key workers above the cap, each week.
    pub over_cap_per_week: Vec<u32>,
    /// Each key worker's caseload, each week.
    pub per_key_worker: BTreeMap<u32, Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    pub starters: u64,
    pub job_starts: u64,
    /// Days from start to the first employer contact action, among starters who had one.
    pub days_to_first_employer_contact_median: Option<i64>,
    pub first_employer_contact_within_30_days_share: Option<f64>,
    /// Days between consecutive key-worker reviews of one participant.
    pub review_gap_days_median: Option<i64>,
    pub review_gap_days_max: Option<i64>,
    pub review_gaps_within_28_days_share: Option<f64>,
    /// In-work contacts (employer check-ins, in-work reviews) in the 31 days after a job start, per job start.
    pub in_work_contacts_first_month_mean: Option<f64>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn share(hits: usize, of: usize) -> Option<f64> {
    (of > 0).then(|| round3(hits as f64 / of as f64))
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
        .unwrap_or(day)
}

impl Report {
    pub fn new(run: &Run, plugin: String, settings: serde_json::Value, months: u32) -> Report {
        let weeks: Vec<NaiveDate> = match (run.first_day, run.last_day) {
            (Some(first), Some(last)) => {
                let mut w = Vec::new();
                let mut monday = monday_of(first);
                while monday < last {
                    w.push(monday);
                    monday = monday.checked_add_days(Days::new(7)).unwrap_or(last);
                }
                w
            }
            _ => Vec::new(),
        };
        let week_index: BTreeMap<NaiveDate, usize> =
            weeks.iter().enumerate().map(|(i, w)| (*w, i)).collect();
        let slot = |day: NaiveDate| week_index.get(&monday_of(day)).copied();

        let mut per_week: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        for f in &run.fired {
            let kind = f.kind.as_str().to_owned();
            *totals.entry(kind.clone()).or_default() += 1;
            if let Some(i) = slot(f.on) {
                per_week.entry(kind).or_insert_with(|| vec![0; weeks.len()])[i] += 1;
            }
        }

        let key_workers = run.key_workers.iter().max().map_or(0, |m| m + 1);
        let mut per_key_worker: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (&(monday, kw), &n) in &run.caseload {
            if let Some(i) = slot(monday) {
                per_key_worker
                    .entry(kw)
                    .or_insert_with(|| vec![0; weeks.len()])[i] = n;
            }
        }
        let max_per_week = (0..weeks.len())
            .map(|i| per_key_worker.values().map(|v| v[i]).max().unwrap_or(0))
            .collect();
        let over_cap_per_week = (0..weeks.len())
            .map(|i| {
                u32::try_from(
                    per_key_worker
                        .values()
                        .filter(|v| v[i] > CASELOAD_CAP)
                        .count(),
                )
                .unwrap_or(u32::MAX)
            })
            .collect();

        Report {
            plugin,
            settings,
            cohort_size: run.starts.len(),
            months,
            first_day: run.first_day,
            last_day: run.last_day,
            weeks,
            actions_by_kind_per_week: per_week,
            actions_by_kind: totals,
            caseload: Caseload {
                cap: CASELOAD_CAP,
                key_workers,
                max_per_week,
                over_cap_per_week,
                per_key_worker,
            },
            indicators: indicators(run),
            handovers_by_destination: run.handovers.clone(),
            human_review_by_hook: run
                .human_review
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            skipped_life_events: run
                .skipped_events
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            final_states: run.final_states.clone(),
            plugin_calls: run.plugin_calls,
            fuel_used: run.fuel_used,
            plans_with_employer_work_withheld: run.employer_work_withheld,
        }
    }
}

fn indicators(run: &Run) -> Indicators {
    let n = run.starts.len();
    let mut by_member: Vec<Vec<(TimerKind, NaiveDate)>> = vec![Vec::new(); n];
    for f in &run.fired {
        if let Some(v) = by_member.get_mut(f.member) {
            v.push((f.kind, f.on));
        }
    }
    let mut first_contact = Vec::new();
    let mut gaps = Vec::new();
    let mut in_work_contacts = Vec::new();
    for (i, fired) in by_member.iter().enumerate() {
        if let Some(start) = run.starts[i] {
            let first = fired
                .iter()
                .filter(|(k, on)| {
                    matches!(
                        k,
                        TimerKind::FirstEmployerContact | TimerKind::EmployerCheckIn
                    ) && *on >= start
                })
                .map(|(_, on)| (*on - start).num_days())
                .min();
            first_contact.extend(first);
        }
        let reviews: Vec<NaiveDate> = fired
            .iter()
            .filter(|(k, _)| *k == TimerKind::Review)
            .map(|(_, on)| *on)
            .collect();
        gaps.extend(reviews.windows(2).map(|w| (w[1] - w[0]).num_days()));
        if let Some(job) = run.job_starts[i] {
            let contacts = fired
                .iter()
                .filter(|(k, on)| {
                    matches!(k, TimerKind::EmployerCheckIn | TimerKind::InWorkReview)
                        && *on >= job
                        && (*on - job).num_days() <= 31
                })
                .count();
            in_work_contacts.push(contacts);
        }
    }
    let within_30 = first_contact.iter().filter(|d| **d <= 30).count();
    let within_28 = gaps.iter().filter(|d| **d <= 28).count();
    Indicators {
        starters: run.starts.iter().flatten().count() as u64,
        job_starts: run.job_starts.iter().flatten().count() as u64,
        first_employer_contact_within_30_days_share: share(within_30, first_contact.len()),
        days_to_first_employer_contact_median: median(first_contact),
        review_gaps_within_28_days_share: share(within_28, gaps.len()),
        review_gap_days_max: gaps.iter().copied().max(),
        review_gap_days_median: median(gaps),
        in_work_contacts_first_month_mean: (!in_work_contacts.is_empty()).then(|| {
            round3(in_work_contacts.iter().sum::<usize>() as f64 / in_work_contacts.len() as f64)
        }),
    }
}

/// The most changed decisions a comparison lists one by one (all are counted).
const CHANGED_DECISIONS_LISTED: usize = 500;

/// Two runs of one cohort, and what differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub baseline: Report,
    pub alternative: Report,
    /// Per action kind: (baseline, alternative).
    pub actions_by_kind: BTreeMap<String, (u64, u64)>,
    pub changed_decisions_total: usize,
    pub changed_decisions: Vec<ChangedDecision>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedDecision {
    pub member: String,
    pub hook: &'static str,
    pub on: NaiveDate,
    pub baseline: Option<Answer>,
    pub alternative: Option<Answer>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub answer: String,
    pub reasons: Vec<Reason>,
}

type DecisionKey<'a> = (&'a str, &'static str, NaiveDate, usize);

fn keyed(decisions: &[DecisionTrace]) -> BTreeMap<DecisionKey<'_>, &DecisionTrace> {
    let mut seen: BTreeMap<(&str, &'static str, NaiveDate), usize> = BTreeMap::new();
    decisions
        .iter()
        .map(|d| {
            let n = seen.entry((d.member.as_str(), d.hook, d.on)).or_default();
            *n += 1;
            ((d.member.as_str(), d.hook, d.on, *n), d)
        })
        .collect()
}

impl Comparison {
    pub fn new(baseline: (Report, &Run), alternative: (Report, &Run)) -> Comparison {
        let (a, b) = (
            keyed(&baseline.1.decisions),
            keyed(&alternative.1.decisions),
        );
        let mut keys: Vec<&DecisionKey<'_>> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        let answer = |d: Option<&&DecisionTrace>| {
            d.map(|d| Answer {
                answer: d.answer.clone(),
                reasons: d.reasons.clone(),
            })
        };
        let changed: Vec<ChangedDecision> = keys
            .into_iter()
            .filter_map(|k| {
                let (x, y) = (a.get(k), b.get(k));
                let same = matches!((x, y), (Some(x), Some(y)) if x.answer == y.answer && x.reasons == y.reasons);
                (!same).then(|| ChangedDecision {
                    member: k.0.to_owned(),
                    hook: k.1,
                    on: k.2,
                    baseline: answer(x),
                    alternative: answer(y),
                })
            })
            .collect();
        let mut actions_by_kind = BTreeMap::new();
        for (k, v) in &baseline.0.actions_by_kind {
            actions_by_kind.entry(k.clone()).or_insert((0, 0)).0 = *v;
        }
        for (k, v) in &alternative.0.actions_by_kind {
            actions_by_kind.entry(k.clone()).or_insert((0, 0)).1 = *v;
        }
        Comparison {
            changed_decisions_total: changed.len(),
            changed_decisions: changed.into_iter().take(CHANGED_DECISIONS_LISTED).collect(),
            actions_by_kind,
            baseline: baseline.0,
            alternative: alternative.0,
        }
    }
}

// --- HTML ---------------------------------------------------------------------------

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLOURS: &[&str] = &[
    "#1b6ca8", "#d1495b", "#2e8b57", "#edae49", "#6a4c93", "#00798c", "#8c564b", "#444444",
];
const W: f64 = 720.0;
const H: f64 = 220.0;
const PAD: f64 = 36.0;

/// A line chart of weekly series, with an optional horizontal reference line.
fn line_chart(
    title: &str,
    series: &[(String, Vec<f64>)],
    reference: Option<(f64, &str)>,
) -> String {
    let len = series.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let top = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .chain(reference.map(|r| r.0))
        .fold(1.0_f64, f64::max);
    let x = |i: usize| PAD + (W - 2.0 * PAD) * i as f64 / (len.max(2) - 1) as f64;
    let y = |v: f64| H - PAD - (H - 2.0 * PAD) * v / top;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg class=\"chart\" role=\"img\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\">",
        esc(title)
    );
    let _ = write!(
        svg,
        "<line x1=\"{PAD}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#999\"/><line x1=\"{PAD}\" y1=\"{PAD}\" x2=\"{PAD}\" y2=\"{b}\" stroke=\"#999\"/><text x=\"4\" y=\"{t}\" font-size=\"10\">{top}</text><text x=\"4\" y=\"{b}\" font-size=\"10\">0</text>",
        b = H - PAD,
        r = W - PAD,
        t = PAD + 4.0,
    );
    if let Some((v, label)) = reference {
        let _ = write!(
            svg,
            "<line x1=\"{PAD}\" y1=\"{yv:.1}\" x2=\"{r}\" y2=\"{yv:.1}\" stroke=\"#d1495b\" stroke-dasharray=\"4 3\"/><text x=\"{r}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            esc(label),
            yv = y(v),
            ty = y(v) - 3.0,
            r = W - PAD,
        );
    }
    for (i, (name, values)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(j, v)| format!("{:.1},{:.1}", x(j), y(*v)))
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"series\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"><title>{}</title></polyline><text x=\"{lx:.1}\" y=\"{ly:.1}\" font-size=\"10\" fill=\"{colour}\">{}</text>",
            points.join(" "),
            esc(name),
            esc(name),
            lx = W - PAD + 2.0 - 150.0,
            ly = PAD + 12.0 * i as f64,
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

fn bar_chart(title: &str, bars: &BTreeMap<String, u64>) -> String {
    let top = bars.values().copied().max().unwrap_or(0).max(1) as f64;
    let row = 22.0;
    let height = PAD + row * bars.len() as f64;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg class=\"chart\" role=\"img\" viewBox=\"0 0 {W} {height}\" width=\"{W}\" height=\"{height}\">",
        esc(title)
    );
    for (i, (name, n)) in bars.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let w = (W - 260.0) * (*n as f64) / top;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{ty:.1}\" font-size=\"11\">{}</text><rect class=\"bar\" x=\"180\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"16\" fill=\"{}\"/><text x=\"{nx:.1}\" y=\"{ty:.1}\" font-size=\"11\">{n}</text>",
            esc(name),
            COLOURS[i % COLOURS.len()],
            ty = y + 12.0,
            nx = 184.0 + w,
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

fn table(rows: &[(String, String)]) -> String {
    let mut t = String::from("<table>");
    for (k, v) in rows {
        let _ = write!(t, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    t.push_str("</table>");
    t
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

fn section(title: &str, r: &Report) -> String {
    let mut s = format!("<section><h2>{}</h2>", esc(title));
    let _ = write!(
        s,
        "<p>Plugin <code>{}</code>, {} people, {} months from {}.</p>",
        esc(&r.plugin),
        r.cohort_size,
        r.months,
        opt(r.first_day)
    );
    let series: Vec<(String, Vec<f64>)> = r
        .actions_by_kind_per_week
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().map(|n| *n as f64).collect()))
        .collect();
    s.push_str(&line_chart("Actions by kind, per week", &series, None));
    let caseload = vec![(
        "largest caseload".to_owned(),
        r.caseload
            .max_per_week
            .iter()
            .map(|n| f64::from(*n))
            .collect(),
    )];
    s.push_str(&line_chart(
        &format!(
            "Largest key-worker caseload per week ({} key workers)",
            r.caseload.key_workers
        ),
        &caseload,
        Some((f64::from(r.caseload.cap), "cap of 20")),
    ));
    let over = vec![(
        "key workers over the cap".to_owned(),
        r.caseload
            .over_cap_per_week
            .iter()
            .map(|n| f64::from(*n))
            .collect(),
    )];
    s.push_str(&line_chart(
        "Key workers above the caseload cap, per week",
        &over,
        None,
    ));
    s.push_str(&bar_chart(
        "Handovers by destination",
        &r.handovers_by_destination,
    ));
    let i = &r.indicators;
    s.push_str("<h3>Indicators</h3>");
    s.push_str(&table(&[
        ("Starters".into(), i.starters.to_string()),
        ("Job starts".into(), i.job_starts.to_string()),
        (
            "Days to first employer contact (median)".into(),
            opt(i.days_to_first_employer_contact_median),
        ),
        (
            "First employer contact within 30 days".into(),
            opt(i.first_employer_contact_within_30_days_share),
        ),
        (
            "Review gap, days (median)".into(),
            opt(i.review_gap_days_median),
        ),
        (
            "Review gap, days (longest)".into(),
            opt(i.review_gap_days_max),
        ),
        (
            "Review gaps within 28 days".into(),
            opt(i.review_gaps_within_28_days_share),
        ),
        (
            "In-work contacts in the first month (mean)".into(),
            opt(i.in_work_contacts_first_month_mean),
        ),
        ("Plugin decisions".into(), r.plugin_calls.to_string()),
        (
            "Plans with employer work withheld (no consent)".into(),
            r.plans_with_employer_work_withheld.to_string(),
        ),
    ]));
    s.push_str("<h3>Sent to human review</h3>");
    let review: Vec<(String, String)> = r
        .human_review_by_hook
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    s.push_str(&if review.is_empty() {
        "<p>None.</p>".to_owned()
    } else {
        table(&review)
    });
    s.push_str("<h3>Actions in all</h3>");
    let totals: Vec<(String, String)> = r
        .actions_by_kind
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    s.push_str(&table(&totals));
    s.push_str("</section>");
    s
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\
figure{margin:1em 0}figcaption{font-weight:600}code{font-size:.85em}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>{body}</body></html>\n",
        t = esc(title)
    )
}

impl Report {
    pub fn to_html(&self) -> String {
        page("Waymark simulation", &section("Run", self))
    }
}

impl Comparison {
    pub fn to_html(&self) -> String {
        let mut body = String::from("<h2>Differences</h2>");
        let rows: Vec<(String, String)> = self
            .actions_by_kind
            .iter()
            .map(|(k, (a, b))| (k.clone(), format!("{a} → {b}")))
            .collect();
        body.push_str(&table(&rows));
        let _ = write!(
            body,
            "<p>{} decisions changed{}.</p><table><tr><th>member</th><th>hook</th><th>on</th><th>baseline</th><th>alternative</th></tr>",
            self.changed_decisions_total,
            if self.changed_decisions_total > self.changed_decisions.len() {
                format!(" (the first {} listed)", self.changed_decisions.len())
            } else {
                String::new()
            }
        );
        let show = |a: &Option<Answer>| match a {
            None => "(no decision)".to_owned(),
            Some(a) => {
                let reasons: Vec<String> = a
                    .reasons
                    .iter()
                    .map(|r| format!("{}: {}", r.rule, r.text))
                    .collect();
                format!("{} — {}", a.answer, reasons.join("; "))
            }
        };
        for c in &self.changed_decisions {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.member),
                c.hook,
                c.on,
                esc(&show(&c.baseline)),
                esc(&show(&c.alternative))
            );
        }
        body.push_str("</table>");
        body.push_str(&section("Baseline", &self.baseline));
        body.push_str(&section("Alternative", &self.alternative));
        page("Waymark simulation: comparison", &body)
    }
}
