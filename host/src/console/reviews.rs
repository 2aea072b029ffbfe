//! The human-review queue: cases a plugin could not decide, each resolved by a
//! person with an outcome and a note.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::participants::brief;
use super::{Console, Form, Posted, Session, Signed, council_id, may, redirect, seg};

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/console/councils/{council}/reviews", get(queue))
        .route(
            "/console/councils/{council}/reviews/{review}",
            get(item).post(resolve),
        )
        .route(
            "/console/councils/{council}/reviews/{review}/resolve",
            post(resolve),
        )
}

async fn queue(
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
            &format!("/v1/councils/{c}/reviews?{}", super::page_query(&query)),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let rows: Vec<Vec<Markup>> = body["reviews"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let rid = brief(&r["id"]);
            let status = r["status"].as_str().unwrap_or_default();
            vec![
                layout::link(
                    &format!("/console/councils/{}/reviews/{}", seg(c), seg(&rid)),
                    &format!("Review {rid}"),
                ),
                html!("{}", r["participant"]),
                html!("{}", r["hook"]),
                html!("{}", r["reason"]),
                html!("{}", r["at"]),
                layout::tag(status, if status == "open" { "yellow" } else { "green" }),
            ]
        })
        .collect();
    let mut main = layout::h1("Review queue");
    main.push(layout::table(
        "Cases a plugin could not decide",
        &[
            "Review",
            "Participant",
            "Hook",
            "Why",
            "Sent for review",
            "Status",
        ],
        rows,
    ));
    main.push(layout::pagination(
        &format!("/console/councils/{}/reviews", seg(c)),
        &body,
        query.contains_key("after"),
    ));
    layout::ok(
        Page {
            title: "Review queue",
            session: Some(&session),
            council: Some(c),
            active: "reviews",
        },
        main,
    )
}

async fn item(
    State(console): State<Console>,
    Signed(session): Signed,
    Path((council, review)): Path<(String, String)>,
) -> Response {
    show(&console, &session, &council, &review, &[], &Form::default()).await
}

const OUTCOMES: &[(&str, &str)] = &[
    (
        "",
        "No eligibility decision (a failed plan, checked by hand)",
    ),
    ("accept", "Accept"),
    ("waitlist", "Waitlist"),
    ("decline", "Decline"),
];

async fn show(
    console: &Console,
    session: &Session,
    council: &str,
    review: &str,
    errors: &[layout::FieldError],
    form: &Form,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let r = match console
        .read(
            session,
            &format!("/v1/councils/{c}/reviews/{}", seg(review)),
        )
        .await
    {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let participant = r["participant"].as_str().unwrap_or_default();
    let mut main = html!(
        "{}<span class=\"govuk-caption-l\">Review queue</span><h1 class=\"govuk-heading-l\">Review {}</h1>",
        layout::error_summary(errors),
        review
    );
    main.push(layout::summary(vec![
        (
            "Participant",
            layout::link(
                &format!(
                    "/console/councils/{}/participants/{}",
                    seg(c),
                    seg(participant)
                ),
                participant,
            ),
        ),
        ("Hook", html!("{}", r["hook"])),
        ("Why the plugin gave no decision", html!("{}", r["reason"])),
        ("Plugin version", html!("{}", r["plugin"])),
        ("Sent for review", html!("{}", r["at"])),
        ("As of", html!("{}", r["as_of"])),
        ("Status", html!("{}", r["status"])),
        ("Outcome", html!("{}", r["resolution"]["outcome"])),
        ("Note", html!("{}", r["resolution"]["note"])),
    ]));
    let open = r["status"].as_str() == Some("open");
    if open
        && may(
            session,
            "POST",
            "/v1/councils/{council}/reviews/{review}/resolve",
            Some(c),
        )
    {
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Resolve</h2>{}{}{}",
            layout::select(
                "outcome",
                "Outcome",
                "",
                OUTCOMES,
                form.get("outcome"),
                layout::error_for(errors, "outcome")
            ),
            layout::textarea(
                "note",
                "Note",
                "Why, in your words. It is kept with the journey.",
                form.get("note"),
                layout::error_for(errors, "note")
            ),
            layout::button("Resolve")
        );
        main.push(layout::post_form(
            session,
            &format!(
                "/console/councils/{}/reviews/{}/resolve",
                seg(c),
                seg(review)
            ),
            inner,
        ));
    }
    let title = if errors.is_empty() {
        "Review"
    } else {
        "Error: Review"
    };
    layout::ok(
        Page {
            title,
            session: Some(session),
            council: Some(c),
            active: "reviews",
        },
        main,
    )
}

async fn resolve(
    State(console): State<Console>,
    Path((council, review)): Path<(String, String)>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut body = json!({ "note": form.get("note") });
    if !form.get("outcome").is_empty() {
        body["outcome"] = json!(form.get("outcome"));
    }
    let answer = console
        .send_json(
            &session,
            Method::POST,
            &format!(
                "/v1/councils/{}/reviews/{}/resolve",
                id.as_str(),
                seg(&review)
            ),
            &body,
        )
        .await;
    if answer.ok() {
        return redirect(&format!(
            "/console/councils/{}/reviews/{}",
            seg(id.as_str()),
            seg(&review)
        ));
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let detail = answer.detail();
        let field = if detail.contains("note") {
            "note"
        } else {
            "outcome"
        };
        return show(
            &console,
            &session,
            &council,
            &review,
            &[(field.to_owned(), detail)],
            &form,
        )
        .await;
    }
    answer.refusal()
}
