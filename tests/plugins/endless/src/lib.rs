//! A hostile plugin for the host's tests: `eligibility` loops for ever, so the
//! sandbox must stop it (fuel or deadline) and the case must go to human review
//! while the daemon keeps serving. The other hooks answer normally.

use schemars::JsonSchema;
use serde::Deserialize;
use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral, export_policy,
};

pub struct Endless;

#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {}

impl Policy for Endless {
    type Settings = Settings;

    fn eligibility(_: &Settings, referral: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        let mut spins = u64::from(referral.age);
        // The top bit is always cleared, so `spins` never reaches u64::MAX; black_box
        // keeps the compiler from proving that and removing the loop.
        while std::hint::black_box(spins) != u64::MAX {
            spins = std::hint::black_box(spins.wrapping_add(1) & (u64::MAX >> 1));
        }
        Ok(Eligibility::accept([Reason::new("never", "unreachable")]))
    }

    fn plan(_: &Settings, _: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        Ok(Plan::after(as_of)
            .reason("plan.none", "This test plugin plans nothing")
            .build())
    }

    fn missed_contact(_: &Settings, _: &Journey, _: Date) -> Result<ContactDecision, PolicyError> {
        Ok(ContactDecision::disengaged_exit([Reason::new(
            "outreach.none",
            "No outreach",
        )]))
    }

    fn handover(_: &Settings, _: &Journey, _: Date) -> Result<Handover, PolicyError> {
        Ok(Handover::new(
            Destination::Jobcentre,
            ["Summary".to_owned()],
            [Reason::new("handover.jobcentre", "Back to the Jobcentre")],
        ))
    }
}

export_policy!(Endless);
