//! What can happen in a journey. Events are appended, never changed: the journey's
//! state is the fold of its events (see `state.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::consent::ConsentPurpose;
use super::referral::{Referral, ReferralField};
use crate::policy::{Eligibility, Handover, Outcome, PluginDigest};
use crate::review::ReviewId;

/// Why a journey ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    Completed,
    HandedOver,
    Withdrew,
    Disengaged,
    MovedAway,
    Died,
}

/// Why a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobEndReason {
    Resigned,
    Dismissed,
    ContractEnded,
    /// The participant's health made the job impossible to keep.
    Health,
    Other,
}

/// Every event a journey can hold, including those Waymark records itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Referred {
        at: NaiveDate,
        referral: Referral,
    },
    /// The council's plugin decided eligibility.
    EligibilityDecided {
        at: NaiveDate,
        decision: Eligibility,
        plugin: PluginDigest,
    },
    /// The plugin could not decide (trap, limit, invalid answer, no plugin): a person must.
    SentForReview {
        at: NaiveDate,
        hook: String,
        error: String,
    },
    /// A person decided a case the plugin could not (from the review queue).
    ReviewResolved {
        at: NaiveDate,
        review: ReviewId,
        outcome: Outcome,
        note: String,
    },
    /// A person accepted the referral (off the waiting list, or after review).
    Accepted {
        at: NaiveDate,
    },
    /// A person declined the referral after review.
    Declined {
        at: NaiveDate,
    },
    Started {
        at: NaiveDate,
    },
    JobStarted {
        at: NaiveDate,
    },
    Paused {
        at: NaiveDate,
    },
    Resumed {
        at: NaiveDate,
    },
    ContactMissed {
        at: NaiveDate,
    },
    ContactMade {
        at: NaiveDate,
    },
    /// The job recorded by `job_started` ended; support goes back to job search.
    JobEnded {
        at: NaiveDate,
        reason: JobEndReason,
    },
    /// An outcome checkpoint was checked: whether the council's job outcome rule
    /// (e.g. 7 hours a week for 13 of 16 weeks) was met, with the hours worked.
    OutcomeCheckpoint {
        at: NaiveDate,
        met: bool,
        hours_per_week: u32,
    },
    /// The plugin decided the handover at the end of support: where to, and the pack.
    HandoverDecided {
        at: NaiveDate,
        handover: Handover,
        plugin: PluginDigest,
    },
    Exited {
        at: NaiveDate,
        reason: ExitReason,
    },
    /// The participant gave consent to a purpose (see `consent.rs`).
    ConsentGiven {
        at: NaiveDate,
        purpose: ConsentPurpose,
        /// When Waymark recorded it (stamped by the caseload, not the caller).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recorded_at: Option<DateTime<Utc>>,
    },
    /// The participant withdrew (or refused) consent to a purpose.
    ConsentWithdrawn {
        at: NaiveDate,
        purpose: ConsentPurpose,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recorded_at: Option<DateTime<Utc>>,
    },
    /// The referral's details were corrected (the right to rectification). The
    /// corrected values replace those in `referred`; the old ones are kept nowhere, so
    /// this event names only the fields that changed.
    DetailsCorrected {
        at: NaiveDate,
        fields: Vec<ReferralField>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recorded_at: Option<DateTime<Utc>>,
    },
    /// The participant was assigned (or reassigned) to a key worker: the id only
    /// (see `key_workers.rs`).
    KeyWorkerAssigned {
        at: NaiveDate,
        key_worker: crate::key_workers::KeyWorkerId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recorded_at: Option<DateTime<Utc>>,
    },
}

impl Event {
    pub fn at(&self) -> NaiveDate {
        match self {
            Event::Referred { at, .. }
            | Event::EligibilityDecided { at, .. }
            | Event::SentForReview { at, .. }
            | Event::ReviewResolved { at, .. }
            | Event::Accepted { at }
            | Event::Declined { at }
            | Event::Started { at }
            | Event::JobStarted { at }
            | Event::Paused { at }
            | Event::Resumed { at }
            | Event::ContactMissed { at }
            | Event::ContactMade { at }
            | Event::JobEnded { at, .. }
            | Event::OutcomeCheckpoint { at, .. }
            | Event::HandoverDecided { at, .. }
            | Event::Exited { at, .. }
            | Event::ConsentGiven { at, .. }
            | Event::ConsentWithdrawn { at, .. }
            | Event::DetailsCorrected { at, .. }
            | Event::KeyWorkerAssigned { at, .. } => *at,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Event::Referred { .. } => "referred",
            Event::EligibilityDecided { .. } => "eligibility_decided",
            Event::SentForReview { .. } => "sent_for_review",
            Event::ReviewResolved { .. } => "review_resolved",
            Event::Accepted { .. } => "accepted",
            Event::Declined { .. } => "declined",
            Event::Started { .. } => "started",
            Event::JobStarted { .. } => "job_started",
            Event::Paused { .. } => "paused",
            Event::Resumed { .. } => "resumed",
            Event::ContactMissed { .. } => "contact_missed",
            Event::ContactMade { .. } => "contact_made",
            Event::JobEnded { .. } => "job_ended",
            Event::OutcomeCheckpoint { .. } => "outcome_checkpoint",
            Event::HandoverDecided { .. } => "handover_decided",
            Event::Exited { .. } => "exited",
            Event::ConsentGiven { .. } => "consent_given",
            Event::ConsentWithdrawn { .. } => "consent_withdrawn",
            Event::DetailsCorrected { .. } => "details_corrected",
            Event::KeyWorkerAssigned { .. } => "key_worker_assigned",
        }
    }

