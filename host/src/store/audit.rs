//! The audit log: an append-only, hash-chained record of every state-changing request.
//!
//! Trees: `audit` (sequence, big-endian → [`AuditEntry`]) and `audit_by_council`
//! (`council/` + sequence → nothing, to list one council's entries). The chain's head
//! (last sequence and hash) sits in `meta` under `audit_head`, written in the same
//! transaction as the entry, so entries are numbered without gaps. Each entry's hash
//! covers its own fields and the previous entry's hash: changing, removing or
//! reordering any entry breaks every link after it, which `waymark audit verify` finds.
//! Entries hold who, what and when — never a request body, so never personal data.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::Transactional;

use super::{Store, StoreError, decode, encode, flatten, tx_decode};
use crate::access::{AuditRole, KeyId};
use crate::council::CouncilId;

const HEAD: &str = "audit_head";
/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One state-changing request, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    /// 1, 2, 3, … across the whole log, without gaps.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// The key that made the request (`bootstrap` for the platform's first key), or
    /// with role `system` the daemon's worker that acted (`retention-sweep`).
    pub key: KeyId,
    pub role: AuditRole,
    /// The council whose route it was; `None` for platform routes.
    pub council: Option<CouncilId>,
    pub method: String,
    /// The route's pattern, e.g. `/v1/councils/{council}/participants/{participant}/events`.
    pub route: String,
    /// The route's other ids (participant, action, key): pseudonymous, never personal data.
    pub ids: BTreeMap<String, String>,
    /// The HTTP status answered.
    pub status: u16,
    /// The previous entry's `hash` (64 zeros for the first).
    pub prev: String,
    /// Hex SHA-256 over this entry with `hash` empty.
    pub hash: String,
}

/// What a request adds to the log; the store numbers and chains it.
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub key: KeyId,
    pub role: AuditRole,
    pub council: Option<CouncilId>,
    pub method: String,
    pub route: String,
    pub ids: BTreeMap<String, String>,
    pub status: u16,
}

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: String,
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit log is broken at entry {seq}: {reason}")]
pub struct BrokenLink {
    pub seq: u64,
    pub reason: String,
}

impl AuditEntry {
    fn computed_hash(&self) -> String {
        let mut unsigned = self.clone();
        unsigned.hash = String::new();
        hex::encode(Sha256::digest(encode(&unsigned)))
    }
}

fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

fn council_prefix(council: &CouncilId) -> Vec<u8> {
    format!("{council}/").into_bytes()
}

impl Store {
    fn audit_trees(&self) -> Result<(sled::Tree, sled::Tree), StoreError> {
        Ok((
            self.db.open_tree("audit")?,
            self.db.open_tree("audit_by_council")?,
        ))
    }

    /// Appends an entry at the head of the chain. The caller flushes.
    pub fn append_audit(&self, new: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let (audit, by_council) = self.audit_trees()?;
        let _writing = self.hold_writes();
        (&audit, &by_council, &self.meta)
            .transaction(|(audit, by_council, meta)| {
                let head: Head = match meta.get(HEAD)? {
                    Some(v) => tx_decode("meta", HEAD.as_bytes(), &v)?,
                    None => Head {
                        seq: 0,
                        hash: GENESIS.to_owned(),
                    },
                };
                let mut entry = AuditEntry {
                    seq: head.seq + 1,
                    at: new.at,
                    key: new.key.clone(),
                    role: new.role,
                    council: new.council.clone(),
                    method: new.method.clone(),
                    route: new.route.clone(),
                    ids: new.ids.clone(),
                    status: new.status,
                    prev: head.hash,
                    hash: String::new(),
                };
                entry.hash = entry.computed_hash();
                audit.insert(&seq_key(entry.seq), encode(&entry))?;
                if let Some(c) = &entry.council {
                    let mut k = council_prefix(c);
                    k.extend_from_slice(&seq_key(entry.seq));
                    by_council.insert(k, &[][..])?;
                }
                meta.insert(
                    HEAD,
                    encode(&Head {
                        seq: entry.seq,
                        hash: entry.hash.clone(),
                    }),
                )?;
                Ok(entry)
            })
            .map_err(flatten)
    }

