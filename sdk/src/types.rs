//! The contract's records as plain Rust: what a plugin reads and what it answers.
//!
//! They mirror `waymark:policy@1.0.0` field for field, and serialize exactly as the
//! host's own types do (snake_case names, dates as `YYYY-MM-DD`), so a golden case
//! or a logged decision reads the same on both sides of the sandbox. Conversions to
//! and from the generated WIT bindings live in `convert.rs` and stay private: a
//! plugin author never sees a WIT type.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Date;

/// How the person came to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralRoute {
    /// The person referred themselves.
    #[serde(rename = "self")]
    SelfReferral,
    /// A council service.
    Council,
    /// A GP or another health professional.
    Health,
    /// A Jobcentre work coach.
    Jobcentre,
    /// A voluntary-sector organisation.
    Voluntary,
}

/// Connect to Work tracks: up to 12 months out of work, up to 4 months in work at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    OutOfWork,
    InWorkAtRisk,
}

/// Priority cohorts a council may favour. Self-identified: no proof is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    CareExperienced,
    Carer,
    Veteran,
    Homeless,
    Refugee,
    DomesticAbuseSurvivor,
    Offender,
    SubstanceUse,
    MentalHealth,
    Neurodivergent,
}

/// What eligibility may know of a referral: facts the host derived, never the raw
/// personal data (no name, no date of birth, no full postcode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Referral {
    pub route: ReferralRoute,
    /// Age in whole years on the as-of date.
    pub age: u32,
    /// Outward code of the postcode, upper case, e.g. `ST4`.
    pub postcode_district: String,
    pub in_work: bool,
    pub on_universal_credit: bool,
    pub known_to_health_services: bool,
    pub on_other_programme: bool,
    pub cohorts: Vec<Cohort>,
}

/// One rule's verdict, for people to read: a stable rule id someone can look up,
/// and plain English saying what the rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    /// Stable rule id, e.g. `residence.postcode`.
    pub rule: String,
    /// Plain English.
    pub text: String,
}

impl Reason {
    /// `Reason::new("age.minimum", "Must be 18 or over, or 16–17 on Universal Credit")`.
    pub fn new(rule: impl Into<String>, text: impl Into<String>) -> Reason {
        Reason {
            rule: rule.into(),
            text: text.into(),
        }
    }
}

/// The verdict on a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accept,
    Waitlist,
    Decline,
}

/// Whether a referral is accepted, waitlisted or declined, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Eligibility {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// Where to send someone who is declined or waitlisted.
    pub signpost: Option<String>,
}

impl Eligibility {
    /// Accepted, for these reasons.
    pub fn accept(reasons: impl IntoIterator<Item = Reason>) -> Eligibility {
        Eligibility {
            outcome: Outcome::Accept,
            reasons: reasons.into_iter().collect(),
            signpost: None,
        }
    }

    /// Waitlisted, for these reasons. Add a signpost with [`Eligibility::with_signpost`]
    /// if there is somewhere to go meanwhile.
    pub fn waitlist(reasons: impl IntoIterator<Item = Reason>) -> Eligibility {
        Eligibility {
            outcome: Outcome::Waitlist,
            reasons: reasons.into_iter().collect(),
            signpost: None,
        }
    }

    /// Declined, for these reasons. A signpost is required: nobody is turned away
    /// without being told where else to go.
    pub fn decline(
        reasons: impl IntoIterator<Item = Reason>,
        signpost: impl Into<String>,
    ) -> Eligibility {
        Eligibility {
            outcome: Outcome::Decline,
            reasons: reasons.into_iter().collect(),
            signpost: Some(signpost.into()),
        }
    }

    /// The same verdict, with a signpost.
    pub fn with_signpost(self, signpost: impl Into<String>) -> Eligibility {
        Eligibility {
            signpost: Some(signpost.into()),
            ..self
        }
    }
}

