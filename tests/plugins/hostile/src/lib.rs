//! A hostile plugin for the host's tests. Its `eligibility` misbehaves as the
//! council's settings say (by default it loops for ever), so the tests can show the
//! sandbox stops each kind of misbehaviour, the case goes to human review, and the
//! daemon keeps serving. The other hooks answer normally.

use schemars::JsonSchema;
use serde::Deserialize;
use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral, export_policy,
};

pub struct Hostile;

/// How `eligibility` misbehaves.
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Misbehaviour {
    /// Never returns: the fuel limit or the deadline must stop it.
    #[default]
    Loop,
    /// Allocates until the memory limit refuses.
    GrowMemory,
    /// Panics (a trap: a plugin is built with `panic = "abort"`).
    Trap,
    /// Answers with a reason far larger than any answer may be.
    OversizeAnswer,
}

#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// How `eligibility` misbehaves.
    pub eligibility: Misbehaviour,
}

impl Policy for Hostile {
    type Settings = Settings;

    fn eligibility(s: &Settings, referral: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        match s.eligibility {
            Misbehaviour::Loop => {
                let mut spins = u64::from(referral.age);
                // The top bit is always cleared, so `spins` never reaches u64::MAX;
                // black_box keeps the compiler from proving that.
                while std::hint::black_box(spins) != u64::MAX {
                    spins = std::hint::black_box(spins.wrapping_add(1) & (u64::MAX >> 1));
                }
            }
            Misbehaviour::GrowMemory => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Reserve without writing: memory grows, fuel barely moves.
                    let mut chunk = Vec::with_capacity(1 << 20);
                    chunk.push(1u8);
                    hoard.push(std::hint::black_box(chunk));
                }
            }
            Misbehaviour::Trap => panic!("a deliberate crash"),
            Misbehaviour::OversizeAnswer => {
                let text = "x".repeat(1 << 20);
                return Ok(Eligibility::accept([Reason::new("oversize", text)]));
            }
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

export_policy!(Hostile);
