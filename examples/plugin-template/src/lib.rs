//! Template Council's rules, as a Waymark policy plugin.
//!
//! `waymark plugin new` copies this crate and renames it. Change the rules, keep
//! the tests and `golden.json` in step, then `waymark plugin test` this folder.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use waymark_sdk::calendar::{self, describe};
use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral, Stage, Timer, TimerKind, export_policy,
};

/// Template Council's settings. Administrators change them over HTTP; each doc
/// comment becomes the setting's description in the schema they read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Postcode districts (outward codes, e.g. `AB1`) whose residents the service takes.
    pub postcode_districts: Vec<String>,
    /// Where to send someone the service cannot take.
    pub signpost: String,
    /// The youngest age accepted.
    pub minimum_age: u32,
    /// Weeks between key-worker reviews, from the start.
    pub review_every_weeks: u32,
    /// The longest support lasts, in months from the start.
    pub max_months: u32,
    /// Outreach attempts after missed contacts before a disengaged exit.
    pub outreach_attempts: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            postcode_districts: vec!["AB1".to_owned(), "AB2".to_owned()],
            signpost: "Your own council's employment support service.".to_owned(),
            minimum_age: 18,
            review_every_weeks: 4,
            max_months: 12,
            outreach_attempts: 3,
        }
    }
}

/// Template Council's policy.
pub struct TemplateCouncil;

impl Policy for TemplateCouncil {
    type Settings = Settings;

    fn eligibility(s: &Settings, r: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        let district = r.postcode_district.trim().to_ascii_uppercase();
        let lives_here = s
            .postcode_districts
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&district));
        let mut reasons = Vec::new();
        if !lives_here {
            reasons.push(Reason::new(
                "residence.postcode",
                format!("Lives in {district}, outside the districts the service covers."),
            ));
        }
        if r.age < s.minimum_age {
            reasons.push(Reason::new(
                "age.minimum",
                format!("Must be {} or over; aged {}.", s.minimum_age, r.age),
            ));
        }
        if reasons.is_empty() {
            return Ok(Eligibility::accept([Reason::new(
                "eligible",
                format!("Lives in {district} and is aged {}.", r.age),
            )]));
        }
        Ok(Eligibility::decline(reasons, s.signpost.as_str()))
    }

    fn plan(s: &Settings, j: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        if matches!(j.stage, Stage::Accepted | Stage::Paused) {
            return Ok(Plan::nothing([Reason::new(
                "plan.not_active",
                "Support is not running: nothing is planned until it starts or resumes.",
            )]));
        }
        if s.review_every_weeks == 0 {
            return Err(PolicyError::new("`review_every_weeks` must be at least 1"));
        }
        let start = j
            .started_on
            .ok_or_else(|| PolicyError::new("the journey has started but has no start date"))?;
        let end = calendar::next_working_day_from(calendar::add_months(start, s.max_months)?)?;
        let mut plan = Plan::after(as_of);
        let mut weeks = s.review_every_weeks;
        loop {
            let due = calendar::next_working_day_from(calendar::add_weeks(start, weeks)?)?;
            if due >= end {
                break;
            }
            plan = plan.timer(TimerKind::Review, due, "Key-worker review");
            weeks += s.review_every_weeks;
        }
        Ok(plan
            .timer(
                TimerKind::EndOfSupport,
                end,
                "End of support: prepare the handover",
            )
            .reason(
                "cadence.review",
                format!(
                    "A review every {} weeks from the start.",
                    s.review_every_weeks
                ),
            )
            .reason(
                "duration.maximum",
                format!(
                    "Support lasts up to {} months: to {}.",
                    s.max_months,
                    describe(end)
                ),
            )
            .build())
    }

    fn missed_contact(
        s: &Settings,
        j: &Journey,
        as_of: Date,
    ) -> Result<ContactDecision, PolicyError> {
        let missed = j.missed_contacts.max(1);
        if missed > s.outreach_attempts {
            return Ok(ContactDecision::disengaged_exit([Reason::new(
                "outreach.exhausted",
                format!("All {} outreach attempts made.", s.outreach_attempts),
            )]));
        }
        let due = calendar::next_working_day_from(calendar::add_weeks(as_of, 1)?)?;
        Ok(ContactDecision::outreach(
            Timer::new(
                TimerKind::Outreach,
                due,
                format!("Outreach attempt {missed}"),
            ),
            [Reason::new(
                "outreach.attempts",
                format!("Up to {} attempts, a week apart.", s.outreach_attempts),
            )],
        ))
    }

    fn handover(_: &Settings, _: &Journey, _: Date) -> Result<Handover, PolicyError> {
        Ok(Handover::new(
            Destination::Jobcentre,
            ["Action plan summary".to_owned()],
            [Reason::new(
                "handover.destination",
                "A warm handback to the Jobcentre.",
            )],
        ))
    }
}

export_policy!(TemplateCouncil);

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::{GoldenFailure, date, run_golden, with_bank_holidays};
    use waymark_sdk::{Outcome, ReferralRoute};

    use super::*;

    fn resident() -> Referral {
        Referral::example()
            .with_postcode_district("AB1")
            .with_route(ReferralRoute::SelfReferral)
    }

    #[test]
    fn a_resident_adult_is_accepted() {
        let e = TemplateCouncil::eligibility(&Settings::default(), &resident(), date("2026-03-02"))
            .expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
    }

    #[test]
    fn someone_outside_the_area_is_declined_with_a_signpost() {
        let referral = resident().with_postcode_district("ZZ9");
        let e = TemplateCouncil::eligibility(&Settings::default(), &referral, date("2026-03-02"))
            .expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(e.reasons[0].rule, "residence.postcode");
        assert!(e.signpost.is_some());
    }

    #[test]
    fn review_due_on_next_working_day_after_bank_holiday() {
        // Start Monday 9 March 2026: four weeks on is Easter Monday, 6 April.
        let journey = Journey::started_on(date("2026-03-09"));
        let plan = with_bank_holidays(&[date("2026-04-06")], || {
            TemplateCouncil::plan(&Settings::default(), &journey, date("2026-03-09"))
        })
        .expect("plans");
        assert_eq!(plan.timers[0].due, date("2026-04-07"));
    }

    #[test]
    fn golden_cases_hold() -> Result<(), GoldenFailure> {
        run_golden::<TemplateCouncil>(include_str!("../golden.json"))
    }
}
