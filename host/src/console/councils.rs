//! The start page, the councils (platform admins) and a council's overview.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::{Console, Posted, Signed, council_id, may, redirect, seg};

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/console/councils", get(list).post(create))
        .route("/console/councils/{council}", get(overview).post(change))
}

/// Platform admins start at the councils; everyone else at their council.
pub async fn home(Signed(session): Signed) -> Response {
    match &session.caller.council {
        Some(c) => redirect(&format!("/console/councils/{}", seg(c.as_str()))),
        None => redirect("/console/councils"),
    }
}

async fn list(
    State(console): State<Console>,
    Signed(session): Signed,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/v1/councils?{}", super::page_query(&query));
    let body = match console.read(&session, &path).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    page(
        &session,
        &body,
        &[],
        &Default::default(),
        query.contains_key("after"),
    )
}

fn page(
    session: &super::Session,
    body: &Value,
    errors: &[layout::FieldError],
    form: &super::Form,
    later: bool,
) -> Response {
    let rows: Vec<Vec<Markup>> = body["councils"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let id = c["id"].as_str().unwrap_or_default();
            vec![
                layout::link(&format!("/console/councils/{}", seg(id)), id),
                html!("{}", c["name"]),
                html!("{}", c["timezone"]),
                html!("{}", c["active_plugin"]),
            ]
        })
        .collect();
    let mut main = html!(
        "{}{}",
        layout::error_summary(errors),
        layout::h1("Councils")
    );
    main.push(layout::table(
        "Every council",
        &["Id", "Name", "Time zone", "Active plugin"],
        rows,
    ));
    main.push(layout::pagination("/console/councils", body, later));
    if may(session, "POST", "/v1/councils", None) {
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Add a council</h2>{}{}{}{}",
            layout::input(
                "id",
                "Id",
                "Lower-case letters, digits and hyphens, e.g. stoke-on-trent",
                form.get("id"),
                layout::error_for(errors, "id"),
                "text"
            ),
            layout::input(
                "name",
                "Name",
                "",
                form.get("name"),
                layout::error_for(errors, "name"),
                "text"
            ),
            layout::input(
                "timezone",
                "Time zone",
                "IANA time zone; leave empty for Europe/London",
                form.get("timezone"),
                layout::error_for(errors, "timezone"),
                "text"
            ),
            layout::button("Add council")
        );
        main.push(layout::post_form(session, "/console/councils", inner));
    }
    let title = if errors.is_empty() {
        "Councils"
    } else {
        "Error: Councils"
    };
    layout::ok(
        Page {
            title,
            session: Some(session),
            council: None,
            active: "councils",
        },
        main,
    )
}

async fn create(State(console): State<Console>, Posted(session, form): Posted) -> Response {
    let mut body = json!({ "id": form.get("id"), "name": form.get("name") });
    if !form.get("timezone").is_empty() {
        body["timezone"] = json!(form.get("timezone"));
    }
    let answer = console
        .send_json(&session, Method::POST, "/v1/councils", &body)
        .await;
    if answer.ok() {
        return redirect(&format!("/console/councils/{}", seg(form.get("id"))));
    }
    if answer.status.is_client_error() && answer.status.as_u16() != 403 {
        let detail = answer.detail();
        let field = ["timezone", "name", "id"]
            .into_iter()
            .find(|f| detail.contains(f))
            .unwrap_or("id");
        let first = format!("/v1/councils?limit={}", super::PAGE_SIZE);
        let list = match console.read(&session, &first).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        return page(&session, &list, &[(field.to_owned(), detail)], &form, false);
    }
    answer.refusal()
}

async fn overview(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
) -> Response {
    overview_page(&console, &session, &council, &[], None).await
}

async fn overview_page(
    console: &Console,
    session: &super::Session,
    council: &str,
    errors: &[layout::FieldError],
    form: Option<&super::Form>,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = match console
        .read(session, &format!("/v1/councils/{}", id.as_str()))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut main = layout::error_summary(errors);
    main.push(layout::caption_h1(
        "Council",
        c["name"].as_str().unwrap_or_default(),
    ));
    main.push(layout::summary(vec![
        ("Id", html!("{}", c["id"])),
        ("Name", html!("{}", c["name"])),
        ("Time zone", html!("{}", c["timezone"])),
        ("Nation", html!("{}", c["nation"])),
        ("Reminder time", html!("{}", c["reminder_time"])),
        ("Programme", html!("{}", c["programme"]["kind"])),
        (
            "Active plugin",
            match c["active_plugin"].as_str() {
                Some(d) => html!("<code>{}</code>", d),
                None => html!("None yet"),
            },
        ),
    ]));
    main.push(layout::p(
        "Use the menu to reach the pages your key may use.",
    ));
    if may(
        session,
        "PATCH",
        "/v1/councils/{council}",
        Some(id.as_str()),
    ) {
        let value = |field: &str| match form {
            Some(f) => f.get(field).to_owned(),
            None => c[field].as_str().unwrap_or_default().to_owned(),
        };
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Change the council's details</h2>{}{}{}{}",
            layout::input(
                "name",
                "Name",
                "",
                &value("name"),
                layout::error_for(errors, "name"),
                "text"
            ),
            layout::input(
                "timezone",
                "Time zone",
                "IANA time zone, e.g. Europe/London",
                &value("timezone"),
                layout::error_for(errors, "timezone"),
                "text"
            ),
            layout::input(
                "reminder_time",
                "Reminder time",
                "The local time dated reminders fire at, e.g. 08:00:00",
                &value("reminder_time"),
                layout::error_for(errors, "reminder_time"),
                "text"
            ),
            layout::button("Save details")
        );
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}", seg(id.as_str())),
            inner,
        ));
    }
    layout::ok(
        Page {
            title: if errors.is_empty() {
                c["name"].as_str().unwrap_or("Council")
            } else {
                "Error: Council"
            },
            session: Some(session),
            council: Some(id.as_str()),
            active: "overview",
        },
        main,
    )
}

async fn change(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut body = json!({});
    for field in ["name", "timezone", "reminder_time"] {
        if !form.get(field).is_empty() {
            body[field] = json!(form.get(field));
        }
    }
    let answer = console
        .send_json(
            &session,
            Method::PATCH,
            &format!("/v1/councils/{}", id.as_str()),
            &body,
        )
        .await;
    if answer.ok() {
        return redirect(&format!("/console/councils/{}", seg(id.as_str())));
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let detail = answer.detail();
        let field = ["reminder_time", "timezone", "name"]
            .into_iter()
            .find(|f| detail.contains(f))
            .unwrap_or("name");
        return overview_page(
            &console,
            &session,
            &council,
            &[(field.to_owned(), detail)],
            Some(&form),
        )
        .await;
    }
    answer.refusal()
}
