//! Sessions: a pasted API key, held on the server, behind a random cookie.
//!
//! The key is kept only here, in memory (a restart signs everyone out), and sent
//! only to the API in-process (`api.rs`); the browser holds a 256-bit session id in
//! an `HttpOnly`, `SameSite=Strict` cookie (`Secure` under TLS) and each form a CSRF
//! token tied to the session. Sessions end after [`IDLE`] without a request, after
//! [`LONGEST`] in any case, and at sign-out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header;

use crate::access::Caller;

pub const COOKIE: &str = "waymark_session";
/// The sign-in form's own CSRF cookie (double-submitted: there is no session yet).
pub const SIGN_IN_COOKIE: &str = "waymark_sign_in";

/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// No session lasts longer than this.
pub const LONGEST: Duration = Duration::from_secs(10 * 60 * 60);

/// One signed-in browser.
#[derive(Clone)]
pub struct Session {
    pub id: String,
    /// The pasted key; never rendered, logged or put in a URL.
    pub(super) secret: String,
    pub caller: Caller,
    pub csrf: String,
    started: Instant,
    last_seen: Instant,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
}

/// 244 random bits (two v4 UUIDs, from the OS's generator, as the API's secrets are).
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Equal in constant time: how much of a guessed token matched must not show.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Sessions {
    pub fn open(&self, secret: String, caller: Caller) -> Session {
        let now = Instant::now();
        let session = Session {
            id: random_token(),
            secret,
            caller,
            csrf: random_token(),
            started: now,
            last_seen: now,
        };
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        // Ended sessions are swept as new ones open: the map stays the size of its use.
        live.retain(|_, s| !s.ended(now));
        live.insert(session.id.clone(), session.clone());
        session
    }

    /// The live session a request's cookie names, seen now.
    pub fn find(&self, headers: &HeaderMap) -> Option<Session> {
        self.find_at(headers, Instant::now())
    }

    fn find_at(&self, headers: &HeaderMap, now: Instant) -> Option<Session> {
        let id = cookie(headers, COOKIE)?;
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let session = live.get_mut(&id)?;
        if session.ended(now) {
            live.remove(&id);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    pub fn close(&self, id: &str) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.remove(id);
    }
}

impl Session {
    fn ended(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_seen) > IDLE
            || now.saturating_duration_since(self.started) > LONGEST
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether the browser reached us over TLS (directly, or through a proxy that says so).
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a console cookie; `None` clears it.
pub fn set_cookie(name: &str, value: Option<&str>, tls: bool, max_age: Duration) -> String {
    let secure = if tls { "; Secure" } else { "" };
    match value {
        Some(v) => format!(
            "{name}={v}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            max_age.as_secs()
        ),
        None => format!("{name}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{KeyId, Role};
    use axum::http::HeaderValue;

    fn caller() -> Caller {
        Caller {
            key: KeyId::new_random(),
            role: Role::Auditor,
            council: None,
            key_worker: None,
        }
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={value}")).expect("header"),
        );
        h
    }

    #[test]
    fn a_session_is_found_by_its_cookie_until_idle_or_signed_out() {
        let sessions = Sessions::default();
        let s = sessions.open("secret".into(), caller());
        let headers = with_cookie(&s.id);
        let now = Instant::now();
        assert!(sessions.find_at(&headers, now).is_some());
        assert!(sessions.find_at(&with_cookie("guess"), now).is_none());
        assert!(
            sessions
                .find_at(&headers, now + IDLE + Duration::from_secs(1))
                .is_none(),
            "idle too long"
        );
        let s = sessions.open("secret".into(), caller());
        let headers = with_cookie(&s.id);
        assert!(sessions.find(&headers).is_some());
        sessions.close(&s.id);
        assert!(sessions.find(&headers).is_none(), "signed out");
    }

    #[test]
    fn no_session_outlives_the_longest() {
        let sessions = Sessions::default();
        let s = sessions.open("secret".into(), caller());
        let headers = with_cookie(&s.id);
        let mut at = Instant::now();
        // Used every 20 minutes, it still ends at the longest.
        while at <= s.started + LONGEST {
            assert!(sessions.find_at(&headers, at).is_some());
            at += Duration::from_secs(20 * 60);
        }
        assert!(sessions.find_at(&headers, at).is_none());
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_under_tls() {
        let plain = set_cookie(COOKIE, Some("abc"), false, IDLE);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        assert!(set_cookie(COOKIE, Some("abc"), true, IDLE).ends_with("; Secure"));
        assert!(set_cookie(COOKIE, None, false, IDLE).contains("Max-Age=0"));
    }

    #[test]
    fn tokens_compare_whole() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert!(same_token(&t, &t.clone()));
        assert!(!same_token(&t, &t[..63]));
        assert!(!same_token(&t, ""));
        assert_ne!(t, random_token());
    }
}
