//! Schedules: create and edit (cron, time zone, daylight-saving, working-day,
//! catch-up and overlap rules), the next fire times from the API's preview route
//! (the code that fires them), pause and resume, runs, and the working-day calendar.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::{Console, Form, Posted, Session, Signed, council_id, may, redirect, seg};

pub fn routes() -> Router<Console> {
    Router::new()
        .route(
            "/console/councils/{council}/schedules",
            get(list).post(create),
        )
        .route(
            "/console/councils/{council}/schedules/{schedule}",
            get(one).post(edit),
        )
        .route(
            "/console/councils/{council}/schedules/{schedule}/pause",
            post(pause),
        )
        .route(
            "/console/councils/{council}/schedules/{schedule}/resume",
            post(resume),
        )
        .route(
            "/console/councils/{council}/calendar",
            get(calendar).post(put_calendar),
        )
}

/// How many fire times are read to find the clock changes ahead (a year of a daily schedule).
const DST_LOOKAHEAD: usize = 400;

/// The fire time's local date, time and UTC offset, from its RFC 3339 `at`.
fn parts(at: &str) -> (&str, &str, &str) {
    let (date, rest) = at.split_at(at.len().min(10));
    (
        date,
        rest.get(1..6).unwrap_or_default(),
        rest.get(9..).unwrap_or_default(),
    )
}

/// The fire times either side of each change of UTC offset (and each one the
/// daylight-saving or working-day rules moved), so the rules can be checked at a glance.
fn clock_changes(all: &[Value]) -> Markup {
    let offset = |o: &Value| parts(o["at"].as_str().unwrap_or_default()).2.to_owned();
    let mut keep = vec![false; all.len()];
    for i in 0..all.len() {
        let moved = o_adjusted(&all[i]);
        let changed = i > 0 && offset(&all[i]) != offset(&all[i - 1]);
        if moved || changed {
            let around = i.saturating_sub(1)..(i + 2).min(all.len());
            keep[around].fill(true);
        }
    }
    let rows: Vec<Vec<Markup>> = all
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(o, _)| {
            let (date, time, off) = parts(o["at"].as_str().unwrap_or_default());
            vec![
                html!("<span class=\"console-dst-date\">{}</span>", date),
                html!("{}", time),
                html!("UTC{}", off),
                html!("{}", adjustments(o)),
            ]
        })
        .collect();
    if rows.is_empty() {
        return html!(
            "<h2 class=\"govuk-heading-m\">Around the clock changes</h2><p class=\"govuk-body\">No clock change or moved fire time in the next {} fire times.</p>",
            DST_LOOKAHEAD
        );
    }
    html!(
        "<h2 class=\"govuk-heading-m\">Around the clock changes</h2>{}",
        layout::table(
            &format!(
                "Fire times either side of each clock change in the next {DST_LOOKAHEAD} fire times"
            ),
            &[
                "Date",
                "Local time",
                "Offset",
                "Daylight saving or working day"
            ],
            rows
        )
    )
}

fn o_adjusted(o: &Value) -> bool {
    o["adjustments"].as_array().is_some_and(|a| !a.is_empty())
}

