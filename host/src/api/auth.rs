//! API keys: `Authorization: Bearer <key>`. Keys are stored only as SHA-256 hashes.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem::Problem;

/// The platform admin key's hash.
#[derive(Clone)]
pub struct AdminKey {
    hash: [u8; 32],
}

impl AdminKey {
    pub fn from_secret(secret: &str) -> AdminKey {
        AdminKey {
            hash: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    pub fn from_hash(hash: [u8; 32]) -> AdminKey {
        AdminKey { hash }
    }

    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Constant-time: how much of a guess matched must not show in the response time.
    pub fn matches(&self, presented: &str) -> bool {
        let h: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        h.iter()
            .zip(self.hash.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

pub async fn require_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, Problem> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(key) if state.admin_key.matches(key) => Ok(next.run(request).await),
        _ => Err(Problem::unauthorized()),
    }
}
