//! Assigning participants to key workers, within each key worker's caseload cap.
//!
//! An assignment is a `key_worker_assigned` journey event written like any other
//! journey change. Assignments are checked and written one at a time in this process
//! (one daemon owns the store), so two requests cannot both take a key worker's last
//! place. Past the cap an assignment is refused with the caseload and the cap, unless
//! it carries an override with a reason: the reason is kept with the key worker's
//! records (`caseload_overrides`), never in logs or the audit log.

use chrono::NaiveDate;
use tokio::sync::{Mutex, MutexGuard};

use super::{Caseload, CaseloadError, ParticipantView, WRITE_ATTEMPTS};
use crate::council::{Council, CouncilId};
use crate::journey::{Event, Journey, JourneyError, ParticipantId};
use crate::key_workers::{self, CapOverride, KeyWorker, KeyWorkerId};
use crate::store::{Durable, JourneyWrite, StoreError};

/// Held while an assignment is checked against a cap and written.
static ASSIGNING: Mutex<()> = Mutex::const_new(());

/// Longest override reason kept.
const MAX_REASON: usize = 1000;

/// An assignment as asked for: whom to, and why a cap may be passed.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub key_worker: KeyWorkerId,
    pub override_reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("no key worker `{0}` in this council: ids are as listed by GET …/key-workers")]
    UnknownKeyWorker(KeyWorkerId),
    #[error(
        "key worker `{0}` is retired and takes no new participants: choose another from GET …/key-workers"
    )]
    Retired(KeyWorkerId),
    #[error(
        "key worker `{key_worker}` already has {caseload} active participants and a caseload cap of {cap}: choose another key worker, raise the cap (PATCH …/key-workers/{key_worker}), or send `override_reason` saying why this assignment must go past it"
    )]
    OverCap {
        key_worker: KeyWorkerId,
        caseload: u32,
        cap: u32,
    },
    #[error("`override_reason` must be 1 to {MAX_REASON} characters when given")]
    Reason,
}

/// What an assignment did: whom to, whether a cap was overridden, and the key
/// worker's caseload after it.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub key_worker: KeyWorker,
    pub caseload: u32,
    pub overridden: bool,
    pub changed: bool,
}

/// An assignment checked against the cap: writing it must happen while `_held`.
pub(super) struct Admitted {
    _held: MutexGuard<'static, ()>,
    pub(super) key_worker: KeyWorker,
    pub(super) caseload_before: u32,
    cap_override: Option<String>,
}

impl Admitted {
    fn caseload_after(&self, changed: bool) -> u32 {
        self.caseload_before + u32::from(changed)
    }
}

impl Caseload {
    /// Checks `assignment` for `participant` against its key worker's cap, holding
    /// assignments back until the result is dropped.
    pub(super) async fn admit(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        assignment: &Assignment,
    ) -> Result<Admitted, CaseloadError> {
        let reason = match assignment.override_reason.as_deref().map(str::trim) {
            None => None,
            Some(r) if r.is_empty() || r.chars().count() > MAX_REASON => {
                return Err(AssignError::Reason.into());
            }
            Some(r) => Some(r.to_owned()),
        };
        let held = ASSIGNING.lock().await;
        let id = &assignment.key_worker;
        let kw = self
            .store
            .key_worker(council, id)?
            .ok_or_else(|| AssignError::UnknownKeyWorker(id.clone()))?;
        if kw.is_retired() {
            return Err(AssignError::Retired(id.clone()).into());
        }
        let journeys = self.store.journeys(council)?;
        let caseload = journeys
            .iter()
            .filter(|j| {
                j.participant != participant
                    && key_workers::is_active(j)
                    && key_workers::current(j).as_ref() == Some(id)
            })
            .count();
        let caseload = u32::try_from(caseload).unwrap_or(u32::MAX);
        let over = caseload >= kw.caseload_cap;
        if over && reason.is_none() {
            return Err(AssignError::OverCap {
                key_worker: id.clone(),
                caseload,
                cap: kw.caseload_cap,
            }
            .into());
        }
        Ok(Admitted {
            _held: held,
            key_worker: kw,
            caseload_before: caseload,
            cap_override: if over { reason } else { None },
        })
    }

    /// Appends the assignment to `journey` as of `at` (or its last event's date, if
    /// later); `false` when the journey already has that key worker.
    pub(super) fn assign_in(
        journey: &mut Journey,
        key_worker: &KeyWorkerId,
        at: NaiveDate,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, JourneyError> {
        if key_workers::current(journey).as_ref() == Some(key_worker) {
            return Ok(false);
        }
        let at = journey
            .events
            .last()
            .map(Event::at)
            .map_or(at, |last| last.max(at));
        let (next, _) = journey.record(Event::KeyWorkerAssigned {
            at,
            key_worker: key_worker.clone(),
            recorded_at: Some(now),
        })?;
        *journey = next;
        Ok(true)
    }

    /// Keeps the override an admitted assignment made, if it made one.
    pub(super) fn keep_override(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        admitted: &Admitted,
    ) -> Result<bool, CaseloadError> {
        let Some(reason) = &admitted.cap_override else {
            return Ok(false);
        };
        self.store.record_cap_override(
            council,
            &CapOverride {
                key_worker: admitted.key_worker.id.clone(),
                participant,
                at: self.clock.now(),
                caseload: admitted.caseload_before,
                cap: admitted.key_worker.caseload_cap,
                reason: reason.clone(),
            },
        )?;
        Ok(true)
    }

    /// Assigns (or reassigns) a participant to a key worker, within the cap unless
    /// overridden; recorded as a `key_worker_assigned` event dated today.
    pub async fn assign_key_worker(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        assignment: &Assignment,
    ) -> Result<Durable<(ParticipantView, Assigned)>, CaseloadError> {
        let council: Council = self.council(council_id)?;
        let admitted = self.admit(&council.id, participant, assignment).await?;
        let today = self.today(&council);
        let mut attempt = 0;
        let changed = loop {
            attempt += 1;
            let (mut journey, raw) =
                self.store
                    .journey(&council.id, participant)?
                    .ok_or_else(|| {
                        CaseloadError::UnknownParticipant(council.id.clone(), participant)
                    })?;
            let changed = Caseload::assign_in(
                &mut journey,
                &assignment.key_worker,
                today,
                self.clock.now(),
            )?;
            if !changed {
                break false;
            }
            let write = JourneyWrite {
                journey: &journey,
                timers: None,
                decisions: &[],
                reviews: &[],
                actions: &[],
                effect: None,
            };
            match self.store.write_journey(Some(&raw), write) {
                Err(StoreError::Conflict) if attempt < WRITE_ATTEMPTS => continue,
                other => other?,
            }
            break true;
        };
        let overridden = changed && self.keep_override(&council.id, participant, &admitted)?;
        let assigned = Assigned {
            caseload: admitted.caseload_after(true),
            key_worker: admitted.key_worker.clone(),
            overridden,
            changed,
        };
        let view = self.view(&council.id, participant)?;
        let done = self.store.commit((view, assigned)).await?;
        drop(admitted);
        Ok(done)
    }
}
