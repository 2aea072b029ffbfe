//! The console's only way to read or change anything: a request to the `/v1` API,
//! in-process, with the session's key. The key goes in the `Authorization` header of
//! a request that never leaves the process; the API's gate authorises it, audits it
//! and rate-limits it exactly as it would a request from `curl`.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use tower::ServiceExt;

use super::session::Session;
use super::{Console, layout, redirect};

/// The largest API answer the console reads (a page of 500 of anything fits).
const ANSWER_LIMIT: usize = 16 * 1024 * 1024;

/// What the API answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The problem's `detail`, for an answer that is not a success.
    pub fn detail(&self) -> String {
        self.body["detail"]
            .as_str()
            .unwrap_or("the request was refused")
            .to_owned()
    }

    /// The page to show for a refusal that the page itself cannot explain.
    pub fn refusal(&self) -> Response {
        match self.status {
            StatusCode::UNAUTHORIZED => redirect("/console/sign-in"),
            StatusCode::FORBIDDEN => layout::forbidden(&self.detail()),
            StatusCode::NOT_FOUND => layout::not_found(&self.detail()),
            StatusCode::TOO_MANY_REQUESTS => layout::error_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                &self.detail(),
            ),
            s => layout::error_page(s, "Something went wrong", &self.detail()),
        }
    }
}

impl Console {
    /// Sends one request to the API as the session's key.
    pub async fn call(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::HOST, "console.internal");
        let mut request = match request.body(Body::from(body)) {
            Ok(r) => r,
            Err(e) => {
                return failure(format!("the console built a bad request: {e}"));
            }
        };
        match HeaderValue::from_str(&format!("Bearer {}", session.secret)) {
            Ok(mut v) => {
                v.set_sensitive(true);
                request.headers_mut().insert(header::AUTHORIZATION, v);
            }
            // A key that is not a header value was refused at sign-in; never here.
            Err(_) => return failure("the session's key cannot be sent".into()),
        }
        let response = match self.api.clone().oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = response.status();
        let body = match axum::body::to_bytes(response.into_body(), ANSWER_LIMIT).await {
            Ok(b) => b,
            Err(e) => return failure(format!("the API's answer could not be read: {e}")),
        };
        let body = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        if status == StatusCode::UNAUTHORIZED {
            // The key was revoked or expired since sign-in: the session ends with it.
            self.sessions.close(&session.id);
        }
        Answer { status, body }
    }

    pub async fn get(&self, session: &Session, path: &str) -> Answer {
        self.call(session, Method::GET, path, "application/json", Vec::new())
            .await
    }

    pub async fn send_json(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.call(session, method, path, "application/json", bytes)
            .await
    }

    /// A GET whose success the page needs: its JSON, or the page for the refusal.
    pub async fn read(&self, session: &Session, path: &str) -> Result<Value, Response> {
        let answer = self.get(session, path).await;
        if answer.ok() {
            Ok(answer.body)
        } else {
            Err(answer.refusal())
        }
    }
}

fn failure(detail: String) -> Answer {
    Answer {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: serde_json::json!({ "detail": detail }),
    }
}
