//! Bindings for `waymark:policy@1.x`, and conversions between its WIT records and
//! the host's plain types in [`contract`](super::contract).
//!
//! One module per contract major version, as Zed's extension host keeps them: a
//! future `v2.rs` lives beside this one and old plugins keep working. Every 1.x
//! plugin runs through these bindings, since wasmtime matches `@1.0.0` to any
//! semver-compatible `@1.y.z` on both imports and exports.
//!
//! Conversions out of the plugin are fallible: a WIT `date` can name a day that
//! does not exist, and that is an invalid answer, not a panic.

use chrono::{Datelike, NaiveDate};

use super::contract;

wasmtime::component::bindgen!({
    world: "council-policy",
    path: "../sdk/wit/v1.0.0",
    imports: {
        // Traps when a plugin asks about a date that does not exist, rather than
        // answering a question that makes no sense.
        "waymark:policy/host.is-working-day": trappable,
    },
});

pub(crate) use self::exports::waymark::policy::policy::Guest;
pub(crate) use self::waymark::policy::{host, types as wit};

/// The package and interfaces a 1.x plugin imports and exports.
pub(crate) const HOST_INTERFACE: &str = "waymark:policy/host";
pub(crate) const TYPES_INTERFACE: &str = "waymark:policy/types";
pub(crate) const POLICY_INTERFACE: &str = "waymark:policy/policy";
pub(crate) const MAJOR: u64 = 1;

pub(crate) fn date_to_wit(date: NaiveDate) -> wit::Date {
    wit::Date {
        year: date.year(),
        // chrono's month is 1..=12 and day 1..=31, so these never truncate.
        month: date.month() as u8,
        day: date.day() as u8,
    }
}

/// A WIT date as a calendar date, or a sentence saying why it is not one.
pub(crate) fn date_from_wit(date: wit::Date) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(date.year, u32::from(date.month), u32::from(date.day)).ok_or_else(
        || {
            format!(
                "date {:04}-{:02}-{:02} is not a calendar date",
                date.year, date.month, date.day
            )
        },
    )
}

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
        }
    }
}

impl From<contract::ReferralRoute> for wit::ReferralRoute {
    fn from(route: contract::ReferralRoute) -> Self {
        use contract::ReferralRoute as R;
        match route {
            R::SelfReferral => wit::ReferralRoute::SelfReferral,
            R::Council => wit::ReferralRoute::Council,
            R::Health => wit::ReferralRoute::Health,
            R::Jobcentre => wit::ReferralRoute::Jobcentre,
            R::Voluntary => wit::ReferralRoute::VoluntarySector,
        }
    }
}

impl From<contract::Cohort> for wit::Cohort {
    fn from(cohort: contract::Cohort) -> Self {
        use contract::Cohort as C;
        match cohort {
            C::CareExperienced => wit::Cohort::CareExperienced,
            C::Carer => wit::Cohort::Carer,
            C::Veteran => wit::Cohort::Veteran,
            C::Homeless => wit::Cohort::Homeless,
            C::Refugee => wit::Cohort::Refugee,
            C::DomesticAbuseSurvivor => wit::Cohort::DomesticAbuseSurvivor,
            C::Offender => wit::Cohort::Offender,
            C::SubstanceUse => wit::Cohort::SubstanceUse,
            C::MentalHealth => wit::Cohort::MentalHealth,
            C::Neurodivergent => wit::Cohort::Neurodivergent,
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
        }
    }
}

impl From<contract::Stage> for wit::Stage {
    fn from(stage: contract::Stage) -> Self {
        use contract::Stage as S;
        match stage {
            // Contract 1.0 has no waiting-list stage; `call.rs` never asks a 1.0
            // plugin to plan a waitlisted journey.
            S::Waitlisted | S::Accepted => wit::Stage::Accepted,
            S::Started => wit::Stage::Started,
            S::InWork => wit::Stage::InWork,
            S::Paused => wit::Stage::Paused,
            S::Outreach => wit::Stage::Outreach,
        }
    }
}

impl From<contract::Track> for wit::Track {
    fn from(track: contract::Track) -> Self {
        match track {
            contract::Track::OutOfWork => wit::Track::OutOfWork,
            contract::Track::InWorkAtRisk => wit::Track::InWorkAtRisk,
        }
    }
}

