//! Between the generated WIT types and the plain ones, both ways.
//!
//! In production only two directions run: inputs from WIT (referral, journey,
//! dates) and answers to WIT. The native harness also runs the other two, so that
//! golden cases pass through exactly the glue a built plugin does: a bad date or a
//! settings typo fails in `cargo test` the way it would in the sandbox.
//!
//! Every conversion into a plain type that holds a date is fallible: a WIT `date`
//! can name a day that does not exist, and that is an error, not a panic.

use chrono::Datelike;

use crate::bindings::waymark::policy::types as wit;
use crate::{
    CheckpointResult, Cohort, ContactDecision, ContactStep, Date, Destination, Eligibility,
    Handover, Journey, Outcome, Plan, ProgrammeKind, Reason, Referral, ReferralRoute, Stage, Timer,
    TimerKind, Track,
};

pub(crate) fn date_to_wit(date: Date) -> wit::Date {
    wit::Date {
        year: date.year(),
        // chrono keeps the month in 1..=12 and the day in 1..=31: no truncation.
        month: date.month() as u8,
        day: date.day() as u8,
    }
}

/// A WIT date as a calendar date, or a sentence saying why it is not one.
pub(crate) fn date_from_wit(date: wit::Date) -> Result<Date, String> {
    Date::from_ymd_opt(date.year, u32::from(date.month), u32::from(date.day)).ok_or_else(|| {
        format!(
            "date {:04}-{:02}-{:02} is not a calendar date",
            date.year, date.month, date.day
        )
    })
}

/// Names which date was wrong, so a refusal points at the field.
fn field_date(field: &str, date: wit::Date) -> Result<Date, String> {
    date_from_wit(date).map_err(|e| format!("{field}: {e}"))
}

// ---- enums: total both ways -------------------------------------------------

impl From<wit::ReferralRoute> for ReferralRoute {
    fn from(route: wit::ReferralRoute) -> Self {
        match route {
            wit::ReferralRoute::SelfReferral => ReferralRoute::SelfReferral,
            wit::ReferralRoute::Council => ReferralRoute::Council,
            wit::ReferralRoute::Health => ReferralRoute::Health,
            wit::ReferralRoute::Jobcentre => ReferralRoute::Jobcentre,
            wit::ReferralRoute::VoluntarySector => ReferralRoute::Voluntary,
        }
    }
}

impl From<ReferralRoute> for wit::ReferralRoute {
    fn from(route: ReferralRoute) -> Self {
        match route {
            ReferralRoute::SelfReferral => wit::ReferralRoute::SelfReferral,
            ReferralRoute::Council => wit::ReferralRoute::Council,
            ReferralRoute::Health => wit::ReferralRoute::Health,
            ReferralRoute::Jobcentre => wit::ReferralRoute::Jobcentre,
            ReferralRoute::Voluntary => wit::ReferralRoute::VoluntarySector,
        }
    }
}

impl From<wit::Cohort> for Cohort {
    fn from(cohort: wit::Cohort) -> Self {
        match cohort {
            wit::Cohort::CareExperienced => Cohort::CareExperienced,
            wit::Cohort::Carer => Cohort::Carer,
            wit::Cohort::Veteran => Cohort::Veteran,
            wit::Cohort::Homeless => Cohort::Homeless,
            wit::Cohort::Refugee => Cohort::Refugee,
            wit::Cohort::DomesticAbuseSurvivor => Cohort::DomesticAbuseSurvivor,
            wit::Cohort::Offender => Cohort::Offender,
            wit::Cohort::SubstanceUse => Cohort::SubstanceUse,
            wit::Cohort::MentalHealth => Cohort::MentalHealth,
            wit::Cohort::Neurodivergent => Cohort::Neurodivergent,
        }
    }
}

impl From<Cohort> for wit::Cohort {
    fn from(cohort: Cohort) -> Self {
        match cohort {
            Cohort::CareExperienced => wit::Cohort::CareExperienced,
            Cohort::Carer => wit::Cohort::Carer,
            Cohort::Veteran => wit::Cohort::Veteran,
            Cohort::Homeless => wit::Cohort::Homeless,
            Cohort::Refugee => wit::Cohort::Refugee,
            Cohort::DomesticAbuseSurvivor => wit::Cohort::DomesticAbuseSurvivor,
            Cohort::Offender => wit::Cohort::Offender,
            Cohort::SubstanceUse => wit::Cohort::SubstanceUse,
            Cohort::MentalHealth => wit::Cohort::MentalHealth,
            Cohort::Neurodivergent => wit::Cohort::Neurodivergent,
        }
    }
}

