//! Every error the API returns has one shape: RFC 9457 problem details, with a
//! stable `type` per kind of error and a `detail` that says what to change.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

use crate::caseload::CaseloadError;
use crate::journey::JourneyError;
use crate::store::{Durable, EarlierWork, StoreError};

/// Every kind of problem the API reports, declared once: its status, its stable
/// `type` slug (`urn:waymark:problem:<slug>`, which clients match on) and its title.
macro_rules! problem_kinds {
    ($($kind:ident = ($status:ident, $slug:literal, $title:literal),)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemKind {
            $($kind,)*
        }

        impl ProblemKind {
            pub const ALL: &[ProblemKind] = &[$(ProblemKind::$kind,)*];

            pub fn status(self) -> StatusCode {
                match self {
                    $(ProblemKind::$kind => StatusCode::$status,)*
                }
            }

            pub fn slug(self) -> &'static str {
                match self {
                    $(ProblemKind::$kind => $slug,)*
                }
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(ProblemKind::$kind => $title,)*
                }
            }
        }
    };
}

problem_kinds! {
    BackupDestination = (UNPROCESSABLE_ENTITY, "backup-destination", "Request cannot be applied"),
    BackupDestinationNotEmpty = (CONFLICT, "backup-destination-not-empty", "Conflict"),
    BodyTooLarge = (PAYLOAD_TOO_LARGE, "body-too-large", "Request body too large"),
    CaseloadCap = (CONFLICT, "caseload-cap", "Conflict"),
    Conflict = (CONFLICT, "conflict", "Conflict"),
    ConsentUnchanged = (CONFLICT, "consent-unchanged", "Conflict"),
    ConsentWithdrawn = (CONFLICT, "consent-withdrawn", "Conflict"),
    CouncilExists = (CONFLICT, "council-exists", "Conflict"),
    CouncilHasParticipants = (CONFLICT, "council-has-participants", "Conflict"),
    DamagedRecord = (SERVICE_UNAVAILABLE, "damaged-record", "Damaged record"),
    Forbidden = (FORBIDDEN, "forbidden", "Forbidden"),
    IdempotencyKeyReused = (UNPROCESSABLE_ENTITY, "idempotency-key-reused", "Request cannot be applied"),
    IllegalTransition = (CONFLICT, "illegal-transition", "Conflict"),
    InvalidBody = (BAD_REQUEST, "invalid-body", "The request body is not valid"),
    InvalidCalendar = (UNPROCESSABLE_ENTITY, "invalid-calendar", "Request cannot be applied"),
    InvalidCouncil = (UNPROCESSABLE_ENTITY, "invalid-council", "Request cannot be applied"),
    InvalidHold = (UNPROCESSABLE_ENTITY, "invalid-hold", "Request cannot be applied"),
    InvalidIdempotencyKey = (BAD_REQUEST, "invalid-idempotency-key", "Bad request"),
    InvalidKey = (UNPROCESSABLE_ENTITY, "invalid-key", "Request cannot be applied"),
    InvalidKeyWorker = (UNPROCESSABLE_ENTITY, "invalid-key-worker", "Request cannot be applied"),
    InvalidLimits = (UNPROCESSABLE_ENTITY, "invalid-limits", "Request cannot be applied"),
    InvalidNote = (UNPROCESSABLE_ENTITY, "invalid-note", "Request cannot be applied"),
    InvalidOverride = (UNPROCESSABLE_ENTITY, "invalid-override", "Request cannot be applied"),
    InvalidPath = (BAD_REQUEST, "invalid-path", "Bad request"),
    InvalidQuery = (BAD_REQUEST, "invalid-query", "Bad request"),
    InvalidReferral = (UNPROCESSABLE_ENTITY, "invalid-referral", "Request cannot be applied"),
    InvalidResolution = (UNPROCESSABLE_ENTITY, "invalid-resolution", "Request cannot be applied"),
    InvalidRetention = (UNPROCESSABLE_ENTITY, "invalid-retention", "Request cannot be applied"),
    InvalidSchedule = (UNPROCESSABLE_ENTITY, "invalid-schedule", "Request cannot be applied"),
    InvalidSettings = (UNPROCESSABLE_ENTITY, "invalid-settings", "Request cannot be applied"),
    InvalidWebhook = (UNPROCESSABLE_ENTITY, "invalid-webhook", "Request cannot be applied"),
    KeySecretUnavailable = (CONFLICT, "key-secret-unavailable", "Conflict"),
    KeyWorkerHasCaseload = (CONFLICT, "key-worker-has-caseload", "Conflict"),
    KeyWorkerRetired = (CONFLICT, "key-worker-retired", "Conflict"),
    LegalHold = (CONFLICT, "legal-hold", "Conflict"),
    MethodNotAllowed = (METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed"),
    NoPlugin = (CONFLICT, "no-plugin", "Conflict"),
    NoPreviousVersion = (CONFLICT, "no-previous-version", "Conflict"),
    NotDeadLettered = (CONFLICT, "not-dead-lettered", "Conflict"),
    NotFound = (NOT_FOUND, "not-found", "Not found"),
    NotReady = (SERVICE_UNAVAILABLE, "not-ready", "Not ready"),
    OutOfOrder = (UNPROCESSABLE_ENTITY, "out-of-order", "Request cannot be applied"),
    PluginRejected = (UNPROCESSABLE_ENTITY, "plugin-rejected", "Request cannot be applied"),
    PluginVersionActive = (CONFLICT, "plugin-version-active", "Conflict"),
    RateLimited = (TOO_MANY_REQUESTS, "rate-limited", "Too many requests"),
    ReviewResolved = (CONFLICT, "review-resolved", "Conflict"),
    SettingsIncompatible = (UNPROCESSABLE_ENTITY, "settings-incompatible", "Request cannot be applied"),
    StorageUnavailable = (SERVICE_UNAVAILABLE, "storage-unavailable", "Storage unavailable"),
    Unauthorized = (UNAUTHORIZED, "unauthorized", "Unauthorized"),
    Unavailable = (SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
    UnknownKeyWorker = (UNPROCESSABLE_ENTITY, "unknown-key-worker", "Request cannot be applied"),
    UnsupportedMediaType = (UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type"),
}

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
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:waymark:problem:{}", kind.slug()),
            title: kind.title().into(),
            status: kind.status().as_u16(),
            detail: detail.into(),
        }
    }

    /// The same kind under the status the HTTP framework chose: only for its
    /// rejections of a body (e.g. 415 or 422 for `invalid-body`).
    pub fn with_status(mut self, status: StatusCode) -> Problem {
        self.status = status.as_u16();
        self
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::NotFound, detail)
    }

    pub fn unauthorized() -> Problem {
        Problem::new(
            ProblemKind::Unauthorized,
            "send an API key as `Authorization: Bearer <key>`; the first platform-admin key is set by WAYMARK_ADMIN_TOKEN or printed at first start",
        )
    }

    /// A failure on our side: the detail is kept general, the cause goes to the log.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::Unavailable, detail)
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