/// Where a journey stands, as far as planning needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Accepted, support not started yet.
    Accepted,
    /// Support has started; no job yet.
    Started,
    /// The participant has started a job and gets in-work support.
    InWork,
    /// A break, e.g. for a fluctuating health condition.
    Paused,
    /// The participant stopped engaging; re-engagement is being tried.
    Outreach,
}

/// The least a plan needs to know of a journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Journey {
    pub stage: Stage,
    pub track: Track,
    pub referred_on: Date,
    pub started_on: Option<Date>,
    pub job_started_on: Option<Date>,
    /// Contacts missed since the last successful one.
    pub missed_contacts: u32,
    /// Recorded consent to discuss health needs with an employer.
    pub employer_health_consent: bool,
    /// Self-identified mental-health needs (a handover destination may depend on it).
    pub mental_health_needs: bool,
}

/// What a timer is for. The host routes each kind to the right people.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    Review,
    FirstEmployerContact,
    EmployerCheckIn,
    InWorkReview,
    OutcomeCheckpoint,
    Outreach,
    Handover,
    EndOfSupport,
}

impl TimerKind {
    /// The kind as it is written in JSON, e.g. `first_employer_contact`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::Review => "review",
            TimerKind::FirstEmployerContact => "first_employer_contact",
            TimerKind::EmployerCheckIn => "employer_check_in",
            TimerKind::InWorkReview => "in_work_review",
            TimerKind::OutcomeCheckpoint => "outcome_checkpoint",
            TimerKind::Outreach => "outreach",
            TimerKind::Handover => "handover",
            TimerKind::EndOfSupport => "end_of_support",
        }
    }
}

/// A dated piece of work the plugin wants done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timer {
    pub kind: TimerKind,
    pub due: Date,
    /// Plain English for the key worker: what this reminder is for.
    pub purpose: String,
}

impl Timer {
    pub fn new(kind: TimerKind, due: Date, purpose: impl Into<String>) -> Timer {
        Timer {
            kind,
            due,
            purpose: purpose.into(),
        }
    }
}

/// Every timer a journey wants strictly after the as-of date, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    pub timers: Vec<Timer>,
    pub reasons: Vec<Reason>,
}

impl Plan {
    /// Starts a plan that keeps only timers due strictly after `as_of`, as the
    /// contract requires: a timer on or before the as-of date would fire at once
    /// or never be noticed, and the host rejects the whole plan for it.
    pub fn after(as_of: Date) -> PlanBuilder {
        PlanBuilder {
            as_of,
            timers: Vec::new(),
            reasons: Vec::new(),
        }
    }

    /// A plan with no timers, for these reasons (e.g. support is paused).
    pub fn nothing(reasons: impl IntoIterator<Item = Reason>) -> Plan {
        Plan {
            timers: Vec::new(),
            reasons: reasons.into_iter().collect(),
        }
    }
}

/// Collects a plan's timers, dropping those not after the as-of date.
#[derive(Debug, Clone)]
#[must_use = "a plan builder does nothing until `build` is called"]
pub struct PlanBuilder {
    as_of: Date,
    timers: Vec<Timer>,
    reasons: Vec<Reason>,
}

impl PlanBuilder {
    /// Adds a timer, unless it is due on or before the as-of date.
    pub fn timer(mut self, kind: TimerKind, due: Date, purpose: impl Into<String>) -> PlanBuilder {
        if due > self.as_of {
            self.timers.push(Timer::new(kind, due, purpose));
        }
        self
    }

    /// Adds a reason.
    pub fn reason(mut self, rule: impl Into<String>, text: impl Into<String>) -> PlanBuilder {
        self.reasons.push(Reason::new(rule, text));
        self
    }

    /// The plan, timers in due order (then by kind), so it reads as a diary.
    pub fn build(mut self) -> Plan {
        self.timers.sort_by_key(|t| (t.due, t.kind));
        Plan {
            timers: self.timers,
            reasons: self.reasons,
        }
    }
}

