//! What makes a plugin's answer acceptable, beyond type-checking.
//!
//! The canonical ABI already guarantees the shape of an answer; these checks hold it
//! to the contract's promises: every decision carries its reasons, timers fall
//! strictly after the as-of date and at most [`TIMER_HORIZON_DAYS`] after it, and
//! nothing is unboundedly large. An answer that breaks one is an invalid answer, and
//! the case goes to human review.
//!
//! Size comes first, and is not checked here: every string and list of an answer is
//! measured as it is lifted out of the plugin's memory, before it is copied
//! (`v1/capped.rs`), and the lifted answer is then measured exactly as JSON against
//! the council's `max_output_bytes` (`call.rs`), refusals included, before any
//! check here looks at it. So no check can be made to quote an oversize answer back.
//! No error here quotes more than [`MAX_QUOTE`] characters of the plugin's text, and
//! a refusal is recorded cut to [`MAX_REFUSAL`] characters. A decision has at most
//! [`MAX_REASONS`] reasons, and a plan at most the council's `max_timers` timers
//! (1000 at most), each due at most [`TIMER_HORIZON_DAYS`] after the as-of date.

use chrono::{Days, NaiveDate};

use super::contract::{
    ContactDecision, ContactStep, Eligibility, Handover, Plan, PlannedTimer, Reason,
};
use super::limits::Limits;

/// How many characters of a plugin's text an error quotes.
pub(crate) const MAX_QUOTE: usize = 200;

/// The most reasons one decision may give.
pub(crate) const MAX_REASONS: usize = 100;

/// How many characters of a plugin's refusal are recorded.
pub(crate) const MAX_REFUSAL: usize = 1000;

pub(crate) fn eligibility(answer: Eligibility) -> Result<Eligibility, String> {
    reasons(&answer.reasons)?;
    Ok(answer)
}

pub(crate) fn plan(answer: Plan, as_of: NaiveDate, limits: &Limits) -> Result<Plan, String> {
    if answer.timers.len() > limits.max_timers {
        return Err(format!(
            "the plan asks for {} timers, more than the {} a plan may have",
            answer.timers.len(),
            limits.max_timers
        ));
    }
    let window = TimerWindow::from(as_of);
    for timer in &answer.timers {
        window.holds(timer)?;
    }
    reasons(&answer.reasons)?;
    Ok(answer)
}

pub(crate) fn contact(
    answer: ContactDecision,
    as_of: NaiveDate,
) -> Result<ContactDecision, String> {
    if let ContactStep::Outreach { timer } = &answer.step {
        TimerWindow::from(as_of).holds(timer)?;
    }
    reasons(&answer.reasons)?;
    Ok(answer)
}

pub(crate) fn handover(answer: Handover) -> Result<Handover, String> {
    reasons(&answer.reasons)?;
    Ok(answer)
}

/// How many bytes `value` takes as JSON, counted without writing it anywhere and
/// given up one byte past `limit` (so an answer far over the cap costs no more to
/// measure than one just over it).
pub(crate) fn json_size<T: serde::Serialize>(value: &T, limit: usize) -> usize {
    struct Count {
        bytes: usize,
        stop: usize,
    }
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes = self.bytes.saturating_add(buf.len());
            if self.bytes > self.stop {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count {
        bytes: 0,
        stop: limit,
    };
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.bytes,
        // Over the limit, or not serializable at all: either way, too large to keep.
        Err(_) => limit.saturating_add(1),
    }
}

/// At most [`MAX_QUOTE`] characters of a plugin's text, cut on a character boundary.
pub(crate) fn quote(text: &str) -> String {
    cut(text, MAX_QUOTE)
}

/// At most `chars` characters of `text`, with an ellipsis if it was cut.
pub(crate) fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The furthest a timer may be due after the as-of date: ten years. No programme's
/// support lasts anywhere near that, and it keeps every date the host does
/// arithmetic on (the reminder instant in the council's time zone, the scheduler's
/// index) far from the ends of the calendar, where that arithmetic overflows.
pub(crate) const TIMER_HORIZON_DAYS: u64 = 3653;

/// The contract's timers are "from the as-of date on (strictly after it)": a timer
/// due on or before it would fire at once, or never be noticed. And within
/// [`TIMER_HORIZON_DAYS`] of it, checked before anything computes with the date.
#[derive(Clone, Copy)]
struct TimerWindow {
    as_of: NaiveDate,
    /// The last day a timer may be due: worked out once per answer, not per timer.
    latest: NaiveDate,
}

impl From<NaiveDate> for TimerWindow {
    fn from(as_of: NaiveDate) -> TimerWindow {
        let latest = as_of
            .checked_add_days(Days::new(TIMER_HORIZON_DAYS))
            .unwrap_or(NaiveDate::MAX);
        TimerWindow { as_of, latest }
    }
}

