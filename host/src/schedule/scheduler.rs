//! The one loop that turns due timers into outbox actions.
//!
//! It sleeps until the earliest pending timer (read from the time-ordered index),
//! or until a journey's plan changes, or the clock moves; then claims due timers in
//! batches, each batch one transaction that removes the timers and writes their
//! actions, flushed to disk before the loop goes on. A crash therefore leaves each
//! timer either pending or fired, never both, and an action's id derives from
//! (timer, scheduled instant), so a restart cannot fire it a second time.
//!
//! A timer that ends support (`end_of_support`, `handover`) is not a plain reminder:
//! the council's plugin decides the handover and the journey closes, so the loop hands
//! it to whoever [`DecidesEndOfSupport`] (the caseload, in the daemon), which writes
//! the journey, its handover action and the timer's removal in one transaction. The
//! schedule owns that question; the caseload answers it, so the caseload depends on
//! the schedule and not the other way round.
//!
//! Admin schedules ride the same loop: it also wakes for the earliest due schedule,
//! and [`settle_schedule`] deals with each due schedule's occurrences in order, in
//! chunks, each chunk one transaction (actions, run records, the schedule's new
//! position) — so a clock jump either way, or a restart, neither repeats nor loses one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::council::CouncilId;
use crate::journey::workflow::ends_support;
use crate::outbox::Action;
use crate::schedule::admin::MissReason;
use crate::schedule::firing::ScheduleId;
use crate::schedule::jobs;
use crate::schedule::timer::Timer;
use crate::store::{Planned, Store, StoreError};
use crate::telemetry::Telemetry;

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

/// Why a timer that ends support could not be decided (logged; it then fires as a
/// plain reminder).
pub type UndecidedEndOfSupport = Box<dyn std::error::Error + Send + Sync>;

/// What deciding one timer that ends support returns, in time.
pub type EndOfSupport<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Action>, UndecidedEndOfSupport>> + Send + 'a>>;

/// Decides a timer that ends support: the council's plugin decides the handover, the
/// journey closes, and the handover action is written with the timer's removal in one
/// transaction. `None` when there was nothing to fire (the timer is gone all the same).
pub trait DecidesEndOfSupport: Send + Sync + 'static {
    fn end_support<'a>(&'a self, timer: &'a Timer) -> EndOfSupport<'a>;
}

pub struct Scheduler {
    store: Store,
    clock: Arc<dyn Clock>,
    timers_changed: Arc<Notify>,
    /// Where fired timers and their lag are counted (`/metrics`).
    telemetry: Arc<Telemetry>,
    /// Decides the handover when a timer ends support. Without one (unit tests of the
    /// loop alone) such timers fire as plain reminders.
    end_of_support: Option<Arc<dyn DecidesEndOfSupport>>,
}

impl Scheduler {
    pub fn new(store: Store, clock: Arc<dyn Clock>, timers_changed: Arc<Notify>) -> Scheduler {
        Scheduler {
            store,
            clock,
            timers_changed,
            telemetry: Arc::new(Telemetry::new()),
            end_of_support: None,
        }
    }

    /// Hands timers that end support to `decider` (the caseload), which decides the handover.
    pub fn deciding_end_of_support(mut self, decider: Arc<dyn DecidesEndOfSupport>) -> Scheduler {
        self.end_of_support = Some(decider);
        self
    }

    /// Counts fired timers in `telemetry` (the daemon's, served at `/metrics`).
    pub fn with_telemetry(mut self, telemetry: Arc<Telemetry>) -> Scheduler {
        self.telemetry = telemetry;
        self
    }

    /// Fires every timer due by the clock's now; the number fired.
    pub async fn fire_due(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        let decides = self.end_of_support.is_some();
        loop {
            let now = self.clock.now();
            let store = self.store.clone();
            let mut fired = tokio::task::spawn_blocking(move || {
                store.fire_due(now, BATCH, |t| !(decides && ends_support(t.kind)))
            })
            .await
            .map_err(|_| StoreError::Conflict)??;
            fired.extend(self.end_support(now).await?);
            if fired.is_empty() {
                return Ok(total);
            }
            // Durable before anyone can be told: a delivered action is never lost.
            self.store.flush().await?;
            total += fired.len();
            for action in &fired {
                self.telemetry.fired(action);
                tracing::info!(
                    council = %action.council,
                    action = action.id.as_str(),
                    kind = action.kind.as_str(),
                    "timer fired"
                );
            }
        }
    }

