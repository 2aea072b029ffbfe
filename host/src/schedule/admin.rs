//! Admin cron schedules: a council's recurring work (a weekly caseload digest, a
//! monthly management-information export, a daily sweep for overdue reviews).
//!
//! A schedule keeps `handled_through`, the instant up to which every occurrence has
//! been dealt with: fired, or recorded as missed with a reason. The scheduler deals
//! with occurrences after it, in order, and moves it forward in the same transaction
//! that writes the actions and run records, so nothing fires twice and nothing is
//! silently dropped.
//!
//! Catch-up (occurrences found due when the scheduler gets to them late, e.g. after
//! the daemon was down) is decided by one threshold, [`AdminSchedule::fire_from`]:
//! occurrences at or after it fire, earlier ones are recorded as missed.
//! - `skip`: only occurrences at most a minute late fire.
//! - `latest` (default): the most recent due occurrence fires, once.
//! - `all_within`: those within `window_hours` before now fire, at most `max` (the most recent).
//!
//! Overlap: `allow` (default) fires regardless; `skip_while_previous_pending` records
//! an occurrence as missed while this schedule's previous action is unacknowledged.
//! While paused, occurrences are recorded as missed (`paused`), never caught up later.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::calendar::WorkingCalendar;
use super::recurrence::{
    Adjustment, DstRules, InvalidCron, NonWorkingDays, Occurrence, Recurrence, serialize_local,
};
use crate::council::CouncilId;
use crate::outbox::{Action, ActionId, ActionKind, ActionStatus};

/// `sch_` and 32 hex digits.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct ScheduleId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a schedule id: ids look like `sch_` and 32 hex digits, as POST …/schedules returned"
)]
pub struct InvalidScheduleId(pub String);

impl ScheduleId {
    pub fn new_random() -> ScheduleId {
        ScheduleId(format!("sch_{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ScheduleId {
    type Err = InvalidScheduleId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 36
            && s.starts_with("sch_")
            && s[4..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        if ok {
            Ok(ScheduleId(s.to_owned()))
        } else {
            Err(InvalidScheduleId(s.chars().take(80).collect()))
        }
    }
}

impl TryFrom<String> for ScheduleId {
    type Error = InvalidScheduleId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ScheduleId> for String {
    fn from(id: ScheduleId) -> String {
        id.0
    }
}

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The format of a management-information export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
}

/// What a schedule asks the council's systems to do when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduledAction {
    /// A digest of each key worker's caseload, one per key worker.
    CaseloadDigest {},
    /// An export of management information covering the last `period_days` days.
    ManagementInformationExport {
        #[serde(default)]
        format: ExportFormat,
        period_days: u32,
    },
    /// A sweep for reviews overdue by more than `grace_working_days` working days.
    OverdueReviewSweep {
        #[serde(default)]
        grace_working_days: u32,
    },
}

/// The kind of a schedule's action, as an outbox action names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    CaseloadDigest,
    ManagementInformationExport,
    OverdueReviewSweep,
}

impl ScheduleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleKind::CaseloadDigest => "caseload_digest",
            ScheduleKind::ManagementInformationExport => "management_information_export",
            ScheduleKind::OverdueReviewSweep => "overdue_review_sweep",
        }
    }
}

impl ScheduledAction {
    pub fn kind(&self) -> ScheduleKind {
        match self {
            ScheduledAction::CaseloadDigest {} => ScheduleKind::CaseloadDigest,
            ScheduledAction::ManagementInformationExport { .. } => {
                ScheduleKind::ManagementInformationExport
            }
            ScheduledAction::OverdueReviewSweep { .. } => ScheduleKind::OverdueReviewSweep,
        }
    }
}

/// On an outbox action: which schedule made it, with the action's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScheduleFiring {
    pub id: ScheduleId,
    pub name: String,
    pub action: ScheduledAction,
    /// The fire instant on the schedule's local clock.
    #[serde(serialize_with = "serialize_local")]
    pub local_time: DateTime<FixedOffset>,
}

/// What happens to occurrences found due late (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum CatchUp {
    // Braces, not unit variants: serde then refuses unknown fields on them too.
    Skip {},
    Latest {},
    AllWithin { window_hours: u32, max: u32 },
}

impl Default for CatchUp {
    fn default() -> Self {
        CatchUp::Latest {}
    }
}

/// What happens when an occurrence is due while the previous action is still pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    #[default]
    Allow,
    SkipWhilePreviousPending,
}