fn adjustments(o: &Value) -> String {
    o["adjustments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.replace('_', " "))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

const ACTIONS: &[(&str, &str)] = &[
    ("caseload_digest", "Caseload digest for each key worker"),
    (
        "management_information_export",
        "Management-information export",
    ),
    ("overdue_review_sweep", "Sweep for overdue reviews"),
];
const NON_WORKING: &[(&str, &str)] = &[
    ("fire", "Fire anyway"),
    ("skip", "Skip that day"),
    ("shift_to_next_working_day", "Move to the next working day"),
];
const CATCH_UP: &[(&str, &str)] = &[
    ("latest", "Fire the latest missed occurrence once"),
    ("skip", "Skip missed occurrences"),
    ("all_within", "Fire all within a window"),
];
const OVERLAP: &[(&str, &str)] = &[
    ("allow", "Fire regardless"),
    (
        "skip_while_previous_pending",
        "Skip while the previous action is unacknowledged",
    ),
];
const SPRING: &[(&str, &str)] = &[
    ("shift_forward", "Fire at the end of the skipped hour"),
    ("skip", "Do not fire that day"),
];
const AUTUMN: &[(&str, &str)] = &[
    ("first", "Fire once, on the first occurrence"),
    ("both", "Fire on both occurrences"),
];

/// A form's values from a stored schedule, so the edit form starts filled in.
fn form_from(s: &Value) -> Form {
    let mut f = vec![
        ("name", brief(&s["name"])),
        ("cron", brief(&s["cron"])),
        ("timezone", brief(&s["timezone"])),
        ("action", brief(&s["action"]["type"])),
        ("period_days", brief(&s["action"]["period_days"])),
        (
            "grace_working_days",
            brief(&s["action"]["grace_working_days"]),
        ),
        ("non_working_days", brief(&s["non_working_days"])),
        ("catch_up", brief(&s["catch_up"]["policy"])),
        ("window_hours", brief(&s["catch_up"]["window_hours"])),
        ("max", brief(&s["catch_up"]["max"])),
        ("overlap", brief(&s["overlap"])),
        ("spring_gap", brief(&s["dst"]["spring_gap"])),
        ("autumn_repeat", brief(&s["dst"]["autumn_repeat"])),
    ];
    Form {
        fields: f.drain(..).map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

fn brief(v: &Value) -> String {
    super::participants::brief(v)
}

fn number(form: &Form, name: &str, default: u64) -> Value {
    match form.get(name) {
        "" => json!(default),
        raw => raw
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(raw)),
    }
}

/// The API's schedule definition from the form.
fn definition(form: &Form) -> Value {
    let action = match form.get("action") {
        "management_information_export" => json!({
            "type": "management_information_export",
            "period_days": number(form, "period_days", 30),
        }),
        "overdue_review_sweep" => json!({
            "type": "overdue_review_sweep",
            "grace_working_days": number(form, "grace_working_days", 0),
        }),
        other => json!({ "type": if other.is_empty() { "caseload_digest" } else { other } }),
    };
    let catch_up = match form.get("catch_up") {
        "all_within" => json!({
            "policy": "all_within",
            "window_hours": number(form, "window_hours", 24),
            "max": number(form, "max", 10),
        }),
        "skip" => json!({ "policy": "skip" }),
        _ => json!({ "policy": "latest" }),
    };
    let mut def = json!({
        "name": form.get("name"),
        "cron": form.get("cron"),
        "action": action,
        "non_working_days": or(form.get("non_working_days"), "fire"),
        "catch_up": catch_up,
        "overlap": or(form.get("overlap"), "allow"),
        "dst": {
            "spring_gap": or(form.get("spring_gap"), "shift_forward"),
            "autumn_repeat": or(form.get("autumn_repeat"), "first"),
        },
    });
    if !form.get("timezone").is_empty() {
        def["timezone"] = json!(form.get("timezone"));
    }
    def
}

fn or<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.is_empty() { default } else { v }
}

/// Which field an API refusal is about, by the field it names.
fn field_of(detail: &str) -> &'static str {
    const FIELDS: &[&str] = &[
        "cron",
        "timezone",
        "name",
        "period_days",
        "grace_working_days",
        "window_hours",
        "catch_up",
        "starts",
        "ends",
    ];
    let lower = detail.to_ascii_lowercase();
    FIELDS
        .iter()
        .find(|f| lower.contains(*f))
        .copied()
        .or_else(|| (lower.contains("field") || lower.contains("expression")).then_some("cron"))
        .or_else(|| lower.contains("zone").then_some("timezone"))
        .unwrap_or("name")
}

fn definition_fields(form: &Form, errors: &[layout::FieldError]) -> Markup {
    let e = |id: &str| layout::error_for(errors, id);
    html!(
        "{}{}{}{}{}{}{}{}{}{}{}{}{}",
        layout::input(
            "name",
            "Name",
            "What the schedule is for, e.g. Overnight overdue-review sweep",
            form.get("name"),
            e("name"),
            "text"
        ),
        layout::input(
            "cron",
            "When (cron)",
            "Minute hour day-of-month month day-of-week, e.g. 30 1 * * * for 01:30 every day, or 0 9 * * MON-FRI",
            form.get("cron"),
            e("cron"),
            "text"
        ),
        layout::input(
            "timezone",
            "Time zone",
            "IANA time zone, e.g. Europe/London; leave empty for the council's",
            form.get("timezone"),
            e("timezone"),
            "text"
        ),
        layout::select(
            "action",
            "What it does",
            "",
            ACTIONS,
            form.get("action"),
            e("action")
        ),
        layout::input(
            "period_days",
            "Export period in days (management-information export)",
            "1 to 400; default 30",
            form.get("period_days"),
            e("period_days"),
            "text"
        ),
        layout::input(
            "grace_working_days",
            "Grace in working days (overdue-review sweep)",
            "0 to 60; default 0",
            form.get("grace_working_days"),
            e("grace_working_days"),
            "text"
        ),
        layout::select(
            "non_working_days",
            "On a non-working day",
            "Weekends and the council's bank holidays",
            NON_WORKING,
            form.get("non_working_days"),
            e("non_working_days")
        ),
        layout::select(
            "catch_up",
            "Catching up after downtime",
            "",
            CATCH_UP,
            form.get("catch_up"),
            e("catch_up")
        ),
        layout::input(
            "window_hours",
            "Catch-up window in hours (fire all within a window)",
            "Default 24",
            form.get("window_hours"),
            e("window_hours"),
            "text"
        ),
        layout::input(
            "max",
            "Most occurrences to catch up (fire all within a window)",
            "1 to 1000; default 10",
            form.get("max"),
            e("max"),
            "text"
        ),
        layout::select(
            "overlap",
            "Overlap",
            "",
            OVERLAP,
            form.get("overlap"),
            e("overlap")
        ),
        layout::select(
            "spring_gap",
            "When the clocks go forward and the time does not exist",
            "",
            SPRING,
            form.get("spring_gap"),
            e("spring_gap")
        ),
        layout::select(
            "autumn_repeat",
            "When the clocks go back and the time happens twice",
            "",
            AUTUMN,
            form.get("autumn_repeat"),
            e("autumn_repeat")
        )
    )
}

async fn list(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_page(&console, &session, &council, &[], &Form::default(), &query).await
}

async fn list_page(
    console: &Console,
    session: &Session,
    council: &str,
    errors: &[layout::FieldError],
    form: &Form,
    query: &HashMap<String, String>,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let body = match console
        .read(
            session,
            &format!("/v1/councils/{c}/schedules?{}", super::page_query(query)),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let rows: Vec<Vec<Markup>> = body["schedules"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let sid = s["id"].as_str().unwrap_or_default();
            vec![
                layout::link(
                    &format!("/console/councils/{}/schedules/{}", seg(c), seg(sid)),
                    s["name"].as_str().unwrap_or(sid),
                ),
                html!("<code>{}</code> {}", s["cron"], s["timezone"]),
                if s["paused"].as_bool() == Some(true) {
                    layout::tag("Paused", "grey")
                } else {
                    layout::tag("Active", "green")
                },
                html!("{}", s["next_due"]),
                html!("{} fired, {} missed", s["fired"], s["missed"]),
            ]
        })
        .collect();
    let mut main = html!(
        "{}{}",
        layout::error_summary(errors),
        layout::h1("Schedules")
    );
    main.push(layout::table(
        "The council's schedules",
        &["Name", "When", "Status", "Next due", "Runs"],
        rows,
    ));
    main.push(layout::pagination(
        &format!("/console/councils/{}/schedules", seg(c)),
        &body,
        query.contains_key("after"),
    ));
    main.push(html!(
        "<p class=\"govuk-body\">{}</p>",
        layout::link(
            &format!("/console/councils/{}/calendar", seg(c)),
            "The working-day calendar"
        )
    ));
    if may(session, "POST", "/v1/councils/{council}/schedules", Some(c)) {
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Create a schedule</h2>{}{}",
            definition_fields(form, errors),
            layout::button("Create schedule")
        );
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/schedules", seg(c)),
            inner,
        ));
    }
    let title = if errors.is_empty() {
        "Schedules"
    } else {
        "Error: Schedules"
    };
    layout::ok(
        Page {
            title,
            session: Some(session),
            council: Some(c),
            active: "schedules",
        },
        main,
    )
}

