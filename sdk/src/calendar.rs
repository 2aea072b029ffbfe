//! Dates and working days, as the council's calendar sees them, and the decision log.
//!
//! Whether a day is a working day is the council's calendar's to say; a plugin never
//! hard-codes a holiday list. The host hands every hook the council's working days
//! over some years around the as-of date (contract 1.2's `working-days`), which
//! answer most questions in the plugin itself; a day outside them is asked of the
//! host. Natively (in `cargo test`) the same functions use a test calendar held per
//! thread: Monday to Friday are working days, plus whatever
//! [`testing::with_bank_holidays`](crate::testing::with_bank_holidays) takes away,
//! handed to the hooks the same way by the golden harness.
//!
//! Date arithmetic returns `Result` because dates come from the host and may sit
//! at the very end of the calendar's range: an overflow is a refusal to decide with
//! a message, never a panic.

use chrono::{Datelike, Days, Months};

use crate::bindings::waymark::policy::types as wit;
use crate::{Date, PolicyError};

/// The longest run of non-working days a calendar may have before we stop looking
/// for the next working day. No UK calendar comes close (Christmas and a weekend
/// make five); a calendar that does is broken, and looping until the fuel runs out
/// would hide that.
const LONGEST_BREAK_DAYS: u32 = 31;

/// Whether `day` is a working day in the council's calendar: not a weekend, not a
/// bank holiday of the council's nation.
pub fn is_working_day(day: Date) -> bool {
    imp::with_window(|window| window.and_then(|w| w.says(day)))
        .unwrap_or_else(|| imp::is_working_day(day))
}

/// The working days a hook was handed, kept while it runs: the guard
/// [`Window::hand_over`] returns puts them away when the hook returns, so nothing
/// outlives the call (natively, a later test sees its own calendar).
pub(crate) struct Window {
    /// The first day's number (days from the common era), so that finding a day's
    /// bit is a subtraction: asked a dozen times a plan, it must cost less than
    /// asking the host.
    first: i32,
    bits: Vec<u64>,
}

impl Window {
    /// Keeps `calendar` for the hook about to run. A first day that is not a date
    /// means no window: every question goes to the host.
    pub(crate) fn hand_over(calendar: wit::WorkingDays) -> HandedOver {
        let window = crate::convert::date_from_wit(calendar.first_day)
            .ok()
            .map(|first| Window {
                first: first.num_days_from_ce(),
                bits: calendar.bits,
            });
        imp::set_window(window);
        HandedOver
    }

    /// What the window says of `day`, if it covers it.
    fn says(&self, day: Date) -> Option<bool> {
        let i = usize::try_from(day.num_days_from_ce() - self.first).ok()?;
        let word = self.bits.get(i / 64)?;
        Some(word >> (i % 64) & 1 == 1)
    }

    /// The window the golden harness hands a hook natively: the test calendar's
    /// working days over the days the host hands over, so the native run answers
    /// through the same lookup.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn for_tests(as_of: Date) -> wit::WorkingDays {
        let (first, days) = waymark_contract::working_days_window(as_of).unwrap_or((as_of, 0));
        wit::WorkingDays {
            first_day: crate::convert::date_to_wit(first),
            bits: waymark_contract::working_days_bits(first, days, imp::is_working_day),
        }
    }
}

/// Puts the hook's working days away when dropped.
pub(crate) struct HandedOver;

impl Drop for HandedOver {
    fn drop(&mut self) {
        imp::set_window(None);
    }
}

/// `day` itself if it is a working day, otherwise the first working day after it.
/// Use it to move a due date off a weekend or bank holiday.
pub fn next_working_day_from(day: Date) -> Result<Date, PolicyError> {
    let mut candidate = day;
    for _ in 0..=LONGEST_BREAK_DAYS {
        if is_working_day(candidate) {
            return Ok(candidate);
        }
        candidate = add_days(candidate, 1)?;
    }
    Err(PolicyError::new(format!(
        "the council's calendar has no working day in the {LONGEST_BREAK_DAYS} days from {day}; \
         check its bank holidays"
    )))
}

/// The `n`th working day after `day` (`day` itself when `n` is 0), e.g. "within 10
/// working days of referral".
pub fn add_working_days(day: Date, n: u32) -> Result<Date, PolicyError> {
    let mut current = day;
    for _ in 0..n {
        let next = add_days(current, 1)?;
        current = next_working_day_from(next)?;
    }
    Ok(current)
}

