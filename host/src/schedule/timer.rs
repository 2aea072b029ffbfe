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
    /// Never panics, whatever the date (see [`local_instant`]).
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
            // A checked plan's timers are never near the end of time; if one were, its
            // local time read as UTC (at most a day off) beats a panic.
            fire_at: local_instant(timezone, planned.due, reminder_time)
                .unwrap_or_else(|| Utc.from_utc_datetime(&planned.due.and_time(reminder_time))),
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
///
/// Total: `None` when the instant is outside what chrono can represent (a local time
/// within a day of `NaiveDate::MIN` or `NaiveDate::MAX`, whose UTC instant would
/// overflow), never a panic. Plan timers are checked into a far narrower range
/// before they get here (`policy::answer`), so `None` only ever comes from host code.
pub fn local_instant(tz: chrono_tz::Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = day.and_time(time);
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        // In a gap (or past the end of time): the first instant after it. Gaps are at
        // most a few hours; chrono's checked conversion also answers `None` when the
        // UTC instant would overflow, and then no minute after it helps either.
        chrono::LocalResult::None => (1..=240)
            .map_while(|m| local.checked_add_signed(chrono::TimeDelta::minutes(m)))
            .find_map(|l| tz.from_local_datetime(&l).earliest())
            .map(|t| t.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use chrono_tz::Europe::London;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }

    fn at(tz: chrono_tz::Tz, day: NaiveDate, time: NaiveTime) -> String {
        local_instant(tz, day, time)
            .expect("an ordinary date has an instant")
            .to_rfc3339()
    }

    #[test]
    fn the_last_day_in_new_york_in_the_evening_has_no_instant_and_no_panic() {
        // 262142-12-31 20:00 in New York is 262143-01-01 01:00 UTC: past chrono's range.
        let ny = chrono_tz::America::New_York;
        assert_eq!(local_instant(ny, NaiveDate::MAX, t(20, 0)), None);
        assert_eq!(local_instant(ny, NaiveDate::MAX, t(22, 30)), None);
        // The morning of the same day still fits.
        assert_eq!(
            local_instant(ny, NaiveDate::MAX, t(8, 0)).map(|i| i.date_naive()),
            Some(NaiveDate::MAX)
        );
    }

    /// Every extreme date, in zones from UTC-12 to UTC+14 (with half-hour, 45-minute
    /// and DST gaps), at every kind of reminder time: an instant or `None`, never a
    /// panic; and whatever instant comes back is that local time, or just after a gap.
    #[test]
    fn extreme_dates_in_every_kind_of_zone_never_panic() {
        use chrono::Days;
        let zones = [
            chrono_tz::UTC,
            London,
            chrono_tz::America::New_York,
            chrono_tz::America::St_Johns,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Pacific::Pago_Pago,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Etc::GMTPlus12,
            chrono_tz::Etc::GMTMinus14,
        ];
        let edge = |day: NaiveDate, back: u64, on: u64| {
            day.checked_sub_days(Days::new(back))
                .and_then(|d| d.checked_add_days(Days::new(on)))
                .expect("inside the range")
        };
        let days = [
            NaiveDate::MIN,
            edge(NaiveDate::MIN, 0, 1),
            edge(NaiveDate::MIN, 0, 2),
            d(-262_142, 12, 31),
            d(1, 1, 1),
            d(2026, 3, 29),
            d(2026, 10, 25),
            d(9999, 12, 31),
            d(262_142, 1, 1),
            edge(NaiveDate::MAX, 2, 0),
            edge(NaiveDate::MAX, 1, 0),
            NaiveDate::MAX,
        ];
        let times = [
            NaiveTime::MIN,
            t(1, 30),
            t(2, 30),
            t(8, 0),
            t(20, 0),
            t(22, 30),
            NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"),
        ];
        let participant = ParticipantId::new_random();
        let council: CouncilId = "stoke-on-trent".parse().expect("council id");
        let mut without_instant = 0;
        for tz in zones {
            for day in days {
                for time in times {
                    let local = day.and_time(time);
                    match local_instant(tz, day, time) {
                        Some(instant) => {
                            let back = instant.with_timezone(&tz).naive_local();
                            let shift = back - local;
                            assert!(
                                shift >= chrono::TimeDelta::zero()
                                    && shift <= chrono::TimeDelta::hours(4),
                                "{tz} {local}: came back as {back}"
                            );
                        }
                        None => {
                            without_instant += 1;
                            // Only at the ends of the range.
                            assert!(
                                day.year().abs() == 262_142 || day.year() == -262_143,
                                "{tz} {local} has no instant"
                            );
                        }
                    }
                    let planned = PlannedTimer {
                        kind: TimerKind::Review,
                        due: day,
                        purpose: "review".into(),
                    };
                    let timer = Timer::from_plan(&council, participant, &planned, tz, time);
                    assert_eq!(timer.due, day);
                    let _ = timer.index_key();
                    let _ = timer.idempotency_key();
                }
            }
        }
        assert!(
            without_instant > 0,
            "the sweep reached the ends of the range"
        );
    }

    #[test]
    fn reminder_time_follows_british_summer_time() {
        assert_eq!(
            at(London, d(2026, 1, 5), t(8, 0)),
            "2026-01-05T08:00:00+00:00"
        );
        assert_eq!(
            at(London, d(2026, 7, 6), t(8, 0)),
            "2026-07-06T07:00:00+00:00"
        );
    }

    #[test]
    fn local_time_in_spring_gap_shifts_forward_and_autumn_repeat_takes_first() {
        // 29 March 2026: 01:00 → 02:00 GMT→BST, so 01:30 does not exist.
        assert_eq!(
            at(London, d(2026, 3, 29), t(1, 30)),
            "2026-03-29T01:00:00+00:00"
        );
        // 25 October 2026: 01:30 happens twice; the first is BST (00:30 UTC).
        assert_eq!(
            at(London, d(2026, 10, 25), t(1, 30)),
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
