//! Admin schedules, what became of each occurrence, and councils' own calendars.
//!
//! Trees and keys:
//! - `schedules`: `council/schedule id` → [`AdminSchedule`]
//! - `schedule_due`: next-due instant (big-endian ms) + `council/schedule id` → nothing
//!   (the time-ordered index the scheduler wakes by)
//! - `schedule_runs`: `council/schedule id/` + instant (big-endian ms) → [`ScheduleRun`]
//! - `calendars`: council id → [`CalendarSpec`] (absent: the council's nation's rules)
//!
//! One pass of a schedule (its actions, run records, new position and index entry) is
//! one transaction with the `actions` tree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::readable::read_page;
use super::{
    IdempotencyMark, Listed, Made, Store, StoreError, action_key, decode, encode, flatten,
    idempotency, tx_decode,
};
use crate::council::{Council, CouncilId};
use crate::outbox::{Action, ActionStatus};
use crate::schedule::admin::{AdminSchedule, MissReason, Overlap, RunOutcome, ScheduleRun};
use crate::schedule::council_calendar::{CalendarSpec, CouncilCalendar};
use crate::schedule::firing::ScheduleId;
use crate::schedule::jobs::FiringWork;
use crate::schedule::recurrence::Occurrence;
use crate::schedule::timer::instant_key;

#[derive(Clone)]
pub(super) struct ScheduleTrees {
    schedules: sled::Tree,
    due: sled::Tree,
    runs: sled::Tree,
    calendars: sled::Tree,
}

impl ScheduleTrees {
    pub(super) fn open(db: &sled::Db) -> Result<ScheduleTrees, sled::Error> {
        Ok(ScheduleTrees {
            schedules: db.open_tree("schedules")?,
            due: db.open_tree("schedule_due")?,
            runs: db.open_tree("schedule_runs")?,
            calendars: db.open_tree("calendars")?,
        })
    }
}

fn schedule_key(council: &CouncilId, id: &ScheduleId) -> Vec<u8> {
    format!("{council}/{id}").into_bytes()
}

fn due_key(at: DateTime<Utc>, council: &CouncilId, id: &ScheduleId) -> Vec<u8> {
    let mut k = instant_key(at).to_vec();
    k.extend_from_slice(&schedule_key(council, id));
    k
}

fn run_key(council: &CouncilId, id: &ScheduleId, at: DateTime<Utc>) -> Vec<u8> {
    let mut k = format!("{council}/{id}/").into_bytes();
    k.extend_from_slice(&instant_key(at));
    k
}

/// The parts of a due-index key: the schedule's key after the instant.
fn parse_due(key: &[u8]) -> Option<(CouncilId, ScheduleId)> {
    let rest = std::str::from_utf8(key.get(8..)?).ok()?;
    let (council, id) = rest.split_once('/')?;
    Some((council.parse().ok()?, id.parse().ok()?))
}

/// What to do with one due occurrence: fire it (`None`), or record it missed.
pub type Planned = (Occurrence, Option<MissReason>);

impl Store {
    // --- calendars ----------------------------------------------------------------

    /// The council's calendar as configured (its nation's rules until replaced).
    pub fn calendar_spec(&self, council: &Council) -> Result<CalendarSpec, StoreError> {
        match self.sched.calendars.get(council.id.as_str())? {
            Some(v) => decode("calendars", council.id.as_str().as_bytes(), &v),
            None => Ok(CalendarSpec::for_nation(council.nation)),
        }
    }