/// A schedule as `POST`/`PUT …/schedules` take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDefinition {
    pub name: String,
    /// 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first);
    /// day-of-week by name (MON-FRI).
    pub cron: String,
    /// IANA time zone; default the council's.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timezone: Option<Tz>,
    pub action: ScheduledAction,
    /// Nothing fires before this instant.
    #[serde(default)]
    pub starts: Option<DateTime<Utc>>,
    /// Nothing fires after this instant.
    #[serde(default)]
    pub ends: Option<DateTime<Utc>>,
    #[serde(default)]
    pub non_working_days: NonWorkingDays,
    #[serde(default)]
    pub catch_up: CatchUp,
    #[serde(default)]
    pub overlap: Overlap,
    /// The daylight-saving rules; default shift out of the gap, fire once on a repeat.
    #[serde(default)]
    pub dst: DstRules,
    #[serde(default)]
    pub paused: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSchedule {
    #[error("`name` must be 1 to 200 characters")]
    Name,
    #[error(transparent)]
    Cron(#[from] InvalidCron),
    #[error("`ends` ({ends}) must be after `starts` ({starts})")]
    Bounds {
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
    },
    #[error("`catch_up.window_hours` must be 1 to 744 and `catch_up.max` 1 to 1000")]
    CatchUp,
    #[error("`action.period_days` must be 1 to 400")]
    Period,
    #[error("`action.grace_working_days` must be at most 60")]
    Grace,
    #[error(
        "cron expression `{0}` never fires from now on within `starts` and `ends` (and the non-working-day rule): check them"
    )]
    NeverFires(String),
}

/// Largest catch-up window: a month.
const MAX_WINDOW_HOURS: u32 = 744;
/// How late an occurrence may fire and still count as on time under `skip`.
pub const ON_TIME: Duration = Duration::minutes(1);

