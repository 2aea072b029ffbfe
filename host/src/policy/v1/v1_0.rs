//! `waymark:policy@1.0.x`: the first contract. A 1.0 plugin is shown the 1.0 fields
//! of a referral and a journey, and never a waitlisted journey to plan (see
//! [`answered_by_the_host`](super::answered_by_the_host)).

wasmtime::component::bindgen!({
    world: "council-policy",
    path: "../sdk/wit/v1.0.0",
    imports: {
        // Traps when a plugin asks about a date that does not exist, rather than
        // answering a question that makes no sense.
        "waymark:policy/host.is-working-day": trappable,
    },
});

super::shared_bindings!();

/// The interface a 1.0 plugin exports its hooks under.
const POLICY_EXPORT: &str = "waymark:policy/policy@1.0.0";

impl From<&contract::ReferralFacts> for wit::Referral {
    fn from(r: &contract::ReferralFacts) -> Self {
        // 1.0 has no health-condition-or-disability fact.
        wit::Referral {
            route: r.route.into(),
            age: r.age,
            postcode_district: r.postcode_district.clone(),
            in_work: r.in_work,
            on_universal_credit: r.on_universal_credit,
            known_to_health_services: r.known_to_health_services,
            on_other_programme: r.on_other_programme,
            cohorts: r.cohorts.iter().map(|&c| c.into()).collect(),
        }
    }
}

impl From<&contract::JourneyFacts> for wit::Journey {
    fn from(j: &contract::JourneyFacts) -> Self {
        // The 1.1 facts (programme, end of support, job end, checkpoints, health
        // condition) are not in 1.0's journey.
        wit::Journey {
            stage: j.stage.into(),
            track: j.track.into(),
            referred_on: date_to_wit(j.referred_on),
            started_on: j.started_on.map(date_to_wit),
            job_started_on: j.job_started_on.map(date_to_wit),
            missed_contacts: j.missed_contacts,
            employer_health_consent: j.employer_health_consent,
            mental_health_needs: j.mental_health_needs,
        }
    }
}

impl From<contract::Stage> for wit::Stage {
    fn from(stage: contract::Stage) -> Self {
        use contract::Stage as S;
        match stage {
            // 1.0 has no waiting-list stage. The host never asks a 1.0 plugin to plan
            // a waitlisted journey; for the other hooks, waiting is nearest to accepted
            // (not started).
            S::Waitlisted | S::Accepted => wit::Stage::Accepted,
            S::Started => wit::Stage::Started,
            S::InWork => wit::Stage::InWork,
            S::Paused => wit::Stage::Paused,
            S::Outreach => wit::Stage::Outreach,
        }
    }
}
