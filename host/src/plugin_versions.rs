//! A council's plugin versions: every upload an immutable version, checked with its
//! golden cases in the sandbox before it is kept; activating, rolling back, deleting,
//! and replaying the council's decision log against a version.

use std::sync::Arc;

use crate::clock::Clock;
use crate::council::{Council, CouncilId};
use crate::journey::ParticipantId;
use crate::policy::settings::{self as council_settings, InvalidSettings};
use crate::policy::{Plugin, PluginDigest, Policies};
use crate::replay::{self, ReplayReport};
use crate::store::{
    ActivatedBy, Activation, DamagedRecord, Durable, PluginVersion, Store, StoreError,
    VersionRemoval, previous_version,
};
use crate::telemetry::spawn_blocking;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("no council `{0}`")]
    UnknownCouncil(CouncilId),
    #[error("council `{council}` has no plugin version {digest}")]
    UnknownVersion {
        council: CouncilId,
        digest: PluginDigest,
    },
    /// The component failed the sandbox's checks or its golden cases.
    #[error("{0}")]
    Rejected(String),
    #[error("the council's current settings do not fit this plugin version ({0})")]
    SettingsIncompatible(String),
    #[error("council `{0}` has no earlier plugin version to roll back to")]
    NoPreviousVersion(CouncilId),
    #[error("plugin version {digest} is council `{council}`'s active policy")]
    Active {
        council: CouncilId,
        digest: PluginDigest,
    },
    #[error("`limit` must be from 1 to {}", replay::DEFAULT_LIMIT)]
    ReplayLimit,
    /// Work on a blocking thread panicked; nothing was changed.
    #[error("{0} crashed; nothing was changed")]
    Crashed(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an accepted upload became.
#[derive(Clone)]
pub struct Installed {
    pub plugin: Arc<Plugin>,
    /// How many golden cases the plugin carried; all passed in the sandbox.
    pub golden_cases: usize,
    /// The council as stored, the new version active.
    pub council: Council,
}

/// A switch of the active version.
#[derive(Debug, Clone)]
pub struct Switched {
    pub active: PluginDigest,
    /// The version that was active before, if any.
    pub previous: Option<PluginDigest>,
}

/// A stored version and whether it is the council's policy now.
#[derive(Debug, Clone)]
pub struct ListedVersion {
    pub version: PluginVersion,
    pub active: bool,
}

/// A council's versions.
#[derive(Debug, Clone)]
pub struct Versions {
    pub active: Option<PluginDigest>,
    /// Oldest first.
    pub versions: Vec<ListedVersion>,
    /// Version records that could not be read, by key (`council/digest`).
    pub damaged: Vec<DamagedRecord>,
}

#[derive(Clone)]
pub struct PluginVersions {
    store: Store,
    policies: Arc<Policies>,
    clock: Arc<dyn Clock>,
}

impl PluginVersions {
    pub fn new(store: Store, policies: Arc<Policies>, clock: Arc<dyn Clock>) -> PluginVersions {
        PluginVersions {
            store,
            policies,
            clock,
        }
    }

    fn council(&self, id: &CouncilId) -> Result<Council, PluginError> {
        self.store
            .council(id)?
            .ok_or_else(|| PluginError::UnknownCouncil(id.clone()))
    }

    /// Validates a component in the real sandbox (its golden cases included, under the
    /// council's limits), stores it as a version and makes it the council's policy, in
    /// one transaction. A rejected upload changes nothing: the active plugin stays.
    pub async fn install(
        &self,
        council: &CouncilId,
        bytes: Vec<u8>,
    ) -> Result<Durable<Installed>, PluginError> {
        let council = self.council(council)?;
        let policies = self.policies.clone();
        let limits = council.limits;
        let checked =
            spawn_blocking(move || policies.check_upload(&bytes, &limits).map(|c| (c, bytes)))
                .await
                .map_err(|_| PluginError::Crashed("plugin validation"))?;
        let (checked, bytes) = checked.map_err(|e| PluginError::Rejected(e.to_string()))?;
        let plugin = checked.plugin;
        settings_fit(&plugin, &council).await?;

        let now = self.clock.now();
        let version = PluginVersion {
            digest: plugin.digest().clone(),
            uploaded_at: now,
            size_bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            contract_version: plugin.contract_version().to_owned(),
            settings_schema: plugin.settings_schema().clone(),
            golden_cases: checked.golden_cases,
        };
        let activation = Activation {
            digest: plugin.digest().clone(),
            at: now,
            by: ActivatedBy::Upload,
        };
        let stored = self
            .store
            .activate_plugin(
                &council.id,
                &activation,
                Some((&version, &bytes)),
                &council.settings,
            )?
            .ok_or_else(|| PluginError::UnknownCouncil(council.id.clone()))?;
        let durable = self.store.commit(()).await?;
        // Accepted and stored: only now is it kept, in memory and as machine code on disk.
        let plugin = {
            let (policies, accepted) = (self.policies.clone(), plugin.clone());
            spawn_blocking(move || policies.admit(&accepted))
                .await
                .unwrap_or(plugin)
        };
        tracing::info!(council = %stored.id, plugin = %plugin.digest(), golden_cases = checked.golden_cases, "plugin uploaded and activated");
        Ok(durable.map(|()| Installed {
            plugin,
            golden_cases: checked.golden_cases,
            council: stored,
        }))
    }

    /// Every version the council uploaded, oldest first, with the damaged ones by key.
    pub fn list(&self, council: &CouncilId) -> Result<Versions, PluginError> {
        let council = self.council(council)?;
        let listed = self.store.plugin_versions(&council.id)?;
        let active = council.active_plugin;
        let versions = listed
            .items
            .into_iter()
            .map(|version| ListedVersion {
                active: active.as_ref() == Some(&version.digest),
                version,
            })
            .collect();
        Ok(Versions {
            active,
            versions,
            damaged: listed.damaged,
        })
    }

    pub fn get(
        &self,
        council: &CouncilId,
        digest: &PluginDigest,
    ) -> Result<ListedVersion, PluginError> {
        let council = self.council(council)?;
        let version = self
            .store
            .plugin_version(&council.id, digest)?
            .ok_or_else(|| unknown(&council.id, digest))?;
        Ok(ListedVersion {
            active: council.active_plugin.as_ref() == Some(&version.digest),
            version,
        })
    }

    /// Makes an uploaded version the council's policy.
    pub async fn activate(
        &self,
        council: &CouncilId,
        digest: PluginDigest,
    ) -> Result<Durable<Switched>, PluginError> {
        let council = self.council(council)?;
        self.switch_to(council, digest, ActivatedBy::Activate).await
    }

    /// Makes the version active before the current one the council's policy again.
    pub async fn roll_back(&self, council: &CouncilId) -> Result<Durable<Switched>, PluginError> {
        let council = self.council(council)?;
        let no_previous = || PluginError::NoPreviousVersion(council.id.clone());
        let current = council.active_plugin.clone().ok_or_else(no_previous)?;
        let previous = previous_version(&self.store.activations(&council.id)?, &current)
            .ok_or_else(no_previous)?;
        self.switch_to(council, previous, ActivatedBy::Rollback)
            .await
    }

    async fn switch_to(
        &self,
        council: Council,
        digest: PluginDigest,
        by: ActivatedBy,
    ) -> Result<Durable<Switched>, PluginError> {
        let plugin = self.version(&council, &digest).await?;
        settings_fit(&plugin, &council).await?;
        let activation = Activation {
            digest: digest.clone(),
            at: self.clock.now(),
            by,
        };
        self.store
            .activate_plugin(&council.id, &activation, None, &council.settings)?
            .ok_or_else(|| PluginError::UnknownCouncil(council.id.clone()))?;
        let durable = self.store.commit(()).await?;
        tracing::info!(council = %council.id, plugin = %digest, ?by, "plugin version activated");
        Ok(durable.map(|()| Switched {
            active: digest,
            previous: council.active_plugin,
        }))
    }

    /// Deletes a version that is not the council's policy.
    pub async fn delete(
        &self,
        council: &CouncilId,
        digest: &PluginDigest,
    ) -> Result<Durable<()>, PluginError> {
        let council = self.council(council)?;
        match self.store.remove_plugin_version(&council.id, digest)? {
            VersionRemoval::Removed => {}
            VersionRemoval::Unknown => return Err(unknown(&council.id, digest)),
            VersionRemoval::Active => {
                return Err(PluginError::Active {
                    council: council.id,
                    digest: digest.clone(),
                });
            }
        }
        let durable = self.store.commit(()).await?;
        tracing::info!(council = %council.id, plugin = %digest, "plugin version deleted");
        Ok(durable)
    }

    /// Re-asks the council's recorded decisions of a version (at most `limit`, one
    /// participant's when given); changes nothing.
    pub async fn replay(
        &self,
        council: &CouncilId,
        digest: &PluginDigest,
        participant: Option<ParticipantId>,
        limit: Option<usize>,
    ) -> Result<ReplayReport, PluginError> {
        let council = self.council(council)?;
        let limit = limit.unwrap_or(replay::DEFAULT_LIMIT);
        if !(1..=replay::DEFAULT_LIMIT).contains(&limit) {
            return Err(PluginError::ReplayLimit);
        }
        let plugin = self.version(&council, digest).await?;
        let store = self.store.clone();
        let report =
            spawn_blocking(move || replay::replay(&store, &council, &plugin, participant, limit))
                .await
                .map_err(|_| PluginError::Crashed("the replay"))??;
        Ok(report)
    }

    /// A version this council uploaded, compiled and ready.
    async fn version(
        &self,
        council: &Council,
        digest: &PluginDigest,
    ) -> Result<Arc<Plugin>, PluginError> {
        self.store
            .plugin_version(&council.id, digest)?
            .ok_or_else(|| unknown(&council.id, digest))?;
        if let Some(plugin) = self.policies.get(digest) {
            return Ok(plugin);
        }
        let bytes = self
            .store
            .plugin_bytes(digest)?
            .ok_or_else(|| unknown(&council.id, digest))?;
        let policies = self.policies.clone();
        spawn_blocking(move || policies.load(&bytes))
            .await
            .map_err(|_| PluginError::Crashed("loading the plugin"))?
            .map_err(|e| PluginError::Rejected(e.to_string()))
    }
}

fn unknown(council: &CouncilId, digest: &PluginDigest) -> PluginError {
    PluginError::UnknownVersion {
        council: council.clone(),
        digest: digest.clone(),
    }
}

/// A version may only become active if its schema is usable and the council's
/// current settings fit it; otherwise every decision would be refused. The check
/// runs on a blocking thread: the schema is the plugin's, vetted to bound the work
/// (see `policy::settings`), but still work the async workers must not wait on. It
/// stops if the client hangs up (the request's future is dropped, and the guard with
/// it) or passes its time budget.
async fn settings_fit(plugin: &Plugin, council: &Council) -> Result<(), PluginError> {
    let schema = plugin.settings_schema().clone();
    let settings = council.settings.clone();
    let stop = council_settings::CheckStop::default();
    let _abandon = stop.abandon_on_drop();
    let checked =
        spawn_blocking(move || council_settings::validate_settings(&schema, &settings, &stop))
            .await
            .map_err(|_| PluginError::Crashed("checking the settings"))?;
    match checked {
        Ok(()) => Ok(()),
        Err(
            e @ (InvalidSettings::BadSchema(_)
            | InvalidSettings::Unbounded(_)
            | InvalidSettings::TooSlow
            | InvalidSettings::Abandoned),
        ) => Err(PluginError::Rejected(e.to_string())),
        Err(e) => Err(PluginError::SettingsIncompatible(e.to_string())),
    }
}