impl From<wit::Track> for Track {
    fn from(track: wit::Track) -> Self {
        match track {
            wit::Track::OutOfWork => Track::OutOfWork,
            wit::Track::InWorkAtRisk => Track::InWorkAtRisk,
        }
    }
}

impl From<Track> for wit::Track {
    fn from(track: Track) -> Self {
        match track {
            Track::OutOfWork => wit::Track::OutOfWork,
            Track::InWorkAtRisk => wit::Track::InWorkAtRisk,
        }
    }
}

impl From<wit::Stage> for Stage {
    fn from(stage: wit::Stage) -> Self {
        match stage {
            wit::Stage::Accepted => Stage::Accepted,
            wit::Stage::Started => Stage::Started,
            wit::Stage::InWork => Stage::InWork,
            wit::Stage::Paused => Stage::Paused,
            wit::Stage::Outreach => Stage::Outreach,
            wit::Stage::Waitlisted => Stage::Waitlisted,
        }
    }
}

impl From<Stage> for wit::Stage {
    fn from(stage: Stage) -> Self {
        match stage {
            Stage::Accepted => wit::Stage::Accepted,
            Stage::Started => wit::Stage::Started,
            Stage::InWork => wit::Stage::InWork,
            Stage::Paused => wit::Stage::Paused,
            Stage::Outreach => wit::Stage::Outreach,
            Stage::Waitlisted => wit::Stage::Waitlisted,
        }
    }
}

impl From<wit::Programme> for ProgrammeKind {
    fn from(programme: wit::Programme) -> Self {
        match programme {
            wit::Programme::ConnectToWork => ProgrammeKind::ConnectToWork,
            wit::Programme::Ipes => ProgrammeKind::Ipes,
            wit::Programme::IpsPrimaryCare => ProgrammeKind::IpsPrimaryCare,
        }
    }
}

impl From<ProgrammeKind> for wit::Programme {
    fn from(programme: ProgrammeKind) -> Self {
        match programme {
            ProgrammeKind::ConnectToWork => wit::Programme::ConnectToWork,
            ProgrammeKind::Ipes => wit::Programme::Ipes,
            ProgrammeKind::IpsPrimaryCare => wit::Programme::IpsPrimaryCare,
        }
    }
}

impl From<wit::Outcome> for Outcome {
    fn from(outcome: wit::Outcome) -> Self {
        match outcome {
            wit::Outcome::Accept => Outcome::Accept,
            wit::Outcome::Waitlist => Outcome::Waitlist,
            wit::Outcome::Decline => Outcome::Decline,
        }
    }
}

impl From<Outcome> for wit::Outcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Accept => wit::Outcome::Accept,
            Outcome::Waitlist => wit::Outcome::Waitlist,
            Outcome::Decline => wit::Outcome::Decline,
        }
    }
}

impl From<wit::TimerKind> for TimerKind {
    fn from(kind: wit::TimerKind) -> Self {
        match kind {
            wit::TimerKind::Review => TimerKind::Review,
            wit::TimerKind::FirstEmployerContact => TimerKind::FirstEmployerContact,
            wit::TimerKind::EmployerCheckIn => TimerKind::EmployerCheckIn,
            wit::TimerKind::InWorkReview => TimerKind::InWorkReview,
            wit::TimerKind::OutcomeCheckpoint => TimerKind::OutcomeCheckpoint,
            wit::TimerKind::Outreach => TimerKind::Outreach,
            wit::TimerKind::Handover => TimerKind::Handover,
            wit::TimerKind::EndOfSupport => TimerKind::EndOfSupport,
        }
    }
}

impl From<TimerKind> for wit::TimerKind {
    fn from(kind: TimerKind) -> Self {
        match kind {
            TimerKind::Review => wit::TimerKind::Review,
            TimerKind::FirstEmployerContact => wit::TimerKind::FirstEmployerContact,
            TimerKind::EmployerCheckIn => wit::TimerKind::EmployerCheckIn,
            TimerKind::InWorkReview => wit::TimerKind::InWorkReview,
            TimerKind::OutcomeCheckpoint => wit::TimerKind::OutcomeCheckpoint,
            TimerKind::Outreach => wit::TimerKind::Outreach,
            TimerKind::Handover => wit::TimerKind::Handover,
            TimerKind::EndOfSupport => wit::TimerKind::EndOfSupport,
        }
    }
}

