//! The one loop that turns due timers into outbox actions.
//!
//! It sleeps until the earliest pending timer (read from the time-ordered index),
//! or until a journey's plan changes, or the clock moves; then claims due timers in
//! batches, each batch one transaction that removes the timers and writes their
//! actions, flushed to disk before the loop goes on. A crash therefore leaves each
//! timer either pending or fired, never both, and an action's id derives from
//! (timer, scheduled instant), so a restart cannot fire it a second time.
//!
//! Admin schedules ride the same loop: it also wakes for the earliest due schedule,
//! and [`settle_schedule`] deals with each due schedule's occurrences in order, in
//! chunks, each chunk one transaction (actions, run records, the schedule's new
//! position) — so a clock jump either way, or a restart, neither repeats nor loses one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::council::CouncilId;
use crate::outbox::Action;
use crate::schedule::admin::{MissReason, ScheduleId};
use crate::store::{Planned, Store, StoreError};

/// Timers claimed per transaction: big enough to catch up quickly after downtime,
/// small enough that one transaction stays short.
const BATCH: usize = 256;

/// Occurrences of one schedule dealt with per transaction.
const SCHEDULE_CHUNK: usize = 256;

/// Schedules looked at per pass of the loop.
const SCHEDULE_BATCH: usize = 64;

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

    /// Fires every due timer, then deals with every due schedule; the actions made.
    pub async fn fire_all_due(&self) -> Result<usize, StoreError> {
        let timers = self.fire_due().await?;
        let mut total = timers;
        loop {
            let now = self.clock.now();
            let store = self.store.clone();
            let fired = tokio::task::spawn_blocking(move || settle_due_schedules(&store, now))
                .await
                .map_err(|_| StoreError::Conflict)??;
            self.store.flush().await?;
            total += fired.actions;
            if fired.schedules < SCHEDULE_BATCH {
                return Ok(total);
            }
        }
    }

    /// The earliest instant anything (timer or schedule) is due.
    fn next_wake(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let timer = self.store.earliest_timer()?;
        let schedule = self.store.earliest_schedule_due()?;
        Ok(match (timer, schedule) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let next = match self.fire_all_due().await.and_then(|_| self.next_wake()) {
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

/// What one pass over due schedules did.
struct SchedulesSettled {
    schedules: usize,
    actions: usize,
}

fn settle_due_schedules(store: &Store, now: DateTime<Utc>) -> Result<SchedulesSettled, StoreError> {
    let due = store.due_schedules(now, SCHEDULE_BATCH)?;
    let mut actions = 0;
    for (council, id) in &due {
        actions += settle_schedule(store, council, id, now)?.len();
    }
    Ok(SchedulesSettled {
        schedules: due.len(),
        actions,
    })
}

/// Deals with every occurrence of one schedule due by `now`: fires those the
/// catch-up rule allows, records the rest as missed, and moves the schedule on.
/// Also run before a schedule is changed, paused or resumed, so that everything
/// before the change is settled under the rules that applied then. Blocking.
pub fn settle_schedule(
    store: &Store,
    council_id: &CouncilId,
    id: &ScheduleId,
    now: DateTime<Utc>,
) -> Result<Vec<Action>, StoreError> {
    let mut fired = Vec::new();
    let mut fire_from = None;
    let mut conflicts = 0;
    loop {
        let Some((schedule, raw)) = store.schedule(council_id, id)? else {
            return Ok(fired);
        };
        let Some(council) = store.council(council_id)? else {
            return Ok(fired);
        };
        let calendar = store.working_calendar(&council)?;
        let due = schedule.occurrences_after(
            schedule.handled_through,
            &calendar,
            SCHEDULE_CHUNK,
            Some(now),
        );
        let Some(last) = due.last().map(|o| o.at) else {
            // Nothing due: make sure the index points at the real next occurrence
            // (the calendar may have changed under it).
            let next = schedule.next_after(schedule.handled_through, &calendar);
            if next != schedule.next_due {
                let mut moved = schedule.clone();
                moved.next_due = next;
                match store.replace_schedule(Some(&raw), &moved) {
                    Err(StoreError::Conflict) if conflicts < 5 => {
                        conflicts += 1;
                        continue;
                    }
                    other => other?,
                }
            }
            return Ok(fired);
        };
        let threshold = *fire_from.get_or_insert_with(|| schedule.fire_from(now, &calendar));
        let planned: Vec<Planned> = due
            .into_iter()
            .map(|o| {
                let miss = if schedule.paused {
                    Some(MissReason::Paused)
                } else if o.at < threshold {
                    Some(MissReason::CatchUpRule)
                } else {
                    None
                };
                (o, miss)
            })
            .collect();
        let chunk_was_full = planned.len() == SCHEDULE_CHUNK;
        let next_due = schedule.next_after(last, &calendar);
        match store.record_schedule_pass(&raw, &schedule, &planned, next_due, now) {
            Ok((_, actions)) => {
                for action in &actions {
                    tracing::info!(
                        council = %action.council,
                        action = action.id.as_str(),
                        kind = action.kind.as_str(),
                        schedule = %id,
                        "schedule fired"
                    );
                }
                let missed = planned.iter().filter(|(_, m)| m.is_some()).count();
                if missed > 0 {
                    tracing::warn!(council = %council_id, schedule = %id, missed, "schedule occurrences missed");
                }
                fired.extend(actions);
            }
            Err(StoreError::Conflict) if conflicts < 5 => {
                conflicts += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
        if !chunk_was_full {
            return Ok(fired);
        }
    }
}
