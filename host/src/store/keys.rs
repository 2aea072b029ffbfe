//! API keys: `api_keys` (key id → [`ApiKey`]) and `api_key_hashes` (secret's SHA-256 →
//! key id), written together so a key is always findable by its secret.

use chrono::{DateTime, Utc};
use sled::Transactional;

use super::{Store, StoreError, decode, encode, flatten};
use crate::access::{ApiKey, KeyId};
use crate::council::CouncilId;

impl Store {
    fn key_trees(&self) -> Result<(sled::Tree, sled::Tree), StoreError> {
        Ok((
            self.db.open_tree("api_keys")?,
            self.db.open_tree("api_key_hashes")?,
        ))
    }

    pub fn put_api_key(&self, key: &ApiKey, hash: &[u8; 32]) -> Result<(), StoreError> {
        let (keys, hashes) = self.key_trees()?;
        let record = encode(key);
        (&keys, &hashes)
            .transaction(|(keys, hashes)| {
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
