//! What a council's scheduled jobs compute, and the indicators managers report:
//! pure functions of a snapshot of the store (journeys, actions, pending timers, key
//! workers) as of one instant, so a firing computed again after a restart computes
//! the same thing.
//!
//! - [`figures`]: the management-information figures for a period (referrals by
//!   route; accepted, waitlisted, declined; starts; job starts; outcome checkpoints
//!   met; exits by reason; handovers by destination; median days from referral to
//!   start and from start to first employer contact; caseload and fidelity band per
//!   key worker), with counts under 5 shown as `<5` and medians of fewer than 5 cases
//!   left out, as published statistics require. No participant id, date of birth or
//!   postcode is in them. [`to_csv`] writes them as CSV.
//! - [`digests`]: each key worker's due and overdue work for the coming working days.
//! - [`overdue_reviews`]: review actions still pending past a grace period.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::journey::{Event, Journey, ParticipantId};
use crate::key_workers::{self, KeyWorker, KeyWorkerId};
use crate::outbox::{Action, ActionId, ActionKind};
use crate::policy::{Outcome, TimerKind};
use crate::schedule::calendar::WorkingCalendar;
use crate::schedule::firing::ExportFormat;
use crate::schedule::timer::Timer;

/// Counts below this are shown as `<5`.
pub const SUPPRESS_BELOW: u64 = 5;

/// A count as published: the number, or `<5` when it is under 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Count {
    Exact(u64),
    Suppressed(Suppressed),
}

/// The mark a suppressed count shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Suppressed {
    #[serde(rename = "<5")]
    UnderFive,
}

impl Count {
    pub fn of(n: u64) -> Count {
        if n < SUPPRESS_BELOW {
            Count::Suppressed(Suppressed::UnderFive)
        } else {
            Count::Exact(n)
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::Suppressed(_) => f.write_str("<5"),
        }
    }
}

/// One key worker's line in the figures: their id (staff, not a participant), their
/// active caseload as of the end of the period and its IPS fidelity band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyWorkerFigures {
    pub key_worker: KeyWorkerId,
    pub active_caseload: Count,
    pub fidelity_band: u8,
}

/// The management-information figures for a period (both dates included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Indicators {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Referrals made in the period, by referral route.
    pub referrals_by_route: BTreeMap<String, Count>,
    /// Eligibility decisions in the period (by the plugin or a person), and people
    /// accepted off the waiting list.
    pub accepted: Count,
    pub waitlisted: Count,
    pub declined: Count,
    pub starts: Count,
    pub job_starts: Count,
    pub outcome_checkpoints_met: Count,
    pub exits_by_reason: BTreeMap<String, Count>,
    pub handovers_by_destination: BTreeMap<String, Count>,
    /// Over starts in the period; absent when fewer than 5.
    pub median_days_referral_to_start: Option<f64>,
    /// Over first employer contacts (the first employer-contact action acknowledged
    /// after the start) in the period; absent when fewer than 5.
    pub median_days_start_to_first_employer_contact: Option<f64>,
    pub key_workers: Vec<KeyWorkerFigures>,
}

// Medians are halves of whole days, never NaN: equality is total.
impl Eq for Indicators {}

/// What the store held at one instant, as the computations read it.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub journeys: &'a [Journey],
    pub actions: &'a [Action],
    pub timers: &'a [Timer],
    pub key_workers: &'a [KeyWorker],
    /// The instant computed as of.
    pub at: DateTime<Utc>,
    /// The council's time zone, for the local date of acknowledgements.
    pub timezone: Tz,
}

impl Snapshot<'_> {
    /// The local date of the snapshot's instant.
    pub fn today(&self) -> NaiveDate {
        self.at.with_timezone(&self.timezone).date_naive()
    }

    /// Whether `action` had been acknowledged by the snapshot's instant.
    fn done(&self, action: &Action) -> bool {
        action.acknowledged_at.is_some_and(|t| t <= self.at)
    }

    /// Key workers there at the instant and not retired by it.
    fn serving(&self) -> impl Iterator<Item = &KeyWorker> {
        self.key_workers
            .iter()
            .filter(|kw| kw.created_at <= self.at && kw.retired_at.is_none_or(|r| r > self.at))
    }
}

/// The journey as it stood at the end of `day`: its events up to that date.
pub fn as_of(journey: &Journey, day: NaiveDate) -> Journey {
    Journey {
        council: journey.council.clone(),
        participant: journey.participant,
        events: journey
            .events
            .iter()
            .take_while(|e| e.at() <= day)
            .cloned()
            .collect(),
    }
}

