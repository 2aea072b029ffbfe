use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A participant's id: random, so it says nothing about the person and cannot be guessed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct ParticipantId(Uuid);

impl ParticipantId {
    pub fn new_random() -> Self {
        ParticipantId(Uuid::new_v4())
    }

    /// A fixed id for the n-th person of a simulated cohort, so runs are repeatable.
    /// Never used for a real referral.
    pub(crate) fn from_sequence(n: u128) -> Self {
        ParticipantId(Uuid::from_u128(n))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("participant id `{0}` is not valid: it is the UUID returned when the referral was made")]
pub struct InvalidParticipantId(pub String);

impl FromStr for ParticipantId {
    type Err = InvalidParticipantId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(ParticipantId)
            .map_err(|_| InvalidParticipantId(s.chars().take(80).collect()))
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}
