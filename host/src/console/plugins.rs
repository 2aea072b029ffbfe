//! Plugin versions: upload a `.wasm` (the API runs its golden cases in the sandbox
//! and either stores it or refuses it naming the failing case, expected and
//! actual), activate a version, roll back, and replay a version against the
//! decision log to see which decisions would change, with both sets of reasons.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::html::{Markup, html};
use super::layout::{self, Page};
use super::participants::{brief, reasons};
use super::session::same_token;
use super::{Console, Posted, Session, Signed, council_id, may, seg};

/// How many recorded decisions a replay from the console asks again.
const REPLAY_LIMIT: usize = 1000;
/// How many differences the replay page lists (each with both sets of reasons).
const SHOWN_DIFFERENCES: usize = 20;

/// The largest plugin upload the console accepts (the API holds its own limit).
const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<Console> {
    Router::new()
        .route(
            "/console/councils/{council}/plugins",
            get(versions)
                .post(upload)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/console/councils/{council}/plugins/rollback",
            post(rollback),
        )
        .route(
            "/console/councils/{council}/plugins/{digest}/activate",
            post(activate),
        )
        .route(
            "/console/councils/{council}/plugins/{digest}/replay",
            post(replay),
        )
}

async fn versions(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
) -> Response {
    page(&console, &session, &council, Markup::new(), StatusCode::OK).await
}

async fn page(
    console: &Console,
    session: &Session,
    council: &str,
    top: Markup,
    status: StatusCode,
) -> Response {
    let id = match council_id(council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let body = match console
        .read(session, &format!("/v1/councils/{c}/plugin/versions"))
        .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let can_manage = may(
        session,
        "POST",
        "/v1/councils/{council}/plugin/versions/{digest}/activate",
        Some(c),
    );
    let mut head = vec!["Version", "Uploaded", "Contract", "Golden cases", "Status"];
    if can_manage {
        head.push("Actions");
    }
    let rows: Vec<Vec<Markup>> = body["versions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let digest = v["digest"].as_str().unwrap_or_default();
            let active = v["active"].as_bool() == Some(true);
            let short: String = digest.chars().take(20).collect();
            let golden = match &v["golden_cases"] {
                Value::Array(a) => a.len().to_string(),
                other => brief(other),
            };
            let mut row = vec![
                html!("<code title=\"{}\">{}…</code>", digest, short),
                html!("{}", v["uploaded_at"]),
                html!("{}", v["contract_version"]),
                html!("{}", golden),
                if active {
                    layout::tag("Active", "green")
                } else {
                    layout::tag("Stored", "grey")
                },
            ];
            if can_manage {
                let base = format!("/console/councils/{}/plugins/{}", seg(c), seg(digest));
                let mut actions = Markup::new();
                if !active {
                    actions.push(layout::post_form(
                        session,
                        &format!("{base}/activate"),
                        html!(
                            "<button type=\"submit\" class=\"govuk-button govuk-button--secondary govuk-!-margin-bottom-1\" data-module=\"govuk-button\">Activate<span class=\"govuk-visually-hidden\"> version {}</span></button>",
                            short
                        ),
                    ));
                }
                actions.push(layout::post_form(
                    session,
                    &format!("{base}/replay"),
                    html!(
                        "<button type=\"submit\" class=\"govuk-button govuk-button--secondary govuk-!-margin-bottom-0\" data-module=\"govuk-button\">Replay decisions<span class=\"govuk-visually-hidden\"> under version {}</span></button>",
                        short
                    ),
                ));
                row.push(actions);
            }
            row
        })
        .collect();
    let mut main = html!("{}{}", top, layout::h1("Plugin versions"));
    main.push(layout::table("Versions, oldest first", &head, rows));
    if can_manage {
        main.push(layout::post_form(
            session,
            &format!("/console/councils/{}/plugins/rollback", seg(c)),
            layout::secondary_button("Roll back to the previous version"),
        ));
        main.push(html!(
            "<h2 class=\"govuk-heading-m\">Upload a version</h2><form method=\"post\" action=\"/console/councils/{}/plugins\" enctype=\"multipart/form-data\">{}<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"plugin\">Plugin component (.wasm)</label><div id=\"plugin-hint\" class=\"govuk-hint\">Built with waymark plugin build. Its golden cases run in the sandbox first; it becomes active only if they all hold.</div><input class=\"govuk-file-upload\" id=\"plugin\" name=\"plugin\" type=\"file\" accept=\".wasm,application/wasm\" aria-describedby=\"plugin-hint\"></div>{}</form>",
            seg(c),
            layout::csrf(session),
            layout::button("Upload and check")
        ));
    }
    let mut response = layout::ok(
        Page {
            title: if status.is_client_error() {
                "Error: Plugin versions"
            } else {
                "Plugin versions"
            },
            session: Some(session),
            council: Some(c),
            active: "plugins",
        },
        main,
    );
    *response.status_mut() = status;
    response
}