/// The journey as it stood at the instant `at` (local date `day`): [`as_of`] that
/// day, less assignments recorded after the instant, so a firing computed again
/// later that day (after a restart) still sees the key workers it first saw.
pub fn as_at(journey: &Journey, day: NaiveDate, at: DateTime<Utc>) -> Journey {
    let mut j = as_of(journey, day);
    j.events
        .retain(|e| !matches!(e, Event::KeyWorkerAssigned { recorded_at: Some(r), .. } if *r > at));
    j
}

/// The median of `values`, or `None` with fewer than [`SUPPRESS_BELOW`] of them.
fn median(mut values: Vec<i64>) -> Option<f64> {
    if (values.len() as u64) < SUPPRESS_BELOW {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let mid = n / 2;
    #[allow(clippy::cast_precision_loss)] // day counts are small
    Some(if n % 2 == 1 {
        values[mid] as f64
    } else {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    })
}

fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".to_owned())
}

fn counted(raw: BTreeMap<String, u64>) -> BTreeMap<String, Count> {
    raw.into_iter().map(|(k, n)| (k, Count::of(n))).collect()
}

/// The figures for `from..=to`, from what the store held at the snapshot's instant.
pub fn figures(snapshot: &Snapshot<'_>, from: NaiveDate, to: NaiveDate) -> Indicators {
    let within = |d: NaiveDate| from <= d && d <= to;
    let mut referrals = BTreeMap::new();
    let (mut accepted, mut waitlisted, mut declined) = (0, 0, 0);
    let (mut starts, mut job_starts, mut met) = (0, 0, 0);
    let mut exits = BTreeMap::new();
    let mut handovers = BTreeMap::new();
    let mut to_start = Vec::new();
    let mut started_on: BTreeMap<ParticipantId, NaiveDate> = BTreeMap::new();
    let today = snapshot.today();
    for journey in snapshot.journeys {
        let journey = as_at(journey, today, snapshot.at);
        let referred_on = journey.referral().map(|(_, at)| at);
        for event in &journey.events {
            if let Event::Started { at } = event {
                started_on.entry(journey.participant).or_insert(*at);
            }
            if !within(event.at()) {
                continue;
            }
            match event {
                Event::Referred { referral, .. } => {
                    *referrals.entry(name_of(&referral.route)).or_insert(0) += 1;
                }
                Event::EligibilityDecided { decision, .. } => match decision.outcome {
                    Outcome::Accept => accepted += 1,
                    Outcome::Waitlist => waitlisted += 1,
                    Outcome::Decline => declined += 1,
                },
                Event::ReviewResolved { outcome, .. } => match outcome {
                    Outcome::Accept => accepted += 1,
                    Outcome::Waitlist => waitlisted += 1,
                    Outcome::Decline => declined += 1,
                },
                Event::Accepted { .. } => accepted += 1,
                Event::Declined { .. } => declined += 1,
                Event::Started { at } => {
                    starts += 1;
                    if let Some(r) = referred_on {
                        to_start.push((*at - r).num_days());
                    }
                }
                Event::JobStarted { .. } => job_starts += 1,
                Event::OutcomeCheckpoint { met: true, .. } => met += 1,
                Event::Exited { reason, .. } => {
                    *exits.entry(name_of(reason)).or_insert(0) += 1;
                }
                Event::HandoverDecided { handover, .. } => {
                    *handovers.entry(name_of(&handover.destination)).or_insert(0) += 1;
                }
                _ => {}
            }
        }
    }
    // The first employer contact after each start: the earliest acknowledged
    // employer-contact action of the participant.
    let mut first_contact: BTreeMap<ParticipantId, NaiveDate> = BTreeMap::new();
    for action in snapshot.actions {
        let (ActionKind::Timer(kind), Some(p), Some(ack)) =
            (action.kind, action.participant, action.acknowledged_at)
        else {
            continue;
        };
        if !kind.contacts_employer() || ack > snapshot.at {
            continue;
        }
        let day = ack.with_timezone(&snapshot.timezone).date_naive();
        if started_on.get(&p).is_some_and(|s| *s <= day) {
            let first = first_contact.entry(p).or_insert(day);
            *first = (*first).min(day);
        }
    }
    let to_contact: Vec<i64> = first_contact
        .iter()
        .filter(|(_, day)| within(**day))
        .filter_map(|(p, day)| started_on.get(p).map(|s| (*day - *s).num_days()))
        .collect();
    let end = to.min(today);
    let ends: Vec<Journey> = snapshot
        .journeys
        .iter()
        .map(|j| as_at(j, end, snapshot.at))
        .collect();
    let caseloads = key_workers::caseloads(&ends);
    let key_workers = snapshot
        .serving()
        .map(|kw| {
            let n = caseloads.get(&kw.id).copied().unwrap_or(0);
            KeyWorkerFigures {
                key_worker: kw.id.clone(),
                active_caseload: Count::of(u64::from(n)),
                fidelity_band: key_workers::fidelity_band(n),
            }
        })
        .collect();
    Indicators {
        from,
        to,
        referrals_by_route: counted(referrals),
        accepted: Count::of(accepted),
        waitlisted: Count::of(waitlisted),
        declined: Count::of(declined),
        starts: Count::of(starts),
        job_starts: Count::of(job_starts),
        outcome_checkpoints_met: Count::of(met),
        exits_by_reason: counted(exits),
        handovers_by_destination: counted(handovers),
        median_days_referral_to_start: median(to_start),
        median_days_start_to_first_employer_contact: median(to_contact),
        key_workers,
    }
}