async fn create(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let answer = console
        .send_json(
            &session,
            Method::POST,
            &format!("/v1/councils/{}/schedules", id.as_str()),
            &definition(&form),
        )
        .await;
    if answer.ok() {
        let sid = answer.body["id"].as_str().unwrap_or_default();
        return redirect(&format!(
            "/console/councils/{}/schedules/{}",
            seg(id.as_str()),
            seg(sid)
        ));
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let detail = answer.detail();
        let errors = [(field_of(&detail).to_owned(), detail)];
        return list_page(
            &console,
            &session,
            &council,
            &errors,
            &form,
            &HashMap::new(),
        )
        .await;
    }
    answer.refusal()
}

async fn one(
    State(console): State<Console>,
    Signed(session): Signed,
    Path((council, schedule)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let count = query
        .get("count")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 500);
    one_page(&console, &session, &council, &schedule, count, &[], None).await
}

async fn one_page(
    console: &Console,
    session: &Session,
    council: &str,
    schedule: &str,
    count: usize,
    errors: &[layout::FieldError],
    form: Option<&Form>,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let base = format!("/v1/councils/{c}/schedules/{}", seg(schedule));
    let s = match console.read(session, &base).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let preview = match console
        .read(
            session,
            &format!("{base}/preview?count={}", count.max(DST_LOOKAHEAD)),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let runs = match console
        .read(session, &format!("{base}/runs?limit=50"))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let here = format!("/console/councils/{}/schedules/{}", seg(c), seg(schedule));
    let paused = s["paused"].as_bool() == Some(true);
    let mut main = html!(
        "{}<span class=\"govuk-caption-l\">Schedule</span><h1 class=\"govuk-heading-l\">{}</h1>",
        layout::error_summary(errors),
        s["name"]
    );
    main.push(layout::summary(vec![
        ("When (cron)", html!("<code>{}</code>", s["cron"])),
        ("Time zone", html!("{}", s["timezone"])),
        ("What it does", html!("{}", brief(&s["action"]))),
        (
            "Status",
            if paused {
                layout::tag("Paused", "grey")
            } else {
                layout::tag("Active", "green")
            },
        ),
        ("Next due", html!("{}", s["next_due"])),
        ("On a non-working day", html!("{}", s["non_working_days"])),
        ("Catching up", html!("{}", brief(&s["catch_up"]))),
        ("Overlap", html!("{}", s["overlap"])),
        (
            "Daylight saving",
            html!(
                "spring gap: {}; autumn repeat: {}",
                s["dst"]["spring_gap"],
                s["dst"]["autumn_repeat"]
            ),
        ),
        (
            "Runs",
            html!("{} fired, {} missed", s["fired"], s["missed"]),
        ),
    ]));
    let can_change = may(
        session,
        "POST",
        "/v1/councils/{council}/schedules/{schedule}/pause",
        Some(c),
    );
    if can_change {
        main.push(if paused {
            layout::post_form(session, &format!("{here}/resume"), layout::button("Resume"))
        } else {
            layout::post_form(
                session,
                &format!("{here}/pause"),
                layout::secondary_button("Pause"),
            )
        });
    }

    let all = preview["occurrences"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let occurrences: Vec<Vec<Markup>> = all
        .iter()
        .take(count)
        .map(|o| {
            let (date, time, offset) = parts(o["at"].as_str().unwrap_or_default());
            let adjustments = adjustments(o);
            let weekday = date
                .parse::<chrono::NaiveDate>()
                .map(|d| d.format("%a").to_string())
                .unwrap_or_default();
            vec![
                html!("<span class=\"console-date\">{}</span> {}", date, weekday),
                html!("{}", time),
                html!("UTC{}", offset),
                html!("{}", adjustments),
            ]
        })
        .collect();
    main.push(html!(
        "<h2 class=\"govuk-heading-m\" id=\"preview\">Next fire times</h2><form method=\"get\" action=\"{}#preview\" class=\"govuk-!-margin-bottom-4\">{}{}</form>",
        here,
        layout::input(
            "count",
            "How many to show",
            "1 to 500",
            &count.to_string(),
            None,
            "text"
        ),
        layout::secondary_button("Show fire times")
    ));
    main.push(layout::table(
        &format!(
            "The next {} fire times after {}",
            occurrences.len(),
            preview["after"].as_str().unwrap_or_default()
        ),
        &[
            "Date",
            "Local time",
            "Offset",
            "Daylight saving or working day",
        ],
        occurrences,
    ));

    main.push(clock_changes(all));

    let run_rows: Vec<Vec<Markup>> = runs["runs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            vec![
                html!("{}", r["local_time"]),
                html!("{}", r["outcome"]),
                html!("{}", brief(&r["reason"])),
                html!("{}", r["action"]),
            ]
        })
        .collect();
    main.push(layout::table(
        "Runs",
        &["Occurrence", "Outcome", "Why", "Action"],
        run_rows,
    ));

    if may(
        session,
        "PUT",
        "/v1/councils/{council}/schedules/{schedule}",
        Some(c),
    ) {
        let filled = form.cloned().unwrap_or_else(|| form_from(&s));
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Edit</h2>{}{}",
            definition_fields(&filled, errors),
            layout::button("Save changes")
        );
        main.push(layout::post_form(session, &here, inner));
    }
    let title = if errors.is_empty() {
        "Schedule"
    } else {
        "Error: Schedule"
    };
    layout::ok(
        Page {
            title,
            session: Some(session),
            council: Some(c),
            active: "schedules",
        },
        main,
    )
}