/// The refusal, laid out: the failing case, what was expected, what the plugin answered.
fn refusal(detail: &str) -> Markup {
    let (expected, actual) = match detail.split_once("; the plugin answered ") {
        Some((e, a)) => (e, a),
        None => (detail, ""),
    };
    // The closing advice is the detail's, not the plugin's answer.
    let actual = actual
        .split_once("; fix the plugin")
        .map_or(actual, |(a, _)| a);
    let case = expected
        .find("case ")
        .map(|i| &expected[i..])
        .unwrap_or(expected);
    let (case_name, problems) = match case.split_once("): ") {
        Some((name, problems)) => (format!("{name})"), problems),
        None => (case.to_owned(), ""),
    };
    html!(
        "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\"><div role=\"alert\"><h2 class=\"govuk-error-summary__title\">The plugin was refused</h2><div class=\"govuk-error-summary__body\"><p class=\"govuk-body\">{}</p><ul class=\"govuk-list govuk-error-summary__list\"><li><a href=\"#plugin\">Upload a version whose golden cases all hold</a></li></ul></div></div></div><h2 class=\"govuk-heading-m\">The failing golden case</h2><dl class=\"govuk-summary-list\"><div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Case</dt><dd class=\"govuk-summary-list__value\">{}</dd></div><div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Expected</dt><dd class=\"govuk-summary-list__value\">{}</dd></div><div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Actual</dt><dd class=\"govuk-summary-list__value\"><code>{}</code></dd></div></dl><p class=\"govuk-body\">The active version is unchanged.</p>",
        detail,
        case_name,
        problems,
        actual
    )
}

