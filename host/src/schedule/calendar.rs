//! Working days: weekends and the bank holidays of a UK nation are not.
//!
//! Bank holidays follow the statutory rules (with substitute days when a fixed
//! holiday falls at a weekend) and Easter from the Gregorian computus, so the
//! calendar is right for any year, not only those someone typed in. One-off
//! holidays proclaimed by the Crown are added per year in `PROCLAIMED`.

use std::cell::RefCell;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The UK nations whose bank holidays differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nation {
    #[default]
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

/// Whether a day is a working day. The policy sandbox offers this to plugins, and
/// the scheduler uses it to shift work off non-working days.
pub trait WorkingCalendar: Send + Sync {
    fn is_working_day(&self, day: NaiveDate) -> bool;

    /// The day itself if it is a working day, else the next one.
    fn next_working_day_from(&self, day: NaiveDate) -> NaiveDate {
        let mut d = day;
        // A year never has more than a handful of consecutive non-working days; the
        // bound only guards against a calendar that declares every day a holiday.
        for _ in 0..366 {
            if self.is_working_day(d) {
                return d;
            }
            d += Duration::days(1);
        }
        day
    }

    /// The date `n` working days after `day` (not counting `day` itself).
    fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        let mut left = n;
        let mut guard = 0u32;
        while left > 0 && guard < n.saturating_mul(7).saturating_add(366) {
            d += Duration::days(1);
            guard += 1;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Whether each of the `days` days from `first` on is a working day, as bits:
    /// bit `i % 64` of word `i / 64` is set when the day `i` days after `first` is.
    /// What a plugin is handed with each decision (contract 1.2), so a calendar
    /// that knows its rules answers for the whole window at once. Shared, since
    /// every decision in a year asks for the same window.
    fn working_days(&self, first: NaiveDate, days: u32) -> Arc<[u64]> {
        working_days_one_by_one(self, first, days).into()
    }
}

/// [`WorkingCalendar::working_days`], asking the calendar a day at a time. Days
/// past the end of time stay unset.
pub(crate) fn working_days_one_by_one<C: WorkingCalendar + ?Sized>(
    calendar: &C,
    first: NaiveDate,
    days: u32,
) -> Vec<u64> {
    waymark_contract::working_days_bits(first, days, |day| calendar.is_working_day(day))
}

/// Monday to Friday as bits, for a 64-day word whose first day is the weekday
/// numbered by the index (0 for Monday): bit `i` is set when the day `i` days on is
/// a weekday.
const WEEKDAYS_FROM: [u64; 7] = {
    let mut masks = [0u64; 7];
    let mut first = 0;
    while first < 7 {
        let mut i = 0;
        while i < 64 {
            if (first + i) % 7 < 5 {
                masks[first] |= 1 << i;
            }
            i += 1;
        }
        first += 1;
    }
    masks
};

/// A nation's statutory calendar, plus any extra closure days a council adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UkCalendar {
    pub nation: Nation,
    /// Extra non-working days (e.g. a council's own closure days).
    #[serde(default)]
    pub extra_holidays: Vec<NaiveDate>,
}

impl UkCalendar {
    pub fn new(nation: Nation) -> Self {
        UkCalendar {
            nation,
            extra_holidays: Vec::new(),
        }
    }

    pub fn is_bank_holiday(&self, day: NaiveDate) -> bool {
        is_statutory_holiday(self.nation, day) || self.extra_holidays.contains(&day)
    }
}

/// How many (nation, year)s of bank holidays each thread keeps worked out: the
/// years a plugin's working-day window touches
/// (`waymark_contract::working_days_window`), and one more.
const YEARS_KEPT: usize = 6;

thread_local! {
    /// The bank holidays of the years last asked about on this thread, newest
    /// last: a plugin's plan asks `is-working-day` of a dozen dates over a year or
    /// two, and working a year's holidays out (Easter included) for each question
    /// was most of the host's share of a decision.
    static YEARS: RefCell<Vec<(Nation, i32, Vec<NaiveDate>)>> = const { RefCell::new(Vec::new()) };
}

fn is_statutory_holiday(nation: Nation, day: NaiveDate) -> bool {
    with_bank_holidays(nation, day.year(), |days| days.contains(&day))
}

/// Calls `f` with the bank holidays of `nation` in `year`, worked out once per thread.
fn with_bank_holidays<R>(nation: Nation, year: i32, f: impl FnOnce(&[NaiveDate]) -> R) -> R {
    YEARS.with_borrow_mut(|years| {
        let (_, _, days) = kept_or_made(
            years,
            YEARS_KEPT,
            |(n, y, _)| *n == nation && *y == year,
            || (nation, year, bank_holidays(nation, year)),
        );
        f(days)
    })
}

/// The entry of `kept` that `is` picks out, or else the one `make` makes, kept
/// newest last with the oldest dropped past `limit`. The calendars' caches hold a
/// few entries each (years, windows, calendars), searched in order.
pub(crate) fn kept_or_made<T>(
    kept: &mut Vec<T>,
    limit: usize,
    is: impl FnMut(&T) -> bool,
    make: impl FnOnce() -> T,
) -> &T {
    if let Some(i) = kept.iter().position(is) {
        return &kept[i];
    }
    if kept.len() >= limit && !kept.is_empty() {
        kept.remove(0);
    }
    kept.push(make());
    let newest = kept.len() - 1;
    &kept[newest]
}

impl WorkingCalendar for UkCalendar {
    fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_bank_holiday(day)
    }

    /// Asked with every decision of a 1.2 plugin, so it must cost far less than
    /// the decision: the windows last asked for are kept per thread.
    fn working_days(&self, first: NaiveDate, days: u32) -> Arc<[u64]> {
        let asked = (first, days);
        WINDOWS.with_borrow_mut(|windows| {
            let (_, _, bits) = kept_or_made(
                windows,
                WINDOWS_KEPT,
                |(calendar, key, _)| *key == asked && calendar == self,
                || {
                    (
                        self.clone(),
                        asked,
                        self.work_out_working_days(first, days).into(),
                    )
                },
            );
            bits.clone()
        })
    }
}

