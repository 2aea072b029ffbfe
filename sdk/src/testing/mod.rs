//! The native test harness: run a plugin's rules with `cargo test`, no wasm.
//!
//! A plugin's hooks are plain functions, so a unit test calls them directly with
//! inputs from the [`Referral::example`](crate::Referral::example) and
//! [`Journey::started_on`](crate::Journey::started_on) builders. What the sandbox
//! would ask of the host is answered here instead: [`calendar`](crate::calendar)
//! uses a per-thread test calendar (Monday to Friday, plus the bank holidays a
//! test sets with [`with_bank_holidays`]) and [`calendar::log`](crate::calendar::log)
//! lines are kept for [`take_log`]. [`golden`] runs a file of cases through the
//! same glue a built plugin uses; the host runs the same file against the
//! component, so both must agree.
//!
//! Only on native targets: none of this is compiled into a plugin's wasm.

pub mod golden;

use std::collections::BTreeSet;

pub use golden::{GoldenFailure, run_golden};

use crate::Date;
use crate::calendar::imp;

/// Runs `f` with `days` as bank holidays (on top of any already set on this
/// thread), then restores the calendar, even if `f` panics.
///
/// ```
/// use waymark_sdk::{calendar, testing};
/// let good_friday = testing::date("2026-04-03");
/// testing::with_bank_holidays(&[good_friday], || {
///     assert!(!calendar::is_working_day(good_friday));
/// });
/// assert!(calendar::is_working_day(good_friday));
/// ```
pub fn with_bank_holidays<R>(days: &[Date], f: impl FnOnce() -> R) -> R {
    let mut holidays = imp::bank_holidays();
    holidays.extend(days.iter().copied());
    with_exactly(holidays, f)
}

/// Runs `f` with exactly `holidays` as this thread's bank holidays.
pub(crate) fn with_exactly<R>(holidays: BTreeSet<Date>, f: impl FnOnce() -> R) -> R {
    /// Puts the previous calendar back when dropped, so a failing assertion
    /// inside `f` cannot leak holidays into a later test on the same thread.
    struct Restore(Option<BTreeSet<Date>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(previous) = self.0.take() {
                imp::replace_bank_holidays(previous);
            }
        }
    }
    let _restore = Restore(Some(imp::replace_bank_holidays(holidays)));
    f()
}

/// The lines logged with [`calendar::log`](crate::calendar::log) on this thread
/// since the last call.
pub fn take_log() -> Vec<String> {
    imp::take_log()
}

/// A date from `YYYY-MM-DD`, for tests: panics with the text if it is not one.
pub fn date(text: &str) -> Date {
    match text.parse() {
        Ok(day) => day,
        Err(e) => panic!("{text:?} is not a YYYY-MM-DD date: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar;

    #[test]
    fn holidays_are_restored_after_a_panic() {
        let day = date("2026-05-04");
        let result = std::panic::catch_unwind(|| {
            with_bank_holidays(&[day], || panic!("a failing assertion"));
        });
        assert!(result.is_err());
        assert!(calendar::is_working_day(day));
    }

    #[test]
    fn nested_holidays_add_up() {
        let (a, b) = (date("2026-05-04"), date("2026-05-25"));
        with_bank_holidays(&[a], || {
            with_bank_holidays(&[b], || {
                assert!(!calendar::is_working_day(a));
                assert!(!calendar::is_working_day(b));
            });
            assert!(calendar::is_working_day(b));
        });
    }

    #[test]
    fn the_log_is_kept_for_the_test() {
        calendar::log("first");
        calendar::log("second");
        assert_eq!(take_log(), vec!["first", "second"]);
        assert!(take_log().is_empty());
    }
}
