//! Extractors that turn bad input into problem details, never into axum's plain-text rejections.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::{Problem, ProblemKind};
use crate::council::CouncilId;
use crate::journey::ParticipantId;
use crate::outbox::ActionId;
use crate::policy::PluginDigest;
use crate::review::ReviewId;

/// A JSON body; unknown fields and wrong types are refused with their names.
///
/// Every body the API takes is a JSON object in the OpenAPI document, so anything
/// else is refused before it is read as `T`: serde would otherwise read a struct
/// from an array of its fields in order (`PUT …/limits` with `[]` took the defaults).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(Problem::new(
                ProblemKind::InvalidBody,
                "Expected request with `Content-Type: application/json`",
            )
            .with_status(axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(Problem::new(
                    ProblemKind::BodyTooLarge,
                    "the body is larger than this daemon accepts (`--max-body-bytes`): send a smaller one",
                ));
            }
            Err(rejection) => {
                return Err(
                    Problem::new(ProblemKind::InvalidBody, rejection.body_text())
                        .with_status(rejection.status()),
                );
            }
        };
        if let Some(&first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
            && first != b'{'
        {
            return Err(Problem::new(
                ProblemKind::InvalidBody,
                "the body must be a JSON object (`{…}`), as the OpenAPI document \
                 (GET /v1/openapi.json) describes for this route",
            )
            .with_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => Err(
                Problem::new(ProblemKind::InvalidBody, rejection.body_text())
                    .with_status(rejection.status()),
            ),
        }
    }
}

/// `application/json`, or any `application/…+json`, as axum's own `Json` accepts.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Query parameters, refused with problem details.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e| Problem::new(ProblemKind::InvalidQuery, e.body_text()))
    }
}

/// The route's named path parameters.
struct Params(HashMap<String, String>);

impl Params {
    async fn read<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Params, Problem> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|p| Params(p.0))
            .map_err(|e| Problem::new(ProblemKind::InvalidPath, e.body_text()))
    }

    fn get(&self, name: &str) -> Result<&str, Problem> {
        self.0.get(name).map(String::as_str).ok_or_else(|| {
            Problem::new(
                ProblemKind::InvalidPath,
                format!("missing `{name}` in the path"),
            )
        })
    }

    fn council(&self) -> Result<CouncilId, Problem> {
        self.get("council")?
            .parse()
            .map_err(|e: crate::council::InvalidCouncilId| Problem::not_found(e.to_string()))
    }
}

/// `{council}` in the path.
pub struct CouncilPath(pub CouncilId);

impl<S: Send + Sync> FromRequestParts<S> for CouncilPath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(CouncilPath(Params::read(parts, state).await?.council()?))
    }
}

/// `{council}` and `{participant}` in the path.
pub struct ParticipantPath(pub CouncilId, pub ParticipantId);

impl<S: Send + Sync> FromRequestParts<S> for ParticipantPath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let p = Params::read(parts, state).await?;
        let participant = p
            .get("participant")?
            .parse()
            .map_err(|e: crate::journey::InvalidParticipantId| Problem::not_found(e.to_string()))?;
        Ok(ParticipantPath(p.council()?, participant))
    }
}

/// `{council}` and `{action}` in the path.
pub struct ActionPath(pub CouncilId, pub ActionId);

impl<S: Send + Sync> FromRequestParts<S> for ActionPath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let p = Params::read(parts, state).await?;
        let raw = p.get("action")?;
        let action = ActionId::parse(raw).ok_or_else(|| {
            Problem::not_found("no such action: action ids are as listed by GET …/actions")
        })?;
        Ok(ActionPath(p.council()?, action))
    }
}

/// `{council}` and `{digest}` (a plugin version) in the path.
pub struct VersionPath(pub CouncilId, pub PluginDigest);

impl<S: Send + Sync> FromRequestParts<S> for VersionPath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let p = Params::read(parts, state).await?;
        let digest = p
            .get("digest")?
            .parse()
            .map_err(|e: crate::policy::InvalidDigest| Problem::not_found(e.to_string()))?;
        Ok(VersionPath(p.council()?, digest))
    }
}

/// `{council}` and `{review}` in the path.
pub struct ReviewPath(pub CouncilId, pub ReviewId);

impl<S: Send + Sync> FromRequestParts<S> for ReviewPath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let p = Params::read(parts, state).await?;
        let review = p
            .get("review")?
            .parse()
            .map_err(|e: crate::review::InvalidReviewId| Problem::not_found(e.to_string()))?;
        Ok(ReviewPath(p.council()?, review))
    }
}

/// Path parameters as plain values, refused as problem details (axum's own
/// rejection, e.g. for invalid UTF-8 in a parameter, is plain text).
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::new(ProblemKind::InvalidPath, e.body_text()))?;
        Ok(PathParams(value))
    }
}

/// Largest page a client may ask for on any list route.
pub const MAX_PAGE: usize = 500;

/// A list route's `limit`: 100 by default, refused outside 1 to [`MAX_PAGE`].
pub fn page_limit(limit: Option<usize>) -> Result<usize, Problem> {
    let limit = limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::new(
            ProblemKind::InvalidQuery,
            format!("`limit` must be from 1 to {MAX_PAGE}"),
        ));
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;
    use crate::policy::Limits;

    async fn limits_from(content_type: &str, body: &'static str) -> Result<Limits, Problem> {
        let req = Request::builder()
            .method("PUT")
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("a request");
        JsonBody::<Limits>::from_request(req, &())
            .await
            .map(|b| b.0)
    }

    #[tokio::test]
    async fn a_body_that_is_not_a_json_object_is_refused() {
        for body in ["[]", " \n[100000]", "\"fuel\"", "1", "null", "true"] {
            let err = limits_from("application/json", body)
                .await
                .expect_err("not an object");
            assert_eq!(err.status, 422, "{body}: {err:?}");
            assert_eq!(err.kind, "urn:waymark:problem:invalid-body");
            assert!(err.detail.contains("must be a JSON object"), "{err:?}");
        }
    }

    #[tokio::test]
    async fn an_object_body_is_read_and_its_problems_named() {
        let limits = limits_from("application/json; charset=utf-8", " {\"max_timers\": 5}")
            .await
            .expect("an object");
        assert_eq!(limits.max_timers, 5);
        assert_eq!(limits.fuel, Limits::default().fuel);
        let err = limits_from("application/json", "{\"fule\": 5}")
            .await
            .expect_err("unknown field");
        assert!(err.detail.contains("fule"), "{err:?}");
        let err = limits_from("application/json", "{")
            .await
            .expect_err("cut off");
        assert_eq!(err.status, 400, "{err:?}");
    }

    #[tokio::test]
    async fn a_body_without_a_json_content_type_is_refused() {
        let err = limits_from("text/plain", "{}").await.expect_err("not JSON");
        assert_eq!(err.status, 415, "{err:?}");
        assert!(
            limits_from("application/merge-patch+json", "{}")
                .await
                .is_ok()
        );
    }
}
