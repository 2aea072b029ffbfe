//! Counts of the outbox by council and status, for `/metrics`: read at scrape time
//! from the `actions` tree, so they are never out of step with what is stored. A
//! damaged action is logged by key and left out: the scrape never fails for it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::readable::note_unless;
use super::{Store, StoreError};
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
        let mut damaged = Vec::new();
        for kv in self.actions.iter() {
            let (k, v) = kv?;
            let read = self.sealing.open_record::<Counted>("actions", &k, &v);
            let Some(action) = note_unless("actions", &k, read, &mut damaged) else {
                continue;
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_action_is_left_out_of_the_counts_and_the_rest_are_counted() {
        let (_dir, _lock, store) = crate::store::scratch();
        let pending = |id: &str, status: &str| {
            serde_json::json!({ "council": "derby", "status": status, "id": id }).to_string()
        };
        for (k, v) in [
            ("derby/a", pending("a", "pending")),
            ("derby/b", "{\"council\":\"derby\",\"sta".to_owned()),
            ("derby/c", pending("c", "dead_letter")),
            ("derby/d", pending("d", "pending")),
        ] {
            store.actions.insert(k, v.as_bytes()).expect("insert");
        }
        let counts = store
            .outbox_counts()
            .expect("counts despite a damaged action");
        let derby: CouncilId = "derby".parse().expect("id");
        assert_eq!(
            counts.get(&derby),
            Some(&OutboxCounts {
                pending: 2,
                dead_letters: 1
            })
        );
    }
}