    pub fn put_calendar_spec(
        &self,
        council: &CouncilId,
        spec: &CalendarSpec,
    ) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        self.sched
            .calendars
            .insert(council.as_str(), encode(spec))?;
        Ok(())
    }

    /// The calendar decisions, timers and schedules of this council use.
    pub fn working_calendar(&self, council: &Council) -> Result<CouncilCalendar, StoreError> {
        Ok(CouncilCalendar::new(&self.calendar_spec(council)?))
    }

    // --- schedules ------------------------------------------------------------------

    /// Stores a new schedule with its index entry, and the `Idempotency-Key` it answers
    /// (with when), so a retry after a crash finds it instead of making a second one.
    pub fn create_schedule(
        &self,
        s: &AdminSchedule,
        effect: Option<(&IdempotencyMark, DateTime<Utc>)>,
    ) -> Result<(), StoreError> {
        let effect = effect
            .map(|(mark, at)| idempotency::effect_entry(mark, Made::Schedule(s.id.clone()), at));
        self.write_schedule(None, s, &effect)
    }

    /// The schedule and the exact bytes read, for an optimistic write later.
    pub fn schedule(
        &self,
        council: &CouncilId,
        id: &ScheduleId,
    ) -> Result<Option<(AdminSchedule, Vec<u8>)>, StoreError> {
        let key = schedule_key(council, id);
        self.sched
            .schedules
            .get(&key)?
            .map(|v| Ok((decode("schedules", &key, &v)?, v.to_vec())))
            .transpose()
    }

    /// Writes `s` if the stored schedule is still `expected` (`None`: must not exist).
    pub fn replace_schedule(
        &self,
        expected: Option<&[u8]>,
        s: &AdminSchedule,
    ) -> Result<(), StoreError> {
        self.write_schedule(expected, s, &None)
    }

    fn write_schedule(
        &self,
        expected: Option<&[u8]>,
        s: &AdminSchedule,
        effect: &Option<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        let key = schedule_key(&s.council, &s.id);
        let bytes = encode(s);
        let _writing = self.hold_writes();
        (
            &self.sched.schedules,
            &self.sched.due,
            &self.idem.effects,
            &self.idem.by_time,
        )
            .transaction(|(schedules, due, effects, expiry)| {
                Store::record_effect(effects, expiry, effect)?;
                let current = schedules.get(&key)?;
                if current.as_deref() != expected {
                    return Err(ConflictableTransactionError::Abort(StoreError::Conflict));
                }
                if let Some(old) = current {
                    let old: AdminSchedule = tx_decode("schedules", &key, &old)?;
                    if let Some(at) = old.next_due {
                        due.remove(due_key(at, &old.council, &old.id))?;
                    }
                }
                if let Some(at) = s.next_due {
                    due.insert(due_key(at, &s.council, &s.id), &[] as &[u8])?;
                }
                schedules.insert(key.as_slice(), bytes.as_slice())?;
                Ok(())
            })
            .map_err(flatten)
    }

    /// Removes a schedule and its index entry (its run records stay as history).
    pub fn delete_schedule(
        &self,
        council: &CouncilId,
        id: &ScheduleId,
    ) -> Result<bool, StoreError> {
        let key = schedule_key(council, id);
        let _writing = self.hold_writes();
        (&self.sched.schedules, &self.sched.due)
            .transaction(|(schedules, due)| {
                let Some(old) = schedules.remove(key.as_slice())? else {
                    return Ok(false);
                };
                let old: AdminSchedule = tx_decode("schedules", &key, &old)?;
                if let Some(at) = old.next_due {
                    due.remove(due_key(at, &old.council, &old.id))?;
                }
                Ok(true)
            })
            .map_err(flatten)
    }

    /// A council's schedules in id order, after `after`, at most `limit`; damaged
    /// ones are skipped and named.
    pub fn schedules(
        &self,
        council: &CouncilId,
        after: Option<&ScheduleId>,
        limit: usize,
    ) -> Result<Listed<AdminSchedule>, StoreError> {
        read_page(
            &self.sched.schedules,
            "schedules",
            format!("{council}/").as_bytes(),
            after.map(|id| schedule_key(council, id)),
            limit,
            |_: &AdminSchedule| true,
        )
    }

    /// What became of a schedule's occurrences, oldest first, after `after`;
    /// damaged records are skipped and named.
    pub fn schedule_runs(
        &self,
        council: &CouncilId,
        id: &ScheduleId,
        after: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Listed<ScheduleRun>, StoreError> {
        read_page(
            &self.sched.runs,
            "schedule_runs",
            format!("{council}/{id}/").as_bytes(),
            after.map(|at| run_key(council, id, at)),
            limit,
            |_: &ScheduleRun| true,
        )
    }

    /// Whether the occurrence of `schedule` at `at` has been dealt with already.
    pub fn schedule_run_recorded(
        &self,
        schedule: &AdminSchedule,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .sched
            .runs
            .contains_key(run_key(&schedule.council, &schedule.id, at))?)
    }

    /// The instant the earliest schedule is next due.
    pub fn earliest_schedule_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let Some((k, _)) = self.sched.due.first()? else {
            return Ok(None);
        };
        let ms = <[u8; 8]>::try_from(k.get(..8).unwrap_or_default())
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Corrupt {
                tree: "schedule_due",
                key: String::from_utf8_lossy(&k).into_owned(),
                reason: "shorter than an instant".into(),
            })?;
        Ok(DateTime::from_timestamp_millis(
            i64::try_from(ms).unwrap_or(i64::MAX),
        ))
    }

    /// Schedules due at or before `now`, earliest first, at most `limit`.
    pub fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(CouncilId, ScheduleId)>, StoreError> {
        let mut end = instant_key(now).to_vec();
        end.push(0xff);
        let mut out = Vec::new();
        for kv in self.sched.due.range(..end).take(limit) {
            let (k, _) = kv?;
            let parsed = parse_due(&k).ok_or_else(|| StoreError::Corrupt {
                tree: "schedule_due",
                key: String::from_utf8_lossy(&k).into_owned(),
                reason: "not an instant and a schedule key".into(),
            })?;
            out.push(parsed);
        }
        Ok(out)
    }

    /// Deals with a run of due occurrences of a schedule, in one transaction: each
    /// becomes an action (once: its id derives from the schedule and instant) or a
    /// missed run record; the schedule moves past them to `next_due`. Refused with a
    /// conflict if the schedule changed since it was read as `expected`.
    pub fn record_schedule_pass(
        &self,
        expected: &[u8],
        schedule: &AdminSchedule,
        planned: &[Planned],
        next_due: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(AdminSchedule, Vec<Action>), StoreError> {
        self.record_schedule_pass_with(expected, schedule, planned, next_due, now, &BTreeMap::new())
    }

    /// [`Store::record_schedule_pass`], with what each firing computed (by occurrence
    /// instant, see `schedule::jobs`): its result goes on the firing's action and its
    /// actions are written with it, in the same transaction, only when the occurrence
    /// is first recorded as fired.
    pub fn record_schedule_pass_with(
        &self,
        expected: &[u8],
        schedule: &AdminSchedule,
        planned: &[Planned],
        next_due: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        work: &BTreeMap<DateTime<Utc>, FiringWork>,
    ) -> Result<(AdminSchedule, Vec<Action>), StoreError> {
        let key = schedule_key(&schedule.council, &schedule.id);
        // A made action naming a participant (an escalation) is sealed with their key,
        // looked up here: sled deadlocks on a plain read inside a transaction.
        let mut made_records = std::collections::HashMap::new();
        for made in work.values().flat_map(|w| &w.actions) {
            let mkey = action_key(&made.council, &made.id);
            let whose = made.participant.map(|p| (&made.council, p));
            let record = self.seal_record("actions", &mkey, whose, made)?;
            made_records.insert(mkey, record);
        }
        let _writing = self.hold_writes();
        (
            &self.sched.schedules,
            &self.sched.due,
            &self.sched.runs,
            &self.actions,
        )
            .transaction(|(schedules, due, runs, actions)| {
                if schedules.get(&key)?.as_deref() != Some(expected) {
                    return Err(ConflictableTransactionError::Abort(StoreError::Conflict));
                }
                let mut s = schedule.clone();
                let mut fired = Vec::new();
                for (occurrence, miss) in planned {
                    s.handled_through = s.handled_through.max(occurrence.at);
                    let rkey = run_key(&s.council, &s.id, occurrence.at);
                    if runs.get(&rkey)?.is_some() {
                        continue; // dealt with already: never twice
                    }
                    let mut reason = *miss;
                    if reason.is_none()
                        && s.overlap == Overlap::SkipWhilePreviousPending
                        && let Some(last) = &s.last_action
                    {
                        let akey = action_key(&s.council, last);
                        if let Some(v) = actions.get(&akey)? {
                            let previous: Action = self
                                .open_record("actions", &akey, &v)
                                .map_err(ConflictableTransactionError::Abort)?;
                            if previous.status == ActionStatus::Pending {
                                reason = Some(MissReason::PreviousStillPending);
                            }
                        }
                    }
                    let mut run = ScheduleRun {
                        schedule: s.id.clone(),
                        scheduled_for: occurrence.at,
                        local_time: occurrence.local(s.timezone),
                        adjustments: occurrence.adjustments.clone(),
                        outcome: RunOutcome::Missed,
                        action: None,
                        reason,
                        recorded_at: now,
                    };
                    if reason.is_none() {
                        let mut action = s.action_for(occurrence, now);
                        let computed = work.get(&occurrence.at);
                        action.result = computed.and_then(|w| w.result.clone());
                        let akey = action_key(&s.council, &action.id);
                        if actions.get(&akey)?.is_none() {
                            actions.insert(akey, encode(&action))?;
                            fired.push(action.clone());
                        }
                        for made in computed.map(|w| w.actions.as_slice()).unwrap_or_default() {
                            let mkey = action_key(&made.council, &made.id);
                            if actions.get(&mkey)?.is_none() {
                                let record = made_records
                                    .get(&mkey)
                                    .cloned()
                                    .unwrap_or_else(|| encode(made));
                                actions.insert(mkey, record)?;
                                fired.push(made.clone());
                            }
                        }
                        run.outcome = RunOutcome::Fired;
                        run.action = Some(action.id.clone());
                        s.last_action = Some(action.id);
                        s.fired += 1;
                    } else {
                        s.missed += 1;
                    }
                    runs.insert(rkey, encode(&run))?;
                }
                if let Some(at) = schedule.next_due {
                    due.remove(due_key(at, &s.council, &s.id))?;
                }
                s.next_due = next_due;
                if let Some(at) = next_due {
                    due.insert(due_key(at, &s.council, &s.id), &[] as &[u8])?;
                }
                schedules.insert(key.as_slice(), encode(&s))?;
                Ok((s, fired))
            })
            .map_err(flatten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::calendar::{Nation, WorkingCalendar};
    use crate::store::DataFolderLock;
    use chrono::NaiveDate;

    #[test]
    fn working_calendar_follows_the_nation_until_replaced_and_survives_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let council = Council::new(
            "glasgow".parse().expect("id"),
            "Glasgow".into(),
            chrono_tz::Europe::London,
            Nation::Scotland,
        );
        let st_andrews = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let closure = NaiveDate::from_ymd_opt(2026, 12, 24).expect("date");
        {
            let lock = DataFolderLock::acquire(dir.path()).expect("lock");
            let store = Store::open(dir.path(), &lock).expect("store");
            store.put_council(&council).expect("council");
            let cal = store.working_calendar(&council).expect("calendar");
            assert!(!cal.is_working_day(st_andrews));
            assert!(cal.is_working_day(closure));
            let spec = CalendarSpec::NationRules {
                nation: Nation::Scotland,
                extra_holidays: vec![closure],
                removed_holidays: vec![st_andrews],
            };
            store.put_calendar_spec(&council.id, &spec).expect("stored");
            store.db.flush().expect("flushed");
        }
        let lock = DataFolderLock::acquire(dir.path()).expect("lock");
        let store = Store::open(dir.path(), &lock).expect("store");
        let cal = store.working_calendar(&council).expect("calendar");
        assert!(cal.is_working_day(st_andrews));
        assert!(!cal.is_working_day(closure));
    }
}
