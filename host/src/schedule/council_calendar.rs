//! A council's own working-day calendar, replaceable over HTTP.
//!
//! Either its nation's bank holidays by rule, with closure days added and holidays
//! removed, or an explicit list of non-working dates for a range of whole years (the
//! nation's rules still answer outside that range). Weekends are never working days.
//! Decisions, timers and schedules all read the same [`CouncilCalendar`].

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{Datelike, NaiveDate, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::calendar::{
    Nation, WINDOWS_KEPT, WorkingCalendar, bank_holidays, kept_or_made, weekdays_less,
    working_days_one_by_one,
};

/// Years a calendar may speak about.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// Most dates any one list may hold.
const MAX_DATES: usize = 2_000;
/// Widest explicit year range.
const MAX_EXPLICIT_YEARS: i32 = 30;

/// A council's calendar as stored and as `PUT /v1/councils/{council}/calendar` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum CalendarSpec {
    /// The nation's bank holidays by rule, adjusted.
    NationRules {
        nation: Nation,
        /// Extra non-working days, e.g. the council's own closure days.
        #[serde(default)]
        extra_holidays: Vec<NaiveDate>,
        /// Bank holidays the council works on.
        #[serde(default)]
        removed_holidays: Vec<NaiveDate>,
    },
    /// Every non-working weekday of `from_year` to `to_year` listed; outside those
    /// years the nation's rules apply.
    ExplicitDates {
        nation: Nation,
        from_year: i32,
        to_year: i32,
        non_working_dates: Vec<NaiveDate>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCalendar {
    #[error("`{field}` lists {count} dates; at most {MAX_DATES} are allowed")]
    TooMany { field: &'static str, count: usize },
    #[error("`{field}` has {date}, outside the years 2000 to 2100 a calendar covers")]
    OutOfRange {
        field: &'static str,
        date: NaiveDate,
    },
    #[error("`{field}` lists {date} twice: list each date once")]
    Duplicate {
        field: &'static str,
        date: NaiveDate,
    },
    #[error("{date} is in both `extra_holidays` and `removed_holidays`: keep it in one")]
    Both { date: NaiveDate },
    #[error("{date} is not a bank holiday of {nation:?}, so it cannot be in `removed_holidays`")]
    NotAHoliday { date: NaiveDate, nation: Nation },
    #[error(
        "`from_year` {from} and `to_year` {to} must be within 2000 to 2100, in order, at most {MAX_EXPLICIT_YEARS} years apart"
    )]
    Years { from: i32, to: i32 },
    #[error("{date} in `non_working_dates` is outside {from} to {to}: widen the years or drop it")]
    OutsideYears { date: NaiveDate, from: i32, to: i32 },
}

fn check_list(field: &'static str, dates: &[NaiveDate]) -> Result<(), InvalidCalendar> {
    if dates.len() > MAX_DATES {
        return Err(InvalidCalendar::TooMany {
            field,
            count: dates.len(),
        });
    }
    let mut seen = BTreeSet::new();
    for &date in dates {
        if !YEARS.contains(&date.year()) {
            return Err(InvalidCalendar::OutOfRange { field, date });
        }
        if !seen.insert(date) {
            return Err(InvalidCalendar::Duplicate { field, date });
        }
    }
    Ok(())
}

impl CalendarSpec {
    /// A nation's rules, unadjusted: what a council has until it says otherwise.
    pub fn for_nation(nation: Nation) -> CalendarSpec {
        CalendarSpec::NationRules {
            nation,
            extra_holidays: Vec::new(),
            removed_holidays: Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<(), InvalidCalendar> {
        match self {
            CalendarSpec::NationRules {
                nation,
                extra_holidays,
                removed_holidays,
            } => {
                check_list("extra_holidays", extra_holidays)?;
                check_list("removed_holidays", removed_holidays)?;
                if let Some(&date) = extra_holidays.iter().find(|d| removed_holidays.contains(d)) {
                    return Err(InvalidCalendar::Both { date });
                }
                for &date in removed_holidays {
                    if !bank_holidays(*nation, date.year()).contains(&date) {
                        return Err(InvalidCalendar::NotAHoliday {
                            date,
                            nation: *nation,
                        });
                    }
                }
                Ok(())
            }
            CalendarSpec::ExplicitDates {
                from_year,
                to_year,
                non_working_dates,
                ..
            } => {
                let (from, to) = (*from_year, *to_year);
                if !YEARS.contains(&from)
                    || !YEARS.contains(&to)
                    || from > to
                    || to - from >= MAX_EXPLICIT_YEARS
                {
                    return Err(InvalidCalendar::Years { from, to });
                }
                check_list("non_working_dates", non_working_dates)?;
                if let Some(&date) = non_working_dates
                    .iter()
                    .find(|d| !(from..=to).contains(&d.year()))
                {
                    return Err(InvalidCalendar::OutsideYears { date, from, to });
                }
                Ok(())
            }
        }
    }
}

/// A council's calendar, ready to answer: every non-working weekday of 2000–2100.
/// Cheap to clone: what it has worked out is shared.
#[derive(Debug, Clone)]
pub struct CouncilCalendar {
    worked: Arc<Worked>,
}

/// What a calendar has worked out from its spec.
#[derive(Debug)]
struct Worked {
    holidays: BTreeSet<NaiveDate>,
    /// The working-day windows last handed to plugins, newest last: every decision
    /// in a year asks for the same.
    windows: Mutex<Vec<KeptWindow>>,
}

/// A working-day window, by the (first day, days) it was asked for.
#[derive(Debug)]
struct KeptWindow {
    asked: (NaiveDate, u32),
    bits: Arc<[u64]>,
}

/// How many calendars (one per distinct spec) are kept worked out.
const CALENDARS_KEPT: usize = 64;

/// Calendars already worked out, newest last, by the spec they were built from: the
/// daemon reads a council's calendar for every decision, and working out a century
/// of bank holidays took about 22 µs, twice the decision. A calendar is a function
/// of its spec alone, so a replaced spec simply finds no match.
#[allow(clippy::type_complexity)]
static BUILT: Mutex<Vec<(CalendarSpec, Arc<Worked>)>> = Mutex::new(Vec::new());

impl CouncilCalendar {
    pub fn new(spec: &CalendarSpec) -> CouncilCalendar {
        let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, worked) = kept_or_made(
            &mut built,
            CALENDARS_KEPT,
            |(kept, _)| kept == spec,
            || {
                let worked = Worked {
                    holidays: Self::work_out(spec),
                    windows: Mutex::new(Vec::new()),
                };
                (spec.clone(), Arc::new(worked))
            },
        );
        CouncilCalendar {
            worked: worked.clone(),
        }
    }

    /// The window worked out a word at a time, less the holidays in it.
    fn work_out_working_days(&self, first: NaiveDate, days: u32) -> Arc<[u64]> {
        match first.checked_add_days(chrono::Days::new(u64::from(days))) {
            Some(end) => {
                weekdays_less(first, days, self.worked.holidays.range(first..end).copied()).into()
            }
            None => working_days_one_by_one(self, first, days).into(),
        }
    }

    fn work_out(spec: &CalendarSpec) -> BTreeSet<NaiveDate> {
        let nation = match spec {
            CalendarSpec::NationRules { nation, .. }
            | CalendarSpec::ExplicitDates { nation, .. } => *nation,
        };
        let mut holidays: BTreeSet<NaiveDate> =
            YEARS.flat_map(|y| bank_holidays(nation, y)).collect();
        match spec {
            CalendarSpec::NationRules {
                extra_holidays,
                removed_holidays,
                ..
            } => {
                holidays.extend(extra_holidays);
                for d in removed_holidays {
                    holidays.remove(d);
                }
            }
            CalendarSpec::ExplicitDates {
                from_year,
                to_year,
                non_working_dates,
                ..
            } => {
                holidays.retain(|d| !(*from_year..=*to_year).contains(&d.year()));
                holidays.extend(non_working_dates);
            }
        }
        holidays
    }
}

impl WorkingCalendar for CouncilCalendar {
    fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.worked.holidays.contains(&day)
    }

    /// The daemon hands every decision's plugin its council's window: worked out a
    /// word at a time, once, then shared by every decision that asks for it.
    fn working_days(&self, first: NaiveDate, days: u32) -> Arc<[u64]> {
        let asked = (first, days);
        let mut windows = self
            .worked
            .windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let kept = kept_or_made(
            &mut windows,
            WINDOWS_KEPT,
            |kept| kept.asked == asked,
            || KeptWindow {
                asked,
                bits: self.work_out_working_days(first, days),
            },
        );
        kept.bits.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every decision in a year asks for the same window: it is worked out once and
    /// shared, and a window asked for differently, or of another spec, is its own.
    #[test]
    fn a_window_is_worked_out_once_and_shared() {
        let spec = CalendarSpec::NationRules {
            nation: Nation::EnglandAndWales,
            extra_holidays: vec![d(2026, 8, 3)],
            removed_holidays: vec![],
        };
        let (first, days) = (d(2025, 1, 1), 1461);
        let window = CouncilCalendar::new(&spec).working_days(first, days);
        let again = CouncilCalendar::new(&spec).working_days(first, days);
        assert!(Arc::ptr_eq(&window, &again));
        let shorter = CouncilCalendar::new(&spec).working_days(first, 1460);
        assert!(!Arc::ptr_eq(&window, &shorter));
        assert_eq!(shorter[..22], window[..22]);
        let nation = CouncilCalendar::new(&CalendarSpec::for_nation(Nation::EnglandAndWales));
        let theirs = nation.working_days(first, days);
        assert_ne!(
            theirs, window,
            "3 August 2026 is a closure of the first spec only"
        );
        assert_eq!(theirs[..], working_days_one_by_one(&nation, first, days));
    }

    /// Calendars are kept by their spec, so a council that replaces its calendar
    /// gets the new one at once, and going back finds the old one again.
    #[test]
    fn a_replaced_spec_never_answers_with_the_calendar_kept_for_another() {
        let closure = d(2031, 3, 12);
        let with = CalendarSpec::NationRules {
            nation: Nation::Scotland,
            extra_holidays: vec![closure],
            removed_holidays: vec![],
        };
        let without = CalendarSpec::for_nation(Nation::Scotland);
        assert!(!CouncilCalendar::new(&with).is_working_day(closure));
        assert!(CouncilCalendar::new(&without).is_working_day(closure));
        assert!(!CouncilCalendar::new(&with).is_working_day(closure));
    }

    /// The word-at-a-time window is the day-at-a-time one, with closures added,
    /// holidays worked and explicit years.
    #[test]
    fn working_days_at_once_match_asking_day_by_day() {
        let specs = [
            CalendarSpec::NationRules {
                nation: Nation::NorthernIreland,
                extra_holidays: vec![d(2026, 7, 15), d(2027, 1, 5)],
                removed_holidays: vec![d(2026, 3, 17)],
            },
            CalendarSpec::ExplicitDates {
                nation: Nation::EnglandAndWales,
                from_year: 2026,
                to_year: 2026,
                non_working_dates: vec![d(2026, 1, 2), d(2026, 12, 24)],
            },
        ];
        for spec in &specs {
            let calendar = CouncilCalendar::new(spec);
            for first in d(2025, 12, 29).iter_days().take(8) {
                for days in [1, 64, 100, 1461] {
                    assert_eq!(
                        calendar.working_days(first, days)[..],
                        working_days_one_by_one(&calendar, first, days),
                        "{spec:?} from {first} for {days} days"
                    );
                }
            }
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn council_closure_day_and_worked_holiday_change_working_days() {
        let spec = CalendarSpec::NationRules {
            nation: Nation::EnglandAndWales,
            extra_holidays: vec![d(2026, 12, 24)],
            removed_holidays: vec![d(2026, 5, 4)],
        };
        spec.validate().expect("valid");
        let cal = CouncilCalendar::new(&spec);
        assert!(!cal.is_working_day(d(2026, 12, 24)));
        assert!(cal.is_working_day(d(2026, 5, 4)));
        assert!(!cal.is_working_day(d(2026, 5, 25)), "other holidays stay");
        // Thursday 24 Dec closed, Fri 25 and Mon 28 holidays: next working day is Tue 29.
        assert_eq!(cal.next_working_day_from(d(2026, 12, 24)), d(2026, 12, 29));
        assert_eq!(cal.add_working_days(d(2026, 12, 23), 1), d(2026, 12, 29));
    }

    #[test]
    fn explicit_dates_replace_the_rules_only_within_their_years() {
        let spec = CalendarSpec::ExplicitDates {
            nation: Nation::Scotland,
            from_year: 2026,
            to_year: 2026,
            non_working_dates: vec![d(2026, 1, 1), d(2026, 6, 15)],
        };
        spec.validate().expect("valid");
        let cal = CouncilCalendar::new(&spec);
        assert!(!cal.is_working_day(d(2026, 6, 15)));
        assert!(
            cal.is_working_day(d(2026, 1, 2)),
            "2 Jan not listed for 2026"
        );
        assert!(
            !cal.is_working_day(d(2027, 1, 4)),
            "2027 follows Scottish rules"
        );
    }

    #[test]
    fn invalid_calendars_are_refused_with_the_offending_date() {
        let removed_working_day = CalendarSpec::NationRules {
            nation: Nation::EnglandAndWales,
            extra_holidays: vec![],
            removed_holidays: vec![d(2026, 4, 8)],
        };
        let e = removed_working_day.validate().expect_err("invalid");
        assert!(e.to_string().contains("2026-04-08"), "{e}");
        let twice = CalendarSpec::NationRules {
            nation: Nation::EnglandAndWales,
            extra_holidays: vec![d(2026, 6, 1), d(2026, 6, 1)],
            removed_holidays: vec![],
        };
        assert!(
            twice
                .validate()
                .expect_err("dup")
                .to_string()
                .contains("twice")
        );
        let outside = CalendarSpec::ExplicitDates {
            nation: Nation::EnglandAndWales,
            from_year: 2026,
            to_year: 2027,
            non_working_dates: vec![d(2028, 1, 3)],
        };
        assert!(
            outside
                .validate()
                .expect_err("outside")
                .to_string()
                .contains("2028-01-03")
        );
        let backwards = CalendarSpec::ExplicitDates {
            nation: Nation::EnglandAndWales,
            from_year: 2027,
            to_year: 2026,
            non_working_dates: vec![],
        };
        assert!(matches!(
            backwards.validate(),
            Err(InvalidCalendar::Years { .. })
        ));
    }

    #[test]
    fn unknown_fields_in_a_calendar_are_refused_by_name() {
        let e = serde_json::from_str::<CalendarSpec>(
            r#"{"mode":"nation_rules","nation":"scotland","extra_holiday":[]}"#,
        )
        .expect_err("unknown field");
        assert!(e.to_string().contains("extra_holiday"), "{e}");
        let ok: CalendarSpec =
            serde_json::from_str(r#"{"mode":"nation_rules","nation":"scotland"}"#).expect("valid");
        assert_eq!(ok, CalendarSpec::for_nation(Nation::Scotland));
    }
}
