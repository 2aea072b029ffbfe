//! Key workers: the employment specialists a council's participants are assigned to,
//! each with a caseload cap, and the IPS fidelity band their live caseload scores.
//!
//! A participant's key worker is not a field anywhere: it is the latest
//! `key_worker_assigned` event of their journey, so reassignment is history and a
//! journey erased takes its assignments with it. A key worker's active caseload is
//! the number of journeys, not closed, whose latest assignment names them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::council::CouncilId;
use crate::journey::{Event, Journey};

/// The caseload cap a key worker gets when none is given: the IPS fidelity scale
/// scores 20 or fewer active participants per employment specialist highest.
pub const DEFAULT_CASELOAD_CAP: u32 = 20;

/// The largest cap a key worker may be given.
pub const MAX_CASELOAD_CAP: u32 = 500;

/// `kw_` and 32 hex digits.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct KeyWorkerId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a key worker id: ids look like `kw_` and 32 hex digits, as POST …/key-workers returned"
)]
pub struct InvalidKeyWorkerId(pub String);

impl KeyWorkerId {
    pub fn new_random() -> KeyWorkerId {
        KeyWorkerId(format!("kw_{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyWorkerId {
    type Err = InvalidKeyWorkerId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 35
            && s.starts_with("kw_")
            && s[3..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        if ok {
            Ok(KeyWorkerId(s.to_owned()))
        } else {
            Err(InvalidKeyWorkerId(s.chars().take(80).collect()))
        }
    }
}

impl TryFrom<String> for KeyWorkerId {
    type Error = InvalidKeyWorkerId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<KeyWorkerId> for String {
    fn from(id: KeyWorkerId) -> String {
        id.0
    }
}

impl fmt::Display for KeyWorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key worker as stored. `name` is how the council's staff know them (a member of
/// staff, not a participant); it never goes into logs or exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyWorker {
    pub id: KeyWorkerId,
    pub council: CouncilId,
    pub name: String,
    /// Assigning past this many active participants needs an override with a reason.
    pub caseload_cap: u32,
    /// Retired key workers take no new participants; their history stays.
    pub retired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl KeyWorker {
    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidKeyWorker {
    #[error("`name` must be 1 to 100 characters")]
    Name,
    #[error("`caseload_cap` must be 1 to {MAX_CASELOAD_CAP} (default {DEFAULT_CASELOAD_CAP})")]
    Cap,
}

/// A name as given, trimmed and checked.
pub fn checked_name(name: &str) -> Result<String, InvalidKeyWorker> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(InvalidKeyWorker::Name);
    }
    Ok(name.to_owned())
}

/// A cap as given (default [`DEFAULT_CASELOAD_CAP`]), checked.
pub fn checked_cap(cap: Option<u32>) -> Result<u32, InvalidKeyWorker> {
    let cap = cap.unwrap_or(DEFAULT_CASELOAD_CAP);
    if !(1..=MAX_CASELOAD_CAP).contains(&cap) {
        return Err(InvalidKeyWorker::Cap);
    }
    Ok(cap)
}

/// The IPS fidelity score for caseload size: 20 or fewer → 5, 21–25 → 4,
/// 26–30 → 3, 31–40 → 2, 41 or more → 1.
pub fn fidelity_band(active_caseload: u32) -> u8 {
    match active_caseload {
        0..=20 => 5,
        21..=25 => 4,
        26..=30 => 3,
        31..=40 => 2,
        _ => 1,
    }
}

/// The journey's key worker: the latest `key_worker_assigned` event's.
pub fn current(journey: &Journey) -> Option<KeyWorkerId> {
    assigned(&journey.events)
}

/// The key worker the latest `key_worker_assigned` among `events` names.
pub fn assigned(events: &[Event]) -> Option<KeyWorkerId> {
    events.iter().rev().find_map(|e| match e {
        Event::KeyWorkerAssigned { key_worker, .. } => Some(key_worker.clone()),
        _ => None,
    })
}

/// Whether the journey is still open (not declined or exited); a journey that cannot
/// be folded counts as open, so a damaged one is not silently dropped from a caseload.
pub fn is_active(journey: &Journey) -> bool {
    journey.state().map(|s| !s.is_closed()).unwrap_or(true)
}

/// Active caseload per key worker, over a council's journeys.
pub fn caseloads<'a>(
    journeys: impl IntoIterator<Item = &'a Journey>,
) -> BTreeMap<KeyWorkerId, u32> {
    let mut out = BTreeMap::new();
    for journey in journeys {
        if let Some(kw) = current(journey)
            && is_active(journey)
        {
            *out.entry(kw).or_insert(0) += 1;
        }
    }
    out
}

/// A key worker with their live caseload, as `GET …/key-workers` shows them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeyWorkerView {
    #[serde(flatten)]
    pub key_worker: KeyWorker,
    /// Participants assigned to them whose journeys are not closed.
    pub active_caseload: u32,
    /// The IPS fidelity score (1–5) for that caseload.
    pub fidelity_band: u8,
    /// Whether the caseload is over the cap (possible after an override).
    pub over_cap: bool,
}

impl KeyWorkerView {
    pub fn new(key_worker: KeyWorker, active_caseload: u32) -> KeyWorkerView {
        KeyWorkerView {
            over_cap: active_caseload > key_worker.caseload_cap,
            fidelity_band: fidelity_band(active_caseload),
            active_caseload,
            key_worker,
        }
    }
}

/// A cap override, kept with the key worker's records: the reason may say anything,
/// so it is case data, never logged or audited (the audit entry names only ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CapOverride {
    pub key_worker: KeyWorkerId,
    pub participant: crate::journey::ParticipantId,
    pub at: DateTime<Utc>,
    /// The caseload before this assignment, and the cap it went past.
    pub caseload: u32,
    pub cap: u32,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fidelity_bands_follow_the_ips_scale_at_each_edge() {
        let bands: Vec<(u32, u8)> = [0, 20, 21, 25, 26, 30, 31, 40, 41, 200]
            .into_iter()
            .map(|n| (n, fidelity_band(n)))
            .collect();
        assert_eq!(
            bands,
            vec![
                (0, 5),
                (20, 5),
                (21, 4),
                (25, 4),
                (26, 3),
                (30, 3),
                (31, 2),
                (40, 2),
                (41, 1),
                (200, 1)
            ]
        );
    }

    #[test]
    fn key_worker_ids_round_trip_and_refuse_other_shapes() {
        let id = KeyWorkerId::new_random();
        assert_eq!(id.as_str().parse::<KeyWorkerId>(), Ok(id.clone()));
        for bad in ["", "kw_", "kw_XYZ", "sch_0123456789abcdef0123456789abcdef"] {
            assert!(bad.parse::<KeyWorkerId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn caps_default_to_twenty_and_refuse_zero() {
        assert_eq!(checked_cap(None), Ok(20));
        assert_eq!(checked_cap(Some(3)), Ok(3));
        assert_eq!(checked_cap(Some(0)), Err(InvalidKeyWorker::Cap));
    }
}
