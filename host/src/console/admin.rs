//! A council's administration: keys (create, with the secret shown once; revoke),
//! the webhook, the audit log, and the sandbox limits and retention.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::participants::brief;
use super::{Console, Form, Posted, Session, Signed, council_id, may, redirect, seg};

pub fn routes() -> Router<Console> {
    Router::new()
        .route(
            "/console/councils/{council}/keys",
            get(keys).post(create_key),
        )
        .route(
            "/console/councils/{council}/keys/{key}/revoke",
            post(revoke_key),
        )
        .route(
            "/console/councils/{council}/webhook",
            get(webhook).post(put_webhook),
        )
        .route(
            "/console/councils/{council}/webhook/remove",
            post(remove_webhook),
        )
        .route("/console/councils/{council}/audit", get(audit))
        .route(
            "/console/councils/{council}/limits",
            get(limits).post(put_limits),
        )
        .route("/console/councils/{council}/retention", post(put_retention))
}

fn refused_here(answer: &super::api::Answer) -> bool {
    answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16())
}

fn page<'a>(session: &'a Session, c: &'a str, title: &'a str, active: &'a str) -> Page<'a> {
    Page {
        title,
        session: Some(session),
        council: Some(c),
        active,
    }
}

const ROLES: &[(&str, &str)] = &[
    ("caseworker", "Key worker (caseworker)"),
    ("council_admin", "Council admin"),
    ("auditor", "Auditor"),
];

async fn keys(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    keys_page(
        &console,
        &session,
        &council,
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
    council: &str,
    errors: &[layout::FieldError],
    form: &Form,
    top: Markup,
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
            &format!("/v1/councils/{c}/keys?{}", super::page_query(query)),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let can_manage = may(session, "POST", "/v1/councils/{council}/keys", Some(c));
    let mut head = vec!["Name", "Role", "Created", "Expires", "Status"];
    if can_manage {
        head.push("Action");
    }
    let rows: Vec<Vec<Markup>> = body["keys"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|k| {
            let kid = k["id"].as_str().unwrap_or_default();
            let revoked = !k["revoked_at"].is_null();
            let mut row = vec![
                html!(
                    "{}<br><span class=\"govuk-body-s console-wrap\">{}</span>",
                    k["name"],
                    kid
                ),
                html!("{}", k["role"]),
                html!("{}", k["created_at"]),
                html!("{}", k["expires_at"]),
                if revoked {
                    layout::tag("Revoked", "red")
                } else {
                    layout::tag("Live", "green")
                },
            ];
            if can_manage {
                row.push(if revoked {
                    Markup::new()
                } else {
                    layout::post_form(
                        session,
                        &format!("/console/councils/{}/keys/{}/revoke", seg(c), seg(kid)),
                        html!(
                            "<button type=\"submit\" class=\"govuk-button govuk-button--warning govuk-!-margin-bottom-0\" data-module=\"govuk-button\">Revoke<span class=\"govuk-visually-hidden\"> key {}</span></button>",
                            k["name"]
                        ),
                    )
                });
            }
            row
        })
        .collect();
    let mut main = html!(
        "{}{}{}",
        layout::error_summary(errors),
        top,
        layout::h1("Keys")
    );
    main.push(layout::table(
        "The council's keys (never their secrets)",
        &head,
        rows,
    ));
    main.push(layout::pagination(
        &format!("/console/councils/{}/keys", seg(c)),
        &body,
        query.contains_key("after"),
    ));
    if can_manage {
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Create a key</h2>{}{}{}{}{}",
            layout::input(
                "name",
                "Name",
                "Whose key it is, e.g. the key worker's name",
                form.get("name"),
                layout::error_for(errors, "name"),
                "text"
            ),
            layout::select(
                "role",
                "Role",
                "",
                ROLES,
                form.get("role"),
                layout::error_for(errors, "role")
            ),
            layout::input(
                "expires_at",
                "Expires (optional)",
                "An RFC 3339 time, e.g. 2027-01-01T00:00:00Z; empty for no expiry",
                form.get("expires_at"),
                layout::error_for(errors, "expires_at"),
                "text"
            ),
            layout::input(
                "key_worker",
                "Key worker (optional, for a key worker's key)",
                "The key worker's id, e.g. kw_…: their key then lists their own work",
                form.get("key_worker"),
                layout::error_for(errors, "key_worker"),
                "text"
            ),
            layout::button("Create key")
        );
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/keys", seg(c)),
            inner,
        ));
    }
    layout::ok(
        page(
            session,
            c,
            if errors.is_empty() {
                "Keys"
            } else {
                "Error: Keys"
            },
            "keys",
        ),
        main,
    )
}