    /// Timers due by `now` that end support: each is decided by the caseload (the
    /// handover, the journey closed). One that cannot be decided (its journey damaged,
    /// say) fires as a plain reminder, so a person sees it and the loop moves on.
    async fn end_support(&self, now: DateTime<Utc>) -> Result<Vec<Action>, StoreError> {
        let Some(decider) = &self.end_of_support else {
            return Ok(Vec::new());
        };
        let store = self.store.clone();
        let due = tokio::task::spawn_blocking(move || {
            store.due_timers(now, BATCH, |t| ends_support(t.kind))
        })
        .await
        .map_err(|_| StoreError::Conflict)??;
        let mut fired = Vec::new();
        for (_, timer) in due {
            match decider.end_support(&timer).await {
                Ok(action) => fired.extend(action),
                Err(e) => {
                    tracing::error!(council = %timer.council, timer = timer.id.as_str(), error = %e, "could not decide the end of support; firing it as a reminder");
                    let id = timer.id.clone();
                    let store = self.store.clone();
                    let plain =
                        tokio::task::spawn_blocking(move || store.fire_due(now, 1, |t| t.id == id))
                            .await
                            .map_err(|_| StoreError::Conflict)??;
                    fired.extend(plain);
                }
            }
        }
        Ok(fired)
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
            total += fired.actions.len();
            for action in &fired.actions {
                self.telemetry.fired(action);
                tracing::info!(
                    council = %action.council,
                    action = action.id.as_str(),
                    kind = action.kind.as_str(),
                    "schedule fired"
                );
            }
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
    actions: Vec<Action>,
}

fn settle_due_schedules(store: &Store, now: DateTime<Utc>) -> Result<SchedulesSettled, StoreError> {
    let due = store.due_schedules(now, SCHEDULE_BATCH)?;
    let mut actions = Vec::new();
    for (council, id) in &due {
        actions.extend(settle_schedule(store, council, id, now)?);
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
        // Each firing's work, computed as of its instant before the transaction that
        // records it (occurrences already recorded are skipped in it).
        let mut work = std::collections::BTreeMap::new();
        for (occurrence, miss) in &planned {
            if miss.is_none() && !store.schedule_run_recorded(&schedule, occurrence.at)? {
                work.insert(
                    occurrence.at,
                    jobs::compute(store, &schedule, occurrence, now)?,
                );
            }
        }
        match store.record_schedule_pass_with(&raw, &schedule, &planned, next_due, now, &work) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::council::Council;
    use crate::journey::{Journey, ParticipantId, Referral};
    use crate::outbox::{ActionKind, ActionStatus};
    use crate::policy::{PlannedTimer, TimerKind};
    use crate::schedule::admin::{AdminSchedule, CatchUp, Overlap, RunOutcome, ScheduleDefinition};
    use crate::schedule::firing::ScheduledAction;
    use crate::schedule::recurrence::{DstRules, NonWorkingDays};
    use crate::schedule::timer::Timer;
    use crate::store::{DataFolderLock, JourneyWrite};
    use chrono::NaiveDate;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid instant")
            .with_timezone(&Utc)
    }

    struct World {
        _dir: tempfile::TempDir,
        _lock: DataFolderLock,
        store: Store,
        clock: Arc<ManualClock>,
        scheduler: Scheduler,
        council: Council,
    }

    fn world(start: &str) -> World {
        let (dir, lock, store) = crate::store::scratch();
        let council = Council::example("stoke-on-trent");
        store.put_council(&council).expect("council");
        let clock = Arc::new(ManualClock::new(utc(start)));
        let scheduler = Scheduler::new(store.clone(), clock.clone(), Arc::new(Notify::new()));
        World {
            _dir: dir,
            _lock: lock,
            store,
            clock,
            scheduler,
            council,
        }
    }

    impl World {
        fn add_timers(&self, days: &[NaiveDate]) {
            let participant = ParticipantId::new_random();
            let referral = Referral::example();
            let journey = Journey::refer(self.council.id.clone(), participant, days[0], referral);
            let timers: Vec<Timer> = days
                .iter()
                .map(|&due| {
                    Timer::from_plan(
                        &self.council.id,
                        participant,
                        &PlannedTimer {
                            kind: TimerKind::Review,
                            due,
                            purpose: "review".into(),
                        },
                        self.council.timezone,
                        self.council.reminder_time,
                    )
                })
                .collect();
            self.store
                .write_journey(None, JourneyWrite::planned(&journey, &timers))
                .expect("journey written");
        }

        fn add_schedule(&self, cron: &str, catch_up: CatchUp) -> AdminSchedule {
            let calendar = self
                .store
                .working_calendar(&self.council)
                .expect("calendar");
            let s = AdminSchedule::define(
                ScheduleId::new_random(),
                self.council.id.clone(),
                self.council.timezone,
                ScheduleDefinition {
                    name: "overdue sweep".into(),
                    cron: cron.into(),
                    timezone: None,
                    action: ScheduledAction::OverdueReviewSweep {
                        grace_working_days: 2,
                    },
                    starts: None,
                    ends: None,
                    non_working_days: NonWorkingDays::Fire,
                    catch_up,
                    overlap: Overlap::Allow,
                    dst: DstRules::default(),
                    paused: false,
                },
                self.clock.now(),
                &calendar,
            )
            .expect("valid schedule");
            self.store.create_schedule(&s, None).expect("created");
            s
        }

        async fn run_at(&self, at: &str) {
            self.clock.set(utc(at));
            self.scheduler.fire_all_due().await.expect("fired");
        }

        fn actions(&self) -> Vec<Action> {
            self.store
                .actions(&self.council.id, None, None, 10_000)
                .expect("actions")
                .items
        }

        fn scheduled_for(&self, schedule: bool) -> Vec<DateTime<Utc>> {
            self.actions()
                .into_iter()
                // Escalations the sweep makes are neither: they are counted apart.
                .filter(|a| match a.kind {
                    ActionKind::Schedule(_) => schedule,
                    ActionKind::Timer(_) => !schedule,
                    ActionKind::Escalation(_) => false,
                })
                .map(|a| a.scheduled_for)
                .collect()
        }
    }

    fn days(from: u32, to: u32) -> Vec<NaiveDate> {
        (from..=to)
            .map(|d| NaiveDate::from_ymd_opt(2026, 1, d).expect("date"))
            .collect()
    }

    #[tokio::test]
    async fn fired_timers_and_schedules_their_lag_and_what_is_left_pending_reach_the_metrics() {
        let w = world("2026-01-05T00:00:00Z");
        w.add_timers(&days(5, 9)); // reviews at 08:00 on 5–9 January
        w.add_schedule(
            "0 9 * * *",
            CatchUp::AllWithin {
                window_hours: 48,
                max: 100,
            },
        );
        let telemetry = Arc::new(Telemetry::new());
        let scheduler = Scheduler::new(w.store.clone(), w.clock.clone(), Arc::new(Notify::new()))
            .with_telemetry(telemetry.clone());
        // Two hours late for the 5th's review, one hour late for its 09:00 schedule,
        // and before the 6th: one of each fires, four reviews wait.
        w.clock.set(utc("2026-01-05T10:00:00Z"));
        assert_eq!(scheduler.fire_all_due().await.expect("fired"), 2);
        let text = telemetry.render(&w.store).expect("rendered");
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in {text}"))
                .to_owned()
        };
        let journey = "council=\"stoke-on-trent\",kind=\"review\",source=\"journey\"";
        let schedule =
            "council=\"stoke-on-trent\",kind=\"overdue_review_sweep\",source=\"schedule\"";
        assert!(line(&format!("waymark_timers_fired_total{{{journey}}}")).ends_with(" 1"));
        assert!(line(&format!("waymark_timers_fired_total{{{schedule}}}")).ends_with(" 1"));
        assert!(line("waymark_timers_pending ").ends_with(" 4"), "{text}");
        let lag = |what: &str, source: &str| {
            line(&format!(
                "waymark_timer_fire_lag_seconds_{what}{{source=\"{source}\"}}"
            ))
        };
        assert!(lag("count", "journey").ends_with(" 1"));
        assert!(lag("count", "schedule").ends_with(" 1"));
        // 08:00 GMT fired at 10:00: two hours of lag (between 1024 s and 16384 s);
        // the schedule's 09:00 one hour.
        assert!(lag("sum", "journey").ends_with(" 7200.0"), "{text}");
        assert!(lag("sum", "schedule").ends_with(" 3600.0"), "{text}");
        let bucket = |source: &str, le: &str| {
            line(&format!(
                "waymark_timer_fire_lag_seconds_bucket{{source=\"{source}\",le=\"{le}\"}}"
            ))
        };
        assert!(bucket("journey", "1024").ends_with(" 0"), "{text}");
        assert!(bucket("journey", "16384").ends_with(" 1"), "{text}");
        assert!(line("waymark_outbox_pending_actions{council=\"stoke-on-trent\"}").ends_with(" 2"));
        assert!(line("waymark_outbox_dead_letters{council=\"stoke-on-trent\"}").ends_with(" 0"));

        // Each occurrence is counted once, when it fires: the next day adds one.
        w.clock.set(utc("2026-01-06T09:30:00Z"));
        assert_eq!(scheduler.fire_all_due().await.expect("fired"), 2);
        let text = telemetry.render(&w.store).expect("rendered");
        assert!(
            text.contains(&format!("waymark_timers_fired_total{{{schedule}}} 2")),
            "{text}"
        );
    }