/// A stored schedule: its definition, resolved, and where firing has got to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AdminSchedule {
    pub id: ScheduleId,
    pub council: CouncilId,
    pub name: String,
    pub cron: String,
    #[schemars(with = "String")]
    pub timezone: Tz,
    pub action: ScheduledAction,
    pub starts: Option<DateTime<Utc>>,
    pub ends: Option<DateTime<Utc>>,
    pub non_working_days: NonWorkingDays,
    pub catch_up: CatchUp,
    pub overlap: Overlap,
    pub dst: DstRules,
    pub paused: bool,
    /// Every occurrence up to this instant has been fired or recorded as missed.
    pub handled_through: DateTime<Utc>,
    /// The next occurrence to deal with; absent when the schedule has ended.
    pub next_due: Option<DateTime<Utc>>,
    /// This schedule's most recent action (for the overlap rule).
    pub last_action: Option<ActionId>,
    pub fired: u64,
    pub missed: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AdminSchedule {
    /// A schedule from a definition, checked; it fires only after `now`.
    pub fn define(
        id: ScheduleId,
        council: CouncilId,
        council_tz: Tz,
        def: ScheduleDefinition,
        now: DateTime<Utc>,
        calendar: &dyn WorkingCalendar,
    ) -> Result<AdminSchedule, InvalidSchedule> {
        let name = def.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(InvalidSchedule::Name);
        }
        if let (Some(starts), Some(ends)) = (def.starts, def.ends)
            && ends <= starts
        {
            return Err(InvalidSchedule::Bounds { starts, ends });
        }
        if let CatchUp::AllWithin { window_hours, max } = def.catch_up
            && (!(1..=MAX_WINDOW_HOURS).contains(&window_hours) || !(1..=1000).contains(&max))
        {
            return Err(InvalidSchedule::CatchUp);
        }
        match def.action {
            ScheduledAction::ManagementInformationExport { period_days, .. }
                if !(1..=400).contains(&period_days) =>
            {
                return Err(InvalidSchedule::Period);
            }
            ScheduledAction::OverdueReviewSweep { grace_working_days }
                if grace_working_days > 60 =>
            {
                return Err(InvalidSchedule::Grace);
            }
            _ => {}
        }
        let timezone = def.timezone.unwrap_or(council_tz);
        Recurrence::parse(&def.cron, timezone, def.dst)?;
        let mut schedule = AdminSchedule {
            id,
            council,
            name: name.to_owned(),
            cron: def.cron.split_whitespace().collect::<Vec<_>>().join(" "),
            timezone,
            action: def.action,
            starts: def.starts,
            ends: def.ends,
            non_working_days: def.non_working_days,
            catch_up: def.catch_up,
            overlap: def.overlap,
            dst: def.dst,
            paused: def.paused,
            handled_through: now,
            next_due: None,
            last_action: None,
            fired: 0,
            missed: 0,
            created_at: now,
            updated_at: now,
        };
        schedule.next_due = schedule.next_after(now, calendar);
        // One that can never fire again (ended, impossible dates, every day skipped)
        // is a mistake worth refusing rather than storing.
        if schedule.next_due.is_none() {
            return Err(InvalidSchedule::NeverFires(schedule.cron.clone()));
        }
        Ok(schedule)
    }

    /// The schedule paused (or resumed) as of `now`; `None` when it already is.
    pub fn with_paused(&self, paused: bool, now: DateTime<Utc>) -> Option<AdminSchedule> {
        if self.paused == paused {
            return None;
        }
        let mut next = self.clone();
        next.paused = paused;
        next.updated_at = now;
        Some(next)
    }

    /// Replaces the definition, keeping identity, counts and history. Occurrences of
    /// the new definition count only after `now`.
    pub fn redefine(
        &self,
        council_tz: Tz,
        def: ScheduleDefinition,
        now: DateTime<Utc>,
        calendar: &dyn WorkingCalendar,
    ) -> Result<AdminSchedule, InvalidSchedule> {
        let mut next = AdminSchedule::define(
            self.id.clone(),
            self.council.clone(),
            council_tz,
            def,
            now,
            calendar,
        )?;
        next.last_action = self.last_action.clone();
        next.fired = self.fired;
        next.missed = self.missed;
        next.created_at = self.created_at;
        next.handled_through = self.handled_through.max(now);
        next.next_due = next.next_after(next.handled_through, calendar);
        Ok(next)
    }

    fn recurrence(&self) -> Option<Recurrence> {
        // Validated when defined; a stored schedule always parses.
        Recurrence::parse(&self.cron, self.timezone, self.dst).ok()
    }

    /// Occurrences strictly after `after` within `starts`/`ends`: the one sequence
    /// that both preview and firing read.
    pub fn occurrences_after(
        &self,
        after: DateTime<Utc>,
        calendar: &dyn WorkingCalendar,
        limit: usize,
        until: Option<DateTime<Utc>>,
    ) -> Vec<Occurrence> {
        let Some(recurrence) = self.recurrence() else {
            return Vec::new();
        };
        let after = match self.starts {
            Some(starts) => after.max(starts - Duration::nanoseconds(1)),
            None => after,
        };
        let end = match (self.ends, until) {
            (Some(e), Some(u)) => Some(e.min(u)),
            (e, u) => e.or(u),
        };
        recurrence
            .occurrences_after(after, calendar, self.non_working_days)
            .take_while(|o| end.is_none_or(|e| o.at <= e))
            .take(limit)
            .collect()
    }

    pub fn next_after(
        &self,
        after: DateTime<Utc>,
        calendar: &dyn WorkingCalendar,
    ) -> Option<DateTime<Utc>> {
        self.occurrences_after(after, calendar, 1, None)
            .first()
            .map(|o| o.at)
    }

    /// The catch-up threshold at `now`: due occurrences at or after it fire.
    pub fn fire_from(&self, now: DateTime<Utc>, calendar: &dyn WorkingCalendar) -> DateTime<Utc> {
        match self.catch_up {
            CatchUp::Skip {} => now - ON_TIME,
            CatchUp::Latest {} => self.latest_due(now, calendar).unwrap_or(now),
            CatchUp::AllWithin { window_hours, max } => {
                let window_start = now - Duration::hours(i64::from(window_hours));
                let from = self
                    .handled_through
                    .max(window_start - Duration::nanoseconds(1));
                let within = self.occurrences_after(from, calendar, usize::MAX, Some(now));
                let max = max as usize;
                if within.len() > max {
                    within[within.len() - max].at
                } else {
                    window_start
                }
            }
        }
    }

    /// The most recent occurrence due at `now` and not yet handled.
    fn latest_due(
        &self,
        now: DateTime<Utc>,
        calendar: &dyn WorkingCalendar,
    ) -> Option<DateTime<Utc>> {
        // Look back a little first: for most schedules the latest is close to now.
        for back in [
            Duration::hours(2),
            Duration::days(2),
            Duration::days(40),
            Duration::days(800),
        ] {
            let from = self.handled_through.max(now - back);
            let found = self.occurrences_after(from, calendar, usize::MAX, Some(now));
            if let Some(last) = found.last() {
                return Some(last.at);
            }
            if from == self.handled_through {
                return None;
            }
        }
        let all = self.occurrences_after(self.handled_through, calendar, usize::MAX, Some(now));
        all.last().map(|o| o.at)
    }

    /// The outbox action for an occurrence; its id and key derive from (schedule, instant).
    pub fn action_for(&self, occurrence: &Occurrence, fired_at: DateTime<Utc>) -> Action {
        let key = self.idempotency_key(occurrence.at);
        let local_time = occurrence.local(self.timezone);
        Action {
            id: ActionId::derive(occurrence.at, &key),
            council: self.council.clone(),
            participant: None,
            kind: ActionKind::Schedule(self.action.kind()),
            due: local_time.date_naive(),
            purpose: self.name.clone(),
            scheduled_for: occurrence.at,
            fired_at,
            idempotency_key: key,
            status: ActionStatus::Pending,
            acknowledged_at: None,
            handover: None,
            schedule: Some(ScheduleFiring {
                id: self.id.clone(),
                name: self.name.clone(),
                action: self.action.clone(),
                local_time,
            }),
            delivery: crate::outbox::Delivery::default(),
            key_worker: None,
            result: None,
        }
    }

    /// Derived from (schedule, scheduled instant): the same occurrence always carries
    /// the same key, across restarts, so receivers can drop repeats.
    pub fn idempotency_key(&self, at: DateTime<Utc>) -> String {
        let mut h = Sha256::new();
        h.update(self.council.as_str().as_bytes());
        h.update([0]);
        h.update(self.id.as_str().as_bytes());
        h.update([0]);
        h.update(at.to_rfc3339().as_bytes());
        hex::encode(h.finalize())
    }
}

