//! The participants roster (least data: no names, dates of birth or postcodes) and
//! one journey's timeline: events, pending timers, decisions with their reasons,
//! consents and handover; and the form to record an event.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::{Console, Form, Posted, Session, Signed, council_id, may, redirect, seg};

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/console/councils/{council}/participants", get(roster))
        .route(
            "/console/councils/{council}/participants/{participant}",
            get(timeline).post(record_event),
        )
}

/// A short text for a JSON value: a string as itself; an object by its `type`,
/// `state`, `kind`, `status`, `outcome`, `policy` or `route`, or the timers it plans;
/// anything else as JSON, cut short.
pub fn brief(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(o) => [
            "type", "state", "kind", "status", "outcome", "policy", "route",
        ]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
        .or_else(|| {
            o.get("timers")
                .and_then(Value::as_array)
                .map(|t| format!("{} timers planned", t.len()))
        })
        .unwrap_or_else(|| cut(&v.to_string())),
        other => cut(&other.to_string()),
    }
}

/// At most 120 characters of `s`.
fn cut(s: &str) -> String {
    if s.chars().count() <= 120 {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(119).collect();
    out.push('…');
    out
}

/// A decision's reasons (`rule`: `text`), as a list.
pub fn reasons(list: &Value) -> Markup {
    let items: Markup = list
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| html!("<li><code>{}</code>: {}</li>", r["rule"], r["text"]))
        .collect();
    html!("<ul class=\"govuk-list govuk-list--bullet\">{}</ul>", items)
}

/// The other fields of an object, as `name: value` pairs.
fn details(v: &Value, skip: &[&str]) -> String {
    match v.as_object() {
        Some(o) => o
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}: {}", brief(v)))
            .collect::<Vec<_>>()
            .join(", "),
        None => String::new(),
    }
}

async fn roster(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let body = match console
        .read(
            &session,
            &format!(
                "/v1/councils/{c}/participants?{}",
                super::page_query(&query)
            ),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let rows: Vec<Vec<Markup>> = body["participants"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let pid = p["participant_id"].as_str().unwrap_or_default();
            vec![
                layout::link(
                    &format!("/console/councils/{}/participants/{}", seg(c), seg(pid)),
                    pid,
                ),
                html!("{}", brief(&p["state"])),
                html!("{}", p["referred_on"]),
                html!("{}", p["support_ends_on"]),
                html!("{}", p["last_event_on"]),
                html!("{}", p["events"]),
            ]
        })
        .collect();
    let mut main = layout::h1("Participants");
    main.push(layout::table(
        "Participants, by id",
        &[
            "Participant",
            "State",
            "Referred",
            "Support ends",
            "Last event",
            "Events",
        ],
        rows,
    ));
    main.push(layout::pagination(
        &format!("/console/councils/{}/participants", seg(c)),
        &body,
        query.contains_key("after"),
    ));
    layout::ok(
        Page {
            title: "Participants",
            session: Some(&session),
            council: Some(c),
            active: "participants",
        },
        main,
    )
}

async fn timeline(
    State(console): State<Console>,
    Signed(session): Signed,
    Path((council, participant)): Path<(String, String)>,
) -> Response {
    show(
        &console,
        &session,
        &council,
        &participant,
        &[],
        &Form::default(),
        None,
    )
    .await
}

const EVENT_TYPES: &[(&str, &str)] = &[
    ("contact_made", "Contact made"),
    ("contact_missed", "Contact missed"),
    ("accepted", "Accepted"),
    ("declined", "Declined"),
    ("started", "Started support"),
    ("job_started", "Job started"),
    ("job_ended", "Job ended (give a reason)"),
    ("paused", "Paused"),
    ("resumed", "Resumed"),
    ("outcome_checkpoint", "Outcome checkpoint"),
    ("exited", "Exited (give a reason)"),
    ("consent_given", "Consent given (give the purpose)"),
    ("consent_withdrawn", "Consent withdrawn (give the purpose)"),
];

