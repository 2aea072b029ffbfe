//! Who may call the API: API keys, their roles, and the council each is bound to.
//!
//! A key's secret is shown once when it is made and stored only as its SHA-256 hash;
//! the key is found again by that hash. The platform admin's bootstrap key
//! (`WAYMARK_ADMIN_TOKEN`, or printed at first start) is a platform-admin key with the
//! fixed id `bootstrap`.

use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::council::CouncilId;

/// What a key may do. Every role but `platform_admin` is bound to one council.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, in every council: councils, platform keys.
    PlatformAdmin,
    /// One council's configuration: plugins, settings, schedules, webhooks, keys; and
    /// its participants' data-protection requests (export, erasure, legal holds).
    CouncilAdmin,
    /// One council's casework: referrals, participants, events, actions.
    Caseworker,
    /// Reads one council's records and its audit log; changes nothing.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::CouncilAdmin => "council_admin",
            Role::Caseworker => "caseworker",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acted, as the audit log records it: the role of the key that made a request,
/// or `system`, the daemon itself doing work nobody asked for at the time (the
/// retention sweep), with the worker named in the entry's `key`. `system` is not a
/// [`Role`]: no key can be made with it, so nothing can authenticate as it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditRole {
    PlatformAdmin,
    CouncilAdmin,
    Caseworker,
    Auditor,
    /// The daemon's own work: no person and no key.
    System,
}

impl From<Role> for AuditRole {
    /// Spelt as the role is, so entries written before `system` existed read and hash alike.
    fn from(role: Role) -> AuditRole {
        match role {
            Role::PlatformAdmin => AuditRole::PlatformAdmin,
            Role::CouncilAdmin => AuditRole::CouncilAdmin,
            Role::Caseworker => AuditRole::Caseworker,
            Role::Auditor => AuditRole::Auditor,
        }
    }
}

/// A key's public id (never the secret): `key_` and 32 hex digits, or `bootstrap`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    pub const BOOTSTRAP: &'static str = "bootstrap";

    pub fn new_random() -> KeyId {
        KeyId(format!("key_{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn bootstrap() -> KeyId {
        KeyId(Self::BOOTSTRAP.to_owned())
    }

    /// Not a key: the daemon's retention sweep, as it appears in tombstones and (with
    /// the role [`AuditRole::System`]) in the audit log.
    pub fn retention_sweep() -> KeyId {
        KeyId("retention-sweep".to_owned())
    }

    /// Parses an id from a URL, refusing anything not shaped like one of ours.
    pub fn parse(s: &str) -> Option<KeyId> {
        let ok =
            s.len() == 36 && s.starts_with("key_") && s[4..].chars().all(|c| c.is_ascii_hexdigit());
        ok.then(|| KeyId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored key: everything but the secret, which is kept only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: KeyId,
    pub name: String,
    pub role: Role,
    /// `None` only for platform admins.
    pub council: Option<CouncilId>,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// A caseworker key bound to a key worker lists that key worker's work by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_worker: Option<crate::key_workers::KeyWorkerId>,
}

impl ApiKey {
    /// Whether the key may be used at `now`: not revoked and not expired.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// A new secret: `wm_` and 64 random hex digits (two v4 UUIDs, 244 random bits).
pub fn new_secret() -> String {
    format!(
        "wm_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Who made a request, as the access middleware found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key: KeyId,
    pub role: Role,
    pub council: Option<CouncilId>,
    /// The key worker the key is bound to, if any.
    pub key_worker: Option<crate::key_workers::KeyWorkerId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_live_until_it_expires_or_is_revoked() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let mut key = ApiKey {
            id: KeyId::new_random(),
            name: "reception".into(),
            role: Role::Caseworker,
            council: None,
            secret_sha256: String::new(),
            created_at: t("2026-01-01T00:00:00Z"),
            expires_at: Some(t("2026-02-01T00:00:00Z")),
            revoked_at: None,
            key_worker: None,
        };
        assert!(key.is_live(t("2026-01-31T23:59:59Z")));
        assert!(!key.is_live(t("2026-02-01T00:00:00Z")));
        key.expires_at = None;
        key.revoked_at = Some(t("2026-01-02T00:00:00Z"));
        assert!(!key.is_live(t("2026-01-03T00:00:00Z")));
    }

    #[test]
    fn key_ids_from_urls_must_look_like_ours() {
        let id = KeyId::new_random();
        assert_eq!(KeyId::parse(id.as_str()), Some(id));
        assert_eq!(KeyId::parse("bootstrap"), None);
        assert_eq!(KeyId::parse("key_../../etc"), None);
    }

    #[test]
    fn an_audit_role_is_spelt_as_the_key_role_it_comes_from_and_system_is_no_key_role() {
        for role in [
            Role::PlatformAdmin,
            Role::CouncilAdmin,
            Role::Caseworker,
            Role::Auditor,
        ] {
            assert_eq!(
                serde_json::to_value(AuditRole::from(role)).unwrap(),
                serde_json::to_value(role).unwrap()
            );
        }
        assert_eq!(
            serde_json::to_value(AuditRole::System).unwrap(),
            serde_json::json!("system")
        );
        assert!(serde_json::from_value::<Role>(serde_json::json!("system")).is_err());
    }
}
