//! A webhook receiver inside the test process: an axum server on 127.0.0.1:0
//! that records every request (headers and exact body) and answers as told:
//! 2xx, fail with 500, or hold the request past the sender's timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// How the receiver answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    Fail,
    /// Answer 200 only after this long (longer than the webhook's timeout).
    Hang(Duration),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }

    /// Whether `Waymark-Signature` is `sha256=` + HMAC-SHA256(secret, body), checked
    /// as a receiver would (constant-time compare via `verify_slice`).
    pub fn signed_with(&self, secret: &str) -> bool {
        let Some(hex_sig) = self
            .header("waymark-signature")
            .and_then(|v| v.strip_prefix("sha256="))
        else {
            return false;
        };
        let Ok(sig) = hex::decode(hex_sig) else {
            return false;
        };
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(&self.body);
        mac.verify_slice(&sig).is_ok()
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    mode: Option<Mode>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

async fn hook(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mode = {
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        s.received.push(Received { headers, body });
        s.mode.unwrap_or(Mode::Accept)
    };
    match mode {
        Mode::Accept => StatusCode::OK,
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR,
        Mode::Hang(d) => {
            tokio::time::sleep(d).await;
            StatusCode::OK
        }
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = axum::Router::new()
            .route("/hooks/waymark", axum::routing::post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{addr}/hooks/waymark"),
            shared,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap_or_else(|p| p.into_inner()).mode = Some(mode);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .received
            .clone()
    }

    /// Requests for the action with this id, in arrival order.
    pub fn for_action(&self, id: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.json()["id"] == id)
            .collect()
    }

    /// Waits until `n` requests for the action have arrived, or fails after `within`.
    pub async fn wait_for(&self, id: &str, n: usize, within: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.for_action(id);
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "receiver got {} of {n} requests for {id} within {within:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