/// What to do after a missed contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ContactStep {
    /// Try again: an outreach attempt due on the timer's date.
    Outreach { timer: Timer },
    /// Re-engagement is exhausted: close the journey as disengaged.
    DisengagedExit,
}

/// The step after a missed contact, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContactDecision {
    pub step: ContactStep,
    pub reasons: Vec<Reason>,
}

impl ContactDecision {
    /// Another outreach attempt, due on `timer.due` (after the as-of date).
    pub fn outreach(timer: Timer, reasons: impl IntoIterator<Item = Reason>) -> ContactDecision {
        ContactDecision {
            step: ContactStep::Outreach { timer },
            reasons: reasons.into_iter().collect(),
        }
    }

    /// Close the journey as disengaged.
    pub fn disengaged_exit(reasons: impl IntoIterator<Item = Reason>) -> ContactDecision {
        ContactDecision {
            step: ContactStep::DisengagedExit,
            reasons: reasons.into_iter().collect(),
        }
    }
}

/// Who takes over at the end of support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// A warm handback to the participant's Jobcentre work coach.
    Jobcentre,
    /// NHS Talking Therapies employment advisers.
    NhsTalkingTherapies,
    /// Other provision of the council.
    CouncilProvision,
    /// The employer, with an exit plan.
    Employer,
}

/// The handover at the end of support: where to, and what goes in the pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Handover {
    pub destination: Destination,
    /// What goes in the handover pack, item by item.
    pub pack: Vec<String>,
    pub reasons: Vec<Reason>,
}

impl Handover {
    pub fn new(
        destination: Destination,
        pack: impl IntoIterator<Item = String>,
        reasons: impl IntoIterator<Item = Reason>,
    ) -> Handover {
        Handover {
            destination,
            pack: pack.into_iter().collect(),
            reasons: reasons.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> Date {
        Date::from_ymd_opt(2026, 1, d).expect("a January day")
    }

    #[test]
    fn json_names_match_the_host() {
        let value = serde_json::to_value(ReferralRoute::SelfReferral).expect("serializes");
        assert_eq!(value, "self");
        let value = serde_json::to_value(ReferralRoute::Voluntary).expect("serializes");
        assert_eq!(value, "voluntary");
        let step = ContactStep::Outreach {
            timer: Timer::new(TimerKind::Outreach, day(12), "Call"),
        };
        let value = serde_json::to_value(step).expect("serializes");
        assert_eq!(value["step"], "outreach");
        assert_eq!(value["timer"]["due"], "2026-01-12");
        assert_eq!(value["timer"]["kind"], "outreach");
        for kind in [
            TimerKind::FirstEmployerContact,
            TimerKind::EmployerCheckIn,
            TimerKind::EndOfSupport,
        ] {
            assert_eq!(
                serde_json::to_value(kind).expect("serializes"),
                kind.as_str()
            );
        }
    }

    #[test]
    fn a_plan_keeps_only_timers_after_the_as_of_date_in_due_order() {
        let plan = Plan::after(day(10))
            .timer(TimerKind::EndOfSupport, day(30), "End")
            .timer(TimerKind::Review, day(10), "On the as-of date: dropped")
            .timer(TimerKind::Review, day(9), "Before it: dropped")
            .timer(TimerKind::Review, day(11), "Review")
            .reason("cadence.review", "Weekly")
            .build();
        let dues: Vec<Date> = plan.timers.iter().map(|t| t.due).collect();
        assert_eq!(dues, vec![day(11), day(30)]);
        assert_eq!(plan.reasons.len(), 1);
    }

    #[test]
    fn a_decline_always_carries_a_signpost() {
        let e = Eligibility::decline([Reason::new("age.minimum", "Too young")], "Elsewhere");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(e.signpost.as_deref(), Some("Elsewhere"));
    }
}
