//! After a missed contact: IPS never closes a case for missed appointments alone,
//! so outreach keeps trying, a week of working days apart, and from the fourth
//! attempt through the referring health professional, before a disengaged exit.

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
    let missed = journey.missed_contacts.max(1);
    if missed > attempts {
        return Ok(ContactDecision::disengaged_exit([Reason::new(
            "outreach.exhausted",
            format!(
                "{missed} contacts missed in a row and all {attempts} outreach attempts made, \
                 including through the referring health professional: the journey closes as \
                 disengaged, and the GP is told."
            ),
        )]));
    }
    let days = settings.outreach_interval_working_days;
    let due = calendar::add_working_days(as_of, days)?;
    let via_health = missed >= settings.outreach_via_health_professional_from;
    let how = if via_health {
        "ask the referring health professional to make contact, and offer a new appointment"
    } else {
        "contact the participant (phone, text or letter) and offer a new appointment"
    };
    let rule = if via_health {
        "outreach.via_health_professional"
    } else {
        "outreach.attempts"
    };
    Ok(ContactDecision::outreach(
        Timer::new(
            TimerKind::Outreach,
            due,
            format!("Outreach attempt {missed} of {attempts}: {how}"),
        ),
        [Reason::new(
            rule,
            format!(
                "IPS does not close a case for missed appointments alone: up to {attempts} \
                 outreach attempts, {days} working days apart; attempt {missed} is due on {}.",
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

    fn outreach(d: ContactDecision) -> Timer {
        match d.step {
            ContactStep::Outreach { timer } => timer,
            ContactStep::DisengagedExit => panic!("expected outreach"),
        }
    }

    #[test]
    fn a_first_miss_gets_outreach_five_working_days_later() {
        // Thursday 5 February + 5 working days is Thursday 12 February.
        let d = decide(&Settings::default(), &journey(1), date("2026-02-05")).expect("decides");
        assert_eq!(d.reasons[0].rule, "outreach.attempts");
        assert_eq!(outreach(d).due, date("2026-02-12"));
    }

    #[test]
    fn the_fourth_attempt_goes_through_the_health_professional() {
        let d = decide(&Settings::default(), &journey(4), date("2026-02-05")).expect("decides");
        assert_eq!(d.reasons[0].rule, "outreach.via_health_professional");
        assert!(
            outreach(d)
                .purpose
                .contains("referring health professional")
        );
    }

    #[test]
    fn only_after_six_attempts_is_the_journey_closed() {
        let d = decide(&Settings::default(), &journey(6), date("2026-02-05")).expect("decides");
        assert!(matches!(d.step, ContactStep::Outreach { .. }));
        let d = decide(&Settings::default(), &journey(7), date("2026-02-05")).expect("decides");
        assert_eq!(d.step, ContactStep::DisengagedExit);
    }
}