/// The figures as CSV: `figure,group,value`, one row a figure (a row per group for
/// those broken down), the period first.
pub fn to_csv(ind: &Indicators) -> String {
    let mut rows: Vec<(String, String, String)> = vec![
        ("period_from".into(), String::new(), ind.from.to_string()),
        ("period_to".into(), String::new(), ind.to.to_string()),
    ];
    for (route, n) in &ind.referrals_by_route {
        rows.push(("referrals".into(), route.clone(), n.to_string()));
    }
    for (figure, n) in [
        ("accepted", ind.accepted),
        ("waitlisted", ind.waitlisted),
        ("declined", ind.declined),
        ("starts", ind.starts),
        ("job_starts", ind.job_starts),
        ("outcome_checkpoints_met", ind.outcome_checkpoints_met),
    ] {
        rows.push((figure.into(), String::new(), n.to_string()));
    }
    for (reason, n) in &ind.exits_by_reason {
        rows.push(("exits".into(), reason.clone(), n.to_string()));
    }
    for (destination, n) in &ind.handovers_by_destination {
        rows.push(("handovers".into(), destination.clone(), n.to_string()));
    }
    for (figure, m) in [
        (
            "median_days_referral_to_start",
            ind.median_days_referral_to_start,
        ),
        (
            "median_days_start_to_first_employer_contact",
            ind.median_days_start_to_first_employer_contact,
        ),
    ] {
        let value = m.map(|v| v.to_string()).unwrap_or_else(|| "<5".into());
        rows.push((figure.into(), String::new(), value));
    }
    for kw in &ind.key_workers {
        rows.push((
            "key_worker_caseload".into(),
            kw.key_worker.to_string(),
            kw.active_caseload.to_string(),
        ));
        rows.push((
            "key_worker_fidelity_band".into(),
            kw.key_worker.to_string(),
            kw.fidelity_band.to_string(),
        ));
    }
    let mut out = String::from("figure,group,value\n");
    for (figure, group, value) in rows {
        // Every field is an id, a fixed name, a number, a date or `<5`: no quoting needed.
        out.push_str(&format!("{figure},{group},{value}\n"));
    }
    out
}

/// One piece of a key worker's work in a digest (pseudonymous: the participant's id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct DigestItem {
    pub due: NaiveDate,
    pub participant: ParticipantId,
    pub kind: TimerKind,
    /// Due before the digest's day and not yet acknowledged.
    pub overdue: bool,
    /// The action, when the work has already fired into one.
    pub action: Option<ActionId>,
}

/// One key worker's due and overdue work through `through`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Digest {
    pub key_worker: KeyWorkerId,
    pub through: NaiveDate,
    pub items: Vec<DigestItem>,
}

