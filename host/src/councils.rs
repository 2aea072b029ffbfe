//! The councils service: creating, changing and removing councils (Waymark's
//! tenants), and seeding them with their plugins at start.

use std::sync::Arc;

use chrono::NaiveTime;

use crate::caseload::Caseload;
use crate::clock::Clock;
use crate::council::{Council, CouncilId};
use crate::journey::{InvalidProgramme, Programme};
use crate::plugin_versions::{Installed, PluginError, PluginVersions};
use crate::schedule::calendar::Nation;
use crate::store::{CouncilRemoval, Durable, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CouncilError {
    #[error("council `{0}` already exists")]
    Exists(CouncilId),
    #[error("no council `{0}`")]
    Unknown(CouncilId),
    #[error("`name` must be 1 to 200 characters")]
    InvalidName,
    #[error(transparent)]
    InvalidProgramme(#[from] InvalidProgramme),
    #[error("council `{council}` still holds {participants} participant(s)")]
    HasParticipants {
        council: CouncilId,
        participants: usize,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The parts of a council that can change after it is made; what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct CouncilChange {
    pub name: Option<String>,
    pub timezone: Option<chrono_tz::Tz>,
    pub nation: Option<Nation>,
    pub reminder_time: Option<NaiveTime>,
    pub programme: Option<Programme>,
}

impl CouncilChange {
    /// Checks the change before anything is written.
    fn validate(&self) -> Result<(), CouncilError> {
        if let Some(name) = &self.name {
            valid_name(name)?;
        }
        if let Some(programme) = &self.programme {
            programme.validate()?;
        }
        Ok(())
    }

    fn apply(&self, c: &mut Council) {
        if let Some(name) = &self.name {
            c.name.clone_from(name);
        }
        if let Some(tz) = self.timezone {
            c.timezone = tz;
        }
        if let Some(nation) = self.nation {
            c.nation = nation;
        }
        if let Some(time) = self.reminder_time {
            c.reminder_time = time;
        }
        if let Some(programme) = self.programme {
            c.programme = programme;
        }
    }
}

fn valid_name(name: &str) -> Result<(), CouncilError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(CouncilError::InvalidName);
    }
    Ok(())
}

#[derive(Clone)]
pub struct Councils {
    store: Store,
    clock: Arc<dyn Clock>,
    caseload: Caseload,
    plugins: PluginVersions,
}

impl Councils {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        caseload: Caseload,
        plugins: PluginVersions,
    ) -> Councils {
        Councils {
            store,
            clock,
            caseload,
            plugins,
        }
    }

    /// Stores a new council; one with the same id is refused.
    pub async fn create(&self, council: Council) -> Result<Durable<Council>, CouncilError> {
        valid_name(&council.name)?;
        council.programme.validate()?;
        if !self.store.create_council(&council)? {
            return Err(CouncilError::Exists(council.id));
        }
        let durable = self.store.commit(council).await?;
        tracing::info!(council = %durable.get().id, "council created");
        Ok(durable)
    }

    pub async fn update(
        &self,
        id: &CouncilId,
        change: CouncilChange,
    ) -> Result<Durable<Council>, CouncilError> {
        change.validate()?;
        let updated = self
            .store
            .update_council(id, |c| {
                change.apply(c);
                Ok(())
            })?
            .ok_or_else(|| CouncilError::Unknown(id.clone()))?;
        let durable = self.store.commit(updated).await?;
        tracing::info!(council = %id, "council updated");
        Ok(durable)
    }

    /// Removes a council that holds no participants, with no referral landing
    /// between the check and the removal.
    pub async fn remove(&self, id: &CouncilId) -> Result<Durable<()>, CouncilError> {
        let removal = {
            let _no_referrals = self.caseload.hold_new_journeys().await;
            self.store.remove_council(id, self.clock.now())?
        };
        match removal {
            CouncilRemoval::Removed => {}
            CouncilRemoval::Unknown => return Err(CouncilError::Unknown(id.clone())),
            CouncilRemoval::HasParticipants(participants) => {
                return Err(CouncilError::HasParticipants {
                    council: id.clone(),
                    participants,
                });
            }
        }
        Ok(self.store.commit(()).await?)
    }

    /// `serve --seed`: creates a council that does not exist yet, with its plugin
    /// when one is given. `None` when it existed (it is left as it is).
    pub async fn seed(
        &self,
        council: Council,
        plugin: Option<Vec<u8>>,
    ) -> Result<Option<Durable<Option<Installed>>>, SeedError> {
        if self.store.council(&council.id)?.is_some() {
            return Ok(None);
        }
        let id = council.id.clone();
        let created = match self.create(council).await {
            Ok(created) => created,
            // Made meanwhile: seeding leaves an existing council alone.
            Err(CouncilError::Exists(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(bytes) = plugin else {
            return Ok(Some(created.map(|_| None)));
        };
        let installed = self.plugins.install(&id, bytes).await?;
        Ok(Some(installed.map(Some)))
    }
}

/// Why a seed council could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Council(#[from] CouncilError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
}

impl From<StoreError> for SeedError {
    fn from(e: StoreError) -> SeedError {
        SeedError::Council(e.into())
    }
}