/// How many working-day windows are kept, per thread here and per council calendar:
/// this year's, and a few more (every decision in a year asks for the same one).
pub(crate) const WINDOWS_KEPT: usize = 4;

thread_local! {
    /// The working-day windows last handed to plugins on this thread, newest last,
    /// with the calendar and the (first day, days) they were asked for.
    #[allow(clippy::type_complexity)]
    static WINDOWS: RefCell<Vec<(UkCalendar, (NaiveDate, u32), Arc<[u64]>)>> =
        const { RefCell::new(Vec::new()) };
}

impl UkCalendar {
    /// The weekdays a word at a time, less the holidays.
    fn work_out_working_days(&self, first: NaiveDate, days: u32) -> Vec<u64> {
        let Some(end) = first.checked_add_days(chrono::Days::new(u64::from(days))) else {
            return working_days_one_by_one(self, first, days);
        };
        let mut closed = self.extra_holidays.clone();
        for year in first.year()..=end.year() {
            with_bank_holidays(self.nation, year, |holidays| closed.extend(holidays));
        }
        weekdays_less(first, days, closed)
    }
}

/// The `days` days from `first` as bits, set for Monday to Friday, less `closed`
/// (days outside the window are ignored): the working days of a calendar whose
/// weekends are never working days, a word at a time. The window must not run past
/// the end of time.
pub(crate) fn weekdays_less(
    first: NaiveDate,
    days: u32,
    closed: impl IntoIterator<Item = NaiveDate>,
) -> Vec<u64> {
    let words = days.div_ceil(64) as usize;
    // 64 days on is one weekday later (64 = 9 weeks and a day).
    let monday_based = first.weekday().num_days_from_monday() as usize;
    let mut bits: Vec<u64> = (0..words)
        .map(|w| WEEKDAYS_FROM[(monday_based + w) % 7])
        .collect();
    if let Some(last) = bits.last_mut()
        && !days.is_multiple_of(64)
    {
        *last &= (1u64 << (days % 64)) - 1;
    }
    for day in closed {
        if let Ok(i) = usize::try_from((day - first).num_days())
            && i < days as usize
        {
            bits[i / 64] &= !(1u64 << (i % 64));
        }
    }
    bits
}

