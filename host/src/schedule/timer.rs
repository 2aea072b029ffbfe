//! A durable timer: a dated piece of work for one journey, due at one instant.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::council::CouncilId;
use crate::journey::ParticipantId;
use crate::policy::{PlannedTimer, TimerKind};

/// Deterministic: the same planned work for the same journey always gets the same
/// id, so re-planning a journey never duplicates a timer.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct TimerId(String);

impl TimerId {
    pub fn for_work(
        council: &CouncilId,
        participant: ParticipantId,
        kind: TimerKind,
        due: NaiveDate,
    ) -> TimerId {
        let mut h = Sha256::new();
        h.update(council.as_str().as_bytes());
        h.update([0]);
        h.update(participant.to_string().as_bytes());
        h.update([0]);
        h.update(kind.as_str().as_bytes());
        h.update([0]);
        h.update(due.to_string().as_bytes());
        TimerId(hex::encode(&h.finalize()[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timer {
    pub id: TimerId,
    pub council: CouncilId,
    pub participant: ParticipantId,
    pub kind: TimerKind,
    pub due: NaiveDate,
    pub fire_at: DateTime<Utc>,
    pub purpose: String,
}

impl Timer {
    /// A planned timer, firing at the council's reminder time on its due date.
    pub fn from_plan(
        council: &CouncilId,
        participant: ParticipantId,
        planned: &PlannedTimer,
        timezone: chrono_tz::Tz,
        reminder_time: NaiveTime,
    ) -> Timer {
        Timer {
            id: TimerId::for_work(council, participant, planned.kind, planned.due),
            council: council.clone(),
            participant,
            kind: planned.kind,
            due: planned.due,
            fire_at: local_instant(timezone, planned.due, reminder_time),
            purpose: planned.purpose.clone(),
        }
    }

    /// The planned work this timer is for.
    pub fn planned(&self) -> PlannedTimer {
        PlannedTimer {
            kind: self.kind,
            due: self.due,
            purpose: self.purpose.clone(),
        }
    }

    /// Where this timer sits in the time-ordered index: fire instant first.
    pub fn index_key(&self) -> Vec<u8> {
        let mut key = instant_key(self.fire_at).to_vec();
        key.extend_from_slice(self.id.as_str().as_bytes());
        key
    }

    /// Derived from (timer, scheduled instant): the same firing always carries the
    /// same key, across restarts and re-plans, so receivers can drop repeats.
    pub fn idempotency_key(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.id.as_str().as_bytes());
        h.update([0]);
        h.update(self.fire_at.to_rfc3339().as_bytes());
        hex::encode(h.finalize())
    }
}

/// Big-endian milliseconds since the epoch (clamped at zero), so byte order is time order.
pub fn instant_key(at: DateTime<Utc>) -> [u8; 8] {
    u64::try_from(at.timestamp_millis())
        .unwrap_or(0)
        .to_be_bytes()
}

/// The UTC instant of a local wall-clock time. A time in a spring-forward gap moves
/// forward by the gap; a repeated autumn time takes its first occurrence.
pub fn local_instant(tz: chrono_tz::Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(time);
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // In a gap: the first instant after it. Gaps are at most a few hours.
            (1..=240)
                .map(|m| local + chrono::Duration::minutes(m))
                .find_map(|l| tz.from_local_datetime(&l).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }

    #[test]
    fn reminder_time_follows_british_summer_time() {
        assert_eq!(
            local_instant(London, d(2026, 1, 5), t(8, 0)).to_rfc3339(),
            "2026-01-05T08:00:00+00:00"
        );
        assert_eq!(
            local_instant(London, d(2026, 7, 6), t(8, 0)).to_rfc3339(),
            "2026-07-06T07:00:00+00:00"
        );
    }

    #[test]
    fn local_time_in_spring_gap_shifts_forward_and_autumn_repeat_takes_first() {
        // 29 March 2026: 01:00 → 02:00 GMT→BST, so 01:30 does not exist.
        assert_eq!(
            local_instant(London, d(2026, 3, 29), t(1, 30)).to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
        // 25 October 2026: 01:30 happens twice; the first is BST (00:30 UTC).
        assert_eq!(
            local_instant(London, d(2026, 10, 25), t(1, 30)).to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
    }

    #[test]
    fn index_keys_sort_in_time_order() {
        let a = instant_key(DateTime::from_timestamp(1_000, 0).expect("t"));
        let b = instant_key(DateTime::from_timestamp(1_000_000_000, 0).expect("t"));
        assert!(a < b);
    }
}
