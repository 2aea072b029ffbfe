//! Stoke-on-Trent City Council's rules for **Connect to Work**, the DWP-funded
//! programme of intensive "place and train" employment support (Individual
//! Placement and Support) for sick and disabled people: up to 12 months for people
//! out of work, up to 4 months for people in work at risk of losing their job.
//!
//! - eligibility: residents of the city's postcode districts (ST1, ST2, ST3, ST4,
//!   ST6), aged 18 or over, or 16–17 on Universal Credit;
//! - plan: 4-weekly key-worker reviews from the start, a first employer contact
//!   within 30 days, an employer check-in a week after a job start, and the end of
//!   support, each moved off weekends and bank holidays;
//! - missed contact: three outreach attempts a week apart, then a disengaged exit;
//! - handover: a warm handback to the Jobcentre with a summary pack.
//!
//! Every number is a setting ([`Settings`]) the council can change over HTTP.
//! `golden.json` beside `Cargo.toml` holds the decisions this plugin promises; the
//! host checks the built component against it too.

mod contact;
mod eligibility;
mod handover;
mod plan;
mod settings;

use waymark_sdk::{
    ContactDecision, Date, Eligibility, Handover, Journey, Plan, Policy, PolicyError, Referral,
    export_policy,
};

pub use settings::Settings;

/// Stoke-on-Trent City Council's Connect to Work policy.
pub struct StokeOnTrent;

impl Policy for StokeOnTrent {
    type Settings = Settings;

    fn eligibility(
        settings: &Settings,
        referral: &Referral,
        _as_of: Date,
    ) -> Result<Eligibility, PolicyError> {
        eligibility::decide(settings, referral)
    }

    fn plan(settings: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        plan::decide(settings, journey, as_of)
    }

    fn missed_contact(
        settings: &Settings,
        journey: &Journey,
        as_of: Date,
    ) -> Result<ContactDecision, PolicyError> {
        contact::decide(settings, journey, as_of)
    }

    fn handover(
        settings: &Settings,
        journey: &Journey,
        _as_of: Date,
    ) -> Result<Handover, PolicyError> {
        handover::decide(settings, journey)
    }
}

export_policy!(StokeOnTrent);

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::{GoldenFailure, run_golden};

    use super::*;

    #[test]
    fn golden_cases_hold() -> Result<(), GoldenFailure> {
        run_golden::<StokeOnTrent>(include_str!("../golden.json"))
    }

    #[test]
    fn the_settings_schema_describes_every_setting() {
        let schema = schemars::schema_for!(Settings);
        let properties = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .expect("the schema has properties");
        assert!(properties.contains_key("postcode_districts"));
        for (name, property) in properties {
            assert!(
                property.get("description").is_some(),
                "setting `{name}` has no description"
            );
            assert!(
                property.get("default").is_some(),
                "setting `{name}` has no default"
            );
        }
    }
}
