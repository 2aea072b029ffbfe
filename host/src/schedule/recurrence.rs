//! When a cron schedule fires, right across daylight-saving changes and non-working days.
//!
//! The `cron` crate parses expressions and walks them, but its own time-zone handling
//! silently drops a local time that falls in the spring-forward gap and fires twice
//! in the autumn repeat. So it is only ever asked about *naive local* wall-clock
//! times (it walks them in UTC, a zone without daylight saving), and each local time
//! is then turned into instants here, by explicit rules:
//!
//! - **Spring-forward gap** (e.g. 01:30 on the last Sunday of March in London, which
//!   does not exist): [`GapRule::ShiftForward`] (default) fires at the first instant
//!   after the gap (02:00 BST); [`GapRule::Skip`] does not fire that day.
//! - **Autumn repeat** (01:30 on the last Sunday of October happens twice):
//!   [`RepeatRule::First`] (default) fires once, on the first (BST) occurrence;
//!   [`RepeatRule::Both`] fires on each.
//! - Several local times landing on one instant (times in a gap shifted to its end,
//!   or a non-working day shifted onto a day that fires anyway) fire **once**.
//!
//! Non-working days ([`NonWorkingDays`]) are judged on the nominal local date: fire
//! anyway, skip, or move to the same local time on the next working day.
//!
//! Preview and the scheduler both read [`Recurrence::occurrences_after`]: what is
//! previewed is what fires.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::calendar::WorkingCalendar;

/// What to do with a local time that does not exist (the spring-forward gap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapRule {
    /// Fire at the first instant after the gap.
    #[default]
    ShiftForward,
    /// Do not fire for that local time.
    Skip,
}

/// What to do with a local time that happens twice (the autumn repeat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RepeatRule {
    /// Fire once, on the first occurrence (still on summer time).
    #[default]
    First,
    /// Fire on both occurrences.
    Both,
}

/// The daylight-saving rules of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DstRules {
    #[serde(default)]
    pub spring_gap: GapRule,
    #[serde(default)]
    pub autumn_repeat: RepeatRule,
}

/// What to do with an occurrence whose local date is not a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NonWorkingDays {
    /// Fire as if every day were a working day.
    #[default]
    Fire,
    /// Do not fire.
    Skip,
    /// Fire at the same local time on the next working day (once, if that day fires anyway).
    ShiftToNextWorkingDay,
}

/// Why a fire instant differs from the nominal local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Adjustment {
    /// The local time fell in the spring-forward gap; fired at the gap's end.
    ShiftedOutOfDstGap,
    /// The local time happens twice; this is its first occurrence.
    FirstOfRepeatedTime,
    /// The local time happens twice; this is its second occurrence.
    SecondOfRepeatedTime,
    /// The nominal date was not a working day; moved to the next one.
    ShiftedToWorkingDay,
}

/// One instant a schedule fires at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub at: DateTime<Utc>,
    /// The local wall-clock time the cron expression named.
    pub nominal: NaiveDateTime,
    pub adjustments: Vec<Adjustment>,
}

impl Occurrence {
    /// The fire instant on the local clock, with its offset.
    pub fn local(&self, tz: Tz) -> DateTime<FixedOffset> {
        self.at.with_timezone(&tz).fixed_offset()
    }
}

/// Writes a local time with its numeric offset (`+00:00`, not `Z`: it is local time).
pub fn serialize_local<S: serde::Serializer>(
    t: &DateTime<FixedOffset>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCron {
    #[error(
        "cron expression has {found} fields: use 5 (minute hour day-of-month month day-of-week) or 6 (a seconds field first)"
    )]
    FieldCount { found: usize },
    #[error(
        "cron seconds field `{0}` must be a single number from 0 to 59: schedules fire at most once a minute"
    )]
    Seconds(String),
    #[error(
        "cron day-of-week field `{0}` uses numbers, which mean different days in different cron dialects: use names (MON-FRI, SUN, …)"
    )]
    NumericDayOfWeek(String),
    #[error("cron expression `{expression}` is not valid: {reason}")]
    Parse { expression: String, reason: String },
}

/// A parsed cron expression in a time zone, with its DST rules.
#[derive(Debug, Clone)]
pub struct Recurrence {
    cron: cron::Schedule,
    tz: Tz,
    rules: DstRules,
}

/// Gives up looking for the next occurrence after this many nominal times without
/// one (a calendar that skips every day, an expression whose dates never come).
const MAX_FRUITLESS: u32 = 600_000;

