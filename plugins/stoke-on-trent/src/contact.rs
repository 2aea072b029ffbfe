//! After a missed contact: outreach attempts a week apart, then a disengaged exit.
//!
//! Under IPS nobody is closed for one missed appointment: each miss gets another
//! attempt to re-engage, until the council's number of attempts is used up.

use waymark_sdk::calendar::{self, describe};
use waymark_sdk::{ContactDecision, Date, Journey, PolicyError, Reason, Timer, TimerKind};

use crate::settings::Settings;

pub(crate) fn decide(
    settings: &Settings,
    journey: &Journey,
    as_of: Date,
) -> Result<ContactDecision, PolicyError> {
    settings.check()?;
    let attempts = settings.outreach_attempts;
    let interval = settings.outreach_interval_days;
    // The count includes the contact just missed; a host that has not counted it
    // yet still means "one missed".
    let missed = journey.missed_contacts.max(1);
    if missed > attempts {
        return Ok(ContactDecision::disengaged_exit([Reason::new(
            "outreach.exhausted",
            format!(
                "{missed} contacts missed in a row, and all {attempts} outreach attempts have \
                 been made: the journey closes as disengaged."
            ),
        )]));
    }
    let due = calendar::next_working_day_from(calendar::add_days(as_of, interval)?)?;
    let timer = Timer::new(
        TimerKind::Outreach,
        due,
        format!(
            "Outreach attempt {missed} of {attempts}: contact the participant (phone, text, \
             letter or a visit) and offer a new appointment"
        ),
    );
    Ok(ContactDecision::outreach(
        timer,
        [Reason::new(
            "outreach.attempts",
            format!(
                "Up to {attempts} outreach attempts, {interval} days apart, before a disengaged \
                 exit: attempt {missed} is due on {}.",
                describe(due)
            ),
        )],
    ))
}

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::date;
    use waymark_sdk::{ContactStep, Journey};

    use super::*;

    fn journey(missed: u32) -> Journey {
        Journey::started_on(date("2026-01-05")).with_missed_contacts(missed)
    }

    #[test]
    fn a_first_missed_contact_gets_an_outreach_attempt_a_week_later() {
        let d = decide(&Settings::default(), &journey(1), date("2026-02-02")).expect("decides");
        match d.step {
            ContactStep::Outreach { timer } => {
                assert_eq!(timer.due, date("2026-02-09"));
                assert!(timer.purpose.starts_with("Outreach attempt 1 of 3"));
            }
            ContactStep::DisengagedExit => panic!("expected outreach"),
        }
        assert_eq!(d.reasons[0].rule, "outreach.attempts");
    }

    #[test]
    fn an_attempt_that_falls_on_a_weekend_moves_to_monday() {
        // Saturday 7 February + 7 days is Saturday 14 February.
        let d = decide(&Settings::default(), &journey(2), date("2026-02-07")).expect("decides");
        let ContactStep::Outreach { timer } = d.step else {
            panic!("expected outreach");
        };
        assert_eq!(timer.due, date("2026-02-16"));
    }

    #[test]
    fn the_third_attempt_is_the_last() {
        let d = decide(&Settings::default(), &journey(3), date("2026-02-16")).expect("decides");
        assert!(matches!(d.step, ContactStep::Outreach { .. }));
        let d = decide(&Settings::default(), &journey(4), date("2026-02-23")).expect("decides");
        assert_eq!(d.step, ContactStep::DisengagedExit);
        assert_eq!(d.reasons[0].rule, "outreach.exhausted");
    }

    #[test]
    fn an_uncounted_miss_is_the_first() {
        let d = decide(&Settings::default(), &journey(0), date("2026-02-02")).expect("decides");
        let ContactStep::Outreach { timer } = d.step else {
            panic!("expected outreach");
        };
        assert!(timer.purpose.starts_with("Outreach attempt 1 of 3"));
    }
}