/// Why an occurrence did not fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissReason {
    /// Found due late, and the catch-up rule does not fire it.
    CatchUpRule,
    Paused,
    /// The overlap rule: this schedule's previous action was still pending.
    PreviousStillPending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Fired,
    Missed,
}

/// What happened to one occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScheduleRun {
    pub schedule: ScheduleId,
    pub scheduled_for: DateTime<Utc>,
    /// The fire instant on the schedule's local clock.
    #[serde(serialize_with = "serialize_local")]
    pub local_time: DateTime<FixedOffset>,
    pub adjustments: Vec<Adjustment>,
    pub outcome: RunOutcome,
    pub action: Option<ActionId>,
    pub reason: Option<MissReason>,
    pub recorded_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::calendar::{Nation, UkCalendar};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid instant")
            .with_timezone(&Utc)
    }

    fn def(cron: &str, catch_up: CatchUp) -> ScheduleDefinition {
        ScheduleDefinition {
            name: "digest".into(),
            cron: cron.into(),
            timezone: None,
            action: ScheduledAction::CaseloadDigest {},
            starts: None,
            ends: None,
            non_working_days: NonWorkingDays::Fire,
            catch_up,
            overlap: Overlap::Allow,
            dst: DstRules::default(),
            paused: false,
        }
    }

    fn schedule(cron: &str, catch_up: CatchUp, created: &str) -> AdminSchedule {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        AdminSchedule::define(
            ScheduleId::new_random(),
            "stoke-on-trent".parse().expect("id"),
            chrono_tz::Europe::London,
            def(cron, catch_up),
            utc(created),
            &cal,
        )
        .expect("valid")
    }

    #[test]
    fn catch_up_thresholds_follow_each_rule_after_five_missed_days() {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        // Daily 09:00 (GMT in January), created on the 5th; the daemon is back on the 10th at noon.
        let now = utc("2026-01-10T12:00:00Z");
        let skip = schedule("0 9 * * *", CatchUp::Skip {}, "2026-01-05T10:00:00Z");
        assert_eq!(skip.fire_from(now, &cal), now - ON_TIME);
        let latest = schedule("0 9 * * *", CatchUp::Latest {}, "2026-01-05T10:00:00Z");
        assert_eq!(latest.fire_from(now, &cal), utc("2026-01-10T09:00:00Z"));
        let within = schedule(
            "0 9 * * *",
            CatchUp::AllWithin {
                window_hours: 72,
                max: 2,
            },
            "2026-01-05T10:00:00Z",
        );
        // Within 72 h: the 8th, 9th and 10th; at most 2, the most recent.
        assert_eq!(within.fire_from(now, &cal), utc("2026-01-09T09:00:00Z"));
        let roomy = schedule(
            "0 9 * * *",
            CatchUp::AllWithin {
                window_hours: 72,
                max: 10,
            },
            "2026-01-05T10:00:00Z",
        );
        assert_eq!(roomy.fire_from(now, &cal), utc("2026-01-07T12:00:00Z"));
    }

    #[test]
    fn starts_and_ends_bound_the_occurrences() {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        let mut d = def("0 9 * * *", CatchUp::Latest {});
        d.starts = Some(utc("2026-02-01T00:00:00Z"));
        d.ends = Some(utc("2026-02-03T09:00:00Z"));
        let s = AdminSchedule::define(
            ScheduleId::new_random(),
            "stoke-on-trent".parse().expect("id"),
            chrono_tz::Europe::London,
            d,
            utc("2026-01-05T10:00:00Z"),
            &cal,
        )
        .expect("valid");
        let got: Vec<_> = s
            .occurrences_after(s.handled_through, &cal, 10, None)
            .into_iter()
            .map(|o| o.at)
            .collect();
        assert_eq!(
            got,
            [
                utc("2026-02-01T09:00:00Z"),
                utc("2026-02-02T09:00:00Z"),
                utc("2026-02-03T09:00:00Z")
            ]
        );
        assert_eq!(s.next_due, Some(utc("2026-02-01T09:00:00Z")));
    }

    #[test]
    fn invalid_definitions_are_refused_with_what_to_fix() {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        let attempt = |d: ScheduleDefinition| {
            AdminSchedule::define(
                ScheduleId::new_random(),
                "stoke-on-trent".parse().expect("id"),
                chrono_tz::Europe::London,
                d,
                utc("2026-01-05T10:00:00Z"),
                &cal,
            )
            .expect_err("invalid")
            .to_string()
        };
        assert!(attempt(def("0 9 * *", CatchUp::Latest {})).contains("4 fields"));
        assert!(attempt(def("0 9 30 2 *", CatchUp::Latest {})).contains("never fires"));
        let mut d = def(
            "0 9 * * *",
            CatchUp::AllWithin {
                window_hours: 0,
                max: 1,
            },
        );
        assert!(attempt(d.clone()).contains("window_hours"));
        d.catch_up = CatchUp::Latest {};
        d.ends = Some(utc("2026-01-01T00:00:00Z"));
        assert!(attempt(d.clone()).contains("never fires from now on"));
        d.ends = None;
        d.name = " ".into();
        assert!(attempt(d).contains("name"));
        let bad_zone = serde_json::from_str::<ScheduleDefinition>(
            r#"{"name":"x","cron":"0 9 * * *","timezone":"Europe/Londres","action":{"type":"caseload_digest"}}"#,
        )
        .expect_err("unknown zone");
        assert!(
            bad_zone.to_string().contains("Europe/Londres"),
            "{bad_zone}"
        );
        let extra = serde_json::from_str::<ScheduleDefinition>(
            r#"{"name":"x","cron":"0 9 * * *","action":{"type":"caseload_digest","format":"csv"}}"#,
        )
        .expect_err("unknown action field");
        assert!(extra.to_string().contains("format"), "{extra}");
    }

    #[test]
    fn schedule_ids_are_checked_when_parsed() {
        let id = ScheduleId::new_random();
        assert_eq!(id.as_str().parse::<ScheduleId>(), Ok(id.clone()));
        for bad in [
            "",
            "sch_",
            "sch_../../etc",
            &format!("{}X", &id.as_str()[..35]),
        ] {
            assert!(bad.parse::<ScheduleId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let e = serde_json::from_str::<ScheduleDefinition>(
            r#"{"name":"x","cron":"0 9 * * *","action":{"type":"caseload_digest"},"colour":"red"}"#,
        )
        .expect_err("unknown field");
        assert!(e.to_string().contains("colour"), "{e}");
        let e = serde_json::from_str::<ScheduleDefinition>(
            r#"{"name":"x","cron":"0 9 * * *","action":{"type":"caseload_digest"},"catch_up":{"policy":"latest","window":3}}"#,
        )
        .expect_err("unknown field");
        assert!(e.to_string().contains("window"), "{e}");
    }
}