impl TimerWindow {
    fn holds(&self, timer: &PlannedTimer) -> Result<(), String> {
        let TimerWindow { as_of, latest } = *self;
        if timer.due <= as_of {
            return Err(format!(
                "the {} timer is due {}, not after the as-of date {as_of}",
                timer.kind.as_str(),
                timer.due
            ));
        }
        if timer.due > latest {
            return Err(format!(
                "the {} timer is due {}, more than {TIMER_HORIZON_DAYS} days (ten years) after \
                 the as-of date {as_of}: a timer may be due at most {latest}",
                timer.kind.as_str(),
                timer.due
            ));
        }
        Ok(())
    }
}

/// Every decision carries its reasons, each with a rule id someone can look up.
fn reasons(reasons: &[Reason]) -> Result<(), String> {
    if reasons.is_empty() {
        return Err("it gives no reasons; every decision must say why".to_owned());
    }
    if reasons.len() > MAX_REASONS {
        return Err(format!(
            "it gives {} reasons, more than the {MAX_REASONS} a decision may",
            reasons.len()
        ));
    }
    if let Some(blank) = reasons.iter().find(|r| r.rule.trim().is_empty()) {
        return Err(format!(
            "the reason \"{}\" has no rule id",
            quote(&blank.text)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::contract::TimerKind;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn reason() -> Reason {
        Reason {
            rule: "cadence.review".into(),
            text: "Reviews every four weeks.".into(),
        }
    }

    fn review(due: NaiveDate) -> PlannedTimer {
        PlannedTimer {
            kind: TimerKind::Review,
            due,
            purpose: "Review".into(),
        }
    }

    #[test]
    fn a_timer_due_on_the_as_of_date_is_invalid() {
        let plan = Plan {
            timers: vec![review(day(10))],
            reasons: vec![reason()],
        };
        let err = super::plan(plan, day(10), &Limits::default()).unwrap_err();
        assert_eq!(
            err,
            "the review timer is due 2026-03-10, not after the as-of date 2026-03-10"
        );
    }

    #[test]
    fn a_timer_past_the_horizon_is_invalid_and_one_on_it_is_not() {
        let as_of = day(10);
        let horizon = as_of
            .checked_add_days(Days::new(TIMER_HORIZON_DAYS))
            .unwrap();
        let plan = |due| Plan {
            timers: vec![review(due)],
            reasons: vec![reason()],
        };
        assert!(super::plan(plan(horizon), as_of, &Limits::default()).is_ok());
        for due in [horizon.succ_opt().unwrap(), NaiveDate::MAX] {
            let err = super::plan(plan(due), as_of, &Limits::default()).unwrap_err();
            assert!(
                err.contains(&format!(
                    "the review timer is due {due}, more than 3653 days"
                )),
                "{err}"
            );
        }
        let outreach = ContactDecision {
            step: ContactStep::Outreach {
                timer: review(NaiveDate::MAX),
            },
            reasons: vec![reason()],
        };
        let err = super::contact(outreach, as_of).unwrap_err();
        assert!(err.contains("at most 2036-03-10"), "{err}");
    }

    #[test]
    fn a_plan_with_too_many_timers_is_invalid() {
        let limits = Limits {
            max_timers: 2,
            ..Limits::default()
        };
        let plan = Plan {
            timers: vec![review(day(11)); 3],
            reasons: vec![reason()],
        };
        let err = super::plan(plan, day(10), &limits).unwrap_err();
        assert!(err.contains("3 timers, more than the 2"), "{err}");
    }

    #[test]
    fn a_decision_without_reasons_is_invalid() {
        let handover = Handover {
            destination: crate::policy::contract::Destination::Jobcentre,
            pack: vec![],
            reasons: vec![],
        };
        assert!(super::handover(handover).is_err());
    }

    #[test]
    fn a_blank_rule_is_named_quoting_at_most_200_characters() {
        let answer = Eligibility {
            outcome: crate::policy::contract::Outcome::Accept,
            signpost: None,
            reasons: vec![Reason {
                rule: "".into(),
                text: "é".repeat(1 << 20),
            }],
        };
        let err = super::eligibility(answer).unwrap_err();
        assert!(
            err.ends_with("…\" has no rule id"),
            "{}",
            &err[err.len() - 40..]
        );
        assert_eq!(err.chars().filter(|c| *c == 'é').count(), MAX_QUOTE);
    }

    #[test]
    fn too_many_reasons_are_invalid() {
        let handover = Handover {
            destination: crate::policy::contract::Destination::Jobcentre,
            pack: vec![],
            reasons: vec![reason(); MAX_REASONS + 1],
        };
        let err = super::handover(handover).unwrap_err();
        assert!(err.contains("101 reasons, more than the 100"), "{err}");
    }

    #[test]
    fn the_json_size_is_counted_exactly_up_to_the_limit() {
        let plan = Plan {
            timers: vec![review(day(11))],
            reasons: vec![reason()],
        };
        let exact = serde_json::to_vec(&plan).unwrap().len();
        assert_eq!(json_size(&plan, exact), exact);
        assert_eq!(json_size(&plan, exact - 1), exact);
        assert_eq!(json_size(&plan, 10), 11);
    }
}
