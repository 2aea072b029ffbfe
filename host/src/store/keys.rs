//! API keys: `api_keys` (key id → [`ApiKey`]) and `api_key_hashes` (secret's SHA-256 →
//! key id), written together so a key is always findable by its secret.

use chrono::{DateTime, Utc};
use sled::Transactional;

use super::{IdempotencyMark, Made, Store, StoreError, decode, encode, flatten, idempotency};
use crate::access::{ApiKey, KeyId};
use crate::council::CouncilId;

impl Store {
    fn key_trees(&self) -> Result<(sled::Tree, sled::Tree), StoreError> {
        Ok((
            self.db.open_tree("api_keys")?,
            self.db.open_tree("api_key_hashes")?,
        ))
    }

    /// Stores a new key by the hash of its secret, with the `Idempotency-Key` it
    /// answers (and when), so a retry after a crash finds the key already made.
    pub fn put_api_key(
        &self,
        key: &ApiKey,
        hash: &[u8; 32],
        effect: Option<(&IdempotencyMark, DateTime<Utc>)>,
    ) -> Result<(), StoreError> {
        let (keys, hashes) = self.key_trees()?;
        let record = encode(key);
        let effect =
            effect.map(|(mark, at)| idempotency::effect_entry(mark, Made::Key(key.id.clone()), at));
        let _writing = self.hold_writes();
        (&keys, &hashes, &self.idem.effects, &self.idem.by_time)
            .transaction(|(keys, hashes, effects, expiry)| {
                Store::record_effect(effects, expiry, &effect)?;
                keys.insert(key.id.as_str(), record.as_slice())?;
                hashes.insert(&hash[..], key.id.as_str())?;
                Ok(())
            })
            .map_err(flatten)
    }

    /// The key whose secret hashes to `hash`, live or not.
    pub fn api_key_by_hash(&self, hash: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
        let (keys, hashes) = self.key_trees()?;
        let Some(id) = hashes.get(hash)? else {
            return Ok(None);
        };
        keys.get(&id)?
            .map(|v| decode("api_keys", &id, &v))
            .transpose()
    }

    /// Keys of one council (`Some`), or the platform's own keys (`None`).
    pub fn api_keys(&self, council: Option<&CouncilId>) -> Result<Vec<ApiKey>, StoreError> {
        let (keys, _) = self.key_trees()?;
        let mut out = Vec::new();
        for kv in keys.iter() {
            let (k, v) = kv?;
            let key: ApiKey = decode("api_keys", &k, &v)?;
            if key.council.as_ref() == council {
                out.push(key);
            }
        }
        Ok(out)
    }

    /// Keys of one council (`Some`) or the platform's (`None`), in id order after
    /// `after`, at most `limit`.
    pub fn api_keys_page(
        &self,
        council: Option<&CouncilId>,
        after: Option<&KeyId>,
        limit: usize,
    ) -> Result<Vec<ApiKey>, StoreError> {
        let (keys, _) = self.key_trees()?;
        let start = match after {
            Some(id) => {
                let mut k = id.as_str().as_bytes().to_vec();
                k.push(0);
                k
            }
            None => Vec::new(),
        };
        let mut out = Vec::new();
        for kv in keys.range(start..) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = kv?;
            let key: ApiKey = decode("api_keys", &k, &v)?;
            if key.council.as_ref() == council {
                out.push(key);
            }
        }
        Ok(out)
    }

    /// Revokes a key of `council` (`None`: a platform key). `None` when there is no
    /// such key *in that scope*, so another council's key ids reveal nothing.
    /// Revoking twice keeps the first time.
    pub fn revoke_api_key(
        &self,
        council: Option<&CouncilId>,
        id: &KeyId,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, StoreError> {
        let (keys, _) = self.key_trees()?;
        let _writing = self.hold_writes();
        keys.transaction(|keys| {
            let Some(v) = keys.get(id.as_str())? else {
                return Ok(None);
            };
            let mut key: ApiKey = super::tx_decode("api_keys", id.as_str().as_bytes(), &v)?;
            if key.council.as_ref() != council {
                return Ok(None);
            }
            if key.revoked_at.is_none() {
                key.revoked_at = Some(at);
                keys.insert(id.as_str(), encode(&key))?;
            }
            Ok(Some(key))
        })
        .map_err(flatten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Role, new_secret, secret_hash};

    #[test]
    fn a_key_is_found_by_its_secret_and_revoked_only_within_its_council() {
        let (_dir, _lock, store) = crate::store::scratch();
        let leeds: CouncilId = "leeds".parse().unwrap();
        let stoke: CouncilId = "stoke-on-trent".parse().unwrap();
        let now: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let secret = new_secret();
        let key = ApiKey {
            id: KeyId::new_random(),
            name: "case system".into(),
            role: Role::Caseworker,
            council: Some(leeds.clone()),
            secret_sha256: hex::encode(secret_hash(&secret)),
            created_at: now,
            expires_at: None,
            revoked_at: None,
            key_worker: None,
        };
        store
            .put_api_key(&key, &secret_hash(&secret), None)
            .unwrap();
        assert_eq!(
            store.api_key_by_hash(&secret_hash(&secret)).unwrap(),
            Some(key.clone())
        );
        assert_eq!(
            store.api_key_by_hash(&secret_hash("wm_guess")).unwrap(),
            None
        );
        assert_eq!(store.api_keys(Some(&stoke)).unwrap(), []);
        assert_eq!(
            store.revoke_api_key(Some(&stoke), &key.id, now).unwrap(),
            None
        );
        assert_eq!(store.revoke_api_key(None, &key.id, now).unwrap(), None);
        assert!(
            store
                .api_key_by_hash(&secret_hash(&secret))
                .unwrap()
                .unwrap()
                .is_live(now)
        );
        let revoked = store
            .revoke_api_key(Some(&leeds), &key.id, now)
            .unwrap()
            .unwrap();
        assert_eq!(revoked.revoked_at, Some(now));
        assert!(
            !store
                .api_key_by_hash(&secret_hash(&secret))
                .unwrap()
                .unwrap()
                .is_live(now)
        );
    }
}