async fn edit(
    State(console): State<Console>,
    Path((council, schedule)): Path<(String, String)>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut def = definition(&form);
    // An edit keeps the schedule paused or running as it was.
    let base = format!("/v1/councils/{}/schedules/{}", id.as_str(), seg(&schedule));
    if let Ok(current) = console.read(&session, &base).await {
        def["paused"] = current["paused"].clone();
    }
    let answer = console.send_json(&session, Method::PUT, &base, &def).await;
    if answer.ok() {
        return redirect(&format!(
            "/console/councils/{}/schedules/{}",
            seg(id.as_str()),
            seg(&schedule)
        ));
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let detail = answer.detail();
        let errors = [(field_of(&detail).to_owned(), detail)];
        return one_page(
            &console,
            &session,
            &council,
            &schedule,
            10,
            &errors,
            Some(&form),
        )
        .await;
    }
    answer.refusal()
}

async fn switch(
    console: &Console,
    session: &Session,
    council: &str,
    schedule: &str,
    to: &str,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let answer = console
        .send_json(
            session,
            Method::POST,
            &format!(
                "/v1/councils/{}/schedules/{}/{to}",
                id.as_str(),
                seg(schedule)
            ),
            &json!({}),
        )
        .await;
    if answer.ok() {
        redirect(&format!(
            "/console/councils/{}/schedules/{}",
            seg(id.as_str()),
            seg(schedule)
        ))
    } else {
        answer.refusal()
    }
}

