//! API keys over HTTP: made (the secret is in the answer once, then only its hash is
//! kept), listed (never with secrets) and revoked. Council admins manage their own
//! council's keys; platform admins also make platform-admin keys at `/v1/keys`.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{CouncilPath, JsonBody, PathParams, QueryParams, page_limit};
use super::permission::Grant::{ManageKeys, ReadKeys};
use super::permission::Permission::{Council, PlatformAdmin};
use super::problem::Problem;
use super::route::Route;
use crate::access::{ApiKey, Caller, KeyId, Role, new_secret, secret_hash};
use crate::council::CouncilId;
use crate::store::{Done, IdempotencyMark, Made};

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
            Problem::bad_request(
                "invalid-query",
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

async fn make_key(
    state: &AppState,
    role: Role,
    council: Option<CouncilId>,
    name: String,
    expires_at: Option<DateTime<Utc>>,
    key_worker: Option<crate::key_workers::KeyWorkerId>,
    mark: Option<&IdempotencyMark>,
) -> Result<(StatusCode, Json<CreatedKey>), Problem> {
    let now = state.clock.now();
    if let Some(mark) = mark {
        match state.store.done_under(mark, now)? {
            Done::NotYet => {}
            // The first answer is kept before it is sent, so a lost one was never
            // seen: the key exists, but nobody holds its secret.
            Done::Made(Made::Key(id)) => {
                return Err(Problem::conflict(
                    "key-secret-unavailable",
                    format!(
                        "the key `{id}` was made by the first attempt with this Idempotency-Key, but the daemon stopped before its secret was sent, and a secret is kept only as a hash: revoke `{id}` (DELETE …/keys/{id}) and make a new key with a new Idempotency-Key"
                    ),
                ));
            }
            Done::Made(_) | Done::OtherRequest => return Err(super::idempotency::key_reused(None)),
        }
    }
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Problem::unprocessable(
            "invalid-key",
            "`name` must be 1 to 100 characters",
        ));
    }
    if expires_at.is_some_and(|e| e <= now) {
        return Err(Problem::unprocessable(
            "invalid-key",
            format!("`expires_at` must be in the future (it is now {now})"),
        ));
    }
    let secret = new_secret();
    let hash = secret_hash(&secret);
    let key = ApiKey {
        id: KeyId::new_random(),
        name,
        role,
        council,
        secret_sha256: hex::encode(hash),
        created_at: now,
        expires_at,
        revoked_at: None,
        key_worker,
    };
    state
        .store
        .put_api_key(&key, &hash, mark.map(|m| (m, now)))?;
    state.store.flush().await?;
    tracing::info!(key = %key.id, role = %key.role, "API key created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id: key.id,
            secret,
            role: key.role,
            council: key.council,
            name: key.name,
            expires_at: key.expires_at,
            key_worker: key.key_worker,
        }),
    ))
}

async fn create_council_key(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(body): JsonBody<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), Problem> {
    if body.role == Role::PlatformAdmin {
        return Err(Problem::unprocessable(
            "invalid-key",
            "a council key cannot be a platform admin: use `council_admin`, `caseworker` or `auditor` (platform-admin keys are made with POST /v1/keys)",
        ));
    }
    state.caseload.council(&council)?;
    if let Some(id) = &body.key_worker {
        if body.role != Role::Caseworker {
            return Err(Problem::unprocessable(
                "invalid-key",
                "only a `caseworker` key can be bound to a key worker: leave `key_worker` out for this role",
            ));
        }
        match state.store.key_worker(&council, id)? {
            Some(kw) if !kw.is_retired() => {}
            Some(_) => {
                return Err(Problem::unprocessable(
                    "invalid-key",
                    format!("key worker `{id}` is retired: bind the key to a current key worker"),
                ));
            }
            None => {
                return Err(Problem::unprocessable(
                    "invalid-key",
                    format!(
                        "no key worker `{id}` in council `{council}`: ids are as listed by GET …/key-workers"
                    ),
                ));
            }
        }
    }
    let (name, expires_at) = (body.name, body.expires_at);
    make_key(
        &state,
        body.role,
        Some(council),
        name,
        expires_at,
        body.key_worker,
        mark.as_deref(),
    )
    .await
}

async fn create_platform_key(
    State(state): State<AppState>,
    mark: Option<Extension<IdempotencyMark>>,
    JsonBody(body): JsonBody<NewPlatformKey>,
) -> Result<(StatusCode, Json<CreatedKey>), Problem> {
    let (name, expires_at) = (body.name, body.expires_at);
    make_key(
        &state,
        Role::PlatformAdmin,
        None,
        name,
        expires_at,
        None,
        mark.as_deref(),
    )
    .await
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
) -> Result<StatusCode, Problem> {
    let where_ = council.map_or("the platform".to_owned(), |c| format!("council `{c}`"));
    let not_found = || Problem::not_found(format!("no key `{raw_id}` in {where_}"));
    let id = KeyId::parse(raw_id).ok_or_else(not_found)?;
    state
        .store
        .revoke_api_key(council, &id, state.clock.now())?
        .ok_or_else(not_found)?;
    state.store.flush().await?;
    tracing::info!(key = %id, by = %caller.key, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_council_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams((council, key)): PathParams<(String, String)>,
) -> Result<StatusCode, Problem> {
    let council: CouncilId = council
        .parse()
        .map_err(|e: crate::council::InvalidCouncilId| Problem::not_found(e.to_string()))?;
    revoke(&state, &caller, Some(&council), &key).await
}

async fn revoke_platform_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(key): PathParams<String>,
) -> Result<StatusCode, Problem> {
    revoke(&state, &caller, None, &key).await
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::post(
            "/v1/councils/{council}/keys",
            Council(ManageKeys),
            create_council_key,
        )
        .json::<NewKey>()
        .created::<CreatedKey>(),
        Route::get(
            "/v1/councils/{council}/keys",
            Council(ReadKeys),
            list_council_keys,
        )
        .query::<KeyQuery>()
        .ok::<KeyList>(),
        Route::delete(
            "/v1/councils/{council}/keys/{key}",
            Council(ManageKeys),
            revoke_council_key,
        )
        .no_content(),
        Route::post("/v1/keys", PlatformAdmin, create_platform_key)
            .json::<NewPlatformKey>()
            .created::<CreatedKey>(),
        Route::get("/v1/keys", PlatformAdmin, list_platform_keys)
            .query::<KeyQuery>()
            .ok::<KeyList>(),
        Route::delete("/v1/keys/{key}", PlatformAdmin, revoke_platform_key).no_content(),
    ]
}
