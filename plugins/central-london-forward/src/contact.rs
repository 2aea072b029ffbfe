//! After a missed contact: three outreach attempts over six weeks (7, 14 and 21
//! days after each miss), then a disengaged exit with a Jobcentre handback.

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
    let missed = journey.missed_contacts.max(1);
    let window: u32 = settings.outreach_days.iter().sum();
    let Some(&days) = usize::try_from(missed - 1)
        .ok()
        .and_then(|i| settings.outreach_days.get(i))
    else {
        return Ok(ContactDecision::disengaged_exit([Reason::new(
            "outreach.exhausted",
            format!(
                "{missed} contacts missed and all {attempts} outreach attempts (over {window} \
                 days) made: the journey closes as disengaged, with a Jobcentre handback."
            ),
        )]));
    };
    let due = calendar::next_working_day_from(calendar::add_days(as_of, days)?)?;
    Ok(ContactDecision::outreach(
        Timer::new(
            TimerKind::Outreach,
            due,
            format!(
                "Outreach attempt {missed} of {attempts}: phone, text, then a letter or home visit"
            ),
        ),
        [Reason::new(
            "outreach.attempts",
            format!(
                "{attempts} outreach attempts over {window} days before a disengaged exit: \
                 attempt {missed} is due on {}.",
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

    fn journey(missed: u32) -> Journey {
        Journey::started_on(date("2026-01-05")).with_missed_contacts(missed)
    }

    fn due(d: ContactDecision) -> Date {
        match d.step {
            ContactStep::Outreach { timer } => timer.due,
            ContactStep::DisengagedExit => panic!("expected outreach"),
        }
    }

    #[test]
    fn attempts_come_one_two_and_three_weeks_after_each_miss() {
        let s = Settings::default();
        assert_eq!(
            due(decide(&s, &journey(1), date("2026-02-02")).expect("ok")),
            date("2026-02-09")
        );
        assert_eq!(
            due(decide(&s, &journey(2), date("2026-02-09")).expect("ok")),
            date("2026-02-23")
        );
        assert_eq!(
            due(decide(&s, &journey(3), date("2026-02-23")).expect("ok")),
            date("2026-03-16")
        );
    }

    #[test]
    fn a_fourth_miss_is_a_disengaged_exit() {
        let d = decide(&Settings::default(), &journey(4), date("2026-03-16")).expect("decides");
        assert_eq!(d.step, ContactStep::DisengagedExit);
        assert!(d.reasons[0].text.contains("over 42 days"));
    }
}