/// `day` plus `n` calendar days.
pub fn add_days(day: Date, n: u32) -> Result<Date, PolicyError> {
    day.checked_add_days(Days::new(u64::from(n)))
        .ok_or_else(|| out_of_range(day, n, "days"))
}

/// `day` plus `n` weeks.
pub fn add_weeks(day: Date, n: u32) -> Result<Date, PolicyError> {
    let days = n
        .checked_mul(7)
        .ok_or_else(|| out_of_range(day, n, "weeks"))?;
    add_days(day, days)
}

/// `day` plus `n` calendar months; the day of the month is kept, or clamped to the
/// month's last day (31 January plus one month is 28 or 29 February).
pub fn add_months(day: Date, n: u32) -> Result<Date, PolicyError> {
    day.checked_add_months(Months::new(n))
        .ok_or_else(|| out_of_range(day, n, "months"))
}

/// Day names, as [`describe`] writes them.
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Month names, as [`describe`] writes them.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date in plain English for a purpose or a reason: "Monday 2 February 2026".
pub fn describe(day: Date) -> String {
    // chrono keeps both in range (0..7 and 1..=12); `get` keeps that a non-issue.
    let weekday = WEEKDAYS
        .get(day.weekday().num_days_from_monday() as usize)
        .unwrap_or(&"");
    let month = MONTHS.get(day.month0() as usize).unwrap_or(&"");
    // Piece by piece, not `format!`: a plan describes several dates, and in the
    // sandbox `fmt`'s machinery costs several times the pieces themselves.
    let mut text = String::with_capacity(weekday.len() + month.len() + 14);
    text.push_str(weekday);
    text.push(' ');
    push_decimal(&mut text, i64::from(day.day()));
    text.push(' ');
    text.push_str(month);
    text.push(' ');
    push_decimal(&mut text, i64::from(day.year()));
    text
}