async fn pause(
    State(console): State<Console>,
    Path((council, schedule)): Path<(String, String)>,
    Posted(session, _): Posted,
) -> Response {
    switch(&console, &session, &council, &schedule, "pause").await
}

async fn resume(
    State(console): State<Console>,
    Path((council, schedule)): Path<(String, String)>,
    Posted(session, _): Posted,
) -> Response {
    switch(&console, &session, &council, &schedule, "resume").await
}

async fn calendar(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
) -> Response {
    calendar_page(&console, &session, &council, &[], None).await
}

const NATIONS: &[(&str, &str)] = &[
    ("england_and_wales", "England and Wales"),
    ("scotland", "Scotland"),
    ("northern_ireland", "Northern Ireland"),
];

/// Dates as the form shows them: one a line.
fn lines(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn dates(v: &Value) -> Markup {
    let text = lines(v);
    if text.is_empty() {
        html!("None")
    } else {
        html!("{}", text.replace('\n', ", "))
    }
}

async fn calendar_page(
    console: &Console,
    session: &Session,
    council: &str,
    errors: &[layout::FieldError],
    submitted: Option<&Form>,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let cal = match console
        .read(session, &format!("/v1/councils/{c}/calendar"))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut main = html!(
        "{}{}",
        layout::error_summary(errors),
        layout::caption_h1("Schedules", "Working-day calendar")
    );
    main.push(layout::p(
        "Weekends and the nation's bank holidays are not working days; the council can add its own closures and take bank holidays it works on off the list.",
    ));
    let nation_rules = cal["mode"].as_str() == Some("nation_rules");
    if nation_rules {
        main.push(layout::summary(vec![
            (
                "Bank holidays of",
                html!("{}", brief(&cal["nation"]).replace('_', " ")),
            ),
            ("Also closed on", dates(&cal["extra_holidays"])),
            (
                "Open on these bank holidays",
                dates(&cal["removed_holidays"]),
            ),
        ]));
    } else {
        main.push(layout::json_block(&cal));
    }
    if nation_rules && may(session, "PUT", "/v1/councils/{council}/calendar", Some(c)) {
        let value = |field: &str| match submitted {
            Some(f) => f.get(field).to_owned(),
            None => match field {
                "nation" => brief(&cal["nation"]),
                other => lines(&cal[other]),
            },
        };
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Change the calendar</h2>{}{}{}{}",
            layout::select(
                "nation",
                "Bank holidays of",
                "",
                NATIONS,
                &value("nation"),
                layout::error_for(errors, "nation")
            ),
            layout::textarea(
                "extra_holidays",
                "Also closed on",
                "One date a line, as YYYY-MM-DD, e.g. 2026-12-29",
                &value("extra_holidays"),
                layout::error_for(errors, "extra_holidays")
            ),
            layout::textarea(
                "removed_holidays",
                "Open on these bank holidays",
                "One date a line, as YYYY-MM-DD",
                &value("removed_holidays"),
                layout::error_for(errors, "removed_holidays")
            ),
            layout::button("Save calendar")
        );
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/calendar", seg(c)),
            inner,
        ));
    }
    layout::ok(
        Page {
            title: if errors.is_empty() {
                "Working-day calendar"
            } else {
                "Error: Working-day calendar"
            },
            session: Some(session),
            council: Some(c),
            active: "schedules",
        },
        main,
    )
}

