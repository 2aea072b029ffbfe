//! The gate every `/v1` request passes through: [`gate`] finds the caller's key (401),
//! checks it against the permission its route declares (`permission.rs`; 403), takes
//! a token from the key's rate bucket (429), runs the handler (under its
//! `Idempotency-Key`, if any: see `idempotency.rs`), and writes the audit entry for any
//! request that changed state. A refused request reaches no handler, so it changes nothing.
//!
//! A route cannot be mounted without declaring its permission (`route.rs`); the lookup
//! still fails closed: a route it does not find is for platform admins only.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::permission::authorise;
use super::problem::{Problem, ProblemKind};
use crate::access::{Caller, KeyId, Role, secret_hash};
use crate::council::CouncilId;
use crate::store::NewAuditEntry;

/// Ids a handler adds to its request's audit entry (as a response extension), e.g.
/// the key worker an assignment named and whether it overrode a cap: ids and fixed
/// words only, never free text or personal data.
#[derive(Debug, Clone, Default)]
pub struct AuditIds(pub BTreeMap<String, String>);

/// Limits every key is held to.
#[derive(Debug, Clone, Copy)]
pub struct AccessLimits {
    /// Sustained requests per second per key.
    pub rate_per_second: f64,
    /// Requests a key may make at once before the rate applies.
    pub burst: f64,
    /// Largest request body, in bytes (plugin uploads have their own limit).
    pub max_body_bytes: usize,
}

impl Default for AccessLimits {
    fn default() -> Self {
        AccessLimits {
            rate_per_second: 50.0,
            burst: 200.0,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// Per-key rate limiting: a token bucket per key id, in memory (it restarts full).
pub struct Gate {
    pub limits: AccessLimits,
    buckets: Mutex<HashMap<KeyId, Bucket>>,
    /// Requests running under an `Idempotency-Key` (see `idempotency.rs`).
    pub(super) in_flight: super::idempotency::InFlight,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Gate {
    pub fn new(limits: AccessLimits) -> Gate {
        Gate {
            limits,
            buckets: Mutex::new(HashMap::new()),
            in_flight: Default::default(),
        }
    }

    /// Takes one token from the key's bucket, or says how long until one is there.
    fn take(&self, key: &KeyId, now: Instant) -> Result<(), Duration> {
        let rate = self.limits.rate_per_second.max(f64::MIN_POSITIVE);
        let burst = self.limits.burst.max(1.0);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

fn refused_key(detail: &str) -> Problem {
    Problem::new(ProblemKind::Unauthorized, detail)
}

/// Finds the live key presented as `Authorization: Bearer <secret>`.
fn authenticate(state: &AppState, request: &Request) -> Result<Caller, Problem> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(Problem::unauthorized)?;
    authenticate_secret(state, presented)
}

/// Finds the live key whose secret is `presented` (also the console's sign-in check).
pub(crate) fn authenticate_secret(state: &AppState, presented: &str) -> Result<Caller, Problem> {
    if state.admin_key.matches(presented) {
        return Ok(Caller {
            key: KeyId::bootstrap(),
            role: Role::PlatformAdmin,
            council: None,
            key_worker: None,
        });
    }
    // Found by the secret's hash: nothing about the secret shows in the lookup's timing.
    let key = state
        .store
        .api_key_by_hash(&secret_hash(presented))?
        .ok_or_else(Problem::unauthorized)?;
    if key.revoked_at.is_some() {
        return Err(refused_key(
            "this API key was revoked: ask your council admin for a new one",
        ));
    }
    if !key.is_live(state.clock.now()) {
        return Err(refused_key(
            "this API key has expired: ask your council admin for a new one",
        ));
    }
    Ok(Caller {
        key: key.id,
        role: key.role,
        council: key.council,
        key_worker: key.key_worker,
    })
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware: see the module documentation.
pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match guarded(state, request, next).await {
        Ok(r) | Err(r) => r,
    }
}

async fn guarded(state: AppState, request: Request, next: Next) -> Result<Response, Response> {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let caller = authenticate(&state, &request).map_err(IntoResponse::into_response)?;
    let (mut parts, body) = request.into_parts();
    let params: BTreeMap<String, String> =
        match <RawPathParams as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
        {
            Ok(p) => p
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            Err(_) => BTreeMap::new(),
        };
    let council = params.get("council").map(String::as_str);
    authorise(&caller, super::permission_of(&method, &route), council)
        .map_err(IntoResponse::into_response)?;
    if let Err(wait) = state.gate.take(&caller.key, Instant::now()) {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut r = Problem::new(
            ProblemKind::RateLimited,
            format!(
                "this key may make {} requests per second (bursts of {}); retry after {secs} s",
                state.gate.limits.rate_per_second, state.gate.limits.burst
            ),
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        return Err(r);
    }
    let audit_council = council.and_then(|c| c.parse::<CouncilId>().ok());
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(caller.clone());
    // A retry answered from its Idempotency-Key record ran nothing: no second entry.
    let answered = super::idempotency::run(&state, &caller, council, request, next).await?;
    let response = answered.response;
    if changes_state(&method) && response.status().is_success() && !answered.replayed {
        let mut ids: BTreeMap<String, String> =
            params.into_iter().filter(|(k, _)| k != "council").collect();
        if let Some(extra) = response.extensions().get::<AuditIds>() {
            ids.extend(extra.0.clone());
        }
        let entry = NewAuditEntry {
            at: state.clock.now(),
            key: caller.key,
            role: caller.role.into(),
            council: audit_council,
            method: method.to_string(),
            route,
            ids,
            status: response.status().as_u16(),
        };
        let written = match state.store.append_audit(entry) {
            Ok(_) => state.store.flush().await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            // The change is made and cannot be undone here; say so loudly.
            tracing::error!(error = %e, "a state-changing request could not be written to the audit log");
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_out_of_tokens_waits_for_the_rate() {
        let gate = Gate::new(AccessLimits {
            rate_per_second: 2.0,
            burst: 3.0,
            max_body_bytes: 1024,
        });
        let key = KeyId::new_random();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(gate.take(&key, t0).is_ok());
        }
        let wait = gate.take(&key, t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(
            gate.take(&KeyId::new_random(), t0).is_ok(),
            "buckets are per key"
        );
        assert!(gate.take(&key, t0 + Duration::from_millis(500)).is_ok());
    }
}
