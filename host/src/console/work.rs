//! "My work today": the council's pending actions due today or overdue, oldest
//! first, each with a button to acknowledge it.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::{Console, Posted, Signed, council_id, may, redirect, seg};

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/console/councils/{council}/work", get(today))
        .route(
            "/console/councils/{council}/actions/{action}/ack",
            post(acknowledge),
        )
}

/// Today in the council's time zone, by the daemon's clock.
pub fn council_today(console: &Console, council: &Value) -> NaiveDate {
    let now = console.app.clock.now();
    match council["timezone"]
        .as_str()
        .and_then(|tz| tz.parse::<chrono_tz::Tz>().ok())
    {
        Some(tz) => now.with_timezone(&tz).date_naive(),
        None => now.date_naive(),
    }
}

async fn today(
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
    let council_view = match console.read(&session, &format!("/v1/councils/{c}")).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let today = council_today(&console, &council_view);
    // Due before tomorrow: today's and overdue. The API narrows the list to the key's
    // own key worker's work when the key is bound to one (everyone's otherwise).
    let tomorrow = today.succ_opt().unwrap_or(today);
    let page = match console
        .read(
            &session,
            &format!(
                "/v1/councils/{c}/actions?status=pending&due_before={tomorrow}&{}",
                super::page_query(&query)
            ),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut due: Vec<&Value> = page["actions"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    due.retain(|a| {
        a["due"]
            .as_str()
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .is_some_and(|d| d <= today)
    });
    // Oldest first: by due date, then by when it fired.
    due.sort_by(|a, b| {
        (a["due"].as_str(), a["scheduled_for"].as_str())
            .cmp(&(b["due"].as_str(), b["scheduled_for"].as_str()))
    });
    let can_ack = may(
        &session,
        "POST",
        "/v1/councils/{council}/actions/{action}/ack",
        Some(c),
    );
    let mut head = vec!["Due", "What", "Participant"];
    if can_ack {
        head.push("Action");
    }
    let rows: Vec<Vec<Markup>> = due
        .iter()
        .map(|a| {
            let date = a["due"].as_str().unwrap_or_default();
            let status = if date < today.to_string().as_str() {
                layout::tag("Overdue", "red")
            } else {
                layout::tag("Due today", "yellow")
            };
            let participant = match a["participant"].as_str() {
                Some(p) => layout::link(
                    &format!("/console/councils/{}/participants/{}", seg(c), seg(p)),
                    p,
                ),
                None => html!("{}", a["schedule"]["name"]),
            };
            let mut row = vec![
                html!("{} {}", date, status),
                html!(
                    "{}<br><span class=\"govuk-body-s\">{}</span>",
                    a["purpose"],
                    a["kind"]
                ),
                participant,
            ];
            if can_ack {
                let action = a["id"].as_str().unwrap_or_default();
                let label = format!("Acknowledge {}", a["purpose"].as_str().unwrap_or(action));
                row.push(layout::post_form(
                    &session,
                    &format!("/console/councils/{}/actions/{}/ack", seg(c), seg(action)),
                    html!(
                        "<button type=\"submit\" class=\"govuk-button govuk-button--secondary govuk-!-margin-bottom-0\" data-module=\"govuk-button\">Acknowledge<span class=\"govuk-visually-hidden\"> {}</span></button>",
                        label
                    ),
                ));
            }
            row
        })
        .collect();
    let mut main = layout::caption_h1(
        council_view["name"].as_str().unwrap_or_default(),
        "My work today",
    );
    let whose = match &session.caller.key_worker {
        Some(kw) => format!("key worker {}", kw.as_str()),
        None => "everyone in the council".to_owned(),
    };
    main.push(html!(
        "<p class=\"govuk-body\">Work for {} due on or before {} that nobody has acknowledged yet, oldest first.</p>",
        whose,
        today
    ));
    if rows.is_empty() {
        main.push(layout::p("Nothing is due. Well done."));
    } else {
        main.push(layout::table(
            "Due and overdue actions, oldest first",
            &head,
            rows,
        ));
    }
    main.push(layout::pagination(
        &format!("/console/councils/{}/work", seg(c)),
        &page,
        query.contains_key("after"),
    ));
    layout::ok(
        Page {
            title: "My work today",
            session: Some(&session),
            council: Some(c),
            active: "work",
        },
        main,
    )
}

async fn acknowledge(
    State(console): State<Console>,
    Path((council, action)): Path<(String, String)>,
    Posted(session, _): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let answer = console
        .send_json(
            &session,
            Method::POST,
            &format!("/v1/councils/{}/actions/{}/ack", id.as_str(), seg(&action)),
            &json!({}),
        )
        .await;
    if answer.ok() {
        redirect(&format!("/console/councils/{}/work", seg(id.as_str())))
    } else {
        answer.refusal()
    }
}
