//! `waymark:policy@1.2.x`, what waymark-sdk 0.2 builds: 1.1's records, with the
//! council's working days handed to every hook, and `log-part`, a log without a
//! string. A plugin using those imports only scalar functions, so wit-component
//! gives it no adapter modules: each decision instantiates one core module, not
//! three, and asks the host nothing about dates inside the window.

wasmtime::component::bindgen!({
    world: "council-policy",
    path: "../sdk/wit/v1.2.0",
    imports: {
        // Traps when a plugin asks about a date that does not exist, rather than
        // answering a question that makes no sense.
        "waymark:policy/host.is-working-day": trappable,
    },
});

super::shared_bindings!(host_extra {
    fn log_part(&mut self, w0: u64, w1: u64, w2: u64, w3: u64, len: u8, ends_line: bool) {
        self.push_log_part([w0, w1, w2, w3], len, ends_line);
    }
});

super::v1_1::records_1_1!();

/// The interface a 1.2 plugin exports its hooks under.
const POLICY_EXPORT: &str = "waymark:policy/policy@1.2.0";

/// A hook's arguments: the settings, the facts, the as-of date and the working days.
type Params<'a, F> = (&'a str, F, wit::Date, WorkingDays);

/// Contract 1.2's `working-days`, lowered straight from the calendar's shared window
/// (the generated record would own a copy of it, made for every decision).
#[derive(wasmtime::component::ComponentType, wasmtime::component::Lower)]
#[component(record)]
struct WorkingDays {
    #[component(name = "first-day")]
    first_day: wit::Date,
    bits: std::sync::Arc<[u64]>,
}

fn params<'a, F>(
    settings: &'a str,
    facts: F,
    as_of: chrono::NaiveDate,
    calendar: &dyn crate::schedule::calendar::WorkingCalendar,
) -> Params<'a, F> {
    (
        settings,
        facts,
        date_to_wit(as_of),
        working_days(as_of, calendar),
    )
}

/// The window around `as_of` as bits (see [`waymark_contract::working_days_window`]), or
/// an empty one at the ends of time: the plugin then asks the host about every day.
fn working_days(
    as_of: chrono::NaiveDate,
    calendar: &dyn crate::schedule::calendar::WorkingCalendar,
) -> WorkingDays {
    match waymark_contract::working_days_window(as_of) {
        Some((first, days)) => WorkingDays {
            first_day: date_to_wit(first),
            bits: calendar.working_days(first, days),
        },
        None => WorkingDays {
            first_day: date_to_wit(as_of),
            bits: std::sync::Arc::new([]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::calendar::{Nation, UkCalendar, WorkingCalendar};

    #[test]
    fn the_window_is_whole_years_around_the_as_of_date() {
        let calendar = UkCalendar::new(Nation::EnglandAndWales);
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).expect("a date");
        let window = working_days(as_of, &calendar);
        let first = date_from_wit(window.first_day).expect("a date");
        assert_eq!(first.to_string(), "2025-01-01");
        // 2025 to 2028 inclusive, a leap year among them: 1,461 days in 23 words.
        assert_eq!(window.bits.len(), 23);
        let christmas = chrono::NaiveDate::from_ymd_opt(2027, 12, 27).expect("a date");
        let i = (christmas - first).num_days() as usize;
        assert_eq!(window.bits[i / 64] >> (i % 64) & 1, 0);
        assert!(!calendar.is_working_day(christmas));
        let at_the_end = working_days(chrono::NaiveDate::MAX, &calendar);
        assert!(at_the_end.bits.is_empty());
    }
}