async fn create_key(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut body = json!({ "name": form.get("name"), "role": form.get("role") });
    if !form.get("expires_at").is_empty() {
        body["expires_at"] = json!(form.get("expires_at"));
    }
    if !form.get("key_worker").is_empty() {
        body["key_worker"] = json!(form.get("key_worker"));
    }
    let answer = console
        .send_json(
            &session,
            Method::POST,
            &format!("/v1/councils/{}/keys", id.as_str()),
            &body,
        )
        .await;
    if answer.ok() {
        // The secret is shown here once, in this response only (never in a URL).
        let top = layout::success_banner(
            "Key created: copy its secret now",
            html!(
                "<p class=\"govuk-body\">This is the only time the secret is shown. Give it to its holder privately.</p><p class=\"govuk-body\"><code class=\"console-secret\">{}</code></p>",
                answer.body["secret"]
            ),
        );
        return keys_page(
            &console,
            &session,
            &council,
            &[],
            &Form::default(),
            top,
            &HashMap::new(),
        )
        .await;
    }
    if refused_here(&answer) {
        let detail = answer.detail();
        let field = ["key_worker", "expires_at", "role", "name"]
            .into_iter()
            .find(|f| detail.contains(f))
            .unwrap_or("name");
        return keys_page(
            &console,
            &session,
            &council,
            &[(field.to_owned(), detail)],
            &form,
            Markup::new(),
            &HashMap::new(),
        )
        .await;
    }
    answer.refusal()
}

async fn revoke_key(
    State(console): State<Console>,
    Path((council, key)): Path<(String, String)>,
    Posted(session, _): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let answer = console
        .call(
            &session,
            Method::DELETE,
            &format!("/v1/councils/{}/keys/{}", id.as_str(), seg(&key)),
            "application/json",
            Vec::new(),
        )
        .await;
    if answer.ok() {
        redirect(&format!("/console/councils/{}/keys", seg(id.as_str())))
    } else {
        answer.refusal()
    }
}

async fn webhook(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
) -> Response {
    webhook_page(&console, &session, &council, &[], &Form::default()).await
}