    /// Entries after sequence `after`, oldest first, at most `limit`: one council's
    /// (`Some`) or all of them (`None`).
    pub fn audit_entries(
        &self,
        council: Option<&CouncilId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let (audit, by_council) = self.audit_trees()?;
        let start = after.saturating_add(1);
        let mut out = Vec::new();
        match council {
            None => {
                for kv in audit.range(seq_key(start)..).take(limit) {
                    let (k, v) = kv?;
                    out.push(decode("audit", &k, &v)?);
                }
            }
            Some(c) => {
                let prefix = council_prefix(c);
                let mut from = prefix.clone();
                from.extend_from_slice(&seq_key(start));
                for kv in by_council.range(from..).take(limit) {
                    let (k, _) = kv?;
                    let Some(seq) = k.strip_prefix(prefix.as_slice()) else {
                        break;
                    };
                    if let Some(v) = audit.get(seq)? {
                        out.push(decode("audit", &k, &v)?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Walks the whole chain; the number of entries, or the first broken link.
    pub fn verify_audit(&self) -> Result<Result<u64, BrokenLink>, StoreError> {
        let (audit, _) = self.audit_trees()?;
        let mut expected_seq = 1u64;
        let mut prev = GENESIS.to_owned();
        for kv in audit.iter() {
            let (k, v) = kv?;
            let at = <[u8; 8]>::try_from(k.as_ref())
                .map(u64::from_be_bytes)
                .unwrap_or(expected_seq);
            let broken = |reason: String| Ok(Err(BrokenLink { seq: at, reason }));
            let entry: AuditEntry = match serde_json::from_slice(&v) {
                Ok(e) => e,
                Err(e) => return broken(format!("the entry is unreadable ({e})")),
            };
            if at != expected_seq || entry.seq != expected_seq {
                return broken(format!(
                    "expected entry {expected_seq} here: an entry was removed or renumbered"
                ));
            }
            if entry.prev != prev {
                return broken("it does not link to the entry before it".into());
            }
            if entry.computed_hash() != entry.hash {
                return broken("its content does not match its hash: it was changed".into());
            }
            prev = entry.hash;
            expected_seq += 1;
        }
        let count = expected_seq - 1;
        let head: Option<Head> = self
            .meta
            .get(HEAD)?
            .map(|v| decode("meta", HEAD.as_bytes(), &v))
            .transpose()?;
        match head {
            Some(h) if h.seq != count || h.hash != prev => Ok(Err(BrokenLink {
                seq: count + 1,
                reason: format!(
                    "the log ends at entry {count} but its head records entry {}: entries were removed from the end",
                    h.seq
                ),
            })),
            None if count > 0 => Ok(Err(BrokenLink {
                seq: 1,
                reason: "the log has entries but no head record".into(),
            })),
            _ => Ok(Ok(count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DataFolderLock;

    fn entry(n: u64, council: &str) -> NewAuditEntry {
        NewAuditEntry {
            at: "2026-01-05T10:00:00Z".parse().unwrap(),
            key: KeyId::new_random(),
            role: AuditRole::Caseworker,
            council: Some(council.parse().unwrap()),
            method: "POST".into(),
            route: "/v1/councils/{council}/referrals".into(),
            ids: BTreeMap::new(),
            status: 200 + u16::try_from(n % 2).unwrap(),
        }
    }

    fn store(dir: &std::path::Path) -> (Store, DataFolderLock) {
        let lock = DataFolderLock::acquire(dir).unwrap();
        (Store::open(dir, &lock).unwrap(), lock)
    }

    #[test]
    fn entries_are_numbered_chained_and_listed_per_council() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _lock) = store(dir.path());
        for n in 0..5 {
            let c = if n % 2 == 0 {
                "stoke-on-trent"
            } else {
                "leeds"
            };
            store.append_audit(entry(n, c)).unwrap();
        }
        let all = store.audit_entries(None, 0, 100).unwrap();
        assert_eq!(
            all.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(all[0].prev, GENESIS);
        assert_eq!(all[1].prev, all[0].hash);
        let stoke: CouncilId = "stoke-on-trent".parse().unwrap();
        let page = store.audit_entries(Some(&stoke), 1, 1).unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);
        let rest = store.audit_entries(Some(&stoke), 3, 100).unwrap();
        assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), [5]);
        assert_eq!(store.verify_audit().unwrap(), Ok(5));
    }

    #[test]
    fn flipping_one_byte_of_an_entry_is_detected_at_that_entry() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _lock) = store(dir.path());
        for n in 0..4 {
            store.append_audit(entry(n, "leeds")).unwrap();
        }
        let audit = store.db.open_tree("audit").unwrap();
        let mut bytes = audit.get(seq_key(2)).unwrap().unwrap().to_vec();
        // The status 201 becomes 200: still valid JSON, a plausible forgery.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let at = text.find("\"status\":201").unwrap() + "\"status\":20".len();
        bytes[at] = b'0';
        audit.insert(seq_key(2), bytes).unwrap();
        let broken = store.verify_audit().unwrap().unwrap_err();
        assert_eq!(broken.seq, 2, "{broken}");
        assert!(broken.reason.contains("changed"), "{broken}");
    }

    #[test]
    fn concurrent_appends_make_one_unbroken_chain() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _lock) = store(dir.path());
        std::thread::scope(|s| {
            for t in 0..4 {
                let store = store.clone();
                s.spawn(move || {
                    for n in 0..25 {
                        store.append_audit(entry(t * 25 + n, "leeds")).unwrap();
                    }
                });
            }
        });
        assert_eq!(store.verify_audit().unwrap(), Ok(100));
    }

    #[test]
    fn removing_an_entry_in_the_middle_or_at_the_end_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _lock) = store(dir.path());
        for n in 0..4 {
            store.append_audit(entry(n, "leeds")).unwrap();
        }
        let audit = store.db.open_tree("audit").unwrap();
        audit.remove(seq_key(4)).unwrap();
        assert_eq!(store.verify_audit().unwrap().unwrap_err().seq, 4);
        audit.remove(seq_key(2)).unwrap();
        assert_eq!(store.verify_audit().unwrap().unwrap_err().seq, 3);
    }
}