/// One-off bank holidays by proclamation, and statutory ones moved for a year.
/// (Moved: the early May holiday of 2020 went to Friday 8 May; 2023 added 8 May for the coronation.)
const PROCLAIMED: &[(i32, u32, u32)] = &[(2022, 6, 3), (2022, 9, 19), (2023, 5, 8)];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    // Only called with dates built from valid month/day rules below.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    let mut d = date(year, month, 1);
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    d
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        date(year + 1, 1, 1)
    } else {
        date(year, month + 1, 1)
    };
    let mut d = next - Duration::days(1);
    while d.weekday() != Weekday::Mon {
        d -= Duration::days(1);
    }
    d
}

/// Fixed-date holidays falling at a weekend move to the next weekday not already a
/// holiday (including a fixed holiday on a weekday: Christmas on a Sunday moves to
/// Tuesday 27th, because Boxing Day is Monday 26th).
fn with_substitutes(fixed: &[NaiveDate], mut days: Vec<NaiveDate>) -> Vec<NaiveDate> {
    let is_weekend = |d: NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    days.extend(fixed.iter().copied().filter(|&d| !is_weekend(d)));
    for &d in fixed.iter().filter(|&&d| is_weekend(d)) {
        let mut s = d;
        while is_weekend(s) || days.contains(&s) {
            s += Duration::days(1);
        }
        days.push(s);
    }
    days.sort();
    days.dedup();
    days
}

