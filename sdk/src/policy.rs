//! The trait a council's policy implements, and the error it refuses with.

use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::{ContactDecision, Date, Eligibility, Handover, Journey, Plan, Referral};

/// A council's rules for one programme.
///
/// Every hook is a pure function of the council's settings, the facts the host
/// passes and the as-of date (the date of the event being decided, in the
/// council's time zone). There is no `self`: a plugin keeps no state between
/// decisions, because the host runs each one in a fresh sandbox. The only outside
/// knowledge available is the council's working-day calendar, through
/// [`calendar`](crate::calendar).
///
/// Returning `Err` refuses to decide: the host sends the case to a person, with the
/// error's text. Refuse when the input makes no sense for the rules (a started
/// journey with no start date, settings that contradict each other), never as a
/// way of saying "no": a "no" is a decision with reasons.
pub trait Policy {
    /// The council's tunable settings. Administrators edit them over HTTP as JSON
    /// matching this type's JSON Schema, so document every field (the doc comment
    /// becomes the schema's description) and give every field a default
    /// (`#[serde(default)]` on the struct), so `{}` means "the defaults".
    type Settings: DeserializeOwned + JsonSchema + Default;

    /// Accept, waitlist or decline a referral.
    fn eligibility(
        settings: &Self::Settings,
        referral: &Referral,
        as_of: Date,
    ) -> Result<Eligibility, PolicyError>;

    /// Every timer the journey wants strictly after `as_of` (the host replaces
    /// the journey's pending timers with these). [`Plan::after`] drops the rest.
    fn plan(settings: &Self::Settings, journey: &Journey, as_of: Date)
    -> Result<Plan, PolicyError>;

    /// After a missed contact (already counted in `journey.missed_contacts`):
    /// another outreach attempt, or a disengaged exit.
    fn missed_contact(
        settings: &Self::Settings,
        journey: &Journey,
        as_of: Date,
    ) -> Result<ContactDecision, PolicyError>;

    /// Where the participant goes at the end of support, and what goes in the pack.
    fn handover(
        settings: &Self::Settings,
        journey: &Journey,
        as_of: Date,
    ) -> Result<Handover, PolicyError>;
}

/// Why a plugin refused to decide. Its text reaches the person who reviews the
/// case, so say what is wrong and what would fix it; never include personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    message: String,
}

impl PolicyError {
    pub fn new(message: impl Into<String>) -> PolicyError {
        PolicyError {
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

impl From<String> for PolicyError {
    fn from(message: String) -> PolicyError {
        PolicyError { message }
    }
}

impl From<&str> for PolicyError {
    fn from(message: &str) -> PolicyError {
        PolicyError::new(message)
    }
}
