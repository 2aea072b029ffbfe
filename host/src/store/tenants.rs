//! Councils as tenants: listed a page at a time, and removed when nothing about a
//! participant is left in them (a council with journeys is refused: erase them first).

use chrono::{DateTime, Utc};

use super::{Store, StoreError, decode};
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
];

/// Trees keyed by the council id alone.
const PER_COUNCIL_KEYED: &[&str] = &["plugin_activations", "webhooks", "calendars"];

impl Store {
    /// Councils in id order after `after`, at most `limit`.
    pub fn councils_page(
        &self,
        after: Option<&CouncilId>,
        limit: usize,
    ) -> Result<Vec<Council>, StoreError> {
        let start = match after {
            Some(id) => {
                let mut k = id.as_str().as_bytes().to_vec();
                k.push(0);
                k
            }
            None => Vec::new(),
        };
        self.councils
            .range(start..)
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                decode("councils", &k, &v)
            })
            .collect()
    }

    /// How many journeys the council holds.
    pub fn participant_count(&self, council: &CouncilId) -> usize {
        self.journeys.scan_prefix(format!("{council}/")).count()
    }

    /// Removes a council with no participants: its record, configuration, plugin
    /// versions, schedules, reviews, webhook and calendar, and revokes its keys (so a
    /// council created later with the same id is not reachable with them). The audit
    /// log and erasure records stay: they are the anonymous trail.
    pub fn remove_council(
        &self,
        id: &CouncilId,
        at: DateTime<Utc>,
    ) -> Result<CouncilRemoval, StoreError> {
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
        for key in self.api_keys(Some(id))? {
            self.revoke_api_key(Some(id), &key.id, at)?;
        }
        Ok(CouncilRemoval::Removed)
    }
}
