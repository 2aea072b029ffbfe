//! The host's side of the `waymark:policy@1.0.0` contract: plain Rust types the
//! journey works with. `call.rs` converts them to and from the WIT bindings, so no
//! other module sees wasmtime's generated types.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralRoute {
    #[serde(rename = "self")]
    SelfReferral,
    Council,
    Health,
    Jobcentre,
    Voluntary,
}

/// Connect to Work tracks, each with the programme's maximum duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    OutOfWork,
    InWorkAtRisk,
}

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

/// What a plugin sees of a referral: derived facts only, never the raw personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReferralFacts {
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
    /// Self-declared health condition or disability (no diagnosis asked for): what
    /// Connect to Work eligibility is about. Contract 1.1; a 1.0 plugin never sees it.
    #[serde(default)]
    pub health_condition_or_disability: bool,
}

/// One rule's verdict, for people to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    /// Stable rule id, e.g. `residence.postcode`.
    pub rule: String,
    /// Plain English.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accept,
    Waitlist,
    Decline,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Eligibility {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    pub signpost: Option<String>,
}

/// Where a journey stands, as far as planning needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// On the waiting list (contract 1.1; a 1.0 plugin is not asked to plan it).
    Waitlisted,
    Accepted,
    Started,
    InWork,
    Paused,
    Outreach,
}

/// What a plugin sees of a journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JourneyFacts {
    pub stage: Stage,
    pub track: Track,
    pub referred_on: NaiveDate,
    pub started_on: Option<NaiveDate>,
    pub job_started_on: Option<NaiveDate>,
    pub missed_contacts: u32,
    pub employer_health_consent: bool,
    pub mental_health_needs: bool,
    // Contract 1.1: a 1.0 plugin is shown the fields above only.
    /// The council's programme, which fixes the end of support.
    #[serde(default)]
    pub programme: ProgrammeKind,
    /// The last day of support the programme allows, as the host computes it.
    #[serde(default)]
    pub support_ends_on: Option<NaiveDate>,
    /// When the job started at `job_started_on` ended, if it has.
    #[serde(default)]
    pub job_ended_on: Option<NaiveDate>,
    /// Outcome checkpoints recorded so far, oldest first.
    #[serde(default)]
    pub outcome_checkpoints: Vec<CheckpointResult>,
    /// Self-declared health condition or disability.
    #[serde(default)]
    pub health_condition_or_disability: bool,
}

/// The programmes a council may run; each fixes how long support may last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeKind {
    /// Connect to Work: up to 12 months out of work, 4 months in work at risk.
    #[default]
    ConnectToWork,
    /// IPES: up to 21 months, of which up to 6 months in-work support.
    Ipes,
    /// IPS in Primary Care: a council-set maximum, in-work support may run on.
    IpsPrimaryCare,
}

/// An outcome checkpoint as recorded: whether the job outcome rule was met by then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckpointResult {
    pub on: NaiveDate,
    pub met: bool,
    /// Hours a week worked over the checkpoint's window.
    pub hours_per_week: u32,
}

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

/// A dated piece of work a plugin wants done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlannedTimer {
    pub kind: TimerKind,
    pub due: NaiveDate,
    pub purpose: String,
}

/// Every timer a journey wants strictly after the as-of date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    pub timers: Vec<PlannedTimer>,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ContactStep {
    Outreach { timer: PlannedTimer },
    DisengagedExit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContactDecision {
    pub step: ContactStep,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    Jobcentre,
    NhsTalkingTherapies,
    CouncilProvision,
    Employer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Handover {
    pub destination: Destination,
    pub pack: Vec<String>,
    pub reasons: Vec<Reason>,
}