async fn upload(
    State(console): State<Console>,
    Signed(session): Signed,
    Path(council): Path<String>,
    request: Request,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let Ok(body) = axum::body::to_bytes(request.into_body(), UPLOAD_LIMIT).await else {
        return layout::refused("The file was too large to accept.");
    };
    let Some(parts) = super::form::parse_multipart(&content_type, &body) else {
        return layout::refused("The upload could not be read: choose a .wasm file and try again.");
    };
    let csrf = parts
        .iter()
        .find(|p| p.name == "csrf")
        .map(|p| String::from_utf8_lossy(&p.data).into_owned())
        .unwrap_or_default();
    if !same_token(csrf.trim(), &session.csrf) {
        return layout::refused(
            "This form has expired or did not come from this console. Go back, reload the page and try again.",
        );
    }
    let wasm = parts
        .into_iter()
        .find(|p| p.name == "plugin")
        .map(|p| p.data)
        .unwrap_or_default();
    if wasm.is_empty() {
        let top =
            layout::error_summary(&[("plugin".into(), "Choose a .wasm file to upload".into())]);
        return page(
            &console,
            &session,
            &council,
            top,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let answer = console
        .call(
            &session,
            Method::PUT,
            &format!("/v1/councils/{}/plugin", id.as_str()),
            "application/wasm",
            wasm,
        )
        .await;
    if answer.ok() {
        let b = &answer.body;
        let top = layout::success_banner(
            "The plugin passed its golden cases and is now active",
            html!(
                "<p class=\"govuk-body\">Version <code>{}</code>, contract {}: {} golden cases held in the sandbox.</p>",
                b["digest"],
                b["contract_version"],
                b["golden_cases"]
            ),
        );
        return page(&console, &session, &council, top, StatusCode::OK).await;
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let top = refusal(&answer.detail());
        return page(
            &console,
            &session,
            &council,
            top,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    answer.refusal()
}

async fn after_change(
    console: &Console,
    session: &Session,
    council: &str,
    path: String,
    done: &str,
) -> Response {
    let answer = console
        .send_json(session, Method::POST, &path, &json!({}))
        .await;
    if answer.ok() {
        let top = layout::success_banner(done, Markup::new());
        return page(console, session, council, top, StatusCode::OK).await;
    }
    if answer.status.is_client_error() && ![401, 403, 404].contains(&answer.status.as_u16()) {
        let top = layout::error_summary(&[(String::new(), answer.detail())]);
        return page(console, session, council, top, StatusCode::CONFLICT).await;
    }
    answer.refusal()
}

async fn activate(
    State(console): State<Console>,
    Path((council, digest)): Path<(String, String)>,
    Posted(session, _): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!(
        "/v1/councils/{}/plugin/versions/{}/activate",
        id.as_str(),
        seg(&digest)
    );
    after_change(&console, &session, &council, path, "Version activated").await
}

async fn rollback(
    State(console): State<Console>,
    Path(council): Path<String>,
    Posted(session, _): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/v1/councils/{}/plugin/rollback", id.as_str());
    after_change(
        &console,
        &session,
        &council,
        path,
        "Rolled back to the previous version",
    )
    .await
}

async fn replay(
    State(console): State<Console>,
    Path((council, digest)): Path<(String, String)>,
    Posted(session, _): Posted,
) -> Response {
    let id = match council_id(&council) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let c = id.as_str();
    let answer = console
        .send_json(
            &session,
            Method::POST,
            &format!("/v1/councils/{c}/plugin/versions/{}/replay", seg(&digest)),
            &json!({ "limit": REPLAY_LIMIT }),
        )
        .await;
    if !answer.ok() {
        return answer.refusal();
    }
    let r = &answer.body;
    let differences = r["differences"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let rows: Vec<Vec<Markup>> = differences
        .iter()
        .take(SHOWN_DIFFERENCES)
        .map(|d| {
            let pid = d["participant"].as_str().unwrap_or_default();
            let answered = |a: &Value| match &a["error"] {
                Value::String(e) => html!("no decision: {}", e),
                _ => html!("{}{}", brief(&a["output"]), reasons(&a["reasons"])),
            };
            vec![
                layout::link(
                    &format!("/console/councils/{}/participants/{}", seg(c), seg(pid)),
                    pid,
                ),
                html!("{}", d["hook"]),
                answered(&d["recorded"]),
                answered(&d["replayed"]),
            ]
        })
        .collect();
    let mut main = layout::caption_h1("Plugin versions", "Replay against the decision log");
    main.push(layout::summary(vec![
        ("Version", html!("<code>{}</code>", r["plugin"])),
        ("Decisions asked again", html!("{}", r["replayed"])),
        ("The same", html!("{}", r["same"])),
        ("Skipped", html!("{}", r["skipped"])),
        ("Would change", html!("{}", differences.len())),
    ]));
    if differences.len() > SHOWN_DIFFERENCES || r["truncated"].as_bool() == Some(true) {
        main.push(html!(
            "<div class=\"govuk-inset-text\">The first {} differences are shown, from the first {} decisions recorded; the API's replay route (with a participant or a larger limit) gives them all.</div>",
            SHOWN_DIFFERENCES,
            REPLAY_LIMIT
        ));
    }
    main.push(layout::table(
        "Decisions that would change",
        &["Participant", "Hook", "Recorded", "Under this version"],
        rows,
    ));
    main.push(html!(
        "<p class=\"govuk-body\">{}</p>",
        layout::link(
            &format!("/console/councils/{}/plugins", seg(c)),
            "Back to plugin versions"
        )
    ));
    layout::ok(
        Page {
            title: "Replay",
            session: Some(&session),
            council: Some(c),
            active: "plugins",
        },
        main,
    )
}
