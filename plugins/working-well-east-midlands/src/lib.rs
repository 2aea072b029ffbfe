//! Working Well – East Midlands: **IPS in Primary Care** for Nottingham,
//! Nottinghamshire and Derby, employment support for people known to health
//! services, referred by their GP or another health professional.
//!
//! How it differs from a council's Connect to Work (`plugins/stoke-on-trent`):
//! - eligibility: health-professional referrals of people registered with a local
//!   GP only; adults only; nobody already on another programme;
//! - plan: a first meeting within 10 working days of referral; weekly reviews in
//!   the first month, then fortnightly, for up to 9 months; once in work,
//!   time-unlimited in-work support stepping down from weekly to four-weekly,
//!   outcome checkpoints (7 hours a week for 13 weeks within 16), and an employer
//!   check-in only with consent to discuss health;
//! - missed contact: six outreach attempts (the later ones through the referring
//!   health professional) before a disengaged exit;
//! - handover: NHS Talking Therapies for mental-health needs.
//!
//! Every number is a setting ([`Settings`]); `golden.json` holds the decisions this
//! plugin promises, checked natively and against the built component.

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

/// Working Well – East Midlands' IPS in Primary Care policy.
pub struct WorkingWellEastMidlands;

impl Policy for WorkingWellEastMidlands {
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

    fn handover(s: &Settings, j: &Journey, _: Date) -> Result<Handover, PolicyError> {
        handover::decide(s, j)
    }
}

export_policy!(WorkingWellEastMidlands);

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::{GoldenFailure, run_golden};

    use super::*;

    #[test]
    fn golden_cases_hold() -> Result<(), GoldenFailure> {
        run_golden::<WorkingWellEastMidlands>(include_str!("../golden.json"))
    }

    #[test]
    fn the_settings_schema_describes_every_setting_with_a_default() {
        let schema = schemars::schema_for!(Settings);
        let properties = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .expect("the schema has properties");
        assert!(properties.contains_key("health_route_only"));
        for (name, property) in properties {
            assert!(
                property.get("description").is_some(),
                "`{name}` undescribed"
            );
            assert!(property.get("default").is_some(), "`{name}` has no default");
        }
    }
}