    #[tokio::test]
    async fn clock_jumping_back_and_forth_by_hours_neither_repeats_nor_skips_timers_or_schedules() {
        let w = world("2026-01-05T00:00:00Z");
        w.add_timers(&days(5, 9)); // reviews at 08:00 on 5–9 January
        w.add_schedule(
            "0 */2 * * *",
            CatchUp::AllWithin {
                window_hours: 48,
                max: 100,
            },
        );
        // Forward 7 h, back 5 h, forward 30 h, back 20 h, forward 60 h, back 3 h, forward 10 h.
        for at in [
            "2026-01-05T07:00:00Z",
            "2026-01-05T02:00:00Z",
            "2026-01-06T08:00:00Z",
            "2026-01-05T12:00:00Z",
            "2026-01-08T00:00:00Z",
            "2026-01-07T21:00:00Z",
            "2026-01-08T07:59:00Z",
            "2026-01-08T08:00:00Z",
        ] {
            w.run_at(at).await;
        }
        let timers = w.scheduled_for(false);
        let expected_timers: Vec<DateTime<Utc>> = days(5, 8)
            .iter()
            .map(|d| d.and_hms_opt(8, 0, 0).expect("t").and_utc())
            .collect();
        assert_eq!(timers, expected_timers, "each due timer fired exactly once");
        let schedule = w.scheduled_for(true);
        let expected: Vec<DateTime<Utc>> = (1..=40)
            .map(|i| utc("2026-01-05T00:00:00Z") + chrono::Duration::hours(2 * i))
            .collect();
        assert_eq!(
            schedule, expected,
            "every two-hourly occurrence fired exactly once"
        );
        // The review due on Monday 5th, unacknowledged past two working days' grace,
        // was escalated once, however often the sweep ran after.
        let escalations = |w: &World| {
            w.actions()
                .iter()
                .filter(|a| matches!(a.kind, ActionKind::Escalation(_)))
                .count()
        };
        assert_eq!(escalations(&w), 1);
        // Back again to the start: nothing more.
        w.run_at("2026-01-05T00:00:00Z").await;
        assert_eq!(w.actions().len(), 4 + 40 + 1);
    }

