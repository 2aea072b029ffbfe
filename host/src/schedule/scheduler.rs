//! The one loop that turns due timers into outbox actions.
//!
//! It sleeps until the earliest pending timer (read from the time-ordered index),
//! or until a journey's plan changes, or the clock moves; then claims due timers in
//! batches, each batch one transaction that removes the timers and writes their
//! actions, flushed to disk before the loop goes on. A crash therefore leaves each
//! timer either pending or fired, never both, and an action's id derives from
//! (timer, scheduled instant), so a restart cannot fire it a second time.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// Timers claimed per transaction: big enough to catch up quickly after downtime,
/// small enough that one transaction stays short.
const BATCH: usize = 256;

/// How long to wait before retrying after the store failed (a full disk, say).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// With nothing pending, wake this far ahead anyway (clock waits are sliced too).
const IDLE_HORIZON: chrono::TimeDelta = chrono::TimeDelta::hours(1);

pub struct Scheduler {
    store: Store,
    clock: Arc<dyn Clock>,
    timers_changed: Arc<Notify>,
}

impl Scheduler {
    pub fn new(store: Store, clock: Arc<dyn Clock>, timers_changed: Arc<Notify>) -> Scheduler {
        Scheduler {
            store,
            clock,
            timers_changed,
        }
    }

    /// Fires every timer due by the clock's now; the number fired.
    pub async fn fire_due(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let now = self.clock.now();
            let store = self.store.clone();
            let fired = tokio::task::spawn_blocking(move || store.fire_due(now, BATCH))
                .await
                .map_err(|_| StoreError::Conflict)??;
            if fired.is_empty() {
                return Ok(total);
            }
            // Durable before anyone can be told: a delivered action is never lost.
            self.store.flush().await?;
            total += fired.len();
            for action in &fired {
                tracing::info!(
                    council = %action.council,
                    action = action.id.as_str(),
                    kind = action.kind.as_str(),
                    "timer fired"
                );
            }
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let next = match self
                .fire_due()
                .await
                .and_then(|_| self.store.earliest_timer())
            {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "firing timers failed; retrying shortly");
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY_AFTER_FAILURE) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            };
            let until: DateTime<Utc> = next.unwrap_or_else(|| self.clock.now() + IDLE_HORIZON);
            tokio::select! {
                _ = self.clock.wait_until(until) => {}
                _ = self.timers_changed.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