/// A write's answer, given only once it is on disk (see `store::Durable`).
impl<T: IntoResponse> IntoResponse for Durable<T> {
    fn into_response(self) -> Response {
        self.into_inner().into_response()
    }
}

impl From<EarlierWork> for Problem {
    fn from(e: EarlierWork) -> Problem {
        match e {
            EarlierWork::KeyReused => key_reused(None),
            EarlierWork::Store(s) => s.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Conflict => Problem::new(ProblemKind::Conflict, e.to_string()),
            // Keys are ids (`council/participant`, `council/action`), never personal data.
            StoreError::Corrupt { .. } => {
                tracing::error!(error = %e, "damaged record");
                Problem::new(ProblemKind::DamagedRecord, e.to_string())
            }
            StoreError::Sled(sled::Error::Io(ref io)) => {
                tracing::error!(error = %e, "the data folder cannot be written");
                let cause = if io.kind() == std::io::ErrorKind::StorageFull {
                    "the disk holding the data folder is full"
                } else {
                    "the disk holding the data folder failed"
                };
                Problem::new(
                    ProblemKind::StorageUnavailable,
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

/// The refusal of a key already used for another request (`key` when known).
pub fn key_reused(key: Option<&str>) -> Problem {
    let key = key.map_or_else(String::new, |k| format!(" `{k}`"));
    Problem::new(
        ProblemKind::IdempotencyKeyReused,
        format!(
            "the Idempotency-Key{key} was already used by this API key for a different request (another route or body); send a new key for a new request, or the same request to get its first answer"
        ),
    )
}

/// A council named in a path that does not exist, and how to make it.
pub fn no_council(id: &crate::council::CouncilId) -> Problem {
    Problem::not_found(format!(
        "no council `{id}`: create it first with POST /v1/councils"
    ))
}

impl From<CaseloadError> for Problem {
    fn from(e: CaseloadError) -> Problem {
        match e {
            CaseloadError::UnknownCouncil(id) => no_council(&id),
            CaseloadError::UnknownParticipant(..) => Problem::not_found(e.to_string()),
            CaseloadError::InvalidReferral(_)
            | CaseloadError::Journey(JourneyError::InvalidDetails(_)) => {
                Problem::new(ProblemKind::InvalidReferral, e.to_string())
            }
            CaseloadError::Journey(JourneyError::Illegal(_)) => {
                Problem::new(ProblemKind::IllegalTransition, e.to_string())
            }
            CaseloadError::Journey(JourneyError::OutOfOrder { .. }) => {
                Problem::new(ProblemKind::OutOfOrder, e.to_string())
            }
            CaseloadError::Journey(JourneyError::ConsentUnchanged { .. }) => {
                Problem::new(ProblemKind::ConsentUnchanged, e.to_string())
            }
            CaseloadError::Journey(JourneyError::NotTakingPart { .. }) => {
                Problem::new(ProblemKind::ConsentWithdrawn, e.to_string())
            }
            CaseloadError::Journey(JourneyError::NoReferral) => {
                tracing::error!(error = %e, "stored journey without referral");
                Problem::unavailable("this journey's record is damaged; restore it from a backup")
            }
            CaseloadError::IdempotencyKeyReused => key_reused(None),
            CaseloadError::UnknownReview(..) => Problem::not_found(e.to_string()),
            CaseloadError::ReviewResolved(_) => {
                Problem::new(ProblemKind::ReviewResolved, e.to_string())
            }
            CaseloadError::ReviewOutcome { .. } => {
                Problem::new(ProblemKind::InvalidResolution, e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_slug_and_an_error_status() {
        let mut slugs: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.slug()).collect();
        slugs.sort_unstable();
        let before = slugs.len();
        slugs.dedup();
        assert_eq!(before, slugs.len(), "a slug is declared twice");
        for kind in ProblemKind::ALL {
            assert!(
                kind.status().is_client_error() || kind.status().is_server_error(),
                "{kind:?}"
            );
            let p = Problem::new(*kind, "detail");
            assert_eq!(p.kind, format!("urn:waymark:problem:{}", kind.slug()));
            assert_eq!(p.status, kind.status().as_u16());
        }
    }
}
