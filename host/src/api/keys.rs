//! API keys over HTTP: made (the secret is in the answer once, then only its hash is
//! kept), listed (never with secrets) and revoked. Council admins manage their own
//! council's keys; platform admins also make platform-admin keys at `/v1/keys`.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody, PathParams, QueryParams, page_limit};
use super::problem::{Problem, ProblemKind};
use crate::access::{ApiKey, Caller, KeyId, Role};
use crate::council::CouncilId;
use crate::keys::{KeyError, Keys, MadeKey, NewApiKey};
use crate::store::{Durable, IdempotencyMark};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// `council_admin`, `caseworker` or `auditor` (platform-admin keys are made at `/v1/keys`).
    pub role: Role,
    /// What the key is for, e.g. `case management system`. 1 to 100 characters.
    pub name: String,
    /// When the key stops working; default never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Binds a `caseworker` key to one of the council's key workers: it then lists
    /// that key worker's actions unless asked for another's (`GET …/actions`).
    pub key_worker: Option<crate::key_workers::KeyWorkerId>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlatformKey {
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new key. `secret` is shown here only: store it now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedKey {
    pub id: KeyId,
    pub secret: String,
    pub role: Role,
    pub council: Option<CouncilId>,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_worker: Option<crate::key_workers::KeyWorkerId>,
}

/// A key as listed: never its secret.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyView {
    pub id: KeyId,
    pub name: String,
    pub role: Role,
    pub council: Option<CouncilId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_worker: Option<crate::key_workers::KeyWorkerId>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyList {
    /// In id order.
    pub keys: Vec<KeyView>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<KeyId>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

fn key_page(
    state: &AppState,
    council: Option<&CouncilId>,
    q: KeyQuery,
) -> Result<Json<KeyList>, Problem> {
    let limit = page_limit(q.limit)?;
    let after = match q.after.as_deref() {
        None => None,
        Some(raw) => Some(KeyId::parse(raw).ok_or_else(|| {
            Problem::new(
                ProblemKind::InvalidQuery,
                "`after` must be a `next_cursor` from a previous page",
            )
        })?),
    };
    let mut keys = state
        .store
        .api_keys_page(council, after.as_ref(), limit + 1)?;
    let next_cursor = if keys.len() > limit {
        keys.truncate(limit);
        keys.last().map(|k| k.id.clone())
    } else {
        None
    };
    Ok(Json(KeyList {
        keys: keys.into_iter().map(KeyView::from).collect(),
        next_cursor,
    }))
}

impl From<ApiKey> for KeyView {
    fn from(k: ApiKey) -> KeyView {
        KeyView {
            id: k.id,
            name: k.name,
            role: k.role,
            council: k.council,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            key_worker: k.key_worker,
        }
    }
}

impl From<KeyError> for Problem {
    fn from(e: KeyError) -> Problem {
        match e {
            KeyError::UnknownCouncil(id) => super::problem::no_council(&id),
            KeyError::UnknownKey(_) => Problem::not_found(e.to_string()),
            KeyError::PlatformAdminForCouncil => Problem::new(
                ProblemKind::InvalidKey,
                format!("{e} (platform-admin keys are made with POST /v1/keys)"),
            ),
            KeyError::UnknownKeyWorker(..) => Problem::new(
                ProblemKind::InvalidKey,
                format!("{e}: ids are as listed by GET …/key-workers"),
            ),
            KeyError::BoundNotCaseworker
            | KeyError::RetiredKeyWorker(_)
            | KeyError::InvalidName
            | KeyError::PastExpiry(_) => Problem::new(ProblemKind::InvalidKey, e.to_string()),
            KeyError::SecretUnavailable(ref id) => Problem::new(
                ProblemKind::KeySecretUnavailable,
                format!(
                    "{e}: revoke `{id}` (DELETE …/keys/{id}) and make a new key with a new Idempotency-Key"
                ),
            ),
            KeyError::Earlier(e) => e.into(),
            KeyError::Store(s) => s.into(),
        }
    }
}

impl From<MadeKey> for CreatedKey {
    fn from(made: MadeKey) -> CreatedKey {
        let key = made.key;
        CreatedKey {
            id: key.id,
            secret: made.secret,
            role: key.role,
            council: key.council,
            name: key.name,
            expires_at: key.expires_at,
            key_worker: key.key_worker,
        }
    }
}

impl AppState {
    /// The API keys service, over this daemon's store.
    fn keys(&self) -> Keys {
        Keys::new(self.store.clone(), self.clock.clone())
    }
}

async fn make_key(
    state: &AppState,
    new: NewApiKey,
    mark: Option<&IdempotencyMark>,
) -> Result<(StatusCode, Durable<Json<CreatedKey>>), Problem> {
    let made = state.keys().make(new, mark).await?;
    Ok((StatusCode::CREATED, made.map(|m| Json(m.into()))))
}

async fn create_council_key(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(body): JsonBody<NewKey>,
) -> Result<(StatusCode, Durable<Json<CreatedKey>>), Problem> {
    let new = NewApiKey {
        role: body.role,
        council: Some(council),
        name: body.name,
        expires_at: body.expires_at,
        key_worker: body.key_worker,
    };
    make_key(&state, new, mark.as_deref()).await
}

async fn create_platform_key(
    State(state): State<AppState>,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(body): JsonBody<NewPlatformKey>,
) -> Result<(StatusCode, Durable<Json<CreatedKey>>), Problem> {
    let new = NewApiKey {
        role: Role::PlatformAdmin,
        council: None,
        name: body.name,
        expires_at: body.expires_at,
        key_worker: None,
    };
    make_key(&state, new, mark.as_deref()).await
}

async fn list_council_keys(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    QueryParams(q): QueryParams<KeyQuery>,
) -> Result<Json<KeyList>, Problem> {
    state.caseload.council(&council)?;
    key_page(&state, Some(&council), q)
}

async fn list_platform_keys(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<KeyQuery>,
) -> Result<Json<KeyList>, Problem> {
    key_page(&state, None, q)
}

async fn revoke(
    state: &AppState,
    caller: &Caller,
    council: Option<&CouncilId>,
    raw_id: &str,
) -> Result<Durable<StatusCode>, Problem> {
    let where_ = council.map_or("the platform".to_owned(), |c| format!("council `{c}`"));
    let not_found = || Problem::not_found(format!("no key `{raw_id}` in {where_}"));
    let id = KeyId::parse(raw_id).ok_or_else(not_found)?;
    let revoked = match state.keys().revoke(council, &id).await {
        Err(KeyError::UnknownKey(_)) => return Err(not_found()),
        other => other?,
    };
    tracing::info!(key = %id, by = %caller.key, "API key revoked");
    Ok(revoked.map(|()| StatusCode::NO_CONTENT))
}

async fn revoke_council_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams((council, key)): PathParams<(String, String)>,
) -> Result<Durable<StatusCode>, Problem> {
    let council: CouncilId = council
        .parse()
        .map_err(|e: crate::council::InvalidCouncilId| Problem::not_found(e.to_string()))?;
    revoke(&state, &caller, Some(&council), &key).await
}

async fn revoke_platform_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(key): PathParams<String>,
) -> Result<Durable<StatusCode>, Problem> {
    revoke(&state, &caller, None, &key).await
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/keys", get(list_platform_keys).post(create_platform_key))
        .route("/keys/{key}", delete(revoke_platform_key))
        .route(
            "/councils/{council}/keys",
            get(list_council_keys).post(create_council_key),
        )
        .route("/councils/{council}/keys/{key}", delete(revoke_council_key))
}