impl Recurrence {
    pub fn parse(expression: &str, tz: Tz, rules: DstRules) -> Result<Recurrence, InvalidCron> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let full = match fields.len() {
            5 => format!("0 {}", fields.join(" ")),
            6 => fields.join(" "),
            found => return Err(InvalidCron::FieldCount { found }),
        };
        let parts: Vec<&str> = full.split(' ').collect();
        let seconds_ok = parts[0].parse::<u32>().is_ok_and(|s| s < 60);
        if !seconds_ok {
            return Err(InvalidCron::Seconds(parts[0].chars().take(40).collect()));
        }
        if parts[5].chars().any(|c| c.is_ascii_digit()) {
            return Err(InvalidCron::NumericDayOfWeek(
                parts[5].chars().take(40).collect(),
            ));
        }
        let cron = cron::Schedule::from_str(&full).map_err(|e| InvalidCron::Parse {
            expression: expression.chars().take(100).collect(),
            reason: e.to_string(),
        })?;
        Ok(Recurrence { cron, tz, rules })
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Every occurrence strictly after `after`, in time order, each instant once.
    pub fn occurrences_after<'a>(
        &'a self,
        after: DateTime<Utc>,
        calendar: &'a dyn WorkingCalendar,
        non_working: NonWorkingDays,
    ) -> Occurrences<'a> {
        let local_after = after.with_timezone(&self.tz).naive_local();
        // Start far enough back that a local time moved forward (out of a gap, or off
        // a run of non-working days) onto an instant after `after` is still seen.
        let mut start_day = local_after.date();
        if non_working == NonWorkingDays::ShiftToNextWorkingDay {
            for _ in 0..60 {
                let before = start_day - Duration::days(1);
                if calendar.is_working_day(before) {
                    break;
                }
                start_day = before;
            }
        }
        let start = start_day
            .and_time(local_after.time())
            .min(local_after)
            .checked_sub_signed(Duration::hours(6))
            .unwrap_or(local_after);
        let nominal = self.cron.after_owned(Utc.from_utc_datetime(&start));
        Occurrences {
            recurrence: self,
            calendar,
            non_working,
            after,
            nominal,
            pending: BTreeMap::new(),
            floor: None,
            exhausted: false,
            fruitless: 0,
        }
    }

    /// The instants a local wall-clock time maps to under this schedule's rules.
    fn instants(&self, local: NaiveDateTime) -> Vec<(DateTime<Utc>, Option<Adjustment>)> {
        match self.tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => vec![(t.with_timezone(&Utc), None)],
            chrono::LocalResult::Ambiguous(first, second) => {
                let first = (
                    first.with_timezone(&Utc),
                    Some(Adjustment::FirstOfRepeatedTime),
                );
                match self.rules.autumn_repeat {
                    RepeatRule::First => vec![first],
                    RepeatRule::Both => vec![
                        first,
                        (
                            second.with_timezone(&Utc),
                            Some(Adjustment::SecondOfRepeatedTime),
                        ),
                    ],
                }
            }
            chrono::LocalResult::None => match self.rules.spring_gap {
                GapRule::Skip => Vec::new(),
                GapRule::ShiftForward => gap_end(self.tz, local)
                    .map(|t| vec![(t, Some(Adjustment::ShiftedOutOfDstGap))])
                    .unwrap_or_default(),
            },
        }
    }
}

/// The earliest instant a local time can map to: its only or first occurrence, or
/// the end of the gap it falls in. Never decreases as the local time increases.
fn earliest_instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        chrono::LocalResult::None => gap_end(tz, local),
    }
}

/// The instant a gap ends (the transition), for a local time inside the gap.
fn gap_end(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Read with the offset in force a day before, the local time lands just after
    // the transition; the transition is the first instant whose offset differs.
    let before = tz
        .from_local_datetime(&(local - Duration::days(1)))
        .earliest()?
        .offset()
        .fix();
    let past = Utc.from_utc_datetime(&(local - before));
    let offset_at = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    // Whole seconds: every zone's transitions fall on one.
    let (mut lo, mut hi) = (past.timestamp() - 86_400, past.timestamp());
    let at = |s: i64| DateTime::from_timestamp(s, 0);
    if at(hi).is_none_or(|t| offset_at(t) == before) {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if at(mid).is_some_and(|t| offset_at(t) == before) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    at(hi)
}

/// The iterator behind [`Recurrence::occurrences_after`].
pub struct Occurrences<'a> {
    recurrence: &'a Recurrence,
    calendar: &'a dyn WorkingCalendar,
    non_working: NonWorkingDays,
    after: DateTime<Utc>,
    nominal: cron::OwnedScheduleIterator<Utc>,
    /// Candidates not yet released, by instant (one per instant: the first wins).
    pending: BTreeMap<DateTime<Utc>, Occurrence>,
    /// No later nominal time can produce an instant before this.
    floor: Option<DateTime<Utc>>,
    exhausted: bool,
    fruitless: u32,
}

