//! Councils are Waymark's tenants: each has its own time zone, calendar, policy
//! plugin and settings, and nothing of one is visible to another.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::journey::Programme;
use crate::policy::{Limits, PluginDigest};
use crate::schedule::calendar::{Nation, UkCalendar};

/// A council's id: the slug used in every URL, e.g. `stoke-on-trent`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct CouncilId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "council id `{0}` is not valid: use 1 to 64 lower-case letters, digits and hyphens, starting with a letter (e.g. `stoke-on-trent`)"
)]
pub struct InvalidCouncilId(pub String);

impl CouncilId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CouncilId {
    type Err = InvalidCouncilId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(CouncilId(s.to_owned()))
        } else {
            // Never echo an unbounded string back.
            Err(InvalidCouncilId(s.chars().take(80).collect()))
        }
    }
}

impl TryFrom<String> for CouncilId {
    type Error = InvalidCouncilId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CouncilId> for String {
    fn from(id: CouncilId) -> String {
        id.0
    }
}

impl fmt::Display for CouncilId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A council as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Council {
    pub id: CouncilId,
    pub name: String,
    pub timezone: chrono_tz::Tz,
    pub nation: Nation,
    /// Local time of day at which a dated reminder fires.
    pub reminder_time: NaiveTime,
    /// The plugin's settings, valid against its settings schema.
    pub settings: serde_json::Value,
    pub active_plugin: Option<PluginDigest>,
    pub limits: Limits,
    /// The programme the council runs, which fixes the end of support. Councils
    /// stored before programmes existed ran Connect to Work.
    #[serde(default)]
    pub programme: Programme,
}

impl Council {
    /// A council as first created: no plugin yet, the plugin's default settings
    /// (`{}`), reminders at the default time and the default sandbox limits.
    pub fn new(id: CouncilId, name: String, timezone: chrono_tz::Tz, nation: Nation) -> Council {
        Council {
            id,
            name,
            timezone,
            nation,
            reminder_time: default_reminder_time(),
            settings: serde_json::json!({}),
            active_plugin: None,
            limits: Limits::default(),
            programme: Programme::default(),
        }
    }

    pub fn calendar(&self) -> UkCalendar {
        UkCalendar::new(self.nation)
    }
}

/// Reminders land at the start of the working day unless a council says otherwise.
pub fn default_reminder_time() -> NaiveTime {
    NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN)
}

/// A council in London with the defaults, for tests.
#[cfg(test)]
impl Council {
    pub(crate) fn example(id: &str) -> Council {
        Council::new(
            id.parse().expect("council id"),
            "A council".into(),
            chrono_tz::Europe::London,
            Default::default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn council_ids_are_url_safe_slugs() {
        assert!("stoke-on-trent".parse::<CouncilId>().is_ok());
        assert!("clf2".parse::<CouncilId>().is_ok());
        for bad in ["", "Stoke", "../etc", "a b", "-x", "1abc", &"a".repeat(65)] {
            assert!(bad.parse::<CouncilId>().is_err(), "{bad:?} accepted");
        }
    }
}
