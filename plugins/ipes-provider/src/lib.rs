//! An **IPES**-style provider's rules. Intensive Personalised Employment Support
//! (DWP, England and Wales, voluntary) is for disabled people at least a year away
//! from moving into work: up to **21 months** of support, of which up to **6
//! months in-work support** (at least 182 days) for those who get a job, with a
//! dedicated key worker.
//!
//! - eligibility: a Jobcentre referral of an adult with a (self-declared) health
//!   condition or disability, out of work and on no other programme;
//! - plan: a first meeting within 15 working days of the referral; an action plan
//!   within 20 working days of the start; reviews every 4 weeks; after a job start,
//!   an employer support plan within 10 working days and weekly in-work contact for
//!   182 days; an outcome checkpoint 26 weeks after the job start; and at the end of
//!   support, the exit plan and the end itself, on the host's `support_ends_on`;
//! - missed contact: three outreach attempts, then a disengaged exit;
//! - handover: to the employer with the exit plan while in work; to NHS Talking
//!   Therapies for mental-health needs; otherwise back to the Jobcentre.
//!
//! Figures from DWP's published IPES guidance are marked *(IPES)*; rules that are
//! our reading, not a published rule, are marked *(inferred)*. Every number is a
//! [`Settings`] field the provider can change over HTTP. `golden.json` beside
//! `Cargo.toml` holds the decisions this plugin promises; the host checks the built
//! component against it on upload.

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

/// An IPES-style provider's policy.
pub struct IpesProvider;

impl Policy for IpesProvider {
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

export_policy!(IpesProvider);

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::{GoldenFailure, run_golden};

    use super::*;

    #[test]
    fn golden_cases_hold() -> Result<(), GoldenFailure> {
        run_golden::<IpesProvider>(include_str!("../golden.json"))
    }

    #[test]
    fn the_settings_schema_describes_every_setting() {
        let schema = schemars::schema_for!(Settings);
        let properties = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .expect("the schema has properties");
        assert!(properties.contains_key("max_months"));
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
