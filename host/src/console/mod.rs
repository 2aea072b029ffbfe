//! The console: server-rendered pages at `/console/` for the people who run a
//! council's journeys — administrators configure, key workers act, auditors read.
//!
//! The console holds no rule of its own. Every page and every form is answered by
//! calling the `/v1` API in-process (`api.rs`) with the signed-in key, so the same
//! access table (`api/access.rs`), validation, audit entry and problem details apply
//! as for any other client; what a page *offers* (links, forms) is decided by asking
//! that same table whether the session's role may use the route behind it.
//!
//! - `session.rs`: sign-in keeps the pasted key on the server behind a cookie.
//! - `html.rs`: markup that escapes every value by default.
//! - `layout.rs`: the GOV.UK Frontend page template and its components.
//! - `form.rs`: form bodies as browsers send them without JavaScript.
//! - one module per page family: `councils`, `work`, `participants`, `reviews`,
//!   `schedules`, `settings`, `plugins`, `admin` (keys, webhook, audit, limits, retention),
//!   `platform` (platform keys and the whole audit log).
//! - `assets/`: GOV.UK Frontend's built CSS and JS (vendored, MIT; see its README).

// A page that cannot be shown answers with the page that says why: the error side
// of these results is that response, large by nature and built once per request.
#![allow(clippy::result_large_err)]

pub mod html;

mod admin;
mod api;
mod assets;
mod councils;
mod form;
mod layout;
mod participants;
mod platform;
mod plugins;
mod reviews;
mod schedules;
pub mod session;
mod settings;
mod sign_in;
mod work;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::api::AppState;
use crate::api::permission::authorise;
use crate::api::permission_of;
use crate::council::CouncilId;
pub use form::Form;
pub use session::{Session, Sessions};

/// What every console handler gets: the daemon's state, the API to call, sessions.
#[derive(Clone)]
pub struct Console {
    pub app: AppState,
    api: Router,
    pub sessions: Arc<Sessions>,
}

/// The console's routes, answering through `api` (the whole `/v1` router).
pub fn routes(app: AppState, api: Router) -> Router {
    let console = Console {
        app,
        api,
        sessions: Arc::new(Sessions::default()),
    };
    Router::new()
        .route("/console", get(|| async { redirect("/console/") }))
        .route("/console/", get(councils::home))
        .route("/console/assets/{file}", get(assets::serve))
        .route(
            "/console/sign-in",
            get(sign_in::form).post(sign_in::sign_in),
        )
        .route("/console/sign-out", post(sign_in::sign_out))
        .merge(councils::routes())
        .merge(work::routes())
        .merge(participants::routes())
        .merge(reviews::routes())
        .merge(schedules::routes())
        .merge(settings::routes())
        .merge(plugins::routes())
        .merge(admin::routes())
        .merge(platform::routes())
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(console)
}

/// A form body's limit (the plugin upload has its own, in `plugins.rs`).
const FORM_LIMIT: usize = 256 * 1024;

/// The Content-Security-Policy of every console response: our own files only, no
/// inline script or style, no framing, forms post only to us.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/console/assets/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

pub fn redirect(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/console/")),
        )],
    )
        .into_response()
}

/// A signed-in request; without a live session, the browser is sent to sign in.
pub struct Signed(pub Session);

impl FromRequestParts<Console> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        console
            .sessions
            .find(&parts.headers)
            .map(Signed)
            .ok_or_else(|| redirect("/console/sign-in"))
    }
}

/// A signed-in form post whose CSRF token matches its session's.
pub struct Posted(pub Session, pub Form);

impl FromRequest<Console> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, console: &Console) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Signed(session) = Signed::from_request_parts(&mut parts, console).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| layout::refused("The form was too large to accept."))?;
        let form = Form::parse_urlencoded(&bytes);
        if !session::same_token(form.get("csrf"), &session.csrf) {
            return Err(layout::refused(
                "This form has expired or did not come from this console. Go back, reload the page and try again.",
            ));
        }
        Ok(Posted(session, form))
    }
}

/// Whether the session's key may use an API route (as the access table says).
pub fn may(session: &Session, method: &str, route: &str, council: Option<&str>) -> bool {
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return false;
    };
    authorise(&session.caller, permission_of(&method, route), council).is_ok()
}

/// A council id from a console URL, checked before it goes into an API path.
pub fn council_id(raw: &str) -> Result<CouncilId, Response> {
    raw.parse::<CouncilId>()
        .map_err(|_| layout::not_found("There is no council with that id."))
}

/// Rows per page on every list: a page's own HTML stays well under 50 KB.
pub const PAGE_SIZE: usize = 40;

/// `limit=…` and, on a later page, `&after=…` for an API list, from the console
/// page's own `?after=` (the API's `next_cursor`, passed through as it came).
pub fn page_query(query: &std::collections::HashMap<String, String>) -> String {
    match query.get("after").filter(|a| !a.is_empty()) {
        Some(after) => format!("limit={PAGE_SIZE}&after={}", seg(after)),
        None => format!("limit={PAGE_SIZE}"),
    }
}

/// One path segment, percent-encoded for an API path.
pub fn seg(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