/// A textarea of dates, one a line, as the API's list (bad lines are sent as they
/// are, so the API names them).
fn date_list(raw: &str) -> Value {
    Value::Array(
        raw.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| json!(l))
            .collect(),
    )
}

async fn put_calendar(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    // Turning the form's text into dates is the form's job (the rules about which
    // dates are allowed are the API's): a line that is not a date is named here.
    for field in ["extra_holidays", "removed_holidays"] {
        if let Some(bad) = form
            .get(field)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && l.parse::<chrono::NaiveDate>().is_err())
        {
            let errors = [(
                field.to_owned(),
                format!(
                    "`{bad}` is not a real date: write each date as YYYY-MM-DD, e.g. 2026-12-29"
                ),
            )];
            return calendar_page(&console, &session, &council, &errors, Some(&form)).await;
        }
    }
    let body = json!({
        "mode": "nation_rules",
        "nation": or(form.get("nation"), "england_and_wales"),
        "extra_holidays": date_list(form.get("extra_holidays")),
        "removed_holidays": date_list(form.get("removed_holidays")),
    });
    let answer = console
        .send_json(
            &session,
            Method::PUT,
            &format!("/v1/councils/{}/calendar", id.as_str()),
            &body,
        )
        .await;
    if answer.ok() {
        return redirect(&format!("/console/councils/{}/calendar", seg(id.as_str())));
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let detail = answer.detail();
        let field = if detail.contains("removed") {
            "removed_holidays"
        } else if detail.contains("nation") {
            "nation"
        } else {
            "extra_holidays"
        };
        let errors = [(field.to_owned(), detail)];
        return calendar_page(&console, &session, &council, &errors, Some(&form)).await;
    }
    answer.refusal()
}
