//! Every error the API returns has one shape: RFC 9457 problem details, with a
//! stable `type` per kind of error and a `detail` that says what to change.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

use crate::caseload::CaseloadError;
use crate::journey::JourneyError;
use crate::store::StoreError;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Problem {
    /// A stable identifier for the kind of error, e.g. `urn:waymark:problem:illegal-transition`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What was wrong with this request, and how to fix it.
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:waymark:problem:{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    pub fn bad_request(kind: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, kind, "Bad request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn unprocessable(kind: &str, detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            kind,
            "Request cannot be applied",
            detail,
        )
    }

    pub fn conflict(kind: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, kind, "Conflict", detail)
    }

    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "send an API key as `Authorization: Bearer <key>`; the first platform-admin key is set by WAYMARK_ADMIN_TOKEN or printed at first start",
        )
    }

    /// A failure on our side: the detail is kept general, the cause goes to the log.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Conflict => Problem::conflict("conflict", e.to_string()),
            // Keys are ids (`council/participant`, `council/action`), never personal data.
            StoreError::Corrupt { .. } => {
                tracing::error!(error = %e, "damaged record");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "damaged-record",
                    "Damaged record",
                    e.to_string(),
                )
            }
            StoreError::Disk(ref io) => {
                tracing::error!(error = %e, "the data folder cannot be written");
                let cause = if io.kind() == std::io::ErrorKind::StorageFull {
                    "the disk holding the data folder is full"
                } else {
                    "the disk holding the data folder failed"
                };
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage-unavailable",
                    "Storage unavailable",
                    format!(
                        "{cause}, so this request was not saved; reads still work. \
                         Free space (or fix the disk), then restart Waymark to accept writes again"
                    ),
                )
            }
            other => {
                tracing::error!(error = %other, "store error");
                Problem::unavailable(
                    "the store could not complete this request; nothing was changed, retry later",
                )
            }
        }
    }
}

impl From<CaseloadError> for Problem {
    fn from(e: CaseloadError) -> Problem {
        match e {
            CaseloadError::UnknownCouncil(_) | CaseloadError::UnknownParticipant(..) => {
                Problem::not_found(e.to_string())
            }
            CaseloadError::InvalidReferral(_)
            | CaseloadError::Journey(JourneyError::InvalidDetails(_)) => {
                Problem::unprocessable("invalid-referral", e.to_string())
            }
            CaseloadError::Journey(JourneyError::Illegal(_)) => {
                Problem::conflict("illegal-transition", e.to_string())
            }
            CaseloadError::Journey(JourneyError::OutOfOrder { .. }) => {
                Problem::unprocessable("out-of-order", e.to_string())
            }
            CaseloadError::Journey(JourneyError::ConsentUnchanged { .. }) => {
                Problem::conflict("consent-unchanged", e.to_string())
            }
            CaseloadError::Journey(JourneyError::NotTakingPart { .. }) => {
                Problem::conflict("consent-withdrawn", e.to_string())
            }
            CaseloadError::Journey(JourneyError::NoReferral) => {
                tracing::error!(error = %e, "stored journey without referral");
                Problem::unavailable("this journey's record is damaged; restore it from a backup")
            }
            CaseloadError::IdempotencyKeyReused => super::idempotency::key_reused(None),
            CaseloadError::UnknownReview(..) => Problem::not_found(e.to_string()),
            CaseloadError::ReviewResolved(_) => Problem::conflict("review-resolved", e.to_string()),
            CaseloadError::ReviewOutcome { .. } => {
                Problem::unprocessable("invalid-resolution", e.to_string())
            }
            CaseloadError::KeyWorker(e) => e.into(),
            CaseloadError::Store(s) => s.into(),
            CaseloadError::Sandbox(msg) => {
                tracing::error!(error = %msg, "policy sandbox failure");
                Problem::unavailable(
                    "the policy sandbox could not run; nothing was changed, retry later",
                )
            }
        }
    }
}