    #[tokio::test]
    async fn downtime_catch_up_fires_per_rule_and_records_every_missed_occurrence() {
        let w = world("2026-01-05T10:00:00Z");
        let skip = w.add_schedule("0 9 * * *", CatchUp::Skip {});
        let latest = w.add_schedule("0 9 * * *", CatchUp::Latest {});
        let within = w.add_schedule(
            "0 9 * * *",
            CatchUp::AllWithin {
                window_hours: 72,
                max: 2,
            },
        );
        // Down from Monday 10:00 until Saturday 12:00: 6th to 10th missed at 09:00.
        w.run_at("2026-01-10T12:00:00Z").await;
        let runs = |s: &AdminSchedule| {
            w.store
                .schedule_runs(&w.council.id, &s.id, None, 100)
                .expect("runs")
                .items
        };
        let fired = |s: &AdminSchedule| -> Vec<DateTime<Utc>> {
            runs(s)
                .into_iter()
                .filter(|r| r.outcome == RunOutcome::Fired)
                .map(|r| r.scheduled_for)
                .collect()
        };
        for s in [&skip, &latest, &within] {
            assert_eq!(runs(s).len(), 5, "every occurrence recorded");
        }
        assert!(fired(&skip).is_empty());
        assert_eq!(fired(&latest), [utc("2026-01-10T09:00:00Z")]);
        assert_eq!(
            fired(&within),
            [utc("2026-01-09T09:00:00Z"), utc("2026-01-10T09:00:00Z")]
        );
        let (stored, _) = w
            .store
            .schedule(&w.council.id, &latest.id)
            .expect("read")
            .expect("exists");
        assert_eq!((stored.fired, stored.missed), (1, 4));
        assert_eq!(stored.next_due, Some(utc("2026-01-11T09:00:00Z")));
        // On time, skip fires too.
        w.run_at("2026-01-11T09:00:00Z").await;
        assert_eq!(fired(&skip), [utc("2026-01-11T09:00:00Z")]);
        // skip 1, latest 2, all_within 3.
        assert_eq!(w.actions().len(), 1 + 2 + 3);
    }

