//! The admin schedules service: a council's cron schedules and its working-day
//! calendar. Every change first settles the schedule's occurrences due so far under
//! the rules that applied until now, then takes effect from the daemon's clock, and
//! wakes the scheduler.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::council::{Council, CouncilId};
use crate::schedule::admin::{AdminSchedule, InvalidSchedule, ScheduleDefinition, ScheduleId};
use crate::schedule::council_calendar::{CalendarSpec, InvalidCalendar};
use crate::schedule::scheduler::settle_schedule;
use crate::store::{Durable, EarlierWork, IdempotencyMark, Made, Store, StoreError};
use crate::telemetry::{Telemetry, spawn_blocking};

/// Schedules settled per page of a council's walk before a calendar change.
const SETTLE_PAGE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("no council `{0}`")]
    UnknownCouncil(CouncilId),
    #[error("no schedule `{1}` in council `{0}`")]
    Unknown(CouncilId, ScheduleId),
    #[error(transparent)]
    Invalid(#[from] InvalidSchedule),
    #[error(transparent)]
    InvalidCalendar(#[from] InvalidCalendar),
    #[error("settling the schedule failed; nothing was changed")]
    SettleCrashed,
    #[error(transparent)]
    Earlier(#[from] EarlierWork),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Schedules {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Wakes the scheduler when a schedule's next firing may have moved.
    timers_changed: Arc<Notify>,
    telemetry: Arc<Telemetry>,
}

impl Schedules {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        timers_changed: Arc<Notify>,
        telemetry: Arc<Telemetry>,
    ) -> Schedules {
        Schedules {
            store,
            clock,
            timers_changed,
            telemetry,
        }
    }

    fn council(&self, id: &CouncilId) -> Result<Council, ScheduleError> {
        self.store
            .council(id)?
            .ok_or_else(|| ScheduleError::UnknownCouncil(id.clone()))
    }

    /// A schedule of a council, with its stored bytes (for a compare-and-swap).
    pub fn get(
        &self,
        council: &CouncilId,
        id: &ScheduleId,
    ) -> Result<(AdminSchedule, Vec<u8>), ScheduleError> {
        self.council(council)?;
        self.store
            .schedule(council, id)?
            .ok_or_else(|| ScheduleError::Unknown(council.clone(), id.clone()))
    }

    /// Settles what is due of one schedule before a change, off the async runtime.
    async fn settle(&self, council: &CouncilId, id: &ScheduleId) -> Result<(), ScheduleError> {
        let (store, council, id, now) = (
            self.store.clone(),
            council.clone(),
            id.clone(),
            self.clock.now(),
        );
        let fired = spawn_blocking(move || settle_schedule(&store, &council, &id, now))
            .await
            .map_err(|_| ScheduleError::SettleCrashed)??;
        for action in &fired {
            self.telemetry.fired(action);
        }
        Ok(())
    }

    async fn settle_all(&self, council: &CouncilId) -> Result<(), ScheduleError> {
        let mut after = None;
        loop {
            let page = self.store.schedules(council, after.as_ref(), SETTLE_PAGE)?;
            for s in &page.items {
                self.settle(council, &s.id).await?;
            }
            match page.next_cursor(|s| s.id.clone()) {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn commit<T>(&self, value: T) -> Result<Durable<T>, ScheduleError> {
        let durable = self.store.commit(value).await?;
        self.timers_changed.notify_one();
        Ok(durable)
    }

    /// Defines a new schedule. A retry of a request whose schedule was made (its
    /// answer lost in a crash) gets that schedule: a second would fire everything twice.
    pub async fn create(
        &self,
        council_id: &CouncilId,
        def: ScheduleDefinition,
        mark: Option<&IdempotencyMark>,
    ) -> Result<Durable<AdminSchedule>, ScheduleError> {
        let now = self.clock.now();
        let earlier = self.store.earlier_work(mark, now, |made| match made {
            Made::Schedule(id) => Some(id),
            _ => None,
        })?;
        if let Some(id) = earlier {
            let (schedule, _) = self
                .store
                .schedule(council_id, &id)?
                .ok_or_else(|| ScheduleError::Unknown(council_id.clone(), id))?;
            return Ok(self.store.commit(schedule).await?);
        }
        let council = self.council(council_id)?;
        let calendar = self.store.working_calendar(&council)?;
        let schedule = AdminSchedule::define(
            ScheduleId::new_random(),
            council.id,
            council.timezone,
            def,
            now,
            &calendar,
        )?;
        self.store
            .create_schedule(&schedule, mark.map(|m| (m, now)))?;
        let durable = self.commit(schedule).await?;
        let s = durable.get();
        tracing::info!(council = %s.council, schedule = %s.id, "schedule created");
        Ok(durable)
    }

    /// Replaces a schedule's definition, after settling what was due under the old.
    pub async fn redefine(
        &self,
        council_id: &CouncilId,
        id: &ScheduleId,
        def: ScheduleDefinition,
    ) -> Result<Durable<AdminSchedule>, ScheduleError> {
        let council = self.council(council_id)?;
        self.get(council_id, id)?;
        let calendar = self.store.working_calendar(&council)?;
        // Validate before settling, so a refused request changes nothing.
        let now = self.clock.now();
        AdminSchedule::define(
            id.clone(),
            council_id.clone(),
            council.timezone,
            def.clone(),
            now,
            &calendar,
        )?;
        self.settle(council_id, id).await?;
        let (current, raw) = self.get(council_id, id)?;
        let next = current.redefine(council.timezone, def, now, &calendar)?;
        self.store.replace_schedule(Some(&raw), &next)?;
        self.commit(next).await
    }

    /// Deletes a schedule; what fell due before is dealt with (fired or recorded), not dropped.
    pub async fn delete(
        &self,
        council: &CouncilId,
        id: &ScheduleId,
    ) -> Result<Durable<()>, ScheduleError> {
        self.get(council, id)?;
        self.settle(council, id).await?;
        if !self.store.delete_schedule(council, id)? {
            return Err(ScheduleError::Unknown(council.clone(), id.clone()));
        }
        Ok(self.store.commit(()).await?)
    }

    /// Pauses or resumes a schedule; as it was when it already is.
    pub async fn set_paused(
        &self,
        council: &CouncilId,
        id: &ScheduleId,
        paused: bool,
    ) -> Result<Durable<AdminSchedule>, ScheduleError> {
        self.get(council, id)?;
        self.settle(council, id).await?;
        let (current, raw) = self.get(council, id)?;
        let Some(next) = current.with_paused(paused, self.clock.now()) else {
            return Ok(self.store.commit(current).await?);
        };
        self.store.replace_schedule(Some(&raw), &next)?;
        let durable = self.commit(next).await?;
        tracing::info!(council = %council, schedule = %id, paused, "schedule paused or resumed");
        Ok(durable)
    }

    /// Replaces the council's calendar; its schedules' next occurrences follow it.
    pub async fn replace_calendar(
        &self,
        council: &CouncilId,
        spec: CalendarSpec,
    ) -> Result<Durable<CalendarSpec>, ScheduleError> {
        self.council(council)?;
        spec.validate()?;
        // Occurrences due so far were due under the old calendar; settling again after
        // the change re-aims each schedule at its next occurrence under the new one.
        self.settle_all(council).await?;
        self.store.put_calendar_spec(council, &spec)?;
        self.settle_all(council).await?;
        let durable = self.commit(spec).await?;
        tracing::info!(council = %council, "calendar replaced");
        Ok(durable)
    }
}