/// `n` in decimal, as `Display` writes it.
fn push_decimal(text: &mut String, n: i64) {
    if n < 0 {
        text.push('-');
    }
    let mut n = n.unsigned_abs();
    // Enough for any u64 (20 digits), filled from the end.
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while start > 0 {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    text.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

/// A line for the decision log, kept with the decision so it can be explained
/// later. Never personal data: the log is read by people who do not need it.
pub fn log(message: &str) {
    imp::log(message);
}

fn out_of_range(day: Date, n: u32, unit: &str) -> PolicyError {
    PolicyError::new(format!(
        "{day} plus {n} {unit} is past the end of the calendar"
    ))
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use core::cell::RefCell;

    use super::Window;
    use crate::Date;
    use crate::bindings::waymark::policy::host;

    /// The hook's working days, in a plain static: a plugin is a single-threaded
    /// wasm32 module (the arena is kept the same way).
    struct Slot(RefCell<Option<Window>>);

    // SAFETY: a plugin is a single-threaded wasm32 module (no `threads` feature),
    // so the cell is never touched from two threads.
    unsafe impl Sync for Slot {}

    static WINDOW: Slot = Slot(RefCell::new(None));

    pub(super) fn set_window(window: Option<Window>) {
        *WINDOW.0.borrow_mut() = window;
    }

    pub(super) fn with_window<R>(f: impl FnOnce(Option<&Window>) -> R) -> R {
        f(WINDOW.0.borrow().as_ref())
    }

    pub(super) fn is_working_day(day: Date) -> bool {
        host::is_working_day(crate::convert::date_to_wit(day))
    }

    /// Sends the line 32 bytes at a time: `log-part` takes no string, so the
    /// plugin imports no function that needs its memory (see the WIT).
    pub(super) fn log(message: &str) {
        let bytes = message.as_bytes();
        let mut parts = bytes.chunks(32).peekable();
        if parts.peek().is_none() {
            host::log_part(0, 0, 0, 0, 0, true);
        }
        while let Some(part) = parts.next() {
            let mut words = [0u64; 4];
            for (i, chunk) in part.chunks(8).enumerate() {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                words[i] = u64::from_le_bytes(word);
            }
            // A part is at most 32 bytes: its length fits a u8.
            let len = part.len() as u8;
            let [w0, w1, w2, w3] = words;
            host::log_part(w0, w1, w2, w3, len, parts.peek().is_none());
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod imp {
    //! The native test calendar and log, one per thread so parallel tests never
    //! see each other's holidays.

    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use chrono::{Datelike, Weekday};

    use super::Window;
    use crate::Date;

    thread_local! {
        static BANK_HOLIDAYS: RefCell<BTreeSet<Date>> = const { RefCell::new(BTreeSet::new()) };
        static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
        static WINDOW: RefCell<Option<Window>> = const { RefCell::new(None) };
    }

    pub(super) fn set_window(window: Option<Window>) {
        WINDOW.set(window);
    }

    pub(super) fn with_window<R>(f: impl FnOnce(Option<&Window>) -> R) -> R {
        WINDOW.with_borrow(|window| f(window.as_ref()))
    }

    pub(super) fn is_working_day(day: Date) -> bool {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        !weekend && !BANK_HOLIDAYS.with(|h| h.borrow().contains(&day))
    }

    pub(super) fn log(message: &str) {
        LOG.with(|l| l.borrow_mut().push(message.to_owned()));
    }

    /// Replaces this thread's bank holidays, returning the previous set.
    pub(crate) fn replace_bank_holidays(days: BTreeSet<Date>) -> BTreeSet<Date> {
        BANK_HOLIDAYS.with(|h| h.replace(days))
    }

    pub(crate) fn bank_holidays() -> BTreeSet<Date> {
        BANK_HOLIDAYS.with(|h| h.borrow().clone())
    }

    pub(crate) fn take_log() -> Vec<String> {
        LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{date, with_bank_holidays};

    #[test]
    fn a_saturday_moves_to_monday() {
        assert_eq!(
            next_working_day_from(date("2026-01-31")),
            Ok(date("2026-02-02"))
        );
        assert_eq!(
            next_working_day_from(date("2026-02-02")),
            Ok(date("2026-02-02"))
        );
    }

    #[test]
    fn bank_holidays_are_skipped_only_inside_the_closure() {
        let good_friday = date("2026-04-03");
        let easter_monday = date("2026-04-06");
        with_bank_holidays(&[good_friday, easter_monday], || {
            assert_eq!(next_working_day_from(good_friday), Ok(date("2026-04-07")));
        });
        assert!(is_working_day(good_friday));
    }

    #[test]
    fn working_days_are_counted_after_the_start_day() {
        // Friday + 1 working day is Monday; + 10 is the Friday a fortnight on.
        assert_eq!(
            add_working_days(date("2026-01-09"), 1),
            Ok(date("2026-01-12"))
        );
        assert_eq!(
            add_working_days(date("2026-01-09"), 10),
            Ok(date("2026-01-23"))
        );
        assert_eq!(
            add_working_days(date("2026-01-10"), 0),
            Ok(date("2026-01-10"))
        );
    }

    #[test]
    fn arithmetic_past_the_end_of_the_calendar_is_an_error_not_a_panic() {
        let err = add_days(Date::MAX, 1).unwrap_err();
        assert!(
            err.message().contains("past the end of the calendar"),
            "{err}"
        );
        assert!(add_months(Date::MAX, 1).is_err());
        assert!(add_weeks(date("2026-01-01"), u32::MAX).is_err());
        // The last day of the calendar is not a working day: there is no next one.
        with_bank_holidays(&[Date::MAX], || {
            assert!(next_working_day_from(Date::MAX).is_err());
        });
    }

    #[test]
    fn a_calendar_with_no_working_days_is_reported() {
        let start = date("2026-01-01");
        let year: Vec<Date> = start.iter_days().take(400).collect();
        with_bank_holidays(&year, || {
            let err = next_working_day_from(start).unwrap_err();
            assert!(err.message().contains("no working day"), "{err}");
        });
    }

    #[test]
    fn dates_are_described_in_plain_english() {
        assert_eq!(describe(date("2026-02-02")), "Monday 2 February 2026");
        assert_eq!(describe(date("2026-12-31")), "Thursday 31 December 2026");
        // Written as `format!` would, to the ends of the calendar.
        for day in [
            Date::MIN,
            Date::MAX,
            date("0000-01-01"),
            date("-0001-12-31"),
        ] {
            let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
            let month = MONTHS[day.month0() as usize];
            let expected = format!("{weekday} {} {month} {}", day.day(), day.year());
            assert_eq!(describe(day), expected);
        }
        let mut text = String::new();
        for n in [0, 7, 10, 2026, -1, -262_144, i64::MIN, i64::MAX] {
            text.clear();
            push_decimal(&mut text, n);
            assert_eq!(text, n.to_string());
        }
    }
}