async fn webhook_page(
    console: &Console,
    session: &Session,
    council: &str,
    errors: &[layout::FieldError],
    form: &Form,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let answer = console
        .get(session, &format!("/v1/councils/{c}/webhook"))
        .await;
    let current = if answer.ok() {
        Some(answer.body)
    } else if answer.status.as_u16() == 404 {
        None
    } else {
        return answer.refusal();
    };
    let mut main = html!("{}{}", layout::error_summary(errors), layout::h1("Webhook"));
    match &current {
        Some(w) => {
            let rows: Vec<(&str, Markup)> = w
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.as_str(), html!("{}", brief(v))))
                        .collect()
                })
                .unwrap_or_default();
            main.push(layout::summary(rows));
        }
        None => main.push(layout::p(
            "No webhook: the council's systems pull actions from the API.",
        )),
    }
    if may(session, "PUT", "/v1/councils/{council}/webhook", Some(c)) {
        let url = if form.get("url").is_empty() {
            current
                .as_ref()
                .and_then(|w| w["url"].as_str())
                .unwrap_or_default()
                .to_owned()
        } else {
            form.get("url").to_owned()
        };
        let inner = html!(
            "<h2 class=\"govuk-heading-m\">Set the webhook</h2>{}{}{}{}{}",
            layout::input(
                "url",
                "URL",
                "Where actions are pushed, e.g. https://casework.example.gov.uk/waymark",
                &url,
                layout::error_for(errors, "url"),
                "text"
            ),
            layout::input(
                "secret",
                "Signing secret",
                "At least 32 characters; it is never shown again",
                "",
                layout::error_for(errors, "secret"),
                "password"
            ),
            layout::input(
                "timeout_ms",
                "Timeout in milliseconds (optional)",
                "",
                form.get("timeout_ms"),
                layout::error_for(errors, "timeout_ms"),
                "text"
            ),
            layout::input(
                "max_attempts",
                "Most attempts (optional)",
                "",
                form.get("max_attempts"),
                layout::error_for(errors, "max_attempts"),
                "text"
            ),
            layout::button("Save webhook")
        );
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/webhook", seg(c)),
            inner,
        ));
        if current.is_some() {
            main.push(layout::post_form(
                session,
                &format!("/console/councils/{}/webhook/remove", seg(c)),
                html!(
                    "<button type=\"submit\" class=\"govuk-button govuk-button--warning\" data-module=\"govuk-button\">Remove the webhook</button>"
                ),
            ));
        }
    }
    layout::ok(
        page(
            session,
            c,
            if errors.is_empty() {
                "Webhook"
            } else {
                "Error: Webhook"
            },
            "webhook",
        ),
        main,
    )
}

async fn put_webhook(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut body = json!({ "url": form.get("url"), "secret": form.get("secret") });
    for field in ["timeout_ms", "max_attempts"] {
        if let Ok(n) = form.get(field).parse::<u64>() {
            body[field] = json!(n);
        }
    }
    let answer = console
        .send_json(
            &session,
            Method::PUT,
            &format!("/v1/councils/{}/webhook", id.as_str()),
            &body,
        )
        .await;
    if answer.ok() {
        return redirect(&format!("/console/councils/{}/webhook", seg(id.as_str())));
    }
    if refused_here(&answer) {
        let detail = answer.detail();
        let field = ["secret", "timeout_ms", "max_attempts", "url"]
            .into_iter()
            .find(|f| detail.contains(f))
            .unwrap_or("url");
        return webhook_page(
            &console,
            &session,
            &council,
            &[(field.to_owned(), detail)],
            &form,
        )
        .await;
    }
    answer.refusal()
}

async fn remove_webhook(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, _): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let answer = console
        .call(
            &session,
            Method::DELETE,
            &format!("/v1/councils/{}/webhook", id.as_str()),
            "application/json",
            Vec::new(),
        )
        .await;
    if answer.ok() {
        redirect(&format!("/console/councils/{}/webhook", seg(id.as_str())))
    } else {
        answer.refusal()
    }
}

async fn audit(
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
            &format!("/v1/councils/{c}/audit?{}", super::page_query(&query)),
        )
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let list = body["entries"]
        .as_array()
        .or(body["audit"].as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let rows: Vec<Vec<Markup>> = list
        .iter()
        .map(|e| {
            vec![
                html!("{}", e["at"]),
                html!(
                    "{}<br><span class=\"govuk-body-s\">{}</span>",
                    e["role"],
                    e["key"]
                ),
                html!("{} <code>{}</code>", e["method"], e["route"]),
                html!("{}", brief(&e["ids"])),
                html!("{}", e["status"]),
            ]
        })
        .collect();
    let mut main = layout::h1("Audit log");
    main.push(layout::table(
        "Every change made with a key of this council, oldest first",
        &["When", "Who", "What", "Ids", "Status"],
        rows,
    ));
    main.push(layout::pagination(
        &format!("/console/councils/{}/audit", seg(c)),
        &body,
        query.contains_key("after"),
    ));
    layout::ok(page(&session, c, "Audit log", "audit"), main)
}

async fn limits(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
) -> Response {
    limits_page(&console, &session, &council, &[], None).await
}

