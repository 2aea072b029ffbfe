//! The platform's own pages (platform admins): its keys and the whole audit log.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::{Console, Form, Posted, Session, Signed, page_query, redirect, seg};

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/console/keys", get(keys).post(create_key))
        .route("/console/keys/{key}/revoke", post(revoke_key))
        .route("/console/audit", get(audit))
}

async fn keys(
    State(console): State<Console>,
    Signed(session): Signed,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    keys_page(
        &console,
        &session,
        &[],
        &Form::default(),
        Markup::new(),
        &query,
    )
    .await
}

async fn keys_page(
    console: &Console,
    session: &Session,
    errors: &[layout::FieldError],
    form: &Form,
    top: Markup,
    query: &HashMap<String, String>,
) -> Response {
    let body = match console
        .read(session, &format!("/v1/keys?{}", page_query(query)))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let rows: Vec<Vec<Markup>> = body["keys"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|k| {
            let kid = k["id"].as_str().unwrap_or_default();
            let revoked = !k["revoked_at"].is_null();
            vec![
                html!(
                    "{}<br><span class=\"govuk-body-s console-wrap\">{}</span>",
                    k["name"],
                    kid
                ),
                html!("{}", k["created_at"]),
                html!("{}", k["expires_at"]),
                if revoked {
                    layout::tag("Revoked", "red")
                } else {
                    layout::tag("Live", "green")
                },
                if revoked {
                    Markup::new()
                } else {
                    layout::post_form(
                        session,
                        &format!("/console/keys/{}/revoke", seg(kid)),
                        html!(
                            "<button type=\"submit\" class=\"govuk-button govuk-button--warning govuk-!-margin-bottom-0\" data-module=\"govuk-button\">Revoke<span class=\"govuk-visually-hidden\"> key {}</span></button>",
                            k["name"]
                        ),
                    )
                },
            ]
        })
        .collect();
    let mut main = html!(
        "{}{}{}",
        layout::error_summary(errors),
        top,
        layout::h1("Platform keys")
    );
    main.push(layout::table(
        "Platform-admin keys (never their secrets); the bootstrap key is not listed",
        &["Name", "Created", "Expires", "Status", "Action"],
        rows,
    ));
    main.push(layout::pagination(
        "/console/keys",
        &body,
        query.contains_key("after"),
    ));
    let inner = html!(
        "<h2 class=\"govuk-heading-m\">Create a platform-admin key</h2>{}{}{}",
        layout::input(
            "name",
            "Name",
            "Whose key it is",
            form.get("name"),
            layout::error_for(errors, "name"),
            "text"
        ),
        layout::input(
            "expires_at",
            "Expires (optional)",
            "An RFC 3339 time, e.g. 2027-01-01T00:00:00Z; empty for no expiry",
            form.get("expires_at"),
            layout::error_for(errors, "expires_at"),
            "text"
        ),
        layout::button("Create key")
    );
    main.push(layout::post_form(session, "/console/keys", inner));
    layout::ok(
        Page {
            title: if errors.is_empty() {
                "Platform keys"
            } else {
                "Error: Platform keys"
            },
            session: Some(session),
            council: None,
            active: "platform-keys",
        },
        main,
    )
}

async fn create_key(State(console): State<Console>, Posted(session, form): Posted) -> Response {
    let mut body = json!({ "name": form.get("name") });
    if !form.get("expires_at").is_empty() {
        body["expires_at"] = json!(form.get("expires_at"));
    }
    let answer = console
        .send_json(&session, Method::POST, "/v1/keys", &body)
        .await;
    let none = HashMap::new();
    if answer.ok() {
        let top = layout::success_banner(
            "Key created: copy its secret now",
            html!(
                "<p class=\"govuk-body\">This is the only time the secret is shown.</p><p class=\"govuk-body\"><code class=\"console-secret\">{}</code></p>",
                answer.body["secret"]
            ),
        );
        return keys_page(&console, &session, &[], &Form::default(), top, &none).await;
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let detail = answer.detail();
        let field = if detail.contains("expires_at") {
            "expires_at"
        } else {
            "name"
        };
        let errors = [(field.to_owned(), detail)];
        return keys_page(&console, &session, &errors, &form, Markup::new(), &none).await;
    }
    answer.refusal()
}

async fn revoke_key(
    State(console): State<Console>,
    Path(key): Path<String>,
    Posted(session, _): Posted,
) -> Response {
    let answer = console
        .call(
            &session,
            Method::DELETE,
            &format!("/v1/keys/{}", seg(&key)),
            "application/json",
            Vec::new(),
        )
        .await;
    if answer.ok() {
        redirect("/console/keys")
    } else {
        answer.refusal()
    }
}

async fn audit(
    State(console): State<Console>,
    Signed(session): Signed,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let body = match console
        .read(&session, &format!("/v1/audit?{}", page_query(&query)))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let rows: Vec<Vec<Markup>> = body["entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            vec![
                html!("{}", e["at"]),
                html!(
                    "{}<br><span class=\"govuk-body-s console-wrap\">{}</span>",
                    e["role"],
                    e["key"]
                ),
                html!("{}", e["council"]),
                html!("{} <code>{}</code>", e["method"], e["route"]),
                html!("{}", e["status"]),
            ]
        })
        .collect();
    let mut main = layout::h1("Audit log");
    main.push(layout::table(
        "Every change made with any key, oldest first",
        &["When", "Who", "Council", "What", "Status"],
        rows,
    ));
    main.push(layout::pagination(
        "/console/audit",
        &body,
        query.contains_key("after"),
    ));
    layout::ok(
        Page {
            title: "Audit log",
            session: Some(&session),
            council: None,
            active: "platform-audit",
        },
        main,
    )
}