/// A digest per serving key worker: the work (fired and not acknowledged, or still
/// to fire) of the participants whose open journeys are theirs, due by `through`.
pub fn digests(snapshot: &Snapshot<'_>, through: NaiveDate) -> Vec<Digest> {
    let today = snapshot.today();
    let mut theirs: BTreeMap<ParticipantId, KeyWorkerId> = BTreeMap::new();
    for journey in snapshot.journeys {
        let journey = as_at(journey, today, snapshot.at);
        if let Some(kw) = key_workers::current(&journey)
            && key_workers::is_active(&journey)
        {
            theirs.insert(journey.participant, kw);
        }
    }
    let mut work: BTreeMap<KeyWorkerId, BTreeSet<DigestItem>> = BTreeMap::new();
    for action in snapshot.actions {
        let (ActionKind::Timer(kind), Some(p)) = (action.kind, action.participant) else {
            continue;
        };
        if snapshot.done(action) || action.due > through {
            continue;
        }
        if let Some(kw) = theirs.get(&p) {
            work.entry(kw.clone()).or_default().insert(DigestItem {
                due: action.due,
                participant: p,
                kind,
                overdue: action.due < today,
                action: Some(action.id.clone()),
            });
        }
    }
    for timer in snapshot.timers {
        if timer.due > through {
            continue;
        }
        if let Some(kw) = theirs.get(&timer.participant) {
            work.entry(kw.clone()).or_default().insert(DigestItem {
                due: timer.due,
                participant: timer.participant,
                kind: timer.kind,
                overdue: timer.due < today,
                action: None,
            });
        }
    }
    snapshot
        .serving()
        .map(|kw| Digest {
            key_worker: kw.id.clone(),
            through,
            items: work
                .remove(&kw.id)
                .map(|items| items.into_iter().collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Review actions (`review`, `in_work_review`) not acknowledged by the snapshot's
/// instant whose due date is more than `grace` working days before its day.
pub fn overdue_reviews<'a>(
    snapshot: &Snapshot<'a>,
    grace: u32,
    calendar: &dyn WorkingCalendar,
) -> Vec<&'a Action> {
    let today = snapshot.today();
    snapshot
        .actions
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                ActionKind::Timer(TimerKind::Review | TimerKind::InWorkReview)
            )
        })
        .filter(|a| a.fired_at <= snapshot.at && !snapshot.done(a))
        .filter(|a| calendar.add_working_days(a.due, grace) < today)
        .collect()
}

