//! Counts of the outbox by council and status, for `/metrics`: read at scrape time
//! from the `actions` tree, so they are never out of step with what is stored.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Store, StoreError, decode};
use crate::council::CouncilId;
use crate::outbox::ActionStatus;

/// One council's outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Actions not yet acknowledged, delivered or dead-lettered.
    pub pending: u64,
    /// Actions whose every webhook attempt failed.
    pub dead_letters: u64,
}

impl Store {
    /// Every council's outbox counts (councils with no actions are absent).
    pub fn outbox_counts(&self) -> Result<BTreeMap<CouncilId, OutboxCounts>, StoreError> {
        // Only the two fields counted are decoded, not the whole action.
        #[derive(Deserialize)]
        struct Counted {
            council: CouncilId,
            status: ActionStatus,
        }
        let mut counts: BTreeMap<CouncilId, OutboxCounts> = BTreeMap::new();
        for kv in self.actions.iter() {
            let (k, v) = kv?;
            let action: Counted = decode("actions", &k, &v)?;
            let entry = counts.entry(action.council).or_default();
            match action.status {
                ActionStatus::Pending => entry.pending += 1,
                ActionStatus::DeadLetter => entry.dead_letters += 1,
                ActionStatus::Acknowledged | ActionStatus::Delivered => {}
            }
        }
        Ok(counts)
    }
}