impl From<wit::Destination> for Destination {
    fn from(destination: wit::Destination) -> Self {
        match destination {
            wit::Destination::Jobcentre => Destination::Jobcentre,
            wit::Destination::NhsTalkingTherapies => Destination::NhsTalkingTherapies,
            wit::Destination::CouncilProvision => Destination::CouncilProvision,
            wit::Destination::Employer => Destination::Employer,
        }
    }
}

impl From<Destination> for wit::Destination {
    fn from(destination: Destination) -> Self {
        match destination {
            Destination::Jobcentre => wit::Destination::Jobcentre,
            Destination::NhsTalkingTherapies => wit::Destination::NhsTalkingTherapies,
            Destination::CouncilProvision => wit::Destination::CouncilProvision,
            Destination::Employer => wit::Destination::Employer,
        }
    }
}

// ---- inputs: referral and journey --------------------------------------------

impl From<wit::Referral> for Referral {
    fn from(r: wit::Referral) -> Self {
        Referral {
            route: r.route.into(),
            age: r.age,
            postcode_district: r.postcode_district,
            in_work: r.in_work,
            on_universal_credit: r.on_universal_credit,
            known_to_health_services: r.known_to_health_services,
            on_other_programme: r.on_other_programme,
            cohorts: r.cohorts.into_iter().map(Into::into).collect(),
            health_condition_or_disability: r.health_condition_or_disability,
        }
    }
}

