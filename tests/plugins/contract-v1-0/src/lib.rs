//! A plugin as a council built it before contract 1.1: bindings generated straight
//! from `sdk/wit/v1.0.0` with wit-bindgen, no waymark-sdk. The host has moved on to
//! 1.1; this component must still load and decide, be shown only the 1.0 fields,
//! and never be asked to plan a waitlisted journey (1.0 has no such stage).
//!
//! Its rules are deliberately simple and fixed, so the tests can predict them:
//! 18 or over is accepted, under 18 declined; an accepted journey gets a first
//! meeting 10 days after the referral, a started one a review 28 days after the
//! start; a missed contact ends in a disengaged exit; handover is to the Jobcentre.

#[cfg(target_arch = "wasm32")]
mod plugin {
    wit_bindgen::generate!({
        path: "../../../sdk/wit/v1.0.0",
        world: "council-policy",
    });

    use exports::waymark::policy::policy::{
        ContactDecision, Date, EligibilityDecision, Guest, HandoverDecision, Journey, JourneyPlan,
        Referral,
    };
    use waymark::policy::host;
    use waymark::policy::types::{
        ContactStep, Destination, Outcome, Reason, Stage, Timer, TimerKind,
    };

    fn reason(rule: &str, text: &str) -> Reason {
        Reason {
            rule: rule.to_owned(),
            text: text.to_owned(),
        }
    }

    /// `days` after `date`, by the civil calendar (days from 0000-03-01, as in
    /// Howard Hinnant's algorithms), so the fixture needs no date crate.
    fn add_days(date: Date, days: i64) -> Date {
        let (y, m, d) = (
            i64::from(date.year),
            i64::from(date.month),
            i64::from(date.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let z = era * 146_097 + doe + days;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        }
    }

    struct ContractOneZero;

    impl Guest for ContractOneZero {
        fn settings_schema() -> String {
            r#"{"type":"object","properties":{}}"#.to_owned()
        }

        fn eligibility(
            _: String,
            referral: Referral,
            _: Date,
        ) -> Result<EligibilityDecision, String> {
            host::log("contract 1.0 fixture: eligibility");
            let why = reason("age.minimum", "Must be 18 or over");
            Ok(if referral.age >= 18 {
                EligibilityDecision {
                    outcome: Outcome::Accept,
                    reasons: vec![why],
                    signpost: None,
                }
            } else {
                EligibilityDecision {
                    outcome: Outcome::Decline,
                    reasons: vec![why],
                    signpost: Some("The National Careers Service".to_owned()),
                }
            })
        }

        fn plan(_: String, journey: Journey, _: Date) -> Result<JourneyPlan, String> {
            host::log("contract 1.0 fixture: plan");
            let (due, purpose, rule) = match (journey.stage, journey.started_on) {
                (Stage::Accepted, _) => (
                    add_days(journey.referred_on, 10),
                    "First meeting with the key worker",
                    "first_meeting.deadline",
                ),
                (_, Some(start)) => (
                    add_days(start, 28),
                    "4-weekly key-worker review",
                    "cadence.review",
                ),
                (_, None) => return Err("the journey has started but has no start date".into()),
            };
            Ok(JourneyPlan {
                timers: vec![Timer {
                    kind: TimerKind::Review,
                    due,
                    purpose: purpose.to_owned(),
                }],
                reasons: vec![reason(rule, purpose)],
            })
        }

        fn missed_contact(_: String, _: Journey, _: Date) -> Result<ContactDecision, String> {
            Ok(ContactDecision {
                step: ContactStep::DisengagedExit,
                reasons: vec![reason("outreach.none", "No outreach in this fixture")],
            })
        }

        fn handover(_: String, _: Journey, _: Date) -> Result<HandoverDecision, String> {
            Ok(HandoverDecision {
                destination: Destination::Jobcentre,
                pack: vec!["Action plan summary".to_owned()],
                reasons: vec![reason("handover.destination", "Back to the Jobcentre")],
            })
        }
    }

    export!(ContractOneZero);
}
