//! `waymark:policy@1.1.x`, what waymark-sdk 0.1 builds: 1.0 plus the waiting-list
//! stage, the programme and its end of support, job-ended and outcome-checkpoint
//! facts, and the self-declared health condition or disability.

wasmtime::component::bindgen!({
    world: "council-policy",
    path: "../sdk/wit/v1.1.0",
    imports: {
        // Traps when a plugin asks about a date that does not exist, rather than
        // answering a question that makes no sense.
        "waymark:policy/host.is-working-day": trappable,
    },
});

super::shared_bindings!();

/// The interface a 1.1 plugin exports its hooks under.
const POLICY_EXPORT: &str = "waymark:policy/policy@1.1.0";

/// The conversions into 1.1's records, which 1.2 shares: expanded in each module
/// against its own generated `wit` types.
macro_rules! records_1_1 {
    () => {
        impl From<&contract::ReferralFacts> for wit::Referral {
            fn from(r: &contract::ReferralFacts) -> Self {
                wit::Referral {
                    route: r.route.into(),
                    age: r.age,
                    postcode_district: r.postcode_district.clone(),
                    in_work: r.in_work,
                    on_universal_credit: r.on_universal_credit,
                    known_to_health_services: r.known_to_health_services,
                    on_other_programme: r.on_other_programme,
                    cohorts: r.cohorts.iter().map(|&c| c.into()).collect(),
                    health_condition_or_disability: r.health_condition_or_disability,
                }
            }
        }

        impl From<&contract::JourneyFacts> for wit::Journey {
            fn from(j: &contract::JourneyFacts) -> Self {
                wit::Journey {
                    stage: j.stage.into(),
                    track: j.track.into(),
                    referred_on: date_to_wit(j.referred_on),
                    started_on: j.started_on.map(date_to_wit),
                    job_started_on: j.job_started_on.map(date_to_wit),
                    missed_contacts: j.missed_contacts,
                    employer_health_consent: j.employer_health_consent,
                    mental_health_needs: j.mental_health_needs,
                    programme: j.programme.into(),
                    support_ends_on: j.support_ends_on.map(date_to_wit),
                    job_ended_on: j.job_ended_on.map(date_to_wit),
                    outcome_checkpoints: j
                        .outcome_checkpoints
                        .iter()
                        .map(|c| wit::CheckpointResult {
                            on: date_to_wit(c.on),
                            met: c.met,
                            hours_per_week: c.hours_per_week,
                        })
                        .collect(),
                    health_condition_or_disability: j.health_condition_or_disability,
                }
            }
        }

        impl From<contract::Stage> for wit::Stage {
            fn from(stage: contract::Stage) -> Self {
                use contract::Stage as S;
                match stage {
                    S::Accepted => wit::Stage::Accepted,
                    S::Started => wit::Stage::Started,
                    S::InWork => wit::Stage::InWork,
                    S::Paused => wit::Stage::Paused,
                    S::Outreach => wit::Stage::Outreach,
                    S::Waitlisted => wit::Stage::Waitlisted,
                }
            }
        }

        impl From<contract::ProgrammeKind> for wit::Programme {
            fn from(programme: contract::ProgrammeKind) -> Self {
                use contract::ProgrammeKind as P;
                match programme {
                    P::ConnectToWork => wit::Programme::ConnectToWork,
                    P::Ipes => wit::Programme::Ipes,
                    P::IpsPrimaryCare => wit::Programme::IpsPrimaryCare,
                }
            }
        }
    };
}

pub(super) use records_1_1;

records_1_1!();
