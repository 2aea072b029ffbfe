//! The retention sweep: erases journeys kept longer than their council's period.
//!
//! The daemon runs it at start and then every hour by its [`Clock`] (so a manual clock
//! moved forward in tests runs it too; moved back, the hour counts again from there).
//! Each journey whose retention date (see `Journey::retention_from`) is more than the
//! council's `days_after_close` before today, in the council's time zone, is erased by
//! the same code as an erasure request: every tree loses its personal data, the
//! anonymous tombstone and the audit trail stay, and a legal hold keeps the journey.
//! A sweep that erased something writes one audit entry per council with its counts
//! (never a participant id or any personal data); a sweep that found nothing to erase
//! writes none, so the log is not filled with an entry an hour.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;

use crate::access::{KeyId, Role};
use crate::clock::Clock;
use crate::store::{EraseOutcome, NewAuditEntry, Store, StoreError};

/// How often the sweep runs, by the daemon's clock.
pub const SWEEP_EVERY: TimeDelta = TimeDelta::hours(1);

/// How long to wait before retrying after the store failed.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// What one sweep did, over every council.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub erased: usize,
    /// Past the period but kept under a legal hold.
    pub held: usize,
}

pub struct RetentionSweep {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl RetentionSweep {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> RetentionSweep {
        RetentionSweep { store, clock }
    }

    /// One sweep over every council, as of the clock's now.
    pub async fn sweep(&self) -> Result<Swept, StoreError> {
        let store = self.store.clone();
        let now = self.clock.now();
        let swept = tokio::task::spawn_blocking(move || sweep_all(&store, now))
            .await
            .map_err(|e| {
                StoreError::Sled(sled::Error::ReportableBug(format!(
                    "retention sweep task failed: {e}"
                )))
            })??;
        if swept.erased > 0 {
            self.store.flush().await?;
        }
        Ok(swept)
    }

    /// Sweeps now and then every [`SWEEP_EVERY`], until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut last: Option<DateTime<Utc>> = None;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = self.clock.now();
            // A clock moved back (a manual clock) counts the hour again from now.
            if last.is_some_and(|l| now < l) {
                last = Some(now);
            }
            let due = last.map(|l| l + SWEEP_EVERY);
            if due.is_none_or(|d| now >= d) {
                match self.sweep().await {
                    Ok(swept) => {
                        tracing::info!(erased = swept.erased, held = swept.held, "retention sweep");
                        last = Some(now);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "retention sweep failed; retrying shortly");
                        tokio::select! {
                            _ = tokio::time::sleep(RETRY_AFTER_FAILURE) => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                }
                continue;
            }
            let until = due.unwrap_or(now);
            tokio::select! {
                _ = self.clock.wait_until(until) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Blocking: erases what every council's policy says is due, and audits each council's sweep.
fn sweep_all(store: &Store, now: DateTime<Utc>) -> Result<Swept, StoreError> {
    let by = KeyId::retention_sweep();
    let mut total = Swept::default();
    for council in store.councils()? {
        let policy = store.retention(&council.id)?.unwrap_or_default();
        let today = now.with_timezone(&council.timezone).date_naive();
        let Some(cutoff) = policy.erase_closed_before(today) else {
            continue;
        };
        let mut swept = Swept::default();
        for participant in store.journeys_closed_before(&council.id, cutoff)? {
            match store.erase_participant(&council.id, participant, now, &by)? {
                EraseOutcome::Erased(_) => swept.erased += 1,
                EraseOutcome::Held(_) => swept.held += 1,
                EraseOutcome::AlreadyErased(_) | EraseOutcome::Unknown => {}
            }
        }
        if swept.erased > 0 {
            store.append_audit(NewAuditEntry {
                at: now,
                key: by.clone(),
                role: Role::PlatformAdmin,
                council: Some(council.id.clone()),
                method: "SWEEP".into(),
                route: "retention".into(),
                ids: BTreeMap::from([
                    ("erased".to_owned(), swept.erased.to_string()),
                    ("held".to_owned(), swept.held.to_string()),
                    (
                        "days_after_close".to_owned(),
                        policy.days_after_close.to_string(),
                    ),
                ]),
                status: 200,
            })?;
            tracing::info!(council = %council.id, erased = swept.erased, held = swept.held, "retention sweep erased closed journeys");
        }
        total.erased += swept.erased;
        total.held += swept.held;
    }
    Ok(total)
}
