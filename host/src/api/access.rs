//! Authorisation in one place: every `/v1` request passes through [`gate`], which
//! finds the caller's key (401), looks up the route's permission in [`TABLE`] and
//! checks the key's role and council against it (403), takes a token from the key's
//! rate bucket (429), runs the handler (under its `Idempotency-Key`, if any: see
//! `idempotency.rs`), and writes the audit entry for any request
//! that changed state. A refused request reaches no handler, so it changes nothing.
//!
//! The table fails closed: a route that is not in it is for platform admins only.
//! A test reads every `.route(…)` in `api/` and fails when one is missing here, so a
//! route added anywhere must be given its permission in this file.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::problem::{Problem, ProblemKind};
use crate::access::{Caller, KeyId, Role, secret_hash};
use crate::council::CouncilId;
use crate::store::NewAuditEntry;

/// What a route needs from the caller. Platform admins pass every check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    PlatformAdmin,
    /// Any live key (e.g. reading the API's own description).
    AnyKey,
    /// A key of the council named in the path, with a role the grant allows.
    Council(Grant),
}

/// What a council-scoped route does, and so which council roles may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The council's configuration: plugins, settings, schedules, webhooks, limits.
    ReadConfig,
    ManageConfig,
    ReadKeys,
    ManageKeys,
    /// Referrals, participants, events, actions, reviews.
    ReadCases,
    WriteCases,
    /// A participant's subject-access export (it is all their personal data).
    ExportParticipant,
    /// Erasure and legal holds.
    ManagePrivacy,
    ReadAudit,
}

impl Grant {
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Grant::ReadConfig => &[CouncilAdmin, Caseworker, Auditor],
            Grant::ManageConfig | Grant::ManageKeys | Grant::ManagePrivacy => &[CouncilAdmin],
            Grant::ReadKeys | Grant::ReadAudit => &[CouncilAdmin, Auditor],
            Grant::ReadCases => &[Caseworker, Auditor],
            Grant::WriteCases => &[Caseworker],
            Grant::ExportParticipant => &[Caseworker, CouncilAdmin],
        }
    }
}

use Grant::*;
use Permission::{AnyKey, Council, PlatformAdmin};

/// Ids a handler adds to its request's audit entry (as a response extension), e.g.
/// the key worker an assignment named and whether it overrode a cap: ids and fixed
/// words only, never free text or personal data.
#[derive(Debug, Clone, Default)]
pub struct AuditIds(pub BTreeMap<String, String>);

