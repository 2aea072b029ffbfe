//! What a schedule's firing leaves on the outbox actions it makes: which schedule
//! (its id and name), what it asked for, and when it fired on its local clock. The
//! outbox embeds these, and `admin` (which makes the actions) builds them; they sit
//! below both so an action's record needs nothing of the scheduling rules.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::recurrence::serialize_local;

/// `sch_` and 32 hex digits.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct ScheduleId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a schedule id: ids look like `sch_` and 32 hex digits, as POST …/schedules returned"
)]
pub struct InvalidScheduleId(pub String);

impl ScheduleId {
    pub fn new_random() -> ScheduleId {
        ScheduleId(format!("sch_{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ScheduleId {
    type Err = InvalidScheduleId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 36
            && s.starts_with("sch_")
            && s[4..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        if ok {
            Ok(ScheduleId(s.to_owned()))
        } else {
            Err(InvalidScheduleId(s.chars().take(80).collect()))
        }
    }
}

impl TryFrom<String> for ScheduleId {
    type Error = InvalidScheduleId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ScheduleId> for String {
    fn from(id: ScheduleId) -> String {
        id.0
    }
}

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The format of a management-information export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
}

/// What a schedule asks the council's systems to do when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduledAction {
    /// A digest of each key worker's caseload, one per key worker.
    CaseloadDigest {},
    /// An export of management information covering the last `period_days` days.
    ManagementInformationExport {
        #[serde(default)]
        format: ExportFormat,
        period_days: u32,
    },
    /// A sweep for reviews overdue by more than `grace_working_days` working days.
    OverdueReviewSweep {
        #[serde(default)]
        grace_working_days: u32,
    },
}

/// The kind of a schedule's action, as an outbox action names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    CaseloadDigest,
    ManagementInformationExport,
    OverdueReviewSweep,
}

impl ScheduleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleKind::CaseloadDigest => "caseload_digest",
            ScheduleKind::ManagementInformationExport => "management_information_export",
            ScheduleKind::OverdueReviewSweep => "overdue_review_sweep",
        }
    }
}

impl ScheduledAction {
    pub fn kind(&self) -> ScheduleKind {
        match self {
            ScheduledAction::CaseloadDigest {} => ScheduleKind::CaseloadDigest,
            ScheduledAction::ManagementInformationExport { .. } => {
                ScheduleKind::ManagementInformationExport
            }
            ScheduledAction::OverdueReviewSweep { .. } => ScheduleKind::OverdueReviewSweep,
        }
    }
}

/// On an outbox action: which schedule made it, with the action's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScheduleFiring {
    pub id: ScheduleId,
    pub name: String,
    pub action: ScheduledAction,
    /// The fire instant on the schedule's local clock.
    #[serde(serialize_with = "serialize_local")]
    pub local_time: DateTime<FixedOffset>,
}