/// The bank holidays of a nation in a year, substitute days included.
pub fn bank_holidays(nation: Nation, year: i32) -> Vec<NaiveDate> {
    let easter = easter_sunday(year);
    let good_friday = easter - Duration::days(2);
    let easter_monday = easter + Duration::days(1);
    // 2020 moved early May to VE Day (Friday 8 May).
    let early_may = if year == 2020 {
        date(2020, 5, 8)
    } else {
        first_monday(year, 5)
    };
    // 2022 moved the spring holiday to Thursday 2 June for the Platinum Jubilee.
    let spring = if year == 2022 {
        date(2022, 6, 2)
    } else {
        last_monday(year, 5)
    };
    let mut movable = vec![good_friday, early_may, spring];
    let fixed: Vec<NaiveDate> = match nation {
        Nation::EnglandAndWales => {
            movable.extend([easter_monday, last_monday(year, 8)]);
            vec![date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)]
        }
        Nation::Scotland => {
            movable.push(first_monday(year, 8));
            vec![
                date(year, 1, 1),
                date(year, 1, 2),
                date(year, 11, 30),
                date(year, 12, 25),
                date(year, 12, 26),
            ]
        }
        Nation::NorthernIreland => {
            movable.extend([easter_monday, last_monday(year, 8)]);
            vec![
                date(year, 1, 1),
                date(year, 3, 17),
                date(year, 7, 12),
                date(year, 12, 25),
                date(year, 12, 26),
            ]
        }
    };
    movable.extend(
        PROCLAIMED
            .iter()
            .filter(|(y, _, _)| *y == year)
            .map(|&(y, m, d)| date(y, m, d)),
    );
    with_substitutes(&fixed, movable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    /// A cache finds what it kept without making it again, and past its limit
    /// drops the oldest entry, not the one just made.
    #[test]
    fn a_kept_entry_is_found_and_the_oldest_goes_first() {
        let mut kept = Vec::new();
        let mut made = 0;
        for n in [1, 2, 1, 3, 4, 1] {
            let found = *kept_or_made(
                &mut kept,
                3,
                |k| *k == n,
                || {
                    made += 1;
                    n
                },
            );
            assert_eq!(found, n);
        }
        // 1, 2, 3 made; 4 pushed 1 out, so the last 1 was made again.
        assert_eq!(made, 5);
        assert_eq!(kept, [3, 4, 1]);
    }

    /// The word-at-a-time answer is the day-at-a-time one, whatever weekday the
    /// window starts on, however long it is, across bank holidays and closures.
    #[test]
    fn working_days_at_once_match_asking_day_by_day() {
        let mut calendar = UkCalendar::new(Nation::Scotland);
        calendar.extra_holidays = vec![d(2026, 7, 15), d(2027, 1, 5), d(2031, 1, 1)];
        for first in d(2025, 12, 22).iter_days().take(9) {
            for days in [1, 63, 64, 65, 365, 1461] {
                assert_eq!(
                    calendar.working_days(first, days)[..],
                    working_days_one_by_one(&calendar, first, days),
                    "{first} + {days} days"
                );
            }
        }
        // Christmas 2026 is a Friday: the bit for it is clear, Thursday's set.
        let bits = calendar.working_days(d(2026, 12, 24), 2);
        assert_eq!(bits[..], [0b01]);
        // Near the end of time: the days that exist are answered.
        let last = NaiveDate::MAX - Duration::days(2);
        assert_eq!(calendar.working_days(last, 100).len(), 2);
    }

    #[test]
    fn easter_matches_published_dates() {
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2030), d(2030, 4, 21));
    }

    #[test]
    fn england_2026_matches_gov_uk_list() {
        let expected = vec![
            d(2026, 1, 1),
            d(2026, 4, 3),
            d(2026, 4, 6),
            d(2026, 5, 4),
            d(2026, 5, 25),
            d(2026, 8, 31),
            d(2026, 12, 25),
            d(2026, 12, 28),
        ];
        assert_eq!(bank_holidays(Nation::EnglandAndWales, 2026), expected);
    }

    #[test]
    fn christmas_on_saturday_gives_monday_and_tuesday_substitutes() {
        // 2027: 25 Dec is a Saturday, 26 Dec a Sunday.
        let h = bank_holidays(Nation::EnglandAndWales, 2027);
        assert!(h.contains(&d(2027, 12, 27)));
        assert!(h.contains(&d(2027, 12, 28)));
    }

    #[test]
    fn scotland_has_second_january_and_first_monday_in_august() {
        let h = bank_holidays(Nation::Scotland, 2026);
        assert!(h.contains(&d(2026, 1, 2)));
        assert!(h.contains(&d(2026, 8, 3)));
        assert!(!h.contains(&d(2026, 8, 31)));
        assert!(!h.contains(&d(2026, 4, 6)), "no Easter Monday in Scotland");
    }

    #[test]
    fn northern_ireland_has_st_patricks_and_the_twelfth() {
        let h = bank_holidays(Nation::NorthernIreland, 2026);
        assert!(h.contains(&d(2026, 3, 17)));
        // 12 July 2026 is a Sunday: substitute Monday 13 July.
        assert!(h.contains(&d(2026, 7, 13)));
    }

    #[test]
    fn review_due_on_bank_holiday_moves_to_next_working_day() {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        // Good Friday 2026 → Easter Monday is also a holiday → Tuesday 7 April.
        assert_eq!(cal.next_working_day_from(d(2026, 4, 3)), d(2026, 4, 7));
        assert_eq!(cal.next_working_day_from(d(2026, 4, 8)), d(2026, 4, 8));
    }

    #[test]
    fn ten_working_days_skip_weekends_and_holidays() {
        let cal = UkCalendar::new(Nation::EnglandAndWales);
        // From Wed 1 April 2026: Good Friday and Easter Monday fall in the window.
        assert_eq!(cal.add_working_days(d(2026, 4, 1), 10), d(2026, 4, 17));
    }

    fn list(dates: &[(i32, u32, u32)]) -> Vec<NaiveDate> {
        dates.iter().map(|&(y, m, day)| d(y, m, day)).collect()
    }

    // The lists gov.uk publishes (bank-holidays.json) for 2025–2027; 2028–2030 by the
    // same statutes, checked by hand against each year's weekdays.
    #[test]
    fn england_and_wales_2025_to_2030_match_published_and_statutory_dates() {
        let expected: [(i32, Vec<NaiveDate>); 6] = [
            (
                2025,
                list(&[
                    (2025, 1, 1),
                    (2025, 4, 18),
                    (2025, 4, 21),
                    (2025, 5, 5),
                    (2025, 5, 26),
                    (2025, 8, 25),
                    (2025, 12, 25),
                    (2025, 12, 26),
                ]),
            ),
            (
                2026,
                list(&[
                    (2026, 1, 1),
                    (2026, 4, 3),
                    (2026, 4, 6),
                    (2026, 5, 4),
                    (2026, 5, 25),
                    (2026, 8, 31),
                    (2026, 12, 25),
                    (2026, 12, 28),
                ]),
            ),
            (
                2027,
                list(&[
                    (2027, 1, 1),
                    (2027, 3, 26),
                    (2027, 3, 29),
                    (2027, 5, 3),
                    (2027, 5, 31),
                    (2027, 8, 30),
                    (2027, 12, 27),
                    (2027, 12, 28),
                ]),
            ),
            (
                2028,
                list(&[
                    (2028, 1, 3),
                    (2028, 4, 14),
                    (2028, 4, 17),
                    (2028, 5, 1),
                    (2028, 5, 29),
                    (2028, 8, 28),
                    (2028, 12, 25),
                    (2028, 12, 26),
                ]),
            ),
            (
                2029,
                list(&[
                    (2029, 1, 1),
                    (2029, 3, 30),
                    (2029, 4, 2),
                    (2029, 5, 7),
                    (2029, 5, 28),
                    (2029, 8, 27),
                    (2029, 12, 25),
                    (2029, 12, 26),
                ]),
            ),
            (
                2030,
                list(&[
                    (2030, 1, 1),
                    (2030, 4, 19),
                    (2030, 4, 22),
                    (2030, 5, 6),
                    (2030, 5, 27),
                    (2030, 8, 26),
                    (2030, 12, 25),
                    (2030, 12, 26),
                ]),
            ),
        ];
        for (year, days) in expected {
            assert_eq!(bank_holidays(Nation::EnglandAndWales, year), days, "{year}");
        }
    }

    #[test]
    fn scotland_2025_to_2030_match_published_and_statutory_dates() {
        let expected: [(i32, Vec<NaiveDate>); 6] = [
            (
                2025,
                list(&[
                    (2025, 1, 1),
                    (2025, 1, 2),
                    (2025, 4, 18),
                    (2025, 5, 5),
                    (2025, 5, 26),
                    (2025, 8, 4),
                    (2025, 12, 1),
                    (2025, 12, 25),
                    (2025, 12, 26),
                ]),
            ),
            (
                2026,
                list(&[
                    (2026, 1, 1),
                    (2026, 1, 2),
                    (2026, 4, 3),
                    (2026, 5, 4),
                    (2026, 5, 25),
                    (2026, 8, 3),
                    (2026, 11, 30),
                    (2026, 12, 25),
                    (2026, 12, 28),
                ]),
            ),
            (
                2027,
                list(&[
                    (2027, 1, 1),
                    (2027, 1, 4),
                    (2027, 3, 26),
                    (2027, 5, 3),
                    (2027, 5, 31),
                    (2027, 8, 2),
                    (2027, 11, 30),
                    (2027, 12, 27),
                    (2027, 12, 28),
                ]),
            ),
            (
                2028,
                list(&[
                    (2028, 1, 3),
                    (2028, 1, 4),
                    (2028, 4, 14),
                    (2028, 5, 1),
                    (2028, 5, 29),
                    (2028, 8, 7),
                    (2028, 11, 30),
                    (2028, 12, 25),
                    (2028, 12, 26),
                ]),
            ),
            (
                2029,
                list(&[
                    (2029, 1, 1),
                    (2029, 1, 2),
                    (2029, 3, 30),
                    (2029, 5, 7),
                    (2029, 5, 28),
                    (2029, 8, 6),
                    (2029, 11, 30),
                    (2029, 12, 25),
                    (2029, 12, 26),
                ]),
            ),
            (
                2030,
                list(&[
                    (2030, 1, 1),
                    (2030, 1, 2),
                    (2030, 4, 19),
                    (2030, 5, 6),
                    (2030, 5, 27),
                    (2030, 8, 5),
                    (2030, 12, 2),
                    (2030, 12, 25),
                    (2030, 12, 26),
                ]),
            ),
        ];
        for (year, days) in expected {
            assert_eq!(bank_holidays(Nation::Scotland, year), days, "{year}");
        }
    }

    #[test]
    fn northern_ireland_2025_to_2030_match_published_and_statutory_dates() {
        let expected: [(i32, Vec<NaiveDate>); 6] = [
            (
                2025,
                list(&[
                    (2025, 1, 1),
                    (2025, 3, 17),
                    (2025, 4, 18),
                    (2025, 4, 21),
                    (2025, 5, 5),
                    (2025, 5, 26),
                    (2025, 7, 14),
                    (2025, 8, 25),
                    (2025, 12, 25),
                    (2025, 12, 26),
                ]),
            ),
            (
                2026,
                list(&[
                    (2026, 1, 1),
                    (2026, 3, 17),
                    (2026, 4, 3),
                    (2026, 4, 6),
                    (2026, 5, 4),
                    (2026, 5, 25),
                    (2026, 7, 13),
                    (2026, 8, 31),
                    (2026, 12, 25),
                    (2026, 12, 28),
                ]),
            ),
            (
                2027,
                list(&[
                    (2027, 1, 1),
                    (2027, 3, 17),
                    (2027, 3, 26),
                    (2027, 3, 29),
                    (2027, 5, 3),
                    (2027, 5, 31),
                    (2027, 7, 12),
                    (2027, 8, 30),
                    (2027, 12, 27),
                    (2027, 12, 28),
                ]),
            ),
            (
                2028,
                list(&[
                    (2028, 1, 3),
                    (2028, 3, 17),
                    (2028, 4, 14),
                    (2028, 4, 17),
                    (2028, 5, 1),
                    (2028, 5, 29),
                    (2028, 7, 12),
                    (2028, 8, 28),
                    (2028, 12, 25),
                    (2028, 12, 26),
                ]),
            ),
            (
                2029,
                list(&[
                    (2029, 1, 1),
                    (2029, 3, 19),
                    (2029, 3, 30),
                    (2029, 4, 2),
                    (2029, 5, 7),
                    (2029, 5, 28),
                    (2029, 7, 12),
                    (2029, 8, 27),
                    (2029, 12, 25),
                    (2029, 12, 26),
                ]),
            ),
            (
                2030,
                list(&[
                    (2030, 1, 1),
                    (2030, 3, 18),
                    (2030, 4, 19),
                    (2030, 4, 22),
                    (2030, 5, 6),
                    (2030, 5, 27),
                    (2030, 7, 12),
                    (2030, 8, 26),
                    (2030, 12, 25),
                    (2030, 12, 26),
                ]),
            ),
        ];
        for (year, days) in expected {
            assert_eq!(bank_holidays(Nation::NorthernIreland, year), days, "{year}");
        }
    }

    #[test]
    fn christmas_on_sunday_substitutes_tuesday_after_boxing_day_monday() {
        // 2033: 25 Dec is a Sunday, 26 Dec a Monday.
        let h = bank_holidays(Nation::EnglandAndWales, 2033);
        assert!(h.contains(&d(2033, 12, 26)));
        assert!(h.contains(&d(2033, 12, 27)));
        // Scotland 2023: 1 Jan Sunday, 2 Jan Monday → substitute Tuesday 3 Jan.
        let s = bank_holidays(Nation::Scotland, 2023);
        assert!(s.contains(&d(2023, 1, 2)) && s.contains(&d(2023, 1, 3)));
    }

    #[test]
    fn add_working_days_counts_across_scottish_new_year() {
        let cal = UkCalendar::new(Nation::Scotland);
        // Wed 31 Dec 2025 + 1: Thu 1 and Fri 2 Jan are holidays, then the weekend.
        assert_eq!(cal.add_working_days(d(2025, 12, 31), 1), d(2026, 1, 5));
        assert_eq!(cal.add_working_days(d(2025, 12, 31), 0), d(2025, 12, 31));
        let ew = UkCalendar::new(Nation::EnglandAndWales);
        assert_eq!(ew.add_working_days(d(2025, 12, 31), 1), d(2026, 1, 2));
    }
}
