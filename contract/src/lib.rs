//! # waymark-contract: the `waymark:policy` contract's types, written once
//!
//! What a council's policy plugin reads (a [`Referral`], a [`Journey`]) and what it
//! answers (an [`Eligibility`], a [`Plan`], a [`ContactDecision`], a [`Handover`]),
//! as plain Rust. The host and `waymark-sdk` both use these types, so there is one
//! copy of the contract in Rust beside its WIT (`sdk/wit/v1.x.0/policy.wit`), and
//! nothing converts between copies.
//!
//! They mirror the records of `waymark:policy@1.1.0`, which 1.2.0 keeps, field for
//! field. The fields 1.1 added
//! (marked "1.1" below) have serde defaults, so a decision recorded or a golden case
//! written before 1.1 still reads. Serialization is the host's stored format:
//! snake_case names, dates as `YYYY-MM-DD`. Conversions to and from WIT bindings live
//! with each side's bindings (the host's per contract version, the SDK's for 1.2).

#![forbid(unsafe_code)]

#[cfg(not(target_arch = "wasm32"))]
mod examples;

/// A calendar date in the council's time zone.
pub use chrono::NaiveDate as Date;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// The person says they have a health condition or disability (self-declared:
    /// no diagnosis is asked for): what Connect to Work eligibility is about. (1.1;
    /// a 1.0 plugin never sees it.)
    #[serde(default)]
    pub health_condition_or_disability: bool,
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
    /// On the council's waiting list, not accepted yet. (1.1: the host never asks a
    /// 1.0 plugin to plan a waitlisted journey.)
    Waitlisted,
}

/// The days a plugin is handed the council's working days for, with each decision
/// (contract 1.2's `working-days`): the first day and how many. Whole calendar
/// years, from the year before the as-of date's to two years after it, so that
/// reviews, check-ins and the end of support of even IPES's 21 months fall inside;
/// the plugin asks the host about any other day. `None` at the ends of the calendar.
pub fn working_days_window(as_of: Date) -> Option<(Date, u32)> {
    use chrono::Datelike;
    let year = as_of.year();
    let first = Date::from_ymd_opt(year.checked_sub(1)?, 1, 1)?;
    let end = Date::from_ymd_opt(year.checked_add(3)?, 1, 1)?;
    let days = u32::try_from((end - first).num_days()).ok()?;
    Some((first, days))
}

/// The working days of the `days` days from `first`, laid out as contract 1.2's
/// `working-days` carries them: bit `i % 64` of word `i / 64` is set when the day
/// `i` days after `first` is a working day. Days past the end of time stay unset.
pub fn working_days_bits(
    first: Date,
    days: u32,
    mut is_working_day: impl FnMut(Date) -> bool,
) -> Vec<u64> {
    let mut bits = vec![0u64; days.div_ceil(64) as usize];
    for (i, day) in first.iter_days().take(days as usize).enumerate() {
        if is_working_day(day) {
            bits[i / 64] |= 1 << (i % 64);
        }
    }
    bits
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
    // Contract 1.1: a 1.0 plugin is shown the fields above only.
    /// The council's programme, which fixes how long support may last. (1.1)
    #[serde(default)]
    pub programme: ProgrammeKind,
    /// The last day of support the programme allows, as the host computes it. The
    /// host drops timers a plan asks for after it. (1.1)
    #[serde(default)]
    pub support_ends_on: Option<Date>,
    /// When the job started on `job_started_on` ended, if it has. (1.1)
    #[serde(default)]
    pub job_ended_on: Option<Date>,
    /// The outcome checkpoints recorded so far, oldest first. (1.1)
    #[serde(default)]
    pub outcome_checkpoints: Vec<CheckpointResult>,
    /// The self-declared health condition or disability, as on the referral. (1.1)
    #[serde(default)]
    pub health_condition_or_disability: bool,
}

/// The employment-support programme a council runs; each fixes how long support
/// may last. (1.1)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeKind {
    /// Connect to Work: up to 12 months out of work, up to 4 months in work at risk.
    #[default]
    ConnectToWork,
    /// IPES: up to 21 months, of which up to 6 months in-work support.
    Ipes,
    /// IPS in Primary Care: a council-set maximum; in-work support may run on.
    IpsPrimaryCare,
}

/// An outcome checkpoint as recorded: whether the job-outcome rule was met by
/// then. (1.1)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckpointResult {
    pub on: Date,
    pub met: bool,
    /// Hours a week worked over the checkpoint's window.
    pub hours_per_week: u32,
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

    /// Work that means contacting an employer about the participant, which needs
    /// their consent to employer contact.
    pub fn contacts_employer(self) -> bool {
        matches!(
            self,
            TimerKind::FirstEmployerContact | TimerKind::EmployerCheckIn
        )
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

    #[test]
    fn the_working_days_window_is_four_whole_years_around_the_as_of_date() {
        let as_of = Date::from_ymd_opt(2026, 6, 15).expect("a date");
        let (first, days) = working_days_window(as_of).expect("a window");
        assert_eq!(first.to_string(), "2025-01-01");
        // 2025 to 2028, 2028 a leap year.
        assert_eq!(days, 365 * 4 + 1);
        assert_eq!(working_days_window(Date::MAX), None);
        assert_eq!(working_days_window(Date::MIN), None);
    }

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

    #[test]
    fn a_journey_recorded_before_1_1_still_reads_with_the_defaults() {
        let json = r#"{"stage":"in_work","track":"out_of_work","referred_on":"2026-01-05",
            "started_on":"2026-01-12","job_started_on":"2026-03-02","missed_contacts":0,
            "employer_health_consent":true,"mental_health_needs":false}"#;
        let journey: Journey = serde_json::from_str(json).expect("a 1.0 journey reads");
        assert_eq!(journey.programme, ProgrammeKind::ConnectToWork);
        assert_eq!(journey.support_ends_on, None);
        assert!(journey.outcome_checkpoints.is_empty());
        assert!(!journey.health_condition_or_disability);
        let json = r#"{"route":"self","age":30,"postcode_district":"ST4","in_work":false,
            "on_universal_credit":false,"known_to_health_services":false,
            "on_other_programme":false,"cohorts":["carer"]}"#;
        let referral: Referral = serde_json::from_str(json).expect("a 1.0 referral reads");
        assert!(!referral.health_condition_or_disability);
    }

    #[test]
    fn a_journey_serializes_in_the_stored_field_order() {
        let journey = Journey {
            stage: Stage::Waitlisted,
            track: Track::OutOfWork,
            referred_on: day(5),
            started_on: None,
            job_started_on: None,
            missed_contacts: 1,
            employer_health_consent: false,
            mental_health_needs: true,
            programme: ProgrammeKind::Ipes,
            support_ends_on: Some(day(31)),
            job_ended_on: None,
            outcome_checkpoints: vec![CheckpointResult {
                on: day(20),
                met: true,
                hours_per_week: 16,
            }],
            health_condition_or_disability: true,
        };
        let json = serde_json::to_string(&journey).expect("serializes");
        assert_eq!(
            json,
            concat!(
                r#"{"stage":"waitlisted","track":"out_of_work","referred_on":"2026-01-05","#,
                r#""started_on":null,"job_started_on":null,"missed_contacts":1,"#,
                r#""employer_health_consent":false,"mental_health_needs":true,"#,
                r#""programme":"ipes","support_ends_on":"2026-01-31","job_ended_on":null,"#,
                r#""outcome_checkpoints":[{"on":"2026-01-20","met":true,"hours_per_week":16}],"#,
                r#""health_condition_or_disability":true}"#
            )
        );
        let back: Journey = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, journey);
    }
}
