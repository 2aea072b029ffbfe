//! Central London Forward's **Connect to Work**: a partnership of twelve central
//! London boroughs serving the residents of all of them.
//!
//! How it differs from a single council's (`plugins/stoke-on-trent`):
//! - eligibility: residents of any member borough, by postcode district; 16–17 on
//!   Universal Credit; nobody on another programme; when the partnership is full,
//!   priority cohorts are still accepted and others waitlisted (with a maximum wait);
//! - plan: a first meeting within 15 working days; four-weekly reviews for 12
//!   months (4 in work at risk); weekly in-work contact for 182 days; an employer
//!   check-in that leaves health out without consent;
//! - missed contact: three attempts over six weeks, then a disengaged exit;
//! - handover: a warm handback to the Jobcentre.

mod contact;
mod eligibility;
mod plan;
mod settings;

use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral, export_policy,
};

pub use settings::{Borough, Settings};

/// Central London Forward's Connect to Work policy.
pub struct CentralLondonForward;

impl Policy for CentralLondonForward {
    type Settings = Settings;

    fn eligibility(s: &Settings, r: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        eligibility::decide(s, r)
    }

    fn plan(s: &Settings, j: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        plan::decide(s, j, as_of)
    }

    fn missed_contact(
        s: &Settings,
        j: &Journey,
        as_of: Date,
    ) -> Result<ContactDecision, PolicyError> {
        contact::decide(s, j, as_of)
    }

    /// A warm handback to the Jobcentre work coach, whoever the participant is:
    /// the partnership's contract returns everyone to their work coach.
    fn handover(s: &Settings, j: &Journey, _: Date) -> Result<Handover, PolicyError> {
        s.check()?;
        let mut pack = vec![
            "Action plan and progress summary".to_owned(),
            "Barriers still open, and what has helped".to_owned(),
            "The key worker's contact details, for a three-way handover call".to_owned(),
        ];
        if j.job_started_on.is_some() {
            pack.push("In-work support record and the employer contact agreed".to_owned());
        }
        Ok(Handover::new(
            Destination::Jobcentre,
            pack,
            [Reason::new(
                "handover.jobcentre",
                "At the end of support, a warm handback to the participant's Jobcentre work \
                 coach: a three-way call and the pack.",
            )],
        ))
    }
}

export_policy!(CentralLondonForward);

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::{GoldenFailure, date, run_golden};

    use super::*;

    #[test]
    fn golden_cases_hold() -> Result<(), GoldenFailure> {
        run_golden::<CentralLondonForward>(include_str!("../golden.json"))
    }

    #[test]
    fn everyone_is_handed_back_to_the_jobcentre() {
        let journey = Journey::started_on(date("2026-01-05")).with_mental_health_needs(true);
        let h = CentralLondonForward::handover(&Settings::default(), &journey, date("2027-01-05"))
            .expect("decides");
        assert_eq!(h.destination, Destination::Jobcentre);
    }

    #[test]
    fn the_settings_schema_describes_every_setting_with_a_default() {
        let schema = schemars::schema_for!(Settings);
        let properties = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .expect("the schema has properties");
        assert!(properties.contains_key("boroughs"));
        for (name, property) in properties {
            assert!(
                property.get("description").is_some(),
                "`{name}` undescribed"
            );
            assert!(property.get("default").is_some(), "`{name}` has no default");
        }
    }
}