async fn show(
    console: &Console,
    session: &Session,
    council: &str,
    participant: &str,
    errors: &[layout::FieldError],
    form: &Form,
    done: Option<&str>,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let view = match console
        .read(
            session,
            &format!("/v1/councils/{c}/participants/{}", seg(participant)),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut main = html!(
        "{}<span class=\"govuk-caption-l\">Participant</span><h1 class=\"govuk-heading-l\">{}</h1>",
        layout::error_summary(errors),
        participant
    );
    if let Some(done) = done {
        main.push(layout::success_banner(done, Markup::new()));
    }
    main.push(layout::summary(vec![
        ("State", html!("{}", brief(&view["state"]))),
        ("Support ends", html!("{}", view["support_ends_on"])),
    ]));

    // Events, oldest first, as the journey holds them.
    let events: Vec<Vec<Markup>> = view["history"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            vec![
                html!("<span class=\"console-nowrap\">{}</span>", e["at"]),
                html!("{}", e["type"]),
                html!(
                    "<span class=\"console-wrap\">{}</span>",
                    details(e, &["at", "type"])
                ),
            ]
        })
        .collect();
    main.push(layout::table(
        "Timeline",
        &["Date", "Event", "Details"],
        events,
    ));

    let timers: Vec<Vec<Markup>> = view["pending_timers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|t| {
            vec![
                html!("<span class=\"console-nowrap\">{}</span>", t["due"]),
                html!("{}", t["kind"]),
                html!("{}", t["purpose"]),
            ]
        })
        .collect();
    main.push(layout::table(
        "Pending timers",
        &["Due", "Kind", "Purpose"],
        timers,
    ));

    let decisions: Vec<Vec<Markup>> = view["decisions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|d| {
            let reasons = reasons(&d["reasons"]);
            let outcome = match &d["error"] {
                Value::String(e) => format!("no decision: {e}"),
                _ => brief(&d["output"]),
            };
            vec![
                html!("<span class=\"console-nowrap\">{}</span>", d["as_of"]),
                html!("{}", d["hook"]),
                html!("<span class=\"console-wrap\">{}</span>", outcome),
                reasons,
            ]
        })
        .collect();
    main.push(layout::table(
        "Decisions",
        &["As of", "Hook", "Outcome", "Reasons"],
        decisions,
    ));

    let consents: Vec<Vec<Markup>> = view["consent"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(purpose, c)| {
                    let allowed = if c["allowed"].as_bool() == Some(true) {
                        layout::tag("Allowed", "green")
                    } else {
                        layout::tag("Not allowed", "grey")
                    };
                    vec![
                        html!("{}", purpose.replace('_', " ")),
                        html!(
                            "{} <span class=\"govuk-body-s\">({})</span>",
                            allowed,
                            brief(&c["status"]).replace('_', " ")
                        ),
                        match c["changed_on"].as_str() {
                            Some(on) => html!("<span class=\"console-nowrap\">{}</span>", on),
                            None => html!("Never"),
                        },
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    main.push(layout::table(
        "Consents",
        &["Purpose", "Consent", "Last changed"],
        consents,
    ));

    let handovers: Vec<&Value> = view["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter(|e| e["type"].as_str().is_some_and(|t| t.contains("handover")))
                .collect()
        })
        .unwrap_or_default();
    main.push(html!("<h2 class=\"govuk-heading-m\">Handover</h2>"));
    if handovers.is_empty() {
        main.push(layout::p("No handover yet."));
    } else {
        for h in handovers {
            main.push(layout::json_block(h));
        }
    }

    if may(
        session,
        "POST",
        "/v1/councils/{council}/participants/{participant}/events",
        Some(c),
    ) {
        let today = console.app.clock.now().date_naive().to_string();
        let at = if form.get("at").is_empty() {
            today.as_str()
        } else {
            form.get("at")
        };
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Record an event</h2>{}{}{}{}",
            layout::select(
                "type",
                "What happened",
                "",
                EVENT_TYPES,
                form.get("type"),
                layout::error_for(errors, "type")
            ),
            layout::input(
                "at",
                "Date",
                "As YYYY-MM-DD, for example 2026-03-27",
                at,
                layout::error_for(errors, "at"),
                "text"
            ),
            layout::input(
                "reason",
                "Reason or purpose (if the event needs one)",
                "A job end or exit reason, or a consent purpose, e.g. employer_contact",
                form.get("reason"),
                layout::error_for(errors, "reason"),
                "text"
            ),
            layout::button("Record event")
        );
        main.push(layout::post_form(
            session,
            &format!(
                "/console/councils/{}/participants/{}",
                seg(c),
                seg(participant)
            ),
            inner,
        ));
    }
    let title = if errors.is_empty() {
        "Participant"
    } else {
        "Error: Participant"
    };
    layout::ok(
        Page {
            title,
            session: Some(session),
            council: Some(c),
            active: "participants",
        },
        main,
    )
}

async fn record_event(
    State(console): State<Console>,
    Path((council, participant)): Path<(String, String)>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let kind = form.get("type");
    if form.get("at").parse::<chrono::NaiveDate>().is_err() {
        let errors = [(
            "at".to_owned(),
            "Enter the date as YYYY-MM-DD, for example 2026-03-27".to_owned(),
        )];
        return show(
            &console,
            &session,
            &council,
            &participant,
            &errors,
            &form,
            None,
        )
        .await;
    }
    let mut event = json!({ "type": kind, "at": form.get("at") });
    match kind {
        "job_ended" | "exited" => event["reason"] = json!(form.get("reason")),
        "consent_given" | "consent_withdrawn" => event["purpose"] = json!(form.get("reason")),
        "outcome_checkpoint" => {
            event["met"] = json!(true);
            event["hours_per_week"] = json!(16);
        }
        _ => {}
    }
    let answer = console
        .send_json(
            &session,
            Method::POST,
            &format!(
                "/v1/councils/{}/participants/{}/events",
                id.as_str(),
                seg(&participant)
            ),
            &event,
        )
        .await;
    if answer.ok() {
        return redirect(&format!(
            "/console/councils/{}/participants/{}#timeline",
            seg(id.as_str()),
            seg(&participant)
        ));
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let detail = answer.detail();
        let field = if detail.contains("`at`") || detail.contains("date") {
            "at"
        } else if detail.contains("reason") || detail.contains("purpose") {
            "reason"
        } else {
            "type"
        };
        return show(
            &console,
            &session,
            &council,
            &participant,
            &[(field.to_owned(), detail)],
            &form,
            None,
        )
        .await;
    }
    answer.refusal()
}
