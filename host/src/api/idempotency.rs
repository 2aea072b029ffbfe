//! `Idempotency-Key` on every `POST`: a retry with the same key and the same request
//! gets the first answer back (status and body) without the work being done, or
//! audited, again; the same key on a different request is refused.
//!
//! Called by the gate (`access.rs`) once the caller is known, so one implementation
//! covers every route. Records are scoped to the caller's key and the council in the
//! path, kept for [`IDEMPOTENCY_TTL`](crate::store::IDEMPOTENCY_TTL) in the store and flushed before the answer.
//! Requests with the same key run one at a time: a second waits for the first and
//! then gets its answer. Only successful answers are kept: a refused request changed
//! nothing, so running it again is safe (and may succeed once the cause is fixed).
//!
//! The answer is kept after the work is flushed, so a crash in between loses it.
//! Where doing the work twice would do harm (a second participant from one referral,
//! an event recorded twice, a schedule that fires everything twice) the work records
//! an [`IdempotencyMark`] in its own transaction, and a retry that finds it answers
//! from what is stored instead. Elsewhere a second run is harmless or refused by the
//! state it finds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem::{Problem, ProblemKind};
use crate::access::Caller;
use crate::store::{IdempotencyMark, IdempotentAnswer, idempotency_record_key};

/// The request header a client sets.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set to `true` on an answer replayed from a record.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Longest key a client may send.
pub const MAX_KEY_LEN: usize = 255;

/// One lock per record key while a request with that key runs (in memory: after a
/// restart nothing is running).
#[derive(Default)]
pub struct InFlight {
    slots: Mutex<HashMap<Vec<u8>, Weak<tokio::sync::Mutex<()>>>>,
}

impl InFlight {
    fn slot(&self, key: &[u8]) -> Arc<tokio::sync::Mutex<()>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get(key).and_then(Weak::upgrade) {
            return slot;
        }
        // Forget the slots nobody holds any more, so the map stays as small as the
        // number of keys in flight.
        slots.retain(|_, w| w.strong_count() > 0);
        let slot = Arc::new(tokio::sync::Mutex::new(()));
        slots.insert(key.to_vec(), Arc::downgrade(&slot));
        slot
    }
}

/// What the gate gets back: the answer, and whether it was replayed from a record
/// (then nothing ran and nothing is audited).
pub struct Answered {
    pub response: Response,
    pub replayed: bool,
}

/// Checks a key's format: 1 to [`MAX_KEY_LEN`] visible ASCII characters.
pub fn parse_key(raw: &HeaderValue) -> Result<&str, Problem> {
    let bad = || {
        Problem::new(
            ProblemKind::InvalidIdempotencyKey,
            format!(
                "`Idempotency-Key` must be 1 to {MAX_KEY_LEN} visible ASCII characters (no spaces or control characters), e.g. a UUID"
            ),
        )
    };
    let key = raw.to_str().map_err(|_| bad())?;
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(key)
}

/// The caller's presented secret (the gate has already checked it).
fn presented_secret(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map_or("", str::trim)
}

/// Keyed by the caller's secret, so a fingerprint of a body holding a date of birth
/// and a postcode cannot be matched against guesses by someone reading the store.
fn fingerprint(secret: &str, method: &Method, target: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update((secret.len() as u64).to_be_bytes());
    h.update(secret.as_bytes());
    h.update(method.as_str().as_bytes());
    h.update(b"\n");
    h.update(target.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Which secret sealed a record: a hash of the secret, which reveals nothing of it.
fn sealed_by(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"waymark idempotency seal\0");
    h.update(secret.as_bytes());
    hex::encode(&h.finalize()[..8])
}

/// The AEAD key and nonce for one kept answer. The key comes from the caller's
/// secret (already high-entropy: no stretching needed), the nonce from the record
/// and its time, which no other sealing shares.
fn sealing(secret: &str, record_key: &[u8], at_ms: i64) -> (ChaCha20Poly1305, [u8; 12]) {
    let key = Sha256::new()
        .chain_update(b"waymark idempotency seal key\0")
        .chain_update(secret.as_bytes())
        .finalize();
    let nonce = Sha256::new()
        .chain_update(b"waymark idempotency nonce\0")
        .chain_update((record_key.len() as u64).to_be_bytes())
        .chain_update(record_key)
        .chain_update(at_ms.to_be_bytes())
        .finalize();
    let mut n = [0u8; 12];
    n.copy_from_slice(&nonce[..12]);
    (ChaCha20Poly1305::new(&key), n)
}

/// Seals a kept answer (ChaCha20-Poly1305, bound to its record), so the store holds
/// no readable answer: not a new key's secret, not a participant's details. Only the
/// caller, whose secret the store keeps only as a hash, can have it replayed.
fn seal(secret: &str, record_key: &[u8], at_ms: i64, answer: &[u8]) -> Option<Vec<u8>> {
    let (cipher, nonce) = sealing(secret, record_key, at_ms);
    cipher
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: answer,
                aad: record_key,
            },
        )
        .ok()
}