async fn limits_page(
    console: &Console,
    session: &Session,
    council: &str,
    errors: &[layout::FieldError],
    form: Option<&Form>,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let limits = match console
        .read(session, &format!("/v1/councils/{c}/limits"))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let retention = match console
        .read(session, &format!("/v1/councils/{c}/retention"))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut main = html!(
        "{}{}",
        layout::error_summary(errors),
        layout::h1("Limits and retention")
    );
    let empty = Map::new();
    let fields = limits.as_object().unwrap_or(&empty);
    if may(session, "PUT", "/v1/councils/{council}/limits", Some(c)) {
        let inputs: Markup = fields
            .iter()
            .map(|(k, v)| {
                let value = match form {
                    Some(f) => f.get(k).to_owned(),
                    None => brief(v),
                };
                layout::input(
                    k,
                    &k.replace('_', " "),
                    "",
                    &value,
                    layout::error_for(errors, k),
                    "text",
                )
            })
            .collect();
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/limits", seg(c)),
            html!(
                "<h2 class=\"govuk-heading-m\">Sandbox limits per decision</h2>{}{}",
                inputs,
                layout::button("Save limits")
            ),
        ));
    } else {
        main.push(html!(
            "<h2 class=\"govuk-heading-m\">Sandbox limits per decision</h2>"
        ));
        main.push(layout::summary(
            fields
                .iter()
                .map(|(k, v)| (k.as_str(), html!("{}", brief(v))))
                .collect(),
        ));
    }
    main.push(html!("<h2 class=\"govuk-heading-m\">Retention</h2>"));
    let rows: Vec<(&str, Markup)> = retention
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.as_str(), html!("{}", brief(v))))
                .collect()
        })
        .unwrap_or_default();
    main.push(layout::summary(rows));
    if may(session, "PUT", "/v1/councils/{council}/retention", Some(c)) {
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/retention", seg(c)),
            html!(
                "{}{}",
                layout::input(
                    "days_after_close",
                    "Days to keep a closed journey",
                    "1 to 36525",
                    &brief(&retention["days_after_close"]),
                    layout::error_for(errors, "days_after_close"),
                    "text"
                ),
                layout::button("Save retention")
            ),
        ));
    }
    layout::ok(
        page(
            session,
            c,
            if errors.is_empty() {
                "Limits and retention"
            } else {
                "Error: Limits and retention"
            },
            "limits",
        ),
        main,
    )
}

async fn put_limits(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut body = Map::new();
    for (k, v) in &form.fields {
        if k == "csrf" || v.trim().is_empty() {
            continue;
        }
        let value = v
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(v.trim()));
        body.insert(k.clone(), value);
    }
    let answer = console
        .send_json(
            &session,
            Method::PUT,
            &format!("/v1/councils/{}/limits", id.as_str()),
            &Value::Object(body),
        )
        .await;
    if answer.ok() {
        return redirect(&format!("/console/councils/{}/limits", seg(id.as_str())));
    }
    if refused_here(&answer) {
        let detail = answer.detail();
        let field = form
            .fields
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| detail.contains(&format!("`{k}`")))
            .unwrap_or("")
            .to_owned();
        return limits_page(
            &console,
            &session,
            &council,
            &[(field, detail)],
            Some(&form),
        )
        .await;
    }
    answer.refusal()
}

async fn put_retention(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let days = form
        .get("days_after_close")
        .parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(form.get("days_after_close")));
    let answer = console
        .send_json(
            &session,
            Method::PUT,
            &format!("/v1/councils/{}/retention", id.as_str()),
            &json!({ "days_after_close": days }),
        )
        .await;
    if answer.ok() {
        return redirect(&format!("/console/councils/{}/limits", seg(id.as_str())));
    }
    if refused_here(&answer) {
        let errors = [("days_after_close".to_owned(), answer.detail())];
        return limits_page(&console, &session, &council, &errors, None).await;
    }
    answer.refusal()
}
