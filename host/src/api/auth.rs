//! The platform's bootstrap admin key (`WAYMARK_ADMIN_TOKEN`, or printed at first
//! start), kept only as its SHA-256 hash. Other keys live in the store (`access.rs`).

use sha2::{Digest, Sha256};

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
