//! Plugin versions per council. The component bytes live once per digest in
//! `plugins`; what a council uploaded, when, and what it was found to be lives in
//! `plugin_versions` under `council/digest`, so a council sees and activates only
//! versions it uploaded itself. `plugin_activations` keeps each council's recent
//! activations, newest last, for rollback.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::readable::read_page;
use super::{Listed, Store, StoreError, decode, encode, flatten, tx_decode};
use crate::council::{Council, CouncilId};
use crate::policy::PluginDigest;

/// Activations kept per council: enough history for rollback and an audit glance.
const KEPT_ACTIVATIONS: usize = 100;

/// An uploaded plugin version, immutable once stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PluginVersion {
    /// SHA-256 of the component: the version's identity.
    pub digest: PluginDigest,
    /// When this council first uploaded it.
    pub uploaded_at: DateTime<Utc>,
    pub size_bytes: u64,
    /// The `waymark:policy` contract version it was built against.
    pub contract_version: String,
    /// The JSON Schema of its settings.
    pub settings_schema: serde_json::Value,
    /// How many golden cases it carried and passed on upload.
    pub golden_cases: usize,
}

/// How a version became active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivatedBy {
    Upload,
    Activate,
    Rollback,
}

/// A version becoming a council's active plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Activation {
    pub digest: PluginDigest,
    pub at: DateTime<Utc>,
    pub by: ActivatedBy,
}

/// What became of a request to remove a plugin version.
#[derive(Debug, PartialEq, Eq)]
pub enum VersionRemoval {
    Removed,
    /// No such council, or it never uploaded this version.
    Unknown,
    /// It is the council's active plugin: activate another first.
    Active,
}

fn version_key(council: &CouncilId, digest: &PluginDigest) -> Vec<u8> {
    format!("{council}/{digest}").into_bytes()
}

