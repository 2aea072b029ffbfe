//! Councils as tenants: listed a page at a time, and removed when nothing about a
//! participant is left in them (a council with journeys is refused: erase them first).

use chrono::{DateTime, Utc};

use super::readable::read_page;
use super::{Listed, Store, StoreError};
use crate::council::{Council, CouncilId};

/// Why a council could not be removed.
#[derive(Debug, PartialEq, Eq)]
pub enum CouncilRemoval {
    Removed,
    Unknown,
    /// It still holds this many participants' journeys.
    HasParticipants(usize),
}

/// Trees whose keys start with `council/`, holding only that council's records.
const PER_COUNCIL_PREFIXED: &[&str] = &[
    "plugin_versions",
    "schedules",
    "schedule_runs",
    "reviews",
    "actions",
    "decisions",
    "journey_timers",
    "legal_holds",
    "key_workers",
    "caseload_overrides",
];

/// Trees keyed by the council id alone.
const PER_COUNCIL_KEYED: &[&str] = &["plugin_activations", "webhooks", "calendars"];

impl Store {
    /// Councils in id order after `after`, at most `limit`; damaged ones are
    /// skipped and named.
    pub fn councils_page(
        &self,
        after: Option<&CouncilId>,
        limit: usize,
    ) -> Result<Listed<Council>, StoreError> {
        read_page(
            &self.councils,
            "councils",
            b"",
            after.map(|id| id.as_str().as_bytes().to_vec()),
            limit,
            |_: &Council| true,
        )
    }

    /// How many journeys the council holds.
    pub fn participant_count(&self, council: &CouncilId) -> usize {
        self.journeys.scan_prefix(format!("{council}/")).count()
    }

    /// Removes a council with no participants: its record, configuration, plugin
    /// versions (and their components, unless another council uploaded them), schedules, reviews, webhook and calendar, and revokes its keys (so a
    /// council created later with the same id is not reachable with them). The audit
    /// log and erasure records stay: they are the anonymous trail.
    pub fn remove_council(
        &self,
        id: &CouncilId,
        at: DateTime<Utc>,
    ) -> Result<CouncilRemoval, StoreError> {
        let _writing = self.hold_writes();
        if self.councils.get(id.as_str())?.is_none() {
            return Ok(CouncilRemoval::Unknown);
        }
        let held = self.participant_count(id);
        if held > 0 {
            return Ok(CouncilRemoval::HasParticipants(held));
        }
        // The council goes first: from here on no request can find it to add to it.
        self.councils.remove(id.as_str())?;
        let prefix = format!("{id}/");
        let versions = self.db.open_tree("plugin_versions")?;
        let digests: Vec<String> = versions
            .scan_prefix(&prefix)
            .keys()
            .map(|k| k.map(|k| String::from_utf8_lossy(&k[prefix.len()..]).into_owned()))
            .collect::<Result<_, _>>()?;
        for name in PER_COUNCIL_PREFIXED {
            let tree = self.db.open_tree(name)?;
            for kv in tree.scan_prefix(&prefix) {
                let (k, _) = kv?;
                tree.remove(k)?;
            }
        }
        for name in PER_COUNCIL_KEYED {
            self.db.open_tree(name)?.remove(id.as_str())?;
        }
        // The due index is keyed by instant, then `council/schedule`.
        let due = self.db.open_tree("schedule_due")?;
        for kv in due.iter() {
            let (k, _) = kv?;
            if k.get(8..)
                .is_some_and(|rest| rest.starts_with(prefix.as_bytes()))
            {
                due.remove(k)?;
            }
        }
        // A component no other council uploaded has no one left to run it.
        for digest in digests {
            let suffix = format!("/{digest}");
            let shared = versions
                .iter()
                .keys()
                .any(|k| k.is_ok_and(|k| k.ends_with(suffix.as_bytes())));
            if !shared {
                self.plugins.remove(digest.as_bytes())?;
            }
        }
        for key in self.api_keys(Some(id))? {
            self.revoke_api_key(Some(id), &key.id, at)?;
        }
        Ok(CouncilRemoval::Removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{ApiKey, KeyId, Role};
    use crate::policy::PluginDigest;
    use crate::store::{ActivatedBy, Activation, PluginVersion};

    #[test]
    fn a_removed_council_leaves_no_configuration_keys_or_unshared_components() {
        let (_dir, _lock, store) = crate::store::scratch();
        let now: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let (york, leeds) = (Council::example("york"), Council::example("leeds"));
        store.put_council(&york).unwrap();
        store.put_council(&leeds).unwrap();
        let upload = |c: &Council, bytes: &[u8]| {
            let digest = PluginDigest::of(bytes);
            let version = PluginVersion {
                digest: digest.clone(),
                uploaded_at: now,
                size_bytes: 1,
                contract_version: "1".into(),
                settings_schema: serde_json::json!({}),
                golden_cases: 0,
            };
            let activation = Activation {
                digest: digest.clone(),
                at: now,
                by: ActivatedBy::Upload,
            };
            store
                .activate_plugin(&c.id, &activation, Some((&version, bytes)), &c.settings)
                .unwrap()
                .unwrap();
            digest
        };
        let own = upload(&york, b"york only");
        let shared = upload(&york, b"shared");
        upload(&leeds, b"shared");
        let key = ApiKey {
            id: KeyId::new_random(),
            name: "k".into(),
            role: Role::Caseworker,
            council: Some(york.id.clone()),
            secret_sha256: String::new(),
            created_at: now,
            expires_at: None,
            revoked_at: None,
            key_worker: None,
        };
        store.put_api_key(&key, &[7; 32], None).unwrap();

        assert_eq!(
            store.remove_council(&york.id, now).unwrap(),
            CouncilRemoval::Removed
        );
        assert_eq!(store.council(&york.id).unwrap(), None);
        assert_eq!(store.plugin_versions(&york.id).unwrap().items, []);
        assert!(store.activations(&york.id).unwrap().is_empty());
        assert_eq!(store.plugin_bytes(&own).unwrap(), None);
        assert!(store.plugin_bytes(&shared).unwrap().is_some());
        assert_eq!(store.plugin_versions(&leeds.id).unwrap().items.len(), 1);
        let revoked = store.api_key_by_hash(&[7; 32]).unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(now));
        assert_eq!(
            store.remove_council(&york.id, now).unwrap(),
            CouncilRemoval::Unknown
        );
    }
}
