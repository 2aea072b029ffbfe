//! Settings: a form generated from the active plugin's JSON Schema (each property's
//! description as its hint, its default shown), saved through the API, whose
//! validation names each bad field; those errors are shown beside the fields.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value};

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::{Console, Form, Posted, Session, Signed, council_id, may, seg};

pub fn routes() -> Router<Console> {
    Router::new().route("/console/councils/{council}/settings", get(show).post(save))
}

async fn show(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
) -> Response {
    page(&console, &session, &council, &[], None, false).await
}

/// A property's value as the form shows it.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn field_id(name: &str) -> String {
    format!("setting-{name}")
}

async fn page(
    console: &Console,
    session: &Session,
    council: &str,
    errors: &[layout::FieldError],
    submitted: Option<&Form>,
    saved: bool,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let body = match console
        .read(session, &format!("/v1/councils/{c}/settings"))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut main = html!(
        "{}{}",
        layout::error_summary(errors),
        layout::h1("Settings")
    );
    if saved {
        main.push(layout::success_banner("Settings saved", Markup::new()));
    }
    let empty = Map::new();
    let properties = body["schema"]["properties"].as_object().unwrap_or(&empty);
    if body["plugin"].is_null() {
        main.push(layout::p(
            "This council has no active plugin yet, so there are no settings to change.",
        ));
    }
    let editable = may(session, "PUT", "/v1/councils/{council}/settings", Some(c));
    let mut fields = Markup::new();
    let mut rows = Vec::new();
    for (name, prop) in properties {
        let fid = field_id(name);
        let label = prop["title"].as_str().unwrap_or(name);
        let mut hint = prop["description"].as_str().unwrap_or_default().to_owned();
        if !prop["default"].is_null() {
            if !hint.is_empty() {
                hint.push(' ');
            }
            hint.push_str(&format!("Default: {}.", shown(&prop["default"])));
        }
        let value = match submitted {
            Some(f) => f.get(&fid).to_owned(),
            None => shown(&body["settings"][name]),
        };
        let error = layout::error_for(errors, &fid);
        rows.push((
            name.as_str(),
            html!(
                "{}<br><span class=\"govuk-hint govuk-!-margin-bottom-0\">{}</span>",
                if value.is_empty() {
                    "Not set: the default applies".to_owned()
                } else {
                    value.clone()
                },
                hint
            ),
        ));
        let kind = prop["type"].as_str().unwrap_or_default();
        fields.push(if let Some(options) = prop["enum"].as_array() {
            let opts: Vec<(String, String)> =
                std::iter::once((String::new(), "Default".to_owned()))
                    .chain(options.iter().map(|o| (shown(o), shown(o))))
                    .collect();
            let opts: Vec<(&str, &str)> =
                opts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            layout::select(&fid, label, &hint, &opts, &value, error)
        } else if kind == "boolean" {
            layout::select(
                &fid,
                label,
                &hint,
                &[("", "Default"), ("true", "Yes"), ("false", "No")],
                &value,
                error,
            )
        } else if kind == "array" || kind == "object" {
            layout::textarea(&fid, label, &hint, &value, error)
        } else {
            layout::input(&fid, label, &hint, &value, error, "text")
        });
    }
    if editable && !body["plugin"].is_null() {
        main.push(layout::p(
            "Leave a field empty to use the plugin's default.",
        ));
        let inner = html!("{}{}", fields, layout::button("Save settings"));
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/settings", seg(c)),
            inner,
        ));
    } else if !rows.is_empty() {
        main.push(layout::summary(rows));
    }
    layout::ok(
        Page {
            title: if errors.is_empty() {
                "Settings"
            } else {
                "Error: Settings"
            },
            session: Some(session),
            council: Some(c),
            active: "settings",
        },
        main,
    )
}

/// A submitted field as the JSON the schema's type wants; left as text when it does
/// not parse, so the API's validation names it.
fn typed(prop: &Value, raw: &str) -> Value {
    match prop["type"].as_str().unwrap_or_default() {
        "integer" => raw
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.to_owned())),
        "number" => raw
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .unwrap_or_else(|| Value::String(raw.to_owned())),
        "boolean" => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(raw.to_owned()),
        },
        "array" | "object" => {
            serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
        }
        _ => Value::String(raw.to_owned()),
    }
}

/// The API's field errors (`` `/name`: what is wrong ``), by form field.
fn field_errors(detail: &str, properties: &Map<String, Value>) -> Vec<layout::FieldError> {
    let list = detail.split_once(": ").map(|(_, l)| l).unwrap_or(detail);
    let mut errors = Vec::new();
    for piece in list.split("; ") {
        let found = piece
            .strip_prefix("`/")
            .and_then(|rest| rest.split_once("`: "));
        match found {
            Some((path, message)) => {
                let name = path.split('/').next().unwrap_or(path);
                if properties.contains_key(name) {
                    errors.push((field_id(name), format!("{name}: {message}")));
                } else {
                    errors.push((String::new(), piece.to_owned()));
                }
            }
            None => errors.push((String::new(), piece.to_owned())),
        }
    }
    errors
}

async fn save(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, form): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/v1/councils/{}/settings", id.as_str());
    let current = match console.read(&session, &path).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let empty = Map::new();
    let properties = current["schema"]["properties"]
        .as_object()
        .unwrap_or(&empty);
    let mut settings = Map::new();
    for (name, prop) in properties {
        let raw = form.get(&field_id(name));
        if !raw.is_empty() {
            settings.insert(name.clone(), typed(prop, raw));
        }
    }
    let answer = console
        .send_json(&session, Method::PUT, &path, &Value::Object(settings))
        .await;
    if answer.ok() {
        return page(&console, &session, &council, &[], None, true).await;
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let errors = field_errors(&answer.detail(), properties);
        return page(&console, &session, &council, &errors, Some(&form), false).await;
    }
    answer.refusal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apis_field_errors_go_beside_their_fields() {
        let props = serde_json::json!({"review_every_weeks": {}, "x": {}});
        let errors = field_errors(
            "the settings do not fit the plugin's settings schema: `/review_every_weeks`: 0 is less than the minimum of 1; the settings object: bad",
            props.as_object().expect("object"),
        );
        assert_eq!(errors[0].0, "setting-review_every_weeks");
        assert!(errors[0].1.contains("less than"));
        assert_eq!(errors[1].0, "");
    }
}