/// What a schedule's firing computed, on its actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScheduleResult {
    /// On the firing of a `caseload_digest`: how many digests it made (one action each).
    Digests {
        key_workers: u32,
        through: NaiveDate,
    },
    /// On each key worker's digest action.
    Digest(Digest),
    /// On the firing of a `management_information_export`: the figures, as CSV text
    /// (`csv`) or as JSON (`figures`), per the schedule's `format`.
    ManagementInformation {
        format: ExportFormat,
        from: NaiveDate,
        to: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        csv: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        figures: Option<Box<Indicators>>,
    },
    /// On the firing of an `overdue_review_sweep`: the escalations it made.
    Swept { escalated: u32 },
    /// On an escalation action: the review it escalates.
    Escalation {
        review_action: ActionId,
        review_due: NaiveDate,
        grace_working_days: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::council::CouncilId;
    use crate::journey::Referral;
    use crate::outbox::{ActionStatus, Delivery};
    use crate::policy::{Eligibility, PluginDigest, ReferralRoute};
    use crate::schedule::calendar::{Nation, UkCalendar};

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn council() -> CouncilId {
        "york".parse().expect("id")
    }

    fn kw(n: u8) -> KeyWorker {
        KeyWorker {
            id: format!("kw_{:032x}", n).parse().expect("id"),
            council: council(),
            name: format!("worker {n}"),
            caseload_cap: 20,
            retired_at: None,
            created_at: "2026-01-01T00:00:00Z".parse().expect("t"),
            updated_at: "2026-01-01T00:00:00Z".parse().expect("t"),
        }
    }

    fn journey(route: ReferralRoute, on: &str, more: Vec<Event>) -> Journey {
        let mut referral = Referral::example();
        referral.route = route;
        let mut events = vec![
            Event::Referred {
                at: day(on),
                referral,
            },
            Event::EligibilityDecided {
                at: day(on),
                decision: Eligibility {
                    outcome: Outcome::Accept,
                    reasons: vec![],
                    signpost: None,
                },
                plugin: PluginDigest::of(b"test"),
            },
        ];
        events.extend(more);
        Journey {
            council: council(),
            participant: ParticipantId::new_random(),
            events,
        }
    }

    fn action(p: ParticipantId, kind: TimerKind, due: &str, fired: &str) -> Action {
        let fired_at: DateTime<Utc> = fired.parse().expect("t");
        Action {
            id: ActionId::derive(fired_at, &format!("{p}{}", kind.as_str())),
            council: council(),
            participant: Some(p),
            kind: ActionKind::Timer(kind),
            due: day(due),
            purpose: String::new(),
            scheduled_for: fired_at,
            fired_at,
            idempotency_key: String::new(),
            status: ActionStatus::Pending,
            acknowledged_at: None,
            schedule: None,
            handover: None,
            delivery: Delivery::default(),
            key_worker: None,
            result: None,
        }
    }

    fn snapshot<'a>(
        journeys: &'a [Journey],
        actions: &'a [Action],
        key_workers: &'a [KeyWorker],
        at: &str,
    ) -> Snapshot<'a> {
        Snapshot {
            journeys,
            actions,
            timers: &[],
            key_workers,
            at: at.parse().expect("t"),
            timezone: chrono_tz::Europe::London,
        }
    }

    #[test]
    fn counts_under_five_are_suppressed_and_five_is_shown() {
        assert_eq!(serde_json::to_value(Count::of(4)).expect("json"), "<5");
        assert_eq!(serde_json::to_value(Count::of(0)).expect("json"), "<5");
        assert_eq!(serde_json::to_value(Count::of(5)).expect("json"), 5);
    }

    #[test]
    fn figures_count_the_period_only_and_medians_need_five_cases() {
        let assign = |k: &KeyWorker| Event::KeyWorkerAssigned {
            at: day("2026-01-05"),
            key_worker: k.id.clone(),
            recorded_at: None,
        };
        let (a, b) = (kw(1), kw(2));
        let mut journeys = Vec::new();
        for i in 0..6 {
            journeys.push(journey(
                ReferralRoute::Jobcentre,
                "2026-01-05",
                vec![
                    assign(&a),
                    Event::Started {
                        at: day("2026-01-05") + chrono::Duration::days(i),
                    },
                ],
            ));
        }
        journeys.push(journey(
            ReferralRoute::Health,
            "2026-01-06",
            vec![assign(&b)],
        ));
        // Outside the period: not counted.
        journeys.push(journey(ReferralRoute::Health, "2025-12-01", vec![]));
        let kws = [a.clone(), b.clone()];
        let snap = snapshot(&journeys, &[], &kws, "2026-02-01T12:00:00Z");
        let f = figures(&snap, day("2026-01-01"), day("2026-01-31"));
        assert_eq!(f.referrals_by_route["jobcentre"], Count::Exact(6));
        assert_eq!(f.referrals_by_route["health"], Count::of(1));
        assert_eq!(f.accepted, Count::Exact(7));
        assert_eq!(f.starts, Count::Exact(6));
        // 0..=5 days: median of 0,1,2,3,4,5 is 2.5.
        assert_eq!(f.median_days_referral_to_start, Some(2.5));
        assert_eq!(f.median_days_start_to_first_employer_contact, None);
        assert_eq!(f.key_workers[0].active_caseload, Count::Exact(6));
        assert_eq!(f.key_workers[1].active_caseload, Count::of(1));
        let csv = to_csv(&f);
        assert!(csv.contains("referrals,jobcentre,6\n"), "{csv}");
        assert!(csv.contains("referrals,health,<5\n"), "{csv}");
        assert!(!csv.contains("ST4") && !csv.contains("1990"), "{csv}");
    }

    #[test]
    fn days_to_first_employer_contact_count_the_first_acknowledged_contact_after_the_start() {
        let mut journeys = Vec::new();
        let mut actions = Vec::new();
        for i in 0..5 {
            let j = journey(
                ReferralRoute::Jobcentre,
                "2026-01-05",
                vec![Event::Started {
                    at: day("2026-01-05"),
                }],
            );
            // First contact acknowledged 10 + i days after the start; a later check-in
            // does not count.
            let mut first = action(
                j.participant,
                TimerKind::FirstEmployerContact,
                "2026-01-12",
                "2026-01-12T09:00:00Z",
            );
            first.acknowledged_at = Some(
                format!("2026-01-{:02}T11:00:00Z", 15 + i)
                    .parse()
                    .expect("t"),
            );
            let mut later = action(
                j.participant,
                TimerKind::EmployerCheckIn,
                "2026-01-28",
                "2026-01-28T09:00:00Z",
            );
            later.acknowledged_at = Some("2026-01-28T11:00:00Z".parse().expect("t"));
            actions.extend([first, later]);
            journeys.push(j);
        }
        let snap = snapshot(&journeys, &actions, &[], "2026-02-01T12:00:00Z");
        let f = figures(&snap, day("2026-01-01"), day("2026-01-31"));
        // 10, 11, 12, 13, 14 days.
        assert_eq!(f.median_days_start_to_first_employer_contact, Some(12.0));
        // As of an instant before any contact was acknowledged: none yet.
        let early = snapshot(&journeys, &actions, &[], "2026-01-14T12:00:00Z");
        let f = figures(&early, day("2026-01-01"), day("2026-01-31"));
        assert_eq!(f.median_days_start_to_first_employer_contact, None);
    }

    #[test]
    fn an_assignment_recorded_after_the_instant_is_not_seen_as_of_it() {
        let (a, b) = (kw(1), kw(2));
        let assign = |k: &KeyWorker, recorded: &str| Event::KeyWorkerAssigned {
            at: day("2026-01-08"),
            key_worker: k.id.clone(),
            recorded_at: Some(recorded.parse().expect("t")),
        };
        let mut j = journey(ReferralRoute::Jobcentre, "2026-01-05", vec![]);
        j.events.push(assign(&a, "2026-01-08T06:00:00Z"));
        j.events.push(assign(&b, "2026-01-08T10:00:00Z"));
        let at = "2026-01-08T07:00:00Z".parse().expect("t");
        let seen = as_at(&j, day("2026-01-08"), at);
        assert_eq!(key_workers::current(&seen), Some(a.id));
        assert_eq!(
            key_workers::current(&as_of(&j, day("2026-01-08"))),
            Some(b.id)
        );
    }

    #[test]
    fn a_review_escalates_only_past_its_grace_in_working_days_and_not_once_acknowledged() {
        let j = journey(ReferralRoute::Jobcentre, "2026-01-05", vec![]);
        let p = j.participant;
        // Friday 9 January: two working days' grace runs out on Tuesday 13th.
        let due = action(p, TimerKind::Review, "2026-01-09", "2026-01-09T09:00:00Z");
        let mut done = action(p, TimerKind::Review, "2026-01-08", "2026-01-08T09:00:00Z");
        done.acknowledged_at = Some("2026-01-08T15:00:00Z".parse().expect("t"));
        let other = action(p, TimerKind::Outreach, "2026-01-02", "2026-01-02T09:00:00Z");
        let actions = vec![due.clone(), done, other];
        let journeys = [j];
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        let on = |at: &str| {
            let snap = snapshot(&journeys, &actions, &[], at);
            overdue_reviews(&snap, 2, &cal)
                .into_iter()
                .map(|a| a.id.clone())
                .collect::<Vec<_>>()
        };
        assert!(on("2026-01-13T08:00:00Z").is_empty());
        assert_eq!(on("2026-01-14T08:00:00Z"), vec![due.id]);
    }

    #[test]
    fn a_digest_lists_only_its_key_workers_open_work_through_the_horizon() {
        let (a, b) = (kw(1), kw(2));
        let assign = |k: &KeyWorker| Event::KeyWorkerAssigned {
            at: day("2026-01-05"),
            key_worker: k.id.clone(),
            recorded_at: None,
        };
        let ja = journey(ReferralRoute::Jobcentre, "2026-01-05", vec![assign(&a)]);
        let jb = journey(ReferralRoute::Jobcentre, "2026-01-05", vec![assign(&b)]);
        let actions = vec![
            action(
                ja.participant,
                TimerKind::Review,
                "2026-01-07",
                "2026-01-07T09:00:00Z",
            ),
            action(
                jb.participant,
                TimerKind::Review,
                "2026-01-08",
                "2026-01-08T09:00:00Z",
            ),
            action(
                ja.participant,
                TimerKind::Review,
                "2026-02-20",
                "2026-02-20T09:00:00Z",
            ),
        ];
        let journeys = [ja.clone(), jb];
        let kws = [a.clone(), b.clone()];
        let snap = snapshot(&journeys, &actions, &kws, "2026-01-08T07:00:00Z");
        let d = digests(&snap, day("2026-01-15"));
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].key_worker, a.id);
        assert_eq!(d[0].items.len(), 1);
        assert!(d[0].items[0].overdue);
        assert_eq!(d[0].items[0].participant, ja.participant);
        assert_eq!(d[1].items.len(), 1);
        assert!(!d[1].items[0].overdue);
    }
}