impl From<&Referral> for wit::Referral {
    fn from(r: &Referral) -> Self {
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

impl TryFrom<wit::Journey> for Journey {
    type Error = String;

    fn try_from(j: wit::Journey) -> Result<Self, String> {
        Ok(Journey {
            stage: j.stage.into(),
            track: j.track.into(),
            referred_on: field_date("referred_on", j.referred_on)?,
            started_on: j
                .started_on
                .map(|d| field_date("started_on", d))
                .transpose()?,
            job_started_on: j
                .job_started_on
                .map(|d| field_date("job_started_on", d))
                .transpose()?,
            missed_contacts: j.missed_contacts,
            employer_health_consent: j.employer_health_consent,
            mental_health_needs: j.mental_health_needs,
            programme: j.programme.into(),
            support_ends_on: j
                .support_ends_on
                .map(|d| field_date("support_ends_on", d))
                .transpose()?,
            job_ended_on: j
                .job_ended_on
                .map(|d| field_date("job_ended_on", d))
                .transpose()?,
            outcome_checkpoints: j
                .outcome_checkpoints
                .into_iter()
                .map(|c| {
                    Ok(CheckpointResult {
                        on: field_date("outcome_checkpoints", c.on)?,
                        met: c.met,
                        hours_per_week: c.hours_per_week,
                    })
                })
                .collect::<Result<_, String>>()?,
            health_condition_or_disability: j.health_condition_or_disability,
        })
    }
}

impl From<&Journey> for wit::Journey {
    fn from(j: &Journey) -> Self {
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

// ---- answers -------------------------------------------------------------------

impl From<Reason> for wit::Reason {
    fn from(r: Reason) -> Self {
        wit::Reason {
            rule: r.rule,
            text: r.text,
        }
    }
}

impl From<wit::Reason> for Reason {
    fn from(r: wit::Reason) -> Self {
        Reason {
            rule: r.rule,
            text: r.text,
        }
    }
}

fn reasons_to_wit(reasons: Vec<Reason>) -> Vec<wit::Reason> {
    reasons.into_iter().map(Into::into).collect()
}

fn reasons_from_wit(reasons: Vec<wit::Reason>) -> Vec<Reason> {
    reasons.into_iter().map(Into::into).collect()
}

impl From<Eligibility> for wit::Eligibility {
    fn from(e: Eligibility) -> Self {
        wit::Eligibility {
            outcome: e.outcome.into(),
            reasons: reasons_to_wit(e.reasons),
            signpost: e.signpost,
        }
    }
}

impl From<wit::Eligibility> for Eligibility {
    fn from(e: wit::Eligibility) -> Self {
        Eligibility {
            outcome: e.outcome.into(),
            reasons: reasons_from_wit(e.reasons),
            signpost: e.signpost,
        }
    }
}

impl From<Timer> for wit::Timer {
    fn from(t: Timer) -> Self {
        wit::Timer {
            kind: t.kind.into(),
            due: date_to_wit(t.due),
            purpose: t.purpose,
        }
    }
}

impl TryFrom<wit::Timer> for Timer {
    type Error = String;

    fn try_from(t: wit::Timer) -> Result<Self, String> {
        let kind = TimerKind::from(t.kind);
        let due = date_from_wit(t.due).map_err(|e| format!("{} timer: {e}", kind.as_str()))?;
        Ok(Timer {
            kind,
            due,
            purpose: t.purpose,
        })
    }
}

impl From<Plan> for wit::Plan {
    fn from(p: Plan) -> Self {
        wit::Plan {
            timers: p.timers.into_iter().map(Into::into).collect(),
            reasons: reasons_to_wit(p.reasons),
        }
    }
}

impl TryFrom<wit::Plan> for Plan {
    type Error = String;

    fn try_from(p: wit::Plan) -> Result<Self, String> {
        Ok(Plan {
            timers: p
                .timers
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
            reasons: reasons_from_wit(p.reasons),
        })
    }
}

impl From<ContactDecision> for wit::ContactDecision {
    fn from(d: ContactDecision) -> Self {
        let step = match d.step {
            ContactStep::Outreach { timer } => wit::ContactStep::Outreach(timer.into()),
            ContactStep::DisengagedExit => wit::ContactStep::DisengagedExit,
        };
        wit::ContactDecision {
            step,
            reasons: reasons_to_wit(d.reasons),
        }
    }
}

impl TryFrom<wit::ContactDecision> for ContactDecision {
    type Error = String;

    fn try_from(d: wit::ContactDecision) -> Result<Self, String> {
        let step = match d.step {
            wit::ContactStep::Outreach(timer) => ContactStep::Outreach {
                timer: timer.try_into()?,
            },
            wit::ContactStep::DisengagedExit => ContactStep::DisengagedExit,
        };
        Ok(ContactDecision {
            step,
            reasons: reasons_from_wit(d.reasons),
        })
    }
}

impl From<Handover> for wit::Handover {
    fn from(h: Handover) -> Self {
        wit::Handover {
            destination: h.destination.into(),
            pack: h.pack,
            reasons: reasons_to_wit(h.reasons),
        }
    }
}

impl From<wit::Handover> for Handover {
    fn from(h: wit::Handover) -> Self {
        Handover {
            destination: h.destination.into(),
            pack: h.pack,
            reasons: reasons_from_wit(h.reasons),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let day = Date::from_ymd_opt(2026, 3, 31).expect("a date");
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
                year: i32::MAX,
                month: 1,
                day: 1
            })
            .is_err()
        );
    }

    #[test]
    fn a_bad_journey_date_names_its_field() {
        let journey = Journey::started_on(Date::from_ymd_opt(2026, 1, 5).expect("a date"));
        let mut wit = wit::Journey::from(&journey);
        wit.started_on = Some(wit::Date {
            year: 2026,
            month: 13,
            day: 1,
        });
        let err = Journey::try_from(wit).unwrap_err();
        assert_eq!(err, "started_on: date 2026-13-01 is not a calendar date");
    }

    #[test]
    fn the_1_1_facts_cross_the_glue_both_ways() {
        let day = |d| Date::from_ymd_opt(2026, 1, d).expect("a date");
        let journey = Journey::waitlisted_on(day(5))
            .with_programme(ProgrammeKind::Ipes)
            .with_support_ends_on(day(30))
            .with_job_ended_on(day(20))
            .with_checkpoint(day(19), false, 6);
        let back = Journey::try_from(wit::Journey::from(&journey)).expect("converts back");
        assert_eq!(back, journey);
        let mut wit = wit::Journey::from(&journey);
        wit.outcome_checkpoints[0].on.day = 32;
        let err = Journey::try_from(wit).unwrap_err();
        assert!(err.starts_with("outcome_checkpoints:"), "{err}");
        let referral = Referral::example().with_health_condition_or_disability(false);
        assert_eq!(Referral::from(wit::Referral::from(&referral)), referral);
    }
}