/// `(method, route pattern as matched) → permission`, for every route under `/v1`.
pub const TABLE: &[(&str, &str, Permission)] = &[
    ("POST", "/v1/admin/clock", PlatformAdmin),
    ("POST", "/v1/admin/backup", PlatformAdmin),
    ("POST", "/v1/councils", PlatformAdmin),
    ("GET", "/v1/councils", PlatformAdmin),
    ("GET", "/v1/councils/{council}", Council(ReadConfig)),
    // Name, time zone, nation and reminder time are the council's own configuration;
    // removing a tenant is the platform's.
    ("PATCH", "/v1/councils/{council}", Council(ManageConfig)),
    ("DELETE", "/v1/councils/{council}", PlatformAdmin),
    (
        "PUT",
        "/v1/councils/{council}/plugin",
        Council(ManageConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/referrals",
        Council(WriteCases),
    ),
    (
        "GET",
        "/v1/councils/{council}/participants",
        Council(ReadCases),
    ),
    (
        "GET",
        "/v1/councils/{council}/participants/{participant}",
        Council(ReadCases),
    ),
    (
        "GET",
        "/v1/councils/{council}/participants/{participant}/events",
        Council(ReadCases),
    ),
    (
        "DELETE",
        "/v1/councils/{council}/participants/{participant}",
        Council(ManagePrivacy),
    ),
    (
        "PATCH",
        "/v1/councils/{council}/participants/{participant}",
        Council(WriteCases),
    ),
    (
        "POST",
        "/v1/councils/{council}/participants/{participant}/events",
        Council(WriteCases),
    ),
    (
        "GET",
        "/v1/councils/{council}/participants/{participant}/export",
        Council(ExportParticipant),
    ),
    (
        "PUT",
        "/v1/councils/{council}/participants/{participant}/hold",
        Council(ManagePrivacy),
    ),
    (
        "DELETE",
        "/v1/councils/{council}/participants/{participant}/hold",
        Council(ManagePrivacy),
    ),
    ("GET", "/v1/councils/{council}/actions", Council(ReadCases)),
    (
        "GET",
        "/v1/councils/{council}/actions/{action}",
        Council(ReadCases),
    ),
    (
        "POST",
        "/v1/councils/{council}/actions/{action}/ack",
        Council(WriteCases),
    ),
    ("POST", "/v1/councils/{council}/keys", Council(ManageKeys)),
    ("GET", "/v1/councils/{council}/keys", Council(ReadKeys)),
    (
        "DELETE",
        "/v1/councils/{council}/keys/{key}",
        Council(ManageKeys),
    ),
    ("GET", "/v1/councils/{council}/audit", Council(ReadAudit)),
    // How long closed journeys are kept is the council's data-protection configuration.
    (
        "GET",
        "/v1/councils/{council}/retention",
        Council(ReadConfig),
    ),
    (
        "PUT",
        "/v1/councils/{council}/retention",
        Council(ManagePrivacy),
    ),
    // Plugin versions, settings and sandbox limits are council configuration.
    (
        "GET",
        "/v1/councils/{council}/plugin/versions",
        Council(ReadConfig),
    ),
    (
        "GET",
        "/v1/councils/{council}/plugin/versions/{digest}",
        Council(ReadConfig),
    ),
    (
        "DELETE",
        "/v1/councils/{council}/plugin/versions/{digest}",
        Council(ManageConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/plugin/versions/{digest}/activate",
        Council(ManageConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/plugin/rollback",
        Council(ManageConfig),
    ),
    // Replay re-runs recorded decisions (their least-data inputs) under another version.
    (
        "POST",
        "/v1/councils/{council}/plugin/versions/{digest}/replay",
        Council(ManageConfig),
    ),
    (
        "GET",
        "/v1/councils/{council}/settings",
        Council(ReadConfig),
    ),
    (
        "PUT",
        "/v1/councils/{council}/settings",
        Council(ManageConfig),
    ),
    ("GET", "/v1/councils/{council}/limits", Council(ReadConfig)),
    (
        "PUT",
        "/v1/councils/{council}/limits",
        Council(ManageConfig),
    ),
    // The human-review queue and decision log are casework.
    ("GET", "/v1/councils/{council}/reviews", Council(ReadCases)),
    (
        "GET",
        "/v1/councils/{council}/reviews/{review}",
        Council(ReadCases),
    ),
    (
        "POST",
        "/v1/councils/{council}/reviews/{review}/resolve",
        Council(WriteCases),
    ),
    (
        "GET",
        "/v1/councils/{council}/participants/{participant}/decisions",
        Council(ReadCases),
    ),
    // Webhook delivery is council configuration; redelivering an action is casework.
    ("GET", "/v1/councils/{council}/webhook", Council(ReadConfig)),
    (
        "PUT",
        "/v1/councils/{council}/webhook",
        Council(ManageConfig),
    ),
    (
        "DELETE",
        "/v1/councils/{council}/webhook",
        Council(ManageConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/actions/{action}/redeliver",
        Council(WriteCases),
    ),
    // Schedules and the working-day calendar are council configuration.
    (
        "GET",
        "/v1/councils/{council}/calendar",
        Council(ReadConfig),
    ),
    (
        "PUT",
        "/v1/councils/{council}/calendar",
        Council(ManageConfig),
    ),
    (
        "GET",
        "/v1/councils/{council}/schedules",
        Council(ReadConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/schedules",
        Council(ManageConfig),
    ),
    (
        "GET",
        "/v1/councils/{council}/schedules/{schedule}",
        Council(ReadConfig),
    ),
    (
        "PUT",
        "/v1/councils/{council}/schedules/{schedule}",
        Council(ManageConfig),
    ),
    (
        "DELETE",
        "/v1/councils/{council}/schedules/{schedule}",
        Council(ManageConfig),
    ),
    (
        "GET",
        "/v1/councils/{council}/schedules/{schedule}/preview",
        Council(ReadConfig),
    ),
    (
        "GET",
        "/v1/councils/{council}/schedules/{schedule}/runs",
        Council(ReadConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/schedules/{schedule}/pause",
        Council(ManageConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/schedules/{schedule}/resume",
        Council(ManageConfig),
    ),
    // Key workers are the council's staffing; assigning a participant is casework.
    (
        "GET",
        "/v1/councils/{council}/key-workers",
        Council(ReadConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/key-workers",
        Council(ManageConfig),
    ),
    (
        "GET",
        "/v1/councils/{council}/key-workers/{key_worker}",
        Council(ReadConfig),
    ),
    (
        "PATCH",
        "/v1/councils/{council}/key-workers/{key_worker}",
        Council(ManageConfig),
    ),
    (
        "POST",
        "/v1/councils/{council}/key-workers/{key_worker}/retire",
        Council(ManageConfig),
    ),
    (
        "PUT",
        "/v1/councils/{council}/participants/{participant}/key-worker",
        Council(WriteCases),
    ),
    // Aggregate figures, small numbers suppressed: for managers, staff and auditors.
    (
        "GET",
        "/v1/councils/{council}/indicators",
        Council(ReadConfig),
    ),
    ("POST", "/v1/keys", PlatformAdmin),
    ("GET", "/v1/keys", PlatformAdmin),
    ("DELETE", "/v1/keys/{key}", PlatformAdmin),
    ("GET", "/v1/audit", PlatformAdmin),
    // The API's own description.
    ("GET", "/v1/openapi.json", AnyKey),
];

/// The permission a route needs; platform admin for anything not in the table.
pub fn permission(method: &Method, route: &str) -> Permission {
    // axum answers HEAD with the GET handler, so it needs what GET needs.
    let method = if method == Method::HEAD {
        Method::GET.as_str()
    } else {
        method.as_str()
    };
    TABLE
        .iter()
        .find(|(m, r, _)| *m == method && *r == route)
        .map(|(_, _, p)| *p)
        .unwrap_or(PlatformAdmin)
}

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

fn forbidden(detail: String) -> Problem {
    Problem::new(ProblemKind::Forbidden, detail)
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

/// Whether `caller` may use a route needing `permission`, with `council` in its path.
pub fn authorise(
    caller: &Caller,
    permission: Permission,
    council: Option<&str>,
) -> Result<(), Problem> {
    if caller.role == Role::PlatformAdmin {
        return Ok(());
    }
    let grant = match permission {
        AnyKey => return Ok(()),
        PlatformAdmin => {
            return Err(forbidden(format!(
                "this route is for platform admins; a {} key cannot use it",
                caller.role
            )));
        }
        Council(grant) => grant,
    };
    let own = caller.council.as_ref().map(CouncilId::as_str);
    // Same answer whether the other council exists or not: nothing about it is revealed.
    if council.is_none() || council != own {
        return Err(forbidden(format!(
            "this key belongs to council `{}` and can reach only routes under /v1/councils/{}/",
            own.unwrap_or_default(),
            own.unwrap_or_default()
        )));
    }
    if !grant.roles().contains(&caller.role) {
        let allowed: Vec<&str> = grant.roles().iter().map(|r| r.as_str()).collect();
        return Err(forbidden(format!(
            "a {} key cannot do this; it needs a key with one of the roles: {}",
            caller.role,
            allowed.join(", ")
        )));
    }
    Ok(())
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
    authorise(&caller, permission(&method, &route), council)
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

    fn caller(role: Role, council: Option<&str>) -> Caller {
        Caller {
            key: KeyId::new_random(),
            role,
            council: council.map(|c| c.parse().unwrap()),
            key_worker: None,
        }
    }

    #[test]
    fn routes_missing_from_the_table_are_for_platform_admins_only() {
        let p = permission(&Method::GET, "/v1/councils/{council}/not-yet-in-the-table");
        assert_eq!(p, PlatformAdmin);
        let admin = caller(Role::CouncilAdmin, Some("leeds"));
        assert!(authorise(&admin, p, Some("leeds")).is_err());
        assert!(authorise(&caller(Role::PlatformAdmin, None), p, Some("leeds")).is_ok());
    }

    #[test]
    fn head_needs_what_get_needs() {
        let route = "/v1/councils/{council}/participants/{participant}";
        assert_eq!(permission(&Method::HEAD, route), Council(ReadCases));
        assert_eq!(permission(&Method::DELETE, route), Council(ManagePrivacy));
    }

    #[test]
    fn council_keys_reach_only_their_own_council() {
        let worker = caller(Role::Caseworker, Some("leeds"));
        let read = Council(ReadCases);
        assert!(authorise(&worker, read, Some("leeds")).is_ok());
        let other = authorise(&worker, read, Some("stoke-on-trent")).unwrap_err();
        assert_eq!(other.status, 403);
        assert!(!other.detail.contains("stoke"), "{}", other.detail);
        assert!(authorise(&worker, read, None).is_err());
    }

    #[test]
    fn each_role_is_refused_what_its_grants_leave_out() {
        let c = Some("leeds");
        let auditor = caller(Role::Auditor, c);
        assert!(authorise(&auditor, Council(ReadCases), c).is_ok());
        assert!(authorise(&auditor, Council(ReadAudit), c).is_ok());
        assert!(authorise(&auditor, Council(WriteCases), c).is_err());
        assert!(authorise(&auditor, Council(ManageConfig), c).is_err());
        let worker = caller(Role::Caseworker, c);
        assert!(authorise(&worker, Council(ManageKeys), c).is_err());
        assert!(authorise(&worker, Council(ReadAudit), c).is_err());
        assert!(authorise(&worker, Council(ManagePrivacy), c).is_err());
        let admin = caller(Role::CouncilAdmin, c);
        assert!(authorise(&admin, Council(ManageKeys), c).is_ok());
        assert!(authorise(&admin, Council(WriteCases), c).is_err());
        assert!(authorise(&admin, PlatformAdmin, c).is_err());
    }

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

    /// Every `.rs` file under `dir`, recursively.
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every `.route("…", method(…))` under `api/`, as `(METHOD, /v1 pattern)`. A route
    /// this cannot read (a path that is not a literal, `any(…)`, `on(…)`) is listed with
    /// a `?` method, so the test below fails and names it.
    fn declared_routes() -> Vec<(String, String)> {
        let api = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
        let mut files = Vec::new();
        sources(&api, &mut files);
        let mut found = Vec::new();
        for path in files {
            // api/mod.rs holds the routes outside /v1 (health, metrics), which need no key;
            // this file declares none (and its comments would confuse the scan).
            if path == api.join("mod.rs") || path == api.join("access.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find(".route(") {
                rest = &rest[at + ".route(".len()..];
                let open = rest.find('"').unwrap_or(rest.len());
                if !rest[..open].trim().is_empty() {
                    let head: String = rest.chars().take(60).collect();
                    found.push(("?".to_owned(), format!("{}: {head}", path.display())));
                    continue;
                }
                let Some(close) = rest[open + 1..].find('"') else {
                    break;
                };
                let pattern = &rest[open + 1..open + 1 + close];
                // The method router: up to the `.route(`'s closing parenthesis.
                let body = &rest[open + 1 + close..];
                let mut depth = 1;
                let mut end = body.len();
                for (i, ch) in body.char_indices() {
                    match ch {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let router = &body[..end];
                for m in ["get", "post", "put", "patch", "delete", "any", "on"] {
                    let needle = format!("{m}(");
                    let mut from = 0;
                    while let Some(i) = router[from..].find(&needle) {
                        let i = from + i;
                        let before = router[..i].chars().last().unwrap_or(' ');
                        if !(before.is_alphanumeric() || before == '_' || before == ':') {
                            let method = match m {
                                "any" | "on" => format!("?{m}"),
                                _ => m.to_uppercase(),
                            };
                            found.push((method, format!("/v1{pattern}")));
                        }
                        from = i + needle.len();
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    #[test]
    fn every_route_in_the_api_has_an_entry_in_the_table() {
        let routes = declared_routes();
        assert!(
            routes.len() >= 15,
            "the route scan found too few: {routes:?}"
        );
        let missing: Vec<String> = routes
            .iter()
            .filter(|(m, r)| !TABLE.iter().any(|(tm, tr, _)| tm == m && tr == r))
            .map(|(m, r)| format!("(\"{m}\", \"{r}\", Council(…)),"))
            .collect();
        assert!(
            missing.is_empty(),
            "routes without a permission (they are platform-admin only until added to TABLE in api/access.rs):\n{}",
            missing.join("\n")
        );
        let stale: Vec<_> = TABLE
            .iter()
            .filter(|(m, r, _)| !routes.iter().any(|(rm, rr)| rm == m && rr == r))
            .collect();
        assert!(
            stale.is_empty(),
            "TABLE names routes that do not exist: {stale:?}"
        );
    }
}
