//! What a council schedule's firing computes, from the store as of the firing
//! instant (`indicators.rs` holds the pure computations):
//! - `caseload_digest`: one action per key worker listing their participants' due and
//!   overdue work for the coming [`DIGEST_WORKING_DAYS`] working days;
//! - `management_information_export`: the figures for the `period_days` days before
//!   the firing day, as CSV or JSON per `format`, on the firing's own action;
//! - `overdue_review_sweep`: one `review_escalation` action per review action still
//!   pending past `grace_working_days` working days, once per review and sweep.
//!
//! The work is computed before the firing's transaction and written in it, with the
//! run record: an occurrence already recorded is never computed into the outbox
//! again, and one whose transaction a crash lost is computed afresh, from the same
//! instant, to the same actions (their ids derive from the firing, or from the
//! review and the sweep).

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest as _, Sha256};

use crate::council::CouncilId;
use crate::indicators::{self, ScheduleResult, Snapshot};
use crate::journey::Journey;
use crate::key_workers::{self, KeyWorker};
use crate::outbox::{Action, ActionId, ActionKind, ActionStatus, Delivery, EscalationKind};
use crate::schedule::admin::AdminSchedule;
use crate::schedule::calendar::WorkingCalendar;
use crate::schedule::firing::{ExportFormat, ScheduleKind, ScheduledAction};
use crate::schedule::recurrence::Occurrence;
use crate::schedule::timer::Timer;
use crate::store::{Store, StoreError};

/// How far ahead a caseload digest looks, in the council's working days.
pub const DIGEST_WORKING_DAYS: u32 = 5;

/// What one firing computed: the result on its own action, and the actions it makes.
#[derive(Debug, Clone, Default)]
pub struct FiringWork {
    pub result: Option<ScheduleResult>,
    pub actions: Vec<Action>,
}

fn key_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// What the store holds for one council, read for a [`Snapshot`].
pub struct Held {
    pub journeys: Vec<Journey>,
    pub actions: Vec<Action>,
    pub timers: Vec<Timer>,
    pub key_workers: Vec<KeyWorker>,
}

impl Held {
    /// Reads a council's journeys (damaged ones left out), actions, pending timers
    /// and key workers.
    pub fn read(store: &Store, council: &CouncilId) -> Result<Held, StoreError> {
        let journeys = store.readable_journeys(council)?;
        let actions = store.actions(council, None, None, usize::MAX)?.items;
        let mut timers = Vec::new();
        for j in &journeys {
            timers.extend(store.pending_timers(council, j.participant)?);
        }
        let key_workers = store.key_workers(council)?.items;
        Ok(Held {
            journeys,
            actions,
            timers,
            key_workers,
        })
    }

    /// What was held, seen as of `at`.
    pub fn snapshot(&self, at: DateTime<Utc>, timezone: chrono_tz::Tz) -> Snapshot<'_> {
        Snapshot {
            journeys: &self.journeys,
            actions: &self.actions,
            timers: &self.timers,
            key_workers: &self.key_workers,
            at,
            timezone,
        }
    }
}

/// Computes the firing of `schedule` at `occurrence` (made at `now`).
pub fn compute(
    store: &Store,
    schedule: &AdminSchedule,
    occurrence: &Occurrence,
    now: DateTime<Utc>,
) -> Result<FiringWork, StoreError> {
    let Some(council) = store.council(&schedule.council)? else {
        return Ok(FiringWork::default());
    };
    let firing = schedule.action_for(occurrence, now);
    let held = Held::read(store, &council.id)?;
    let journeys = &held.journeys;
    let calendar = store.working_calendar(&council)?;
    let snapshot = held.snapshot(occurrence.at, council.timezone);
    let today = snapshot.today();
    let derived = |kind: ActionKind, key: String, at: DateTime<Utc>, purpose: String| Action {
        id: ActionId::derive(at, &key),
        kind,
        purpose,
        due: today,
        participant: None,
        idempotency_key: key,
        status: ActionStatus::Pending,
        acknowledged_at: None,
        delivery: Delivery::default(),
        result: None,
        key_worker: None,
        ..firing.clone()
    };
    Ok(match &schedule.action {
        ScheduledAction::CaseloadDigest {} => {
            let through = calendar.add_working_days(today, DIGEST_WORKING_DAYS);
            let digests = indicators::digests(&snapshot, through);
            let made: Vec<Action> = digests
                .into_iter()
                .map(|d| {
                    let key = key_of(&[&firing.idempotency_key, d.key_worker.as_str()]);
                    let purpose =
                        format!("caseload digest: {} items due by {through}", d.items.len());
                    Action {
                        key_worker: Some(d.key_worker.clone()),
                        result: Some(ScheduleResult::Digest(d)),
                        ..derived(
                            ActionKind::Schedule(ScheduleKind::CaseloadDigest),
                            key,
                            occurrence.at,
                            purpose,
                        )
                    }
                })
                .collect();
            FiringWork {
                result: Some(ScheduleResult::Digests {
                    key_workers: u32::try_from(made.len()).unwrap_or(u32::MAX),
                    through,
                }),
                actions: made,
            }
        }
        ScheduledAction::ManagementInformationExport {
            format,
            period_days,
        } => {
            let to = today - Duration::days(1);
            let from = today - Duration::days(i64::from(*period_days));
            let figures = indicators::figures(&snapshot, from, to);
            FiringWork {
                result: Some(ScheduleResult::ManagementInformation {
                    format: *format,
                    from,
                    to,
                    csv: (*format == ExportFormat::Csv).then(|| indicators::to_csv(&figures)),
                    figures: (*format == ExportFormat::Json).then(|| Box::new(figures)),
                }),
                actions: Vec::new(),
            }
        }
        ScheduledAction::OverdueReviewSweep { grace_working_days } => {
            let grace = *grace_working_days;
            let mut made = Vec::new();
            for review in indicators::overdue_reviews(&snapshot, grace, &calendar) {
                let key = key_of(&[review.id.as_str(), schedule.id.as_str()]);
                let id = ActionId::derive(review.scheduled_for, &key);
                if store.action(&council.id, &id)?.is_some() {
                    continue; // escalated by an earlier firing of this sweep
                }
                let current = review.participant.and_then(|p| {
                    journeys
                        .iter()
                        .find(|j| j.participant == p)
                        .map(|j| indicators::as_at(j, today, occurrence.at))
                        .and_then(|j| key_workers::current(&j))
                });
                let purpose = format!(
                    "review due {} still pending after {grace} working days' grace",
                    review.due
                );
                made.push(Action {
                    participant: review.participant,
                    key_worker: current.or_else(|| review.key_worker.clone()),
                    result: Some(ScheduleResult::Escalation {
                        review_action: review.id.clone(),
                        review_due: review.due,
                        grace_working_days: grace,
                    }),
                    ..derived(
                        ActionKind::Escalation(EscalationKind::ReviewEscalation),
                        key,
                        review.scheduled_for,
                        purpose,
                    )
                });
            }
            FiringWork {
                result: Some(ScheduleResult::Swept {
                    escalated: u32::try_from(made.len()).unwrap_or(u32::MAX),
                }),
                actions: made,
            }
        }
    })
}
