//! Actions to deliver: reminders to key workers, employer check-ins, handover packs.
//!
//! A fired timer becomes an action in the same transaction that removes the timer,
//! so an action is never lost and never made twice; so does a due occurrence of a
//! council's admin schedule (`schedule::admin`). Council systems pull pending
//! actions and acknowledge them; an acknowledged action is never offered again.
//! A council with a webhook gets its actions pushed instead (`delivery`), signed
//! (`webhook`) and retried with backoff (`backoff`) until delivered or dead-lettered.

pub mod backoff;
pub mod delivery;
mod lifecycle;
pub mod webhook;

pub use lifecycle::Attempt;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::council::CouncilId;
use crate::journey::ParticipantId;
use crate::policy::{Destination, Reason, TimerKind};
use crate::schedule::admin::{ScheduleFiring, ScheduleKind};
use crate::schedule::timer::{Timer, instant_key};

/// Sorts by scheduled instant, then by idempotency key: listing is in due order.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct ActionId(String);

impl ActionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses an id from a URL, refusing anything not shaped like one of ours.
    pub fn parse(s: &str) -> Option<ActionId> {
        let ok = s.len() == 33
            && s.as_bytes()[16] == b'-'
            && s.chars()
                .enumerate()
                .all(|(i, c)| i == 16 || c.is_ascii_hexdigit());
        ok.then(|| ActionId(s.to_owned()))
    }

    /// The id of the action made at `at` with idempotency key `key`: sorts by `at`.
    pub fn derive(at: DateTime<Utc>, key: &str) -> ActionId {
        ActionId(format!(
            "{}-{}",
            hex::encode(instant_key(at)),
            key.get(..16).unwrap_or(key)
        ))
    }
}

/// What an action is for: a journey's timer (`review`, …) or a council schedule
/// (`caseload_digest`, …). Serialized as the bare name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ActionKind {
    Timer(TimerKind),
    Schedule(ScheduleKind),
    /// Work a schedule's firing found overdue (`review_escalation`).
    Escalation(EscalationKind),
}

/// What a sweep escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationKind {
    /// A review action still pending past the sweep's grace period.
    ReviewEscalation,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Timer(k) => k.as_str(),
            ActionKind::Schedule(k) => k.as_str(),
            ActionKind::Escalation(EscalationKind::ReviewEscalation) => "review_escalation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Pending,
    Acknowledged,
    /// The council's webhook answered 2xx.
    Delivered,
    /// Every webhook attempt failed; `POST …/redeliver` makes it pending again.
    DeadLetter,
}

/// Webhook delivery bookkeeping, written before and after each attempt so a
/// restart carries on with the same retry schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Delivery {
    /// Attempts made (including one cut short by a restart); reset by a redelivery.
    pub attempts: u32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the next attempt is due, while the action is pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Action {
    pub id: ActionId,
    pub council: CouncilId,
    /// The journey a timer action is for; absent for schedule actions.
    pub participant: Option<ParticipantId>,
    pub kind: ActionKind,
    /// The local date the work is due on.
    pub due: NaiveDate,
    pub purpose: String,
    /// When the timer was due to fire.
    pub scheduled_for: DateTime<Utc>,
    /// When it actually fired (later than scheduled after downtime).
    pub fired_at: DateTime<Utc>,
    /// The same for every delivery of this action: receivers drop repeats by it.
    pub idempotency_key: String,
    pub status: ActionStatus,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Set when a council schedule made this action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleFiring>,
    /// Set on a `handover` action: where support hands over to and the pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<HandoverPack>,
    /// Webhook attempts; all empty for councils that pull.
    #[serde(default)]
    pub delivery: Delivery,
    /// The participant's key worker when the action was made (a digest's key
    /// worker, for a caseload digest): whose work it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_worker: Option<crate::key_workers::KeyWorkerId>,
    /// What a schedule's firing computed (a digest, the figures, an escalation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<crate::indicators::ScheduleResult>,
}

impl Action {
    pub fn id_for(timer: &Timer) -> ActionId {
        ActionId::derive(timer.fire_at, &timer.idempotency_key())
    }

    pub fn from_timer(timer: &Timer, fired_at: DateTime<Utc>) -> Action {
        Action {
            id: Action::id_for(timer),
            council: timer.council.clone(),
            participant: Some(timer.participant),
            kind: ActionKind::Timer(timer.kind),
            due: timer.due,
            purpose: timer.purpose.clone(),
            scheduled_for: timer.fire_at,
            fired_at,
            idempotency_key: timer.idempotency_key(),
            status: ActionStatus::Pending,
            acknowledged_at: None,
            schedule: None,
            handover: None,
            delivery: Delivery::default(),
            key_worker: None,
            result: None,
        }
    }
}

/// What a `handover` action carries: the plugin's decision, or no destination when
/// the plugin could not decide and a person must (the case is in the review queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HandoverPack {
    pub destination: Option<Destination>,
    /// What goes in the handover pack, item by item.
    pub pack: Vec<String>,
    pub reasons: Vec<Reason>,
}
