//! The retention sweep: erases journeys kept longer than their council's period.
//!
//! The daemon runs it at start and then every hour by its [`Clock`] (so a manual clock
//! moved forward in tests runs it too; moved back, the hour counts again from there).
//! Each journey whose retention date (see `Journey::retention_from`) is more than the
//! council's `days_after_close` before today, in the council's time zone, is erased by
//! the same code as an erasure request: every tree loses its personal data, the
//! anonymous tombstone and the audit trail stay, and a legal hold keeps the journey.
//! A sweep that erased something writes one audit entry per council with its counts
//! (never a participant id or any personal data) as the daemon itself: role `system`,
//! key `retention-sweep`, since no person asked. A sweep that found nothing to erase
//! writes none, so the log is not filled with an entry an hour.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;

use crate::access::{AuditRole, KeyId};
use crate::clock::Clock;
use crate::store::{EraseOutcome, NewAuditEntry, Store, StoreError};

/// How often the sweep runs, by the daemon's clock.
pub const SWEEP_EVERY: TimeDelta = TimeDelta::hours(1);

/// How long to wait before retrying after the store failed.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// What one sweep did, over every council.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub erased: usize,
    /// Past the period but kept under a legal hold.
    pub held: usize,
    /// Journeys that could not be read (their closing date unknown) or erased, each
    /// logged: one bad record never stops the sweep for everyone else.
    pub failed: usize,
}

pub struct RetentionSweep {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl RetentionSweep {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> RetentionSweep {
        RetentionSweep { store, clock }
    }

    /// One sweep over every council, as of the clock's now.
    pub async fn sweep(&self) -> Result<Swept, StoreError> {
        let store = self.store.clone();
        let now = self.clock.now();
        let swept = tokio::task::spawn_blocking(move || sweep_all(&store, now))
            .await
            .map_err(|e| StoreError::Interrupted {
                what: "the retention sweep",
                reason: e.to_string(),
            })??;
        if swept.erased > 0 {
            self.store.flush().await?;
        }
        Ok(swept)
    }