impl From<wit::Reason> for contract::Reason {
    fn from(r: wit::Reason) -> Self {
        contract::Reason {
            rule: r.rule,
            text: r.text,
        }
    }
}

fn reasons(reasons: Vec<wit::Reason>) -> Vec<contract::Reason> {
    reasons.into_iter().map(Into::into).collect()
}

impl From<wit::Eligibility> for contract::Eligibility {
    fn from(e: wit::Eligibility) -> Self {
        let outcome = match e.outcome {
            wit::Outcome::Accept => contract::Outcome::Accept,
            wit::Outcome::Waitlist => contract::Outcome::Waitlist,
            wit::Outcome::Decline => contract::Outcome::Decline,
        };
        contract::Eligibility {
            outcome,
            reasons: reasons(e.reasons),
            signpost: e.signpost,
        }
    }
}

impl From<wit::TimerKind> for contract::TimerKind {
    fn from(kind: wit::TimerKind) -> Self {
        use contract::TimerKind as K;
        match kind {
            wit::TimerKind::Review => K::Review,
            wit::TimerKind::FirstEmployerContact => K::FirstEmployerContact,
            wit::TimerKind::EmployerCheckIn => K::EmployerCheckIn,
            wit::TimerKind::InWorkReview => K::InWorkReview,
            wit::TimerKind::OutcomeCheckpoint => K::OutcomeCheckpoint,
            wit::TimerKind::Outreach => K::Outreach,
            wit::TimerKind::Handover => K::Handover,
            wit::TimerKind::EndOfSupport => K::EndOfSupport,
        }
    }
}

impl TryFrom<wit::Timer> for contract::PlannedTimer {
    type Error = String;

    fn try_from(t: wit::Timer) -> Result<Self, String> {
        let kind = contract::TimerKind::from(t.kind);
        let due = date_from_wit(t.due).map_err(|e| format!("{} timer: {e}", kind.as_str()))?;
        Ok(contract::PlannedTimer {
            kind,
            due,
            purpose: t.purpose,
        })
    }
}

impl TryFrom<wit::Plan> for contract::Plan {
    type Error = String;

    fn try_from(p: wit::Plan) -> Result<Self, String> {
        let timers = p
            .timers
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<_, _>>()?;
        Ok(contract::Plan {
            timers,
            reasons: reasons(p.reasons),
        })
    }
}

impl TryFrom<wit::ContactDecision> for contract::ContactDecision {
    type Error = String;

    fn try_from(d: wit::ContactDecision) -> Result<Self, String> {
        let step = match d.step {
            wit::ContactStep::Outreach(timer) => contract::ContactStep::Outreach {
                timer: timer.try_into()?,
            },
            wit::ContactStep::DisengagedExit => contract::ContactStep::DisengagedExit,
        };
        Ok(contract::ContactDecision {
            step,
            reasons: reasons(d.reasons),
        })
    }
}

impl From<wit::Handover> for contract::Handover {
    fn from(h: wit::Handover) -> Self {
        let destination = match h.destination {
            wit::Destination::Jobcentre => contract::Destination::Jobcentre,
            wit::Destination::NhsTalkingTherapies => contract::Destination::NhsTalkingTherapies,
            wit::Destination::CouncilProvision => contract::Destination::CouncilProvision,
            wit::Destination::Employer => contract::Destination::Employer,
        };
        contract::Handover {
            destination,
            pack: h.pack,
            reasons: reasons(h.reasons),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(date_from_wit(date_to_wit(day)), Ok(day));
    }

    #[test]
    fn a_day_that_does_not_exist_is_named_in_the_error() {
        let err = date_from_wit(wit::Date {
            year: 2026,
            month: 2,
            day: 30,
        })
        .unwrap_err();
        assert_eq!(err, "date 2026-02-30 is not a calendar date");
        assert!(
            date_from_wit(wit::Date {
                year: 2026,
                month: 13,
                day: 1
            })
            .is_err()
        );
        assert!(
            date_from_wit(wit::Date {
                year: i32::MAX,
                month: 1,
                day: 1
            })
            .is_err()
        );
    }
}
