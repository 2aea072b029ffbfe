//! After a missed contact: outreach attempts on the days in `outreach_days`, then a
//! disengaged exit *(inferred: IPES guidance asks for re-engagement before any
//! closure; the attempts and their spacing are our reading)*.

use waymark_sdk::calendar::{self, describe};
use waymark_sdk::{ContactDecision, Date, Journey, PolicyError, Reason, Timer, TimerKind};

use crate::settings::Settings;

pub(crate) fn decide(
    settings: &Settings,
    journey: &Journey,
    as_of: Date,
) -> Result<ContactDecision, PolicyError> {
    settings.check()?;
    let attempts = settings.outreach_days.len();
    // The count includes the contact just missed; a host that has not counted it
    // yet still means "one missed".
    let missed = journey.missed_contacts.max(1);
    let attempt = usize::try_from(missed - 1).unwrap_or(usize::MAX);
    let Some(&days) = settings.outreach_days.get(attempt) else {
        return Ok(ContactDecision::disengaged_exit([Reason::new(
            "outreach.exhausted",
            format!(
                "{missed} contacts missed in a row, and all {attempts} outreach attempts have \
                 been made: the journey closes as disengaged."
            ),
        )]));
    };
    let due = calendar::next_working_day_from(calendar::add_days(as_of, days)?)?;
    let timer = Timer::new(
        TimerKind::Outreach,
        due,
        format!("Outreach attempt {missed} of {attempts}: the key worker offers a new meeting"),
    );
    Ok(ContactDecision::outreach(
        timer,
        [Reason::new(
            "outreach.attempts",
            format!(
                "Up to {attempts} outreach attempts before a disengaged exit: attempt {missed} \
                 is {days} days after the miss, on {}.",
                describe(due)
            ),
        )],
    ))
}

#[cfg(test)]
mod tests {
    use waymark_sdk::ContactStep;
    use waymark_sdk::testing::date;

    use super::*;

    #[test]
    fn three_attempts_then_a_disengaged_exit() {
        let journey = Journey::started_on(date("2026-01-05"));
        let first = decide(
            &Settings::default(),
            &journey.clone().with_missed_contacts(1),
            date("2026-02-02"),
        )
        .expect("decides");
        match first.step {
            ContactStep::Outreach { timer } => assert_eq!(timer.due, date("2026-02-09")),
            other => panic!("expected outreach, got {other:?}"),
        }
        let fourth = decide(
            &Settings::default(),
            &journey.with_missed_contacts(4),
            date("2026-04-02"),
        )
        .expect("decides");
        assert_eq!(fourth.step, ContactStep::DisengagedExit);
    }
}
