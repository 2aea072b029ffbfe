//! Retention per council: how long a closed journey's personal data is kept.
//!
//! Tree `retention`: council id → [`RetentionPolicy`]. A council that has set none
//! keeps closed journeys for [`DEFAULT_RETENTION_DAYS`]. The daemon's retention sweep
//! (`crate::retention`) erases journeys past their council's period.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::readable::note_unless;
use super::{DamagedRecord, Store, StoreError, decode, encode};
use crate::council::CouncilId;
use crate::journey::{ParticipantId, Programme};

/// About seven years: the period commonly asked of employment programmes' records
/// (e.g. "7 years after the project ends"). A council sets its own over HTTP.
pub const DEFAULT_RETENTION_DAYS: u32 = 2555;

/// The longest period a council may set: 100 years.
pub const MAX_RETENTION_DAYS: u32 = 36_525;

/// How long a council keeps a journey after it closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RetentionPolicy {
    /// Whole days after the journey closed (its exit or decline, or for a journey
    /// never closed, the end of the support the programme allows) before the daemon
    /// erases it. 1 to 36525.
    pub days_after_close: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            days_after_close: DEFAULT_RETENTION_DAYS,
        }
    }
}

impl RetentionPolicy {
    /// The last closing date whose journeys have been kept longer than the period on `today`.
    pub fn erase_closed_before(&self, today: NaiveDate) -> Option<NaiveDate> {
        today.checked_sub_days(chrono::Days::new(u64::from(self.days_after_close)))
    }
}

impl Store {
    fn retention_tree(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree("retention")?)
    }

    /// The council's own policy, or `None` when it keeps the default.
    pub fn retention(&self, council: &CouncilId) -> Result<Option<RetentionPolicy>, StoreError> {
        self.retention_tree()?
            .get(council.as_str())?
            .map(|v| decode("retention", council.as_str().as_bytes(), &v))
            .transpose()
    }

    /// Sets a council's policy. The caller flushes.
    pub fn put_retention(
        &self,
        council: &CouncilId,
        policy: &RetentionPolicy,
    ) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        self.retention_tree()?
            .insert(council.as_str(), encode(policy))?;
        Ok(())
    }

    /// The council's journeys that closed before `cutoff`, read one at a time so a
    /// large caseload is never held in memory at once. A damaged journey (its closing
    /// date unknown) is logged by key and named in `damaged`, and the rest are read.
    pub fn journeys_closed_before(
        &self,
        council: &CouncilId,
        programme: &Programme,
        cutoff: NaiveDate,
        damaged: &mut Vec<DamagedRecord>,
    ) -> Result<Vec<ParticipantId>, StoreError> {
        let mut due = Vec::new();
        for kv in self.journeys.scan_prefix(format!("{council}/")) {
            let (k, v) = kv?;
            let read = self.open_journey(&k, &v).map_err(StoreError::into_reason);
            let Some(journey) = note_unless("journeys", &k, read, damaged) else {
                continue;
            };
            if journey
                .retention_from(programme)
                .is_some_and(|on| on < cutoff)
            {
                due.push(journey.participant);
            }
        }
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journey_is_due_once_kept_longer_than_the_period() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let policy = RetentionPolicy {
            days_after_close: 30,
        };
        // On 6 February, closed 6 January (31 days) is due; 7 January (30 days) is not.
        let cutoff = policy.erase_closed_before(d(2, 6)).expect("cutoff");
        assert!(d(1, 6) < cutoff);
        assert!(d(1, 7) >= cutoff);
        assert_eq!(RetentionPolicy::default().days_after_close, 2555);
    }
}