    /// Sweeps now and then every [`SWEEP_EVERY`], until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut last: Option<DateTime<Utc>> = None;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = self.clock.now();
            // A clock moved back (a manual clock) counts the hour again from now.
            if last.is_some_and(|l| now < l) {
                last = Some(now);
            }
            let due = last.map(|l| l + SWEEP_EVERY);
            if due.is_none_or(|d| now >= d) {
                match self.sweep().await {
                    Ok(swept) => {
                        tracing::info!(
                            erased = swept.erased,
                            held = swept.held,
                            failed = swept.failed,
                            "retention sweep"
                        );
                        last = Some(now);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "retention sweep failed; retrying shortly");
                        tokio::select! {
                            _ = tokio::time::sleep(RETRY_AFTER_FAILURE) => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                }
                continue;
            }
            let until = due.unwrap_or(now);
            tokio::select! {
                _ = self.clock.wait_until(until) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Blocking: erases what every council's policy says is due, and audits each council's sweep.
fn sweep_all(store: &Store, now: DateTime<Utc>) -> Result<Swept, StoreError> {
    let by = KeyId::retention_sweep();
    let mut total = Swept::default();
    for council in store.councils()? {
        let policy = store.retention(&council.id)?.unwrap_or_default();
        let today = now.with_timezone(&council.timezone).date_naive();
        let Some(cutoff) = policy.erase_closed_before(today) else {
            continue;
        };
        let mut swept = Swept::default();
        let mut damaged = Vec::new();
        let due = match store.journeys_closed_before(
            &council.id,
            &council.programme,
            cutoff,
            &mut damaged,
        ) {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(council = %council.id, error = %e, "retention sweep could not read this council's journeys; the others go on");
                total.failed += 1;
                continue;
            }
        };
        swept.failed += damaged.len();
        for participant in due {
            match store.erase_participant(&council.id, participant, now, &by) {
                Ok(EraseOutcome::Erased(_)) => swept.erased += 1,
                Ok(EraseOutcome::Held(_)) => swept.held += 1,
                Ok(EraseOutcome::AlreadyErased(_) | EraseOutcome::Unknown) => {}
                Err(e) => {
                    tracing::error!(council = %council.id, %participant, error = %e, "retention sweep could not erase a journey; the rest go on");
                    swept.failed += 1;
                }
            }
        }
        if swept.erased > 0 {
            store.append_audit(NewAuditEntry {
                at: now,
                key: by.clone(),
                // The daemon acted, not a person: no platform admin asked for this.
                role: AuditRole::System,
                council: Some(council.id.clone()),
                method: "SWEEP".into(),
                route: "retention".into(),
                ids: BTreeMap::from([
                    ("erased".to_owned(), swept.erased.to_string()),
                    ("held".to_owned(), swept.held.to_string()),
                    (
                        "days_after_close".to_owned(),
                        policy.days_after_close.to_string(),
                    ),
                ]),
                status: 200,
            })?;
            tracing::info!(council = %council.id, erased = swept.erased, held = swept.held, "retention sweep erased closed journeys");
        }
        total.erased += swept.erased;
        total.held += swept.held;
        total.failed += swept.failed;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::council::{Council, CouncilId};
    use crate::journey::{Event, ExitReason, Journey, ParticipantId, Referral};
    use crate::policy::{Eligibility, Outcome, PluginDigest};
    use crate::review::{ReviewItem, ReviewStatus};
    use crate::store::{JourneyWrite, LegalHold, RetentionPolicy};
    use chrono::NaiveDate;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    /// A journey accepted on 5 January and exited on `exit`, with a review item.
    fn closed(store: &Store, council: &CouncilId, exit: NaiveDate) -> ParticipantId {
        let participant = ParticipantId::new_random();
        let referral = Referral::example();
        let journey = Journey::refer(council.clone(), participant, d(1, 5), referral);
        let (journey, _) = journey
            .record(Event::EligibilityDecided {
                at: d(1, 5),
                decision: Eligibility {
                    outcome: Outcome::Accept,
                    reasons: vec![],
                    signpost: None,
                },
                plugin: PluginDigest::of(b"p"),
            })
            .expect("decided");
        let (journey, _) = journey
            .record(Event::Exited {
                at: exit,
                reason: ExitReason::Completed,
            })
            .expect("exit");
        let review = ReviewItem {
            id: store.new_review_id().expect("id"),
            participant,
            hook: "plan".into(),
            reason: "no plugin".into(),
            plugin: None,
            at: Utc::now(),
            as_of: d(1, 5),
            status: ReviewStatus::Open,
            resolution: None,
        };
        store
            .write_journey(
                None,
                JourneyWrite {
                    reviews: &[review],
                    ..JourneyWrite::planned(&journey, &[])
                },
            )
            .expect("write");
        participant
    }

    #[tokio::test]
    async fn a_sweep_erases_only_what_is_past_the_period_and_not_held() {
        let (_dir, _lock, store) = crate::store::scratch();
        let council = Council::example("stoke-on-trent");
        store.put_council(&council).expect("council");
        let id = &council.id;
        store
            .put_retention(
                id,
                &RetentionPolicy {
                    days_after_close: 30,
                },
            )
            .expect("policy");
        let old = closed(&store, id, d(1, 6));
        let held = closed(&store, id, d(1, 6));
        let newer = closed(&store, id, d(1, 7));
        let hold = LegalHold {
            reason: "claim".into(),
            placed_at: Utc::now(),
            placed_by: KeyId::bootstrap(),
        };
        assert!(store.put_legal_hold(id, held, &hold).expect("hold"));
        // A journey damaged on disk: its closing date is unknown, and it must not stop
        // the sweep for the rest.
        let damaged = format!("{id}/{}", ParticipantId::new_random());
        store
            .put_damaged("journeys", &damaged, br#"{"council":"stoke-on-"#)
            .expect("damage");

        let now = DateTime::parse_from_rfc3339("2026-02-06T12:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let sweep = RetentionSweep::new(store.clone(), Arc::new(ManualClock::new(now)));
        let swept = sweep.sweep().await.expect("sweep");
        assert_eq!(
            swept,
            Swept {
                erased: 1,
                held: 1,
                failed: 1
            }
        );
        assert!(store.journey(id, old).expect("read").is_none());
        let tombstone = store.erasure(id, old).expect("read").expect("tombstone");
        assert_eq!(tombstone.erased_by, KeyId::retention_sweep());
        assert_eq!(tombstone.reviews_removed, 1);
        assert!(store.journey(id, held).expect("read").is_some());
        assert!(store.journey(id, newer).expect("read").is_some());
        let remaining: Vec<ParticipantId> = store
            .reviews(id, None, None, 10)
            .expect("reviews")
            .iter()
            .map(|r| r.participant)
            .collect();
        assert!(!remaining.contains(&old), "{remaining:?}");
        assert_eq!(remaining.len(), 2);
        let entries = store.audit_entries(Some(id), 0, 10).expect("audit");
        let entry = entries.last().expect("a sweep entry");
        assert_eq!(entry.route, "retention");
        assert_eq!(entry.role, AuditRole::System);
        assert_eq!(entry.key, KeyId::retention_sweep());
        assert_eq!(entry.ids.get("erased").map(String::as_str), Some("1"));
        assert_eq!(entry.ids.get("held").map(String::as_str), Some("1"));

        // Sweeping again erases nothing more and writes no entry.
        let again = sweep.sweep().await.expect("sweep");
        assert_eq!(
            again,
            Swept {
                erased: 0,
                held: 1,
                failed: 1
            }
        );
        assert_eq!(
            store.audit_entries(Some(id), 0, 10).expect("audit").len(),
            entries.len()
        );
    }
}