impl Iterator for Occurrences<'_> {
    type Item = Occurrence;

    fn next(&mut self) -> Option<Occurrence> {
        loop {
            if let Some((&first, _)) = self.pending.first_key_value()
                && (self.exhausted || self.floor.is_some_and(|f| first < f))
            {
                self.fruitless = 0;
                return self.pending.remove(&first);
            }
            if self.exhausted {
                return None;
            }
            self.fruitless += 1;
            let Some(nominal) = self
                .nominal
                .next()
                .filter(|_| self.fruitless < MAX_FRUITLESS)
            else {
                self.exhausted = true;
                continue;
            };
            let nominal = nominal.naive_utc();
            let tz = self.recurrence.tz;
            self.floor = earliest_instant(tz, nominal).or(self.floor);
            let day = nominal.date();
            let (local, moved) = if self.calendar.is_working_day(day) {
                (nominal, false)
            } else {
                match self.non_working {
                    NonWorkingDays::Fire => (nominal, false),
                    NonWorkingDays::Skip => continue,
                    NonWorkingDays::ShiftToNextWorkingDay => (
                        self.calendar
                            .next_working_day_from(day)
                            .and_time(nominal.time()),
                        true,
                    ),
                }
            };
            for (at, dst) in self.recurrence.instants(local) {
                if at <= self.after {
                    continue;
                }
                let adjustments = moved
                    .then_some(Adjustment::ShiftedToWorkingDay)
                    .into_iter()
                    .chain(dst)
                    .collect();
                self.pending.entry(at).or_insert(Occurrence {
                    at,
                    nominal,
                    adjustments,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::calendar::{Nation, UkCalendar};
    use chrono::{NaiveDate, Timelike};
    use chrono_tz::Europe::London;

    /// Every day works: isolates the DST rules.
    struct EveryDay;
    impl WorkingCalendar for EveryDay {
        fn is_working_day(&self, _: NaiveDate) -> bool {
            true
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid instant")
            .with_timezone(&Utc)
    }

    fn london(expr: &str) -> Recurrence {
        Recurrence::parse(expr, London, DstRules::default()).expect("valid cron")
    }

    fn next_n(r: &Recurrence, after: &str, n: usize) -> Vec<String> {
        r.occurrences_after(utc(after), &EveryDay, NonWorkingDays::Fire)
            .take(n)
            .map(|o| o.local(r.timezone()).to_rfc3339())
            .collect()
    }

    fn fires_exactly_once_every_local_day(r: &Recurrence, year: i32) {
        let tz = r.timezone();
        let start = tz
            .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
            .single()
            .expect("midnight exists")
            .with_timezone(&Utc)
            - Duration::seconds(1);
        let mut day = NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
        let mut last = start;
        for o in r
            .occurrences_after(start, &EveryDay, NonWorkingDays::Fire)
            .take_while(|o| o.nominal.date().year() == year)
        {
            assert!(o.at > last, "instants strictly increase");
            last = o.at;
            assert_eq!(
                o.nominal.date(),
                day,
                "one occurrence per local day, in order"
            );
            assert_eq!(
                o.local(tz).date_naive(),
                day,
                "fires on its own local day: {o:?} in {tz}"
            );
            day = day.succ_opt().expect("next day");
        }
        assert_eq!(day, NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("date"));
    }

    use chrono::Datelike;

    #[test]
    fn daily_0130_london_fires_exactly_once_on_every_local_day_of_2026_and_2027() {
        let r = london("30 1 * * *");
        fires_exactly_once_every_local_day(&r, 2026);
        fires_exactly_once_every_local_day(&r, 2027);
    }

    #[test]
    fn a_daily_schedule_at_any_half_hour_fires_once_every_local_day_in_four_zones() {
        // London and New York (one-hour changes at 01:00/02:00), Lord Howe (a
        // half-hour change), Kolkata (none).
        let zones = [
            London,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kolkata,
        ];
        for tz in zones {
            for half_hour in 0..48 {
                let expr = format!("{} {} * * *", (half_hour % 2) * 30, half_hour / 2);
                let both = DstRules {
                    autumn_repeat: RepeatRule::First,
                    spring_gap: GapRule::ShiftForward,
                };
                let r = Recurrence::parse(&expr, tz, both).expect("valid");
                fires_exactly_once_every_local_day(&r, 2026);
            }
        }
    }

    #[test]
    fn daily_0130_in_the_spring_gap_shifts_to_0200_bst_and_autumn_repeat_fires_once() {
        let r = london("30 1 * * *");
        assert_eq!(
            next_n(&r, "2026-03-28T12:00:00Z", 2),
            ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"]
        );
        assert_eq!(
            next_n(&r, "2026-10-24T12:00:00Z", 2),
            ["2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"]
        );
        let gap = r
            .occurrences_after(utc("2026-03-28T12:00:00Z"), &EveryDay, NonWorkingDays::Fire)
            .next()
            .expect("fires");
        assert_eq!(gap.adjustments, [Adjustment::ShiftedOutOfDstGap]);
        assert_eq!(gap.nominal.hour(), 1);
    }

    #[test]
    fn skip_and_both_rules_change_only_the_dst_days() {
        let rules = DstRules {
            spring_gap: GapRule::Skip,
            autumn_repeat: RepeatRule::Both,
        };
        let r = Recurrence::parse("30 1 * * *", London, rules).expect("valid");
        assert_eq!(
            next_n(&r, "2026-03-28T12:00:00Z", 1),
            ["2026-03-30T01:30:00+01:00"]
        );
        assert_eq!(
            next_n(&r, "2026-10-24T12:00:00Z", 3),
            [
                "2026-10-25T01:30:00+01:00",
                "2026-10-25T01:30:00+00:00",
                "2026-10-26T01:30:00+00:00"
            ]
        );
    }

    #[test]
    fn hourly_schedule_across_both_dst_edges_fires_once_per_real_hour() {
        let r = london("0 * * * *");
        // Spring: 00:00 GMT, then 02:00 BST (01:00 does not exist and shifts onto 02:00: once).
        assert_eq!(
            next_n(&r, "2026-03-28T23:30:00Z", 3),
            [
                "2026-03-29T00:00:00+00:00",
                "2026-03-29T02:00:00+01:00",
                "2026-03-29T03:00:00+01:00"
            ]
        );
        // Autumn: 01:00 happens twice; the default fires the first only.
        assert_eq!(
            next_n(&r, "2026-10-24T22:30:00Z", 4),
            [
                "2026-10-25T00:00:00+01:00",
                "2026-10-25T01:00:00+01:00",
                "2026-10-25T02:00:00+00:00",
                "2026-10-25T03:00:00+00:00"
            ]
        );
        // With both, each real hour fires.
        let both = Recurrence::parse(
            "0 * * * *",
            London,
            DstRules {
                autumn_repeat: RepeatRule::Both,
                ..DstRules::default()
            },
        )
        .expect("valid");
        assert_eq!(
            next_n(&both, "2026-10-24T23:30:00Z", 3),
            [
                "2026-10-25T01:00:00+01:00",
                "2026-10-25T01:00:00+00:00",
                "2026-10-25T02:00:00+00:00"
            ]
        );
    }

    #[test]
    fn repeated_quarter_hours_with_both_come_out_in_time_order() {
        let both = Recurrence::parse(
            "15,45 1 * * *",
            London,
            DstRules {
                autumn_repeat: RepeatRule::Both,
                ..DstRules::default()
            },
        )
        .expect("valid");
        let got: Vec<DateTime<Utc>> = both
            .occurrences_after(utc("2026-10-24T12:00:00Z"), &EveryDay, NonWorkingDays::Fire)
            .take(4)
            .map(|o| o.at)
            .collect();
        assert_eq!(
            got,
            [
                utc("2026-10-25T00:15:00Z"),
                utc("2026-10-25T00:45:00Z"),
                utc("2026-10-25T01:15:00Z"),
                utc("2026-10-25T01:45:00Z")
            ]
        );
    }

    #[test]
    fn new_york_gap_and_repeat_follow_the_same_rules() {
        let r = Recurrence::parse(
            "30 2 * * *",
            chrono_tz::America::New_York,
            DstRules::default(),
        )
        .expect("valid");
        // 8 March 2026: 02:00 EST → 03:00 EDT.
        assert_eq!(
            next_n(&r, "2026-03-07T12:00:00Z", 2),
            ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]
        );
        let r = Recurrence::parse(
            "30 1 * * *",
            chrono_tz::America::New_York,
            DstRules::default(),
        )
        .expect("valid");
        // 1 November 2026: 01:30 happens twice; fire on the first (EDT).
        assert_eq!(
            next_n(&r, "2026-10-31T12:00:00Z", 2),
            ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]
        );
    }

    #[test]
    fn five_and_six_field_expressions_agree_and_seconds_are_honoured() {
        let five = london("0 9 * * MON-FRI");
        let six = london("0 0 9 * * MON-FRI");
        assert_eq!(
            next_n(&five, "2026-01-02T12:00:00Z", 5),
            next_n(&six, "2026-01-02T12:00:00Z", 5)
        );
        assert_eq!(
            next_n(&five, "2026-01-02T12:00:00Z", 1),
            ["2026-01-05T09:00:00+00:00"]
        );
        let thirty = london("30 0 9 * * *");
        assert_eq!(
            next_n(&thirty, "2026-01-02T12:00:00Z", 1),
            ["2026-01-03T09:00:30+00:00"]
        );
    }

    #[test]
    fn invalid_expressions_name_the_problem() {
        let err = |e: &str| {
            Recurrence::parse(e, London, DstRules::default())
                .expect_err("invalid")
                .to_string()
        };
        assert!(err("* * *").contains("3 fields"), "{}", err("* * *"));
        assert!(err("0 0 0 0 0 0 0").contains("7 fields"));
        assert!(err("*/5 * * * * *").contains("seconds field `*/5`"));
        assert!(err("0 9 * * 1-5").contains("day-of-week field `1-5`"));
        let bad_minute = err("61 9 * * *");
        assert!(
            bad_minute.contains("`61 9 * * *` is not valid"),
            "{bad_minute}"
        );
        assert!(
            err("0 9 * * FUNDAY").contains("FUNDAY"),
            "{}",
            err("0 9 * * FUNDAY")
        );
    }

    #[test]
    fn weekday_schedule_skips_or_shifts_bank_holidays() {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        let r = london("0 9 * * *");
        let after = utc("2026-04-02T12:00:00Z"); // Thursday before Easter
        let skip: Vec<String> = r
            .occurrences_after(after, &cal, NonWorkingDays::Skip)
            .take(2)
            .map(|o| o.local(London).to_rfc3339())
            .collect();
        // Good Friday, the weekend and Easter Monday are skipped.
        assert_eq!(
            skip,
            ["2026-04-07T09:00:00+01:00", "2026-04-08T09:00:00+01:00"]
        );
        let shift: Vec<Occurrence> = r
            .occurrences_after(after, &cal, NonWorkingDays::ShiftToNextWorkingDay)
            .take(2)
            .collect();
        // Four non-working days all move to Tuesday 09:00, which fires once.
        assert_eq!(shift[0].at, utc("2026-04-07T08:00:00Z"));
        assert_eq!(shift[0].adjustments, [Adjustment::ShiftedToWorkingDay]);
        assert_eq!(
            shift[0].nominal.date(),
            NaiveDate::from_ymd_opt(2026, 4, 3).expect("d")
        );
        assert_eq!(shift[1].at, utc("2026-04-08T08:00:00Z"));
    }

    #[test]
    fn shifted_occurrence_is_found_from_inside_the_non_working_run() {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        let r = london("0 9 * * SAT");
        // From Sunday: Saturday's occurrence moved to Monday is still ahead.
        let o = r
            .occurrences_after(
                utc("2026-01-11T12:00:00Z"),
                &cal,
                NonWorkingDays::ShiftToNextWorkingDay,
            )
            .next()
            .expect("fires");
        assert_eq!(o.at, utc("2026-01-12T09:00:00Z"));
    }

    #[test]
    fn an_expression_whose_dates_never_come_ends_instead_of_spinning() {
        let r = london("0 9 30 2 *");
        assert!(
            r.occurrences_after(utc("2026-01-01T00:00:00Z"), &EveryDay, NonWorkingDays::Fire)
                .next()
                .is_none()
        );
    }
}