    /// The event with the instant Waymark recorded it, where the event keeps one.
    pub fn stamped(self, now: DateTime<Utc>) -> Event {
        match self {
            Event::ConsentGiven { at, purpose, .. } => Event::ConsentGiven {
                at,
                purpose,
                recorded_at: Some(now),
            },
            Event::ConsentWithdrawn { at, purpose, .. } => Event::ConsentWithdrawn {
                at,
                purpose,
                recorded_at: Some(now),
            },
            Event::DetailsCorrected { at, fields, .. } => Event::DetailsCorrected {
                at,
                fields,
                recorded_at: Some(now),
            },
            other => other,
        }
    }

    /// A change of consent rather than a step of the journey.
    pub fn is_consent(&self) -> bool {
        matches!(
            self,
            Event::ConsentGiven { .. } | Event::ConsentWithdrawn { .. }
        )
    }

    /// A caseworker's step forward in the journey: refused while the participant has
    /// withdrawn consent to take part.
    pub fn needs_taking_part(&self) -> bool {
        matches!(
            self,
            Event::Accepted { .. }
                | Event::Started { .. }
                | Event::JobStarted { .. }
                | Event::Paused { .. }
                | Event::Resumed { .. }
                | Event::ContactMissed { .. }
                | Event::ContactMade { .. }
        )
    }
}

/// The events a caseworker may record over the API. Referral and eligibility are
/// recorded by Waymark itself, so they are not in this list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseworkerEvent {
    Accepted {
        at: NaiveDate,
    },
    Declined {
        at: NaiveDate,
    },
    Started {
        at: NaiveDate,
    },
    JobStarted {
        at: NaiveDate,
    },
    Paused {
        at: NaiveDate,
    },
    Resumed {
        at: NaiveDate,
    },
    ContactMissed {
        at: NaiveDate,
    },
    ContactMade {
        at: NaiveDate,
    },
    /// The job ended, e.g. `{"type":"job_ended","at":"2026-05-01","reason":"contract_ended"}`.
    JobEnded {
        at: NaiveDate,
        reason: JobEndReason,
    },
    /// An outcome checkpoint: met or not, with the hours a week worked.
    OutcomeCheckpoint {
        at: NaiveDate,
        met: bool,
        hours_per_week: u32,
    },
    /// `completed` and `handed_over` exits ask the council's plugin for the handover
    /// (destination and pack) before the journey closes.
    Exited {
        at: NaiveDate,
        reason: ExitReason,
    },
    /// Consent given to one purpose: `taking_part`, `employer_contact`,
    /// `health_with_employer` or `family_or_professionals`.
    ConsentGiven {
        at: NaiveDate,
        purpose: ConsentPurpose,
    },
    /// Consent withdrawn (or refused) for one purpose. Withdrawing `taking_part`
    /// cancels every pending timer and schedules nothing until it is given again.
    ConsentWithdrawn {
        at: NaiveDate,
        purpose: ConsentPurpose,
    },
}

impl From<CaseworkerEvent> for Event {
    fn from(e: CaseworkerEvent) -> Event {
        match e {
            CaseworkerEvent::Accepted { at } => Event::Accepted { at },
            CaseworkerEvent::Declined { at } => Event::Declined { at },
            CaseworkerEvent::Started { at } => Event::Started { at },
            CaseworkerEvent::JobStarted { at } => Event::JobStarted { at },
            CaseworkerEvent::Paused { at } => Event::Paused { at },
            CaseworkerEvent::Resumed { at } => Event::Resumed { at },
            CaseworkerEvent::ContactMissed { at } => Event::ContactMissed { at },
            CaseworkerEvent::ContactMade { at } => Event::ContactMade { at },
            CaseworkerEvent::JobEnded { at, reason } => Event::JobEnded { at, reason },
            CaseworkerEvent::OutcomeCheckpoint {
                at,
                met,
                hours_per_week,
            } => Event::OutcomeCheckpoint {
                at,
                met,
                hours_per_week,
            },
            CaseworkerEvent::Exited { at, reason } => Event::Exited { at, reason },
            CaseworkerEvent::ConsentGiven { at, purpose } => Event::ConsentGiven {
                at,
                purpose,
                recorded_at: None,
            },
            CaseworkerEvent::ConsentWithdrawn { at, purpose } => Event::ConsentWithdrawn {
                at,
                purpose,
                recorded_at: None,
            },
        }
    }
}
