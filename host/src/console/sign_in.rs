//! Sign in by pasting an API key once; sign out. The key is checked by the API's own
//! `authenticate` (`api/access.rs`), never echoed back, and kept only in the session.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::html::html;
use super::layout::{self, Page};
use super::session::{self, COOKIE, SIGN_IN_COOKIE, random_token, same_token, set_cookie};
use super::{Console, Form, Posted, redirect};
use crate::api::access::authenticate_secret;

/// How long a sign-in form stays usable.
const SIGN_IN_FORM: Duration = Duration::from_secs(30 * 60);

fn sign_in_page(token: &str, error: Option<&str>) -> axum::http::Response<axum::body::Body> {
    let errors: Vec<layout::FieldError> = error
        .map(|e| vec![("key".to_owned(), e.to_owned())])
        .unwrap_or_default();
    let main = html!(
        "<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">{}<h1 class=\"govuk-heading-l\">Sign in to the Waymark console</h1><p class=\"govuk-body\">Paste the API key you were given. It stays on the server for this session: it is never shown again, put in a web address or written to a log.</p><form method=\"post\" action=\"/console/sign-in\" novalidate><input type=\"hidden\" name=\"csrf\" value=\"{}\">{}{}</form></div></div>",
        layout::error_summary(&errors),
        token,
        layout::input(
            "key",
            "API key",
            "Platform admin, council admin, key worker or auditor key",
            "",
            layout::error_for(&errors, "key"),
            "password"
        ),
        layout::button("Sign in")
    );
    let page = Page {
        title: if error.is_some() {
            "Error: Sign in"
        } else {
            "Sign in"
        },
        session: None,
        council: None,
        active: "",
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    layout::respond(status, layout::render(page, main))
}

fn with_cookie(mut response: Response, cookie: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn form(State(console): State<Console>, headers: HeaderMap) -> Response {
    if console.sessions.find(&headers).is_some() {
        return redirect("/console/");
    }
    let token = random_token();
    let cookie = set_cookie(
        SIGN_IN_COOKIE,
        Some(&token),
        session::over_tls(&headers),
        SIGN_IN_FORM,
    );
    with_cookie(sign_in_page(&token, None), cookie)
}

pub async fn sign_in(State(console): State<Console>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let tls = session::over_tls(&parts.headers);
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return layout::refused("The form was too large to accept.");
    };
    let form = Form::parse_urlencoded(&bytes);
    let expected = session::cookie(&parts.headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(form.get("csrf"), &expected) {
        return layout::refused(
            "This sign-in form has expired or did not come from this console. Reload the sign-in page and try again.",
        );
    }
    let secret = form.get("key").to_owned();
    let token = expected;
    if secret.is_empty() {
        return sign_in_page(&token, Some("Enter your API key"));
    }
    match authenticate_secret(&console.app, &secret) {
        Ok(caller) => {
            let session = console.sessions.open(secret, caller.clone());
            tracing::info!(key = %caller.key.as_str(), role = %caller.role, "console session opened");
            let home = match &caller.council {
                Some(c) => format!("/console/councils/{}", super::seg(c.as_str())),
                None => "/console/".to_owned(),
            };
            let r = with_cookie(
                redirect(&home),
                set_cookie(COOKIE, Some(&session.id), tls, session::LONGEST),
            );
            with_cookie(r, set_cookie(SIGN_IN_COOKIE, None, tls, SIGN_IN_FORM))
        }
        Err(problem) if problem.status == 401 => sign_in_page(
            &token,
            Some(
                if problem.detail.contains("revoked") || problem.detail.contains("expired") {
                    "That API key was revoked or has expired: ask your council admin for a new one"
                } else {
                    "That API key was not recognised: check you pasted all of it"
                },
            ),
        ),
        Err(problem) => layout::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sorry, there is a problem",
            &problem.detail,
        ),
    }
}

pub async fn sign_out(
    State(console): State<Console>,
    headers: HeaderMap,
    Posted(session, _): Posted,
) -> Response {
    console.sessions.close(&session.id);
    let main = html!(
        "<h1 class=\"govuk-heading-l\">You have signed out</h1><p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/console/sign-in\">Sign in again</a></p>"
    );
    let page = Page {
        title: "Signed out",
        session: None,
        council: None,
        active: "",
    };
    let r = layout::ok(page, main);
    with_cookie(
        r,
        set_cookie(COOKIE, None, session::over_tls(&headers), session::LONGEST),
    )
    .into_response()
}