    #[tokio::test]
    async fn reopened_store_does_not_fire_a_schedule_occurrence_twice() {
        let w = world("2026-03-28T12:00:00Z");
        let s = w.add_schedule("30 1 * * *", CatchUp::Latest {});
        w.run_at("2026-03-29T01:00:00Z").await; // 01:30 London does not exist: fires at 02:00 BST
        assert_eq!(w.scheduled_for(true), [utc("2026-03-29T01:00:00Z")]);
        // A second scheduler on the same store (as after a restart) finds nothing new.
        let again = Scheduler::new(w.store.clone(), w.clock.clone(), Arc::new(Notify::new()));
        assert_eq!(again.fire_all_due().await.expect("fired"), 0);
        let action = &w.actions()[0];
        assert_eq!(action.status, ActionStatus::Pending);
        assert_eq!(
            action.idempotency_key,
            s.idempotency_key(action.scheduled_for)
        );
        assert_eq!(
            action.schedule.as_ref().map(|f| f.local_time.to_rfc3339()),
            Some("2026-03-29T02:00:00+01:00".to_owned())
        );
    }

    #[tokio::test]
    async fn paused_schedule_records_occurrences_as_missed_and_overlap_rule_holds_back() {
        let w = world("2026-01-05T00:30:00Z");
        let s = w.add_schedule("0 * * * *", CatchUp::Latest {});
        let (mut paused, raw) = w
            .store
            .schedule(&w.council.id, &s.id)
            .expect("read")
            .expect("exists");
        paused.paused = true;
        w.store
            .replace_schedule(Some(&raw), &paused)
            .expect("paused");
        w.run_at("2026-01-05T01:00:00Z").await;
        assert!(w.actions().is_empty());
        let runs = w
            .store
            .schedule_runs(&w.council.id, &s.id, None, 10)
            .expect("runs")
            .items;
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].reason, Some(MissReason::Paused));

        let mut held = w.add_schedule("30 * * * *", CatchUp::Latest {});
        let (_, raw) = w
            .store
            .schedule(&w.council.id, &held.id)
            .expect("read")
            .expect("exists");
        held.overlap = Overlap::SkipWhilePreviousPending;
        w.store.replace_schedule(Some(&raw), &held).expect("set");
        w.run_at("2026-01-05T01:30:00Z").await;
        w.run_at("2026-01-05T02:30:00Z").await; // first still pending: held back
        let first = w.actions();
        assert_eq!(first.len(), 1);
        w.store
            .acknowledge(&w.council.id, &first[0].id, utc("2026-01-05T02:40:00Z"))
            .expect("ack");
        w.run_at("2026-01-05T03:30:00Z").await;
        let runs = w
            .store
            .schedule_runs(&w.council.id, &held.id, None, 10)
            .expect("runs")
            .items;
        let outcomes: Vec<_> = runs.iter().map(|r| (r.outcome, r.reason)).collect();
        assert_eq!(
            outcomes,
            [
                (RunOutcome::Fired, None),
                (RunOutcome::Missed, Some(MissReason::PreviousStillPending)),
                (RunOutcome::Fired, None)
            ]
        );
    }
}
