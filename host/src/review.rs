//! The human-review queue: cases a council's plugin could not decide.
//!
//! A trap, a limit breach, an invalid answer or a missing plugin never becomes a
//! decision. Instead an item joins its council's queue, in the same transaction as
//! the journey: a referral whose eligibility failed waits in `awaiting_review`, and
//! a journey whose plan failed keeps its timers as they were. A person works the
//! queue over HTTP: an eligibility item is resolved with their own decision, which
//! the journey records as a `review_resolved` event; a plan item with a note, once
//! they have checked the journey's work by hand.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::journey::ParticipantId;
use crate::policy::{Outcome, PluginDigest};

/// A review item's id: increasing within the store, so the queue lists in the
/// order cases arrived and an id is a stable cursor.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct ReviewId(pub u64);

impl fmt::Display for ReviewId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("review id `{0}` is not valid: use an `id` from GET …/reviews")]
pub struct InvalidReviewId(pub String);

impl FromStr for ReviewId {
    type Err = InvalidReviewId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse()
            .map(ReviewId)
            .map_err(|_| InvalidReviewId(s.chars().take(40).collect()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Open,
    Resolved,
}

/// One case waiting for (or decided by) a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReviewItem {
    pub id: ReviewId,
    pub participant: ParticipantId,
    /// The hook whose decision failed, e.g. `eligibility`.
    pub hook: String,
    /// Why the plugin gave no decision (fuel, deadline, memory, trap, invalid answer, no plugin).
    pub reason: String,
    /// The plugin version that failed, if there was one.
    pub plugin: Option<PluginDigest>,
    /// When the case was sent for review.
    pub at: DateTime<Utc>,
    /// The date the decision was asked as of.
    pub as_of: NaiveDate,
    pub status: ReviewStatus,
    pub resolution: Option<Resolution>,
}

/// A person's decision on a review item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Resolution {
    /// The person's eligibility decision; none for a failed plan, which a person
    /// checks by hand.
    pub outcome: Option<Outcome>,
    /// Why, in the reviewer's words (kept with the journey; never logged).
    pub note: String,
    /// When it was resolved.
    pub at: DateTime<Utc>,
    /// The journey date the decision was recorded on.
    pub on: NaiveDate,
}
