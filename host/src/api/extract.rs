//! Extractors that turn bad input into problem details, never into axum's plain-text rejections.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::Problem;
use crate::council::CouncilId;
use crate::journey::ParticipantId;
use crate::outbox::ActionId;
use crate::policy::PluginDigest;
use crate::review::ReviewId;

/// A JSON body; unknown fields and wrong types are refused with their names.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Problem::new(
                    rejection.status(),
                    "body-too-large",
                    "Request body too large",
                    "the body is larger than this daemon accepts (`--max-body-bytes`): send a smaller one",
                ))
            }
            Err(rejection) => Err(Problem::new(
                rejection.status(),
                "invalid-body",
                "The request body is not valid",
                rejection.body_text(),
            )),
        }
    }
}

/// Query parameters, refused with problem details.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e| Problem::bad_request("invalid-query", e.body_text()))
    }
}

/// The route's named path parameters.
struct Params(HashMap<String, String>);

impl Params {
    async fn read<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Params, Problem> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|p| Params(p.0))
            .map_err(|e| Problem::bad_request("invalid-path", e.body_text()))
    }

    fn get(&self, name: &str) -> Result<&str, Problem> {
        self.0.get(name).map(String::as_str).ok_or_else(|| {
            Problem::bad_request("invalid-path", format!("missing `{name}` in the path"))
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
            .map_err(|e| Problem::bad_request("invalid-path", e.body_text()))?;
        Ok(PathParams(value))
    }
}

/// Largest page a client may ask for on any list route.
pub const MAX_PAGE: usize = 500;

/// A list route's `limit`: 100 by default, refused outside 1 to [`MAX_PAGE`].
pub fn page_limit(limit: Option<usize>) -> Result<usize, Problem> {
    let limit = limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::bad_request(
            "invalid-query",
            format!("`limit` must be from 1 to {MAX_PAGE}"),
        ));
    }
    Ok(limit)
}