/// Opens a sealed answer; `None` when it was sealed by another secret or damaged.
fn open(secret: &str, record_key: &[u8], at_ms: i64, sealed: &[u8]) -> Option<Vec<u8>> {
    let (cipher, nonce) = sealing(secret, record_key, at_ms);
    cipher
        .decrypt(
            (&nonce).into(),
            Payload {
                msg: sealed,
                aad: record_key,
            },
        )
        .ok()
}

fn replay(answer: &IdempotentAnswer, secret: &str, record_key: &[u8]) -> Result<Response, Problem> {
    let damaged = || {
        tracing::error!("an idempotency record is unreadable");
        Problem::unavailable(
            "the answer kept for this Idempotency-Key is damaged; retry with a new key",
        )
    };
    let sealed = hex::decode(&answer.body_hex).map_err(|_| damaged())?;
    let body = open(
        secret,
        record_key,
        answer.created_at.timestamp_millis(),
        &sealed,
    )
    .ok_or_else(damaged)?;
    let status = StatusCode::from_u16(answer.status).map_err(|_| damaged())?;
    let mut response = (status, body).into_response();
    if let Some(ct) = answer
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}

/// Runs the rest of the request under the key's rules (see the module documentation).
pub async fn run(
    state: &AppState,
    caller: &Caller,
    council: Option<&str>,
    request: Request,
    next: Next,
) -> Result<Answered, Response> {
    let refuse = |p: Problem| p.into_response();
    let sent = request.headers().get_all(&IDEMPOTENCY_KEY).iter().count();
    // Other methods are idempotent by their nature (PUT, DELETE) or read only.
    if sent == 0 || request.method() != Method::POST {
        return Ok(Answered {
            response: next.run(request).await,
            replayed: false,
        });
    }
    if sent > 1 {
        return Err(refuse(Problem::new(
            ProblemKind::InvalidIdempotencyKey,
            "send one `Idempotency-Key` header, not several",
        )));
    }
    let key = match request.headers().get(&IDEMPOTENCY_KEY) {
        Some(raw) => parse_key(raw).map_err(refuse)?.to_owned(),
        None => String::new(),
    };

    // The body is read here (under the route's own size limit) to fingerprint it.
    let (parts, body) = request.into_parts();
    let body = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
        .await
        .map_err(|rejection| {
            let problem = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    ProblemKind::BodyTooLarge,
                    "the body is larger than this daemon accepts (`--max-body-bytes`): send a smaller one",
                )
            } else {
                Problem::new(ProblemKind::InvalidBody, rejection.body_text())
            };
            refuse(problem)
        })?;
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let secret = presented_secret(&parts.headers).to_owned();
    let print = fingerprint(&secret, &parts.method, &target, &body);
    let record_key = idempotency_record_key(caller.key.as_str(), council, &key);

    let slot = state.gate.in_flight.slot(&record_key);
    let _running = slot.lock().await;

    // A record sealed under another secret (the bootstrap token was changed) cannot
    // be opened: the request runs as new.
    if let Some(answer) = state
        .store
        .idempotent_answer(&record_key, state.clock.now())
        .map_err(|e| refuse(e.into()))?
        .filter(|a| a.sealed_by == sealed_by(&secret))
    {
        if answer.fingerprint != print {
            return Err(refuse(super::problem::key_reused(Some(&key))));
        }
        return Ok(Answered {
            response: replay(&answer, &secret, &record_key).map_err(refuse)?,
            replayed: true,
        });
    }

    // The work itself records that it was done where it must not happen twice (a
    // referral, a journey event), in its own transaction: a crash before the answer
    // below is kept then cannot lead a retry to do it again.
    let mut parts = parts;
    parts.extensions.insert(IdempotencyMark {
        record_key: record_key.clone(),
        fingerprint: print.clone(),
    });
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if !response.status().is_success() {
        return Ok(Answered {
            response,
            replayed: false,
        });
    }
    let (head, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "an answer could not be read to keep it for retries");
            return Err(refuse(Problem::unavailable(
                "the answer could not be sent; the request may have taken effect: retry with the same Idempotency-Key",
            )));
        }
    };
    let created_at = state.clock.now();
    let Some(sealed) = seal(&secret, &record_key, created_at.timestamp_millis(), &body) else {
        tracing::error!("an answer could not be sealed to keep it for retries");
        return Err(refuse(Problem::unavailable(
            "the answer could not be kept; the request may have taken effect: retry with the same Idempotency-Key",
        )));
    };
    let answer = IdempotentAnswer {
        fingerprint: print,
        sealed_by: sealed_by(&secret),
        status: head.status.as_u16(),
        content_type: head
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body_hex: hex::encode(&sealed),
        created_at,
    };
    let kept = match state.store.put_idempotent_answer(&record_key, &answer) {
        Ok(()) => state.store.flush().await,
        Err(e) => Err(e),
    };
    if let Err(e) = kept {
        // The work is done and durable; failing now would invite a second run.
        tracing::error!(error = %e, "an answer could not be kept for its Idempotency-Key");
    }
    Ok(Answered {
        response: Response::from_parts(head, Body::from(body)),
        replayed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        let ok = |s: &str| parse_key(&HeaderValue::from_str(s).unwrap()).is_ok();
        assert!(ok("a"));
        assert!(ok("550e8400-e29b-41d4-a716-446655440000"));
        assert!(ok(&"x".repeat(255)));
        assert!(!ok(""));
        assert!(!ok(&"x".repeat(256)));
        assert!(!ok("has space"));
        assert!(!ok("tab\there"));
        let non_ascii = HeaderValue::from_bytes("café".as_bytes()).unwrap();
        let refused = parse_key(&non_ascii).unwrap_err();
        assert_eq!(refused.status, 400);
        assert!(refused.detail.contains("1 to 255"), "{}", refused.detail);
    }

    #[test]
    fn the_fingerprint_covers_method_target_and_body() {
        let f = |secret, method, target, body| fingerprint(secret, &method, target, body);
        let a = f("s", Method::POST, "/v1/councils/leeds/referrals", b"{}");
        assert_eq!(
            a,
            f("s", Method::POST, "/v1/councils/leeds/referrals", b"{}")
        );
        assert_ne!(
            a,
            f("s", Method::POST, "/v1/councils/york/referrals", b"{}")
        );
        assert_ne!(
            a,
            f("s", Method::POST, "/v1/councils/leeds/referrals", b"{ }")
        );
        assert_ne!(
            a,
            f("s", Method::PUT, "/v1/councils/leeds/referrals", b"{}")
        );
        assert_ne!(
            a,
            f("t", Method::POST, "/v1/councils/leeds/referrals", b"{}")
        );
    }

    #[test]
    fn a_kept_answer_is_unreadable_without_the_callers_secret() {
        let body = br#"{"id":"key_1","secret":"wm_abcdef","postcode":"ST4 1AB"}"#;
        let sealed = seal("wm_caller", b"rec", 1_000, body).expect("sealed");
        let text = String::from_utf8_lossy(&sealed);
        assert!(
            !text.contains("wm_abcdef") && !text.contains("ST4"),
            "{text}"
        );
        assert_eq!(
            open("wm_other", b"rec", 1_000, &sealed),
            None,
            "another secret"
        );
        assert_eq!(
            open("wm_caller", b"rek", 1_000, &sealed),
            None,
            "another record"
        );
        assert_eq!(
            open("wm_caller", b"rec", 1_001, &sealed),
            None,
            "another time"
        );
        let mut flipped = sealed.clone();
        flipped[3] ^= 1;
        assert_eq!(
            open("wm_caller", b"rec", 1_000, &flipped),
            None,
            "a flipped bit"
        );
        assert_eq!(
            open("wm_caller", b"rec", 1_000, &sealed).as_deref(),
            Some(&body[..])
        );
        assert_ne!(sealed_by("wm_caller"), sealed_by("wm_other"));
    }

    #[test]
    fn one_slot_per_key_while_held_and_none_after() {
        let in_flight = InFlight::default();
        let a = in_flight.slot(b"k1");
        assert!(Arc::ptr_eq(&a, &in_flight.slot(b"k1")));
        assert!(!Arc::ptr_eq(&a, &in_flight.slot(b"k2")));
        drop(a);
        let _c = in_flight.slot(b"k3");
        let slots = in_flight.slots.lock().unwrap();
        assert_eq!(slots.len(), 1, "released slots are forgotten");
    }
}
