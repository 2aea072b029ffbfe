//! The API keys service: making keys (the secret is returned once, then only its
//! hash is kept) and revoking them.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::access::{ApiKey, KeyId, Role, new_secret, secret_hash};
use crate::clock::Clock;
use crate::council::CouncilId;
use crate::key_workers::KeyWorkerId;
use crate::store::{Durable, EarlierWork, IdempotencyMark, Made, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no council `{0}`")]
    UnknownCouncil(CouncilId),
    #[error("no key `{0}`")]
    UnknownKey(KeyId),
    #[error(
        "a council key cannot be a platform admin: use `council_admin`, `caseworker` or `auditor`"
    )]
    PlatformAdminForCouncil,
    #[error(
        "only a `caseworker` key can be bound to a key worker: leave `key_worker` out for this role"
    )]
    BoundNotCaseworker,
    #[error("key worker `{0}` is retired: bind the key to a current key worker")]
    RetiredKeyWorker(KeyWorkerId),
    #[error("no key worker `{1}` in council `{0}`")]
    UnknownKeyWorker(CouncilId, KeyWorkerId),
    #[error("`name` must be 1 to 100 characters")]
    InvalidName,
    #[error("`expires_at` must be in the future (it is now {0})")]
    PastExpiry(DateTime<Utc>),
    /// The first attempt under this Idempotency-Key made the key, but its answer (the
    /// only copy of the secret) was lost.
    #[error(
        "the key `{0}` was made by the first attempt with this Idempotency-Key, but the daemon stopped before its secret was sent, and a secret is kept only as a hash"
    )]
    SecretUnavailable(KeyId),
    #[error(transparent)]
    Earlier(#[from] EarlierWork),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A key to make: for a council, or (no council) a platform admin's.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub role: Role,
    pub council: Option<CouncilId>,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub key_worker: Option<KeyWorkerId>,
}

/// A key just made, with the secret shown this once.
#[derive(Debug, Clone)]
pub struct MadeKey {
    pub key: ApiKey,
    pub secret: String,
}

#[derive(Clone)]
pub struct Keys {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Keys {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Keys {
        Keys { store, clock }
    }

    /// Checks what a council key is for: its council, its role, its key worker.
    fn check_council_key(&self, new: &NewApiKey, council: &CouncilId) -> Result<(), KeyError> {
        if new.role == Role::PlatformAdmin {
            return Err(KeyError::PlatformAdminForCouncil);
        }
        if self.store.council(council)?.is_none() {
            return Err(KeyError::UnknownCouncil(council.clone()));
        }
        let Some(id) = &new.key_worker else {
            return Ok(());
        };
        if new.role != Role::Caseworker {
            return Err(KeyError::BoundNotCaseworker);
        }
        match self.store.key_worker(council, id)? {
            Some(kw) if !kw.is_retired() => Ok(()),
            Some(_) => Err(KeyError::RetiredKeyWorker(id.clone())),
            None => Err(KeyError::UnknownKeyWorker(council.clone(), id.clone())),
        }
    }

    pub async fn make(
        &self,
        new: NewApiKey,
        mark: Option<&IdempotencyMark>,
    ) -> Result<Durable<MadeKey>, KeyError> {
        if let Some(council) = &new.council {
            self.check_council_key(&new, council)?;
        }
        let now = self.clock.now();
        // The first answer is kept before it is sent, so a lost one was never seen:
        // the key exists, but nobody holds its secret.
        if let Some(id) = self.store.earlier_work(mark, now, |made| match made {
            Made::Key(id) => Some(id),
            _ => None,
        })? {
            return Err(KeyError::SecretUnavailable(id));
        }
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(KeyError::InvalidName);
        }
        if new.expires_at.is_some_and(|e| e <= now) {
            return Err(KeyError::PastExpiry(now));
        }
        let secret = new_secret();
        let hash = secret_hash(&secret);
        let key = ApiKey {
            id: KeyId::new_random(),
            name,
            role: new.role,
            council: new.council,
            secret_sha256: hex::encode(hash),
            created_at: now,
            expires_at: new.expires_at,
            revoked_at: None,
            key_worker: new.key_worker,
        };
        self.store
            .put_api_key(&key, &hash, mark.map(|m| (m, now)))?;
        let made = self.store.commit(MadeKey { key, secret }).await?;
        tracing::info!(key = %made.get().key.id, role = %made.get().key.role, "API key created");
        Ok(made)
    }

    /// Revokes a key of `council` (or a platform key, with none).
    pub async fn revoke(
        &self,
        council: Option<&CouncilId>,
        id: &KeyId,
    ) -> Result<Durable<()>, KeyError> {
        self.store
            .revoke_api_key(council, id, self.clock.now())?
            .ok_or_else(|| KeyError::UnknownKey(id.clone()))?;
        Ok(self.store.commit(()).await?)
    }
}