impl Store {
    fn versions_tree(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree("plugin_versions")?)
    }

    fn activations_tree(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree("plugin_activations")?)
    }

    /// A version this council uploaded, by digest.
    pub fn plugin_version(
        &self,
        council: &CouncilId,
        digest: &PluginDigest,
    ) -> Result<Option<PluginVersion>, StoreError> {
        let key = version_key(council, digest);
        self.versions_tree()?
            .get(&key)?
            .map(|v| decode("plugin_versions", &key, &v))
            .transpose()
    }

    /// Every version this council uploaded, oldest first.
    /// A council's uploaded versions, oldest first; damaged ones are skipped and named.
    pub fn plugin_versions(
        &self,
        council: &CouncilId,
    ) -> Result<Listed<PluginVersion>, StoreError> {
        let mut versions = read_page(
            &self.versions_tree()?,
            "plugin_versions",
            format!("{council}/").as_bytes(),
            None,
            usize::MAX,
            |_: &PluginVersion| true,
        )?;
        versions
            .items
            .sort_by(|a, b| (a.uploaded_at, &a.digest).cmp(&(b.uploaded_at, &b.digest)));
        Ok(versions)
    }

    /// Removes a version this council uploaded, unless it is the active one, and
    /// forgets it in the activation history (rollback never returns to it). The
    /// component's bytes go too when no other council uploaded the same digest.
    pub fn remove_plugin_version(
        &self,
        council: &CouncilId,
        digest: &PluginDigest,
    ) -> Result<VersionRemoval, StoreError> {
        let _writing = self.hold_writes();
        let versions = self.versions_tree()?;
        let activations = self.activations_tree()?;
        let ckey = council.as_str().as_bytes();
        let vkey = version_key(council, digest);
        let shared = versions.iter().keys().any(|k| {
            k.is_ok_and(|k| k != vkey.as_slice() && k.ends_with(format!("/{digest}").as_bytes()))
        });
        (&self.councils, &self.plugins, &versions, &activations)
            .transaction(|(councils, plugins, versions, activations)| {
                let Some(raw) = councils.get(ckey)? else {
                    return Ok(VersionRemoval::Unknown);
                };
                let stored: Council = tx_decode("councils", ckey, &raw)?;
                if versions.get(&vkey)?.is_none() {
                    return Ok(VersionRemoval::Unknown);
                }
                if stored.active_plugin.as_ref() == Some(digest) {
                    return Ok(VersionRemoval::Active);
                }
                versions.remove(vkey.as_slice())?;
                if !shared {
                    plugins.remove(digest.as_str().as_bytes())?;
                }
                if let Some(v) = activations.get(ckey)? {
                    let mut history: Vec<Activation> = tx_decode("plugin_activations", ckey, &v)?;
                    history.retain(|a| a.digest != *digest);
                    activations.insert(ckey, encode(&history))?;
                }
                Ok(VersionRemoval::Removed)
            })
            .map_err(flatten)
    }

    /// The council's recent activations, newest last.
    pub fn activations(&self, council: &CouncilId) -> Result<Vec<Activation>, StoreError> {
        let key = council.as_str().as_bytes();
        match self.activations_tree()?.get(key)? {
            Some(v) => decode("plugin_activations", key, &v),
            None => Ok(Vec::new()),
        }
    }

    /// Makes `activation.digest` the council's active plugin, in one transaction with
    /// storing it when it is a new upload (`upload`: its metadata and bytes; a version
    /// uploaded before keeps its first upload time). `None` if the council is gone.
    ///
    /// `settings` are the council settings the version was checked against: if they
    /// changed meanwhile, nothing is written and the answer is a conflict.
    pub fn activate_plugin(
        &self,
        council: &CouncilId,
        activation: &Activation,
        upload: Option<(&PluginVersion, &[u8])>,
        settings: &serde_json::Value,
    ) -> Result<Option<Council>, StoreError> {
        let versions = self.versions_tree()?;
        let activations = self.activations_tree()?;
        let ckey = council.as_str().as_bytes();
        let vkey = version_key(council, &activation.digest);
        let _writing = self.hold_writes();
        (&self.councils, &self.plugins, &versions, &activations)
            .transaction(|(councils, plugins, versions, activations)| {
                let Some(raw) = councils.get(ckey)? else {
                    return Ok(None);
                };
                let mut stored: Council = tx_decode("councils", ckey, &raw)?;
                if stored.settings != *settings {
                    return Err(ConflictableTransactionError::Abort(StoreError::Conflict));
                }
                if let Some((version, bytes)) = upload {
                    let digest = version.digest.as_str().as_bytes();
                    if plugins.get(digest)?.is_none() {
                        plugins.insert(digest, bytes)?;
                    }
                    if versions.get(&vkey)?.is_none() {
                        versions.insert(vkey.as_slice(), encode(version))?;
                    }
                } else if versions.get(&vkey)?.is_none() {
                    // Checked by the caller; re-checked here against a concurrent change.
                    return Err(ConflictableTransactionError::Abort(StoreError::Conflict));
                }
                stored.active_plugin = Some(activation.digest.clone());
                councils.insert(ckey, encode(&stored))?;
                let mut history: Vec<Activation> = match activations.get(ckey)? {
                    Some(v) => tx_decode("plugin_activations", ckey, &v)?,
                    None => Vec::new(),
                };
                history.push(activation.clone());
                let excess = history.len().saturating_sub(KEPT_ACTIVATIONS);
                history.drain(..excess);
                activations.insert(ckey, encode(&history))?;
                Ok(Some(stored))
            })
            .map_err(flatten)
    }
}

/// The version active before the current one: the newest activation, older than
/// the last, of a digest other than the current one. Rolling back twice returns
/// to where it started.
pub fn previous_version(history: &[Activation], current: &PluginDigest) -> Option<PluginDigest> {
    let before_last = history.len().checked_sub(1)?;
    history[..before_last]
        .iter()
        .rev()
        .find(|a| a.digest != *current)
        .map(|a| a.digest.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activation(digest: &PluginDigest) -> Activation {
        Activation {
            digest: digest.clone(),
            at: Utc::now(),
            by: ActivatedBy::Upload,
        }
    }

    #[test]
    fn the_previous_version_is_the_one_active_before_the_current() {
        let (a, b, c) = (
            PluginDigest::of(b"a"),
            PluginDigest::of(b"b"),
            PluginDigest::of(b"c"),
        );
        assert_eq!(previous_version(&[], &a), None);
        assert_eq!(previous_version(&[activation(&a)], &a), None);
        let history = [activation(&a), activation(&b), activation(&c)];
        assert_eq!(previous_version(&history, &c), Some(b.clone()));
        // Re-uploading the active version does not make it its own predecessor.
        let history = [activation(&a), activation(&b), activation(&b)];
        assert_eq!(previous_version(&history, &b), Some(a.clone()));
        // After a rollback to a, rolling back again returns to b.
        let history = [activation(&a), activation(&b), activation(&a)];
        assert_eq!(previous_version(&history, &a), Some(b));
    }
}
