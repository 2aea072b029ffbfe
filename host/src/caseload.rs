//! A council's caseload: where journeys, policy and store meet.
//!
//! Each operation reads the journey, runs one step of the workflow core
//! (`journey::workflow`) with the council's plugin, and writes what it decided — the
//! journey, its timers, the decision log, review items and any handover action — in
//! one transaction, flushed before it returns. A plugin that fails never becomes a
//! decision: the case goes to human review and the failure is recorded.

mod key_workers;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::council::{Council, CouncilId};
use crate::journey::workflow::{self, Decide, HandoverWork, Outcome as Stepped, Sandboxed, Step};
use crate::journey::{
    CaseworkerEvent, Consents, Event, InvalidReferral, Journey, JourneyError, ParticipantId,
    Referral, ReferralCorrection, State,
};
use crate::outbox::{Action, ActionKind, HandoverPack};
use crate::policy::{CallContext, Eligibility, Outcome, PlannedTimer, Plugin, Policies, TimerKind};
use crate::review::{Resolution, ReviewId, ReviewItem, ReviewStatus};
use crate::schedule::scheduler::{DecidesEndOfSupport, EndOfSupport};
use crate::schedule::timer::Timer;
use crate::store::{
    DamagedRecord, DecisionRecord, Durable, EarlierWork, IdempotencyMark, JourneyWrite, Made,
    Store, StoreError,
};
use crate::telemetry::Telemetry;

pub use key_workers::{AssignError, Assigned, Assignment};

#[derive(Debug, thiserror::Error)]
pub enum CaseloadError {
    #[error("no council `{0}`")]
    UnknownCouncil(CouncilId),
    #[error("no participant `{1}` in council `{0}`")]
    UnknownParticipant(CouncilId, ParticipantId),
    #[error(transparent)]
    InvalidReferral(#[from] InvalidReferral),
    #[error(transparent)]
    Journey(#[from] JourneyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the policy sandbox could not run: {0}")]
    Sandbox(String),
    #[error("no review item `{1}` in council `{0}`: ids are as listed by GET …/reviews")]
    UnknownReview(CouncilId, ReviewId),
    #[error("review item `{0}` is already resolved; a decision is recorded once")]
    ReviewResolved(ReviewId),
    #[error(
        "this Idempotency-Key was already used by this API key for a different request (another route or body); send a new key for a new request, or the same request to get its first answer"
    )]
    IdempotencyKeyReused,
    #[error("{}", if *.wanted {
        format!("a {hook} review is resolved with an `outcome`: accept, waitlist or decline")
    } else {
        format!("a {hook} review takes no `outcome`: check the journey's work by hand, then resolve it with a `note` only")
    })]
    ReviewOutcome { hook: String, wanted: bool },
    #[error(transparent)]
    KeyWorker(#[from] AssignError),
}

impl From<EarlierWork> for CaseloadError {
    fn from(e: EarlierWork) -> CaseloadError {
        match e {
            EarlierWork::KeyReused => CaseloadError::IdempotencyKeyReused,
            EarlierWork::Store(s) => CaseloadError::Store(s),
        }
    }
}

/// The answer to a referral.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Referred {
    pub participant_id: ParticipantId,
    pub state: State,
    /// The plugin's decision, or `None` when it went to human review.
    pub decision: Option<Eligibility>,
    /// Why a person must decide, when the plugin could not.
    pub review_reason: Option<String>,
}

/// Everything held about one participant's journey, for the caseworker.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParticipantView {
    pub participant_id: ParticipantId,
    pub council: CouncilId,
    pub state: State,
    pub support_ends_on: Option<NaiveDate>,
    /// Consent per purpose, with the date and time of its last change.
    pub consent: Consents,
    #[schemars(with = "Vec<serde_json::Value>")]
    pub history: Vec<Event>,
    pub pending_timers: Vec<Timer>,
    pub decisions: Vec<DecisionRecord>,
    /// Decision records that could not be read and were left out, by key
    /// (`council/participant/sequence`); restore them from a backup.
    pub damaged: Vec<DamagedRecord>,
}

#[derive(Clone)]
pub struct Caseload {
    store: Store,
    policies: Arc<Policies>,
    clock: Arc<dyn Clock>,
    /// Wakes the scheduler when a journey's timers change.
    timers_changed: Arc<Notify>,
    /// Where decision latency and fuel are counted (`/metrics`).
    telemetry: Arc<Telemetry>,
    /// Held shared while a referral adds a journey, exclusively while a council is
    /// removed: a council is checked for participants and removed with no referral
    /// landing in between (one daemon owns the store, so a process lock suffices).
    new_journeys: Arc<tokio::sync::RwLock<()>>,
}

/// Attempts at an optimistic journey write before giving up with a conflict.
const WRITE_ATTEMPTS: usize = 5;

impl Caseload {
    pub fn new(
        store: Store,
        policies: Arc<Policies>,
        clock: Arc<dyn Clock>,
        timers_changed: Arc<Notify>,
    ) -> Caseload {
        Caseload {
            store,
            policies,
            clock,
            timers_changed,
            telemetry: Arc::new(Telemetry::new()),
            new_journeys: Arc::default(),
        }
    }

    /// Holds back new journeys (referrals) until the guard is dropped: for removing
    /// a council, which must hold none.
    pub async fn hold_new_journeys(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.new_journeys.write().await
    }

    /// Counts decisions in `telemetry` (the daemon's, served at `/metrics`).
    pub fn with_telemetry(mut self, telemetry: Arc<Telemetry>) -> Caseload {
        self.telemetry = telemetry;
        self
    }

    pub fn council(&self, id: &CouncilId) -> Result<Council, CaseloadError> {
        self.store
            .council(id)?
            .ok_or_else(|| CaseloadError::UnknownCouncil(id.clone()))
    }

    /// Today in the council's time zone.
    pub fn today(&self, council: &Council) -> NaiveDate {
        self.clock
            .now()
            .with_timezone(&council.timezone)
            .date_naive()
    }

    fn plugin(&self, council: &Council) -> Result<Option<Arc<Plugin>>, CaseloadError> {
        let Some(digest) = &council.active_plugin else {
            return Ok(None);
        };
        if let Some(p) = self.policies.get(digest) {
            return Ok(Some(p));
        }
        // Not yet compiled in this process (e.g. just after start): load from the store.
        let Some(bytes) = self.store.plugin_bytes(digest)? else {
            return Ok(None);
        };
        self.policies
            .load(&bytes)
            .map(Some)
            .map_err(|e| CaseloadError::Sandbox(e.to_string()))
    }

    /// The council's settings, limits and its own (possibly replaced) calendar.
    fn context(&self, council: &Council) -> Result<CallContext, CaseloadError> {
        Ok(CallContext {
            settings: council.settings.to_string(),
            calendar: Arc::new(self.store.working_calendar(council)?),
            limits: council.limits,
        })
    }

    /// What wakes the scheduler, for services whose writes move timers.
    pub fn scheduler_wake(&self) -> Arc<Notify> {
        self.timers_changed.clone()
    }

    /// Wakes the scheduler: a schedule was created, changed or resumed.
    pub fn wake_scheduler(&self) {
        self.timers_changed.notify_one();
    }

    /// Runs one workflow step with the council's plugin, off the async workers (plugin
    /// calls are CPU work under a deadline), counting each decision in `/metrics`.
    async fn step<T: Send + 'static>(
        &self,
        council: &Council,
        f: impl FnOnce(&dyn Decide) -> T + Send + 'static,
    ) -> Result<T, CaseloadError> {
        let plugin = self.plugin(council)?;
        let context = self.context(council)?;
        let telemetry = self.telemetry.clone();
        let id = council.id.clone();
        blocking(move || {
            let observe = |hook: &'static str, elapsed, fuel| {
                telemetry.decision(&id, hook, elapsed, fuel);
            };
            f(&Sandboxed {
                plugin: plugin.as_deref(),
                context: &context,
                observe: &observe,
            })
        })
        .await
    }

    /// Refers someone: decides eligibility with the council's plugin and plans the journey.
    pub async fn refer(
        &self,
        council_id: &CouncilId,
        referral: Referral,
        referred_on: Option<NaiveDate>,
        mark: Option<&IdempotencyMark>,
    ) -> Result<Durable<Referred>, CaseloadError> {
        self.refer_to(council_id, referral, referred_on, mark, None)
            .await
            .map(|done| done.map(|(referred, _)| referred))
    }

    /// Refers someone and, unless the referral is declined, assigns them to a key
    /// worker in the same write (within the key worker's cap unless overridden);
    /// with whether the cap was overridden.
    pub async fn refer_to(
        &self,
        council_id: &CouncilId,
        referral: Referral,
        referred_on: Option<NaiveDate>,
        mark: Option<&IdempotencyMark>,
        assignment: Option<&Assignment>,
    ) -> Result<Durable<(Referred, bool)>, CaseloadError> {
        let council = self.council(council_id)?;
        if let Some(participant) = self.done_before(mark)? {
            let referred = self.referred(&council.id, participant)?;
            return Ok(self.store.commit((referred, false)).await?);
        }
        let at = referred_on.unwrap_or_else(|| self.today(&council));
        let facts = referral.facts(at)?;
        let participant = ParticipantId::new_random();
        let journey = Journey::refer(council.id.clone(), participant, at, referral);
        let now = self.clock.now();
        let programme = council.programme;
        let out = self
            .step(&council, move |decide| {
                let step = Step {
                    programme: &programme,
                    as_of: at,
                    now,
                };
                workflow::refer(journey, &facts, step, decide)
            })
            .await??;
        let mut out = out;
        // A declined referral is assigned to no one, so no cap is checked for it.
        let admitted = match assignment {
            Some(a) if !out.journey.state()?.is_closed() => {
                Some(self.admit(&council.id, participant, a).await?)
            }
            _ => None,
        };
        let mut assigned = false;
        if let Some(a) = &admitted {
            assigned = Caseload::assign_in(&mut out.journey, &a.key_worker.id, at, now)?;
        }
        let adding = self.new_journeys.read().await;
        // The council may have been removed while its plugin decided.
        self.council(&council.id)?;
        self.write(
            &council,
            None,
            &out,
            WriteAlso {
                as_of: at,
                effect: mark.map(|m| (m, now)),
                ..WriteAlso::default()
            },
        )?;
        drop(adding);
        let mut overridden = false;
        if let Some(a) = &admitted
            && assigned
        {
            overridden = self.keep_override(&council.id, participant, a)?;
        }
        drop(admitted);
        let referred = referred_from(out.journey)?;
        let done = self.store.commit((referred, overridden)).await?;
        self.timers_changed.notify_one();
        Ok(done)
    }

    /// Writes a workflow step's outcome: the journey, its timers, decision records,
    /// review items (given ids here) and handover action, in one transaction, if the
    /// stored journey is still `expected`.
    fn write(
        &self,
        council: &Council,
        expected: Option<&[u8]>,
        out: &Stepped,
        also: WriteAlso<'_>,
    ) -> Result<(), CaseloadError> {
        let now = self.clock.now();
        let participant = out.journey.participant;
        let timers: Option<Vec<Timer>> = out.timers.as_ref().map(|planned| {
            planned
                .iter()
                .map(|t| {
                    Timer::from_plan(
                        &council.id,
                        participant,
                        t,
                        council.timezone,
                        council.reminder_time,
                    )
                })
                .collect()
        });
        let mut reviews = also.reviews.to_vec();
        for r in &out.reviews {
            tracing::warn!(council = %council.id, %participant, hook = r.hook, "plugin gave no decision; sent for human review");
            reviews.push(ReviewItem {
                id: self.store.new_review_id()?,
                participant,
                hook: r.hook.into(),
                reason: r.reason.clone(),
                plugin: r.plugin.clone(),
                at: now,
                as_of: also.as_of,
                status: ReviewStatus::Open,
                resolution: None,
            });
        }
        let actions: Vec<Action> = out
            .handover
            .iter()
            .map(|work| handover_action(council, participant, work, also.fired, now))
            .map(|action| Action {
                key_worker: crate::key_workers::current(&out.journey),
                ..action
            })
            .collect();
        self.store.write_journey(
            expected,
            JourneyWrite {
                journey: &out.journey,
                timers: timers.as_deref(),
                decisions: &out.decisions,
                reviews: &reviews,
                actions: &actions,
                effect: also.effect,
            },
        )?;
        Ok(())
    }

    /// Writes a step's outcome over the stored journey `raw` and makes it durable;
    /// `false` when another write got there first and the step should be run again.
    async fn commit(
        &self,
        council: &Council,
        raw: &[u8],
        out: &Stepped,
        also: WriteAlso<'_>,
        attempt: usize,
    ) -> Result<Option<Durable<()>>, CaseloadError> {
        match self.write(council, Some(raw), out, also) {
            Err(CaseloadError::Store(StoreError::Conflict)) if attempt < WRITE_ATTEMPTS => {
                return Ok(None);
            }
            other => other?,
        }
        let done = self.store.commit(()).await?;
        self.timers_changed.notify_one();
        Ok(Some(done))
    }

    /// Records a caseworker's event and decides what follows (outreach, a handover,
    /// the new plan).
    pub async fn record_event(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        event: CaseworkerEvent,
        mark: Option<&IdempotencyMark>,
    ) -> Result<Durable<ParticipantView>, CaseloadError> {
        if self.done_before(mark)?.is_some() {
            return Ok(self
                .store
                .commit(self.view(council_id, participant)?)
                .await?);
        }
        let event = Event::from(event).stamped(self.clock.now());
        self.apply_with(council_id, participant, event, &[], mark)
            .await
    }

    /// Records `event` as a caseworker's would be, and writes `reviews` (items added
    /// or resolved) in the same transaction.
    pub(crate) async fn apply(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        event: Event,
        reviews: &[ReviewItem],
    ) -> Result<Durable<ParticipantView>, CaseloadError> {
        self.apply_with(council_id, participant, event, reviews, None)
            .await
    }

    async fn apply_with(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        event: Event,
        reviews: &[ReviewItem],
        mark: Option<&IdempotencyMark>,
    ) -> Result<Durable<ParticipantView>, CaseloadError> {
        let at = event.at();
        let change: Change = Arc::new(move |journey, pending, step, decide| {
            Ok(Some(workflow::record(
                journey,
                pending,
                event.clone(),
                step,
                decide,
            )?))
        });
        self.change(council_id, participant, at, reviews, mark, change)
            .await
    }

    /// A timer that ends support fired: the plugin decides the handover, the journey
    /// closes, and the handover action is written with it and the timer removed, in one
    /// transaction. `None` when the timer is no longer pending (re-planned away) or
    /// there was nothing to hand over (the timer is removed all the same).
    pub async fn end_support(&self, timer: &Timer) -> Result<Option<Action>, CaseloadError> {
        let council = self.council(&timer.council)?;
        for attempt in 1..=WRITE_ATTEMPTS {
            let Some((journey, raw)) = self.store.journey(&council.id, timer.participant)? else {
                return Err(CaseloadError::UnknownParticipant(
                    council.id.clone(),
                    timer.participant,
                ));
            };
            let pending = self.store.pending_timers(&council.id, timer.participant)?;
            if !pending.iter().any(|t| t.id == timer.id) {
                return Ok(None);
            }
            let now = self.clock.now();
            let programme = council.programme;
            let planned = timer.planned();
            let as_of = timer.due;
            let rest: Vec<PlannedTimer> = pending
                .iter()
                .filter(|t| t.id != timer.id)
                .map(Timer::planned)
                .collect();
            let out = self
                .step(&council, move |decide| {
                    let step = Step {
                        programme: &programme,
                        as_of,
                        now,
                    };
                    match workflow::end_support(&journey, &planned, step, decide)? {
                        Some(out) => Ok(out),
                        // Nothing to hand over: the timer goes, the rest stay.
                        None => Stepped::unchanged(journey).map(|out| Stepped {
                            timers: Some(rest),
                            ..out
                        }),
                    }
                })
                .await?
                .map_err(CaseloadError::Journey)?;
            let also = WriteAlso {
                as_of,
                fired: Some(timer),
                ..WriteAlso::default()
            };
            if self
                .commit(&council, &raw, &out, also, attempt)
                .await?
                .is_none()
            {
                continue;
            }
            if out.handover.is_none() {
                return Ok(None);
            }
            return Ok(self.store.action(&council.id, &Action::id_for(timer))?);
        }
        Err(CaseloadError::Store(StoreError::Conflict))
    }

    /// The participant a request with this `Idempotency-Key` already wrote, if its
    /// work is done: then a retry (after a crash lost the kept answer) must not do it
    /// again.
    fn done_before(
        &self,
        mark: Option<&IdempotencyMark>,
    ) -> Result<Option<ParticipantId>, CaseloadError> {
        let earlier = self
            .store
            .earlier_work(mark, self.clock.now(), |made| match made {
                Made::Participant(participant) => Some(participant),
                _ => None,
            })?;
        Ok(earlier)
    }

    /// The answer a referral gave, read from the store (a retry after a crash lost it).
    fn referred(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Referred, CaseloadError> {
        let (journey, _) = self
            .store
            .journey(council, participant)?
            .ok_or_else(|| CaseloadError::UnknownParticipant(council.clone(), participant))?;
        referred_from(journey)
    }

    /// Corrects the referral's details (the right to rectification), dated today in
    /// the council's time zone, and re-plans the journey's timers from the corrected
    /// facts. Eligibility is not decided again: the decision stands as made.
    pub async fn correct(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        correction: &ReferralCorrection,
    ) -> Result<Durable<ParticipantView>, CaseloadError> {
        let council = self.council(council_id)?;
        let at = self.today(&council);
        let now = self.clock.now();
        let correction = correction.clone();
        let change: Change = Arc::new(move |journey, pending, step, decide| {
            let Some((mut journey, _)) = journey.correct(at, &correction)? else {
                return Ok(None);
            };
            if let Some(last) = journey.events.pop() {
                journey.events.push(last.stamped(now));
            }
            Ok(Some(workflow::replan(
                journey,
                pending,
                workflow::Outreach::Keep,
                step,
                decide,
            )?))
        });
        self.change(council_id, participant, at, &[], None, change)
            .await
    }

    /// Writes the outcome `change` makes of the stored journey (`None`: nothing
    /// changes), as of `at`, with `reviews`, retrying on a concurrent write.
    async fn change(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        at: NaiveDate,
        reviews: &[ReviewItem],
        mark: Option<&IdempotencyMark>,
        change: Change,
    ) -> Result<Durable<ParticipantView>, CaseloadError> {
        let council = self.council(council_id)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (journey, raw) =
                self.store
                    .journey(&council.id, participant)?
                    .ok_or_else(|| {
                        CaseloadError::UnknownParticipant(council.id.clone(), participant)
                    })?;
            let pending: Vec<PlannedTimer> = self
                .store
                .pending_timers(&council.id, participant)?
                .iter()
                .map(Timer::planned)
                .collect();
            let now = self.clock.now();
            let programme = council.programme;
            let change = change.clone();
            let out = self
                .step(&council, move |decide| {
                    let step = Step {
                        programme: &programme,
                        as_of: at,
                        now,
                    };
                    change(&journey, &pending, step, decide)
                })
                .await??;
            let Some(out) = out else {
                // Nothing changes: the answer is what is already on disk.
                return Ok(self
                    .store
                    .commit(self.view(council_id, participant)?)
                    .await?);
            };
            let also = WriteAlso {
                as_of: at,
                reviews,
                effect: mark.map(|m| (m, now)),
                fired: None,
            };
            let Some(done) = self.commit(&council, &raw, &out, also, attempt).await? else {
                continue;
            };
            let view = self.view(council_id, participant)?;
            return Ok(done.map(|()| view));
        }
    }

    /// Resolves a review item with a person's decision. For an eligibility item the
    /// journey records the outcome as a `review_resolved` event and is re-planned, in
    /// one transaction with closing the item. A plan item takes no outcome: the
    /// person has checked the journey's work by hand, and the item is closed.
    pub async fn resolve_review(
        &self,
        council_id: &CouncilId,
        id: ReviewId,
        outcome: Option<Outcome>,
        note: String,
        on: Option<NaiveDate>,
    ) -> Result<Durable<ReviewItem>, CaseloadError> {
        let council = self.council(council_id)?;
        let item = self
            .store
            .review(council_id, id)?
            .ok_or_else(|| CaseloadError::UnknownReview(council_id.clone(), id))?;
        if item.status == ReviewStatus::Resolved {
            return Err(CaseloadError::ReviewResolved(id));
        }
        let eligibility = item.hook == "eligibility";
        if eligibility != outcome.is_some() {
            return Err(CaseloadError::ReviewOutcome {
                hook: item.hook,
                wanted: eligibility,
            });
        }
        let on = on.unwrap_or_else(|| self.today(&council));
        let mut resolved = item.clone();
        resolved.status = ReviewStatus::Resolved;
        resolved.resolution = Some(Resolution {
            outcome,
            note: note.clone(),
            at: self.clock.now(),
            on,
        });
        let Some(outcome) = outcome else {
            self.store.put_review(council_id, &resolved)?;
            return Ok(self.store.commit(resolved).await?);
        };
        let event = Event::ReviewResolved {
            at: on,
            review: id,
            outcome,
            note,
        };
        let done = self
            .apply(
                council_id,
                item.participant,
                event,
                std::slice::from_ref(&resolved),
            )
            .await?;
        Ok(done.map(|_| resolved))
    }

    pub fn view(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
    ) -> Result<ParticipantView, CaseloadError> {
        let (journey, _) = self
            .store
            .journey(council_id, participant)?
            .ok_or_else(|| CaseloadError::UnknownParticipant(council_id.clone(), participant))?;
        let decisions = self.store.decisions(council_id, participant)?;
        let programme = self.council(council_id)?.programme;
        Ok(ParticipantView {
            participant_id: participant,
            council: council_id.clone(),
            state: journey.state()?,
            support_ends_on: journey.support_ends_on(&programme),
            consent: journey.consents(),
            pending_timers: self.store.pending_timers(council_id, participant)?,
            decisions: decisions.items,
            damaged: decisions.damaged,
            history: journey.events,
        })
    }
}

/// Plugin calls are synchronous CPU work under a deadline: keep them off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CaseloadError> {
    // The request's span goes along, so the plugin's log lines carry its request id.
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| CaseloadError::Sandbox(format!("a policy call panicked: {e}")))
}

/// The answer a referral gave, from its journey: the state and decision right after
/// eligibility was decided, whatever happened since.
fn referred_from(journey: Journey) -> Result<Referred, CaseloadError> {
    let participant = journey.participant;
    let decided = Journey {
        events: journey.events.iter().take(2).cloned().collect(),
        ..journey
    };
    let (decision, review_reason) = match decided.events.get(1) {
        Some(Event::EligibilityDecided { decision, .. }) => (Some(decision.clone()), None),
        Some(Event::SentForReview { error, .. }) => (None, Some(error.clone())),
        _ => (None, None),
    };
    Ok(Referred {
        participant_id: participant,
        state: decided.state()?,
        decision,
        review_reason,
    })
}

/// A change to a journey, run as one workflow step: `None` when it changes nothing.
type Change = Arc<
    dyn Fn(
            &Journey,
            &[PlannedTimer],
            Step<'_>,
            &dyn Decide,
        ) -> Result<Option<Stepped>, CaseloadError>
        + Send
        + Sync,
>;

/// What a journey write carries besides the workflow's outcome.
#[derive(Default)]
struct WriteAlso<'a> {
    /// The date review items opened by the step are as of.
    as_of: NaiveDate,
    /// Review items resolved with this change.
    reviews: &'a [ReviewItem],
    effect: Option<(&'a IdempotencyMark, DateTime<Utc>)>,
    /// The timer that ended support, if one did: the handover action takes its id, so
    /// a step retried after a crash never makes a second.
    fired: Option<&'a Timer>,
}

/// The `handover` action for a decided (or undecidable) handover.
fn handover_action(
    council: &Council,
    participant: ParticipantId,
    work: &HandoverWork,
    fired: Option<&Timer>,
    now: DateTime<Utc>,
) -> Action {
    let timer = fired.cloned().unwrap_or_else(|| {
        Timer::from_plan(
            &council.id,
            participant,
            &PlannedTimer {
                kind: TimerKind::Handover,
                due: work.due,
                purpose: String::new(),
            },
            council.timezone,
            council.reminder_time,
        )
    });
    let mut action = Action::from_timer(&timer, now);
    action.kind = ActionKind::Timer(TimerKind::Handover);
    action.due = work.due;
    action.purpose = work.purpose();
    action.handover = Some(HandoverPack {
        destination: work.decided.as_ref().map(|h| h.destination),
        pack: work
            .decided
            .as_ref()
            .map(|h| h.pack.clone())
            .unwrap_or_default(),
        reasons: work
            .decided
            .as_ref()
            .map(|h| h.reasons.clone())
            .unwrap_or_default(),
    });
    action
}

/// The scheduler hands timers that end support to the caseload.
impl DecidesEndOfSupport for Caseload {
    fn end_support<'a>(&'a self, timer: &'a Timer) -> EndOfSupport<'a> {
        Box::pin(async move { Ok(Caseload::end_support(self, timer).await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_referral_waits_while_its_council_is_removed_and_then_finds_it_gone() {
        use crate::clock::ManualClock;
        use crate::policy::{EngineSettings, Limits};
        use crate::store::CouncilRemoval;

        let (_dir, _lock, store) = crate::store::scratch();
        let council = Council::example("york");
        store.put_council(&council).expect("council");
        let policies = Arc::new(
            Policies::new(&EngineSettings::default(), Limits::default()).expect("sandbox"),
        );
        let now = "2026-01-05T10:00:00Z".parse().expect("time");
        let caseload = Caseload::new(
            store.clone(),
            policies,
            Arc::new(ManualClock::new(now)),
            Arc::new(Notify::new()),
        );

        let removing = caseload.hold_new_journeys().await;
        let referring = {
            let (caseload, id) = (caseload.clone(), council.id.clone());
            let referral = Referral::example();
            tokio::spawn(async move { caseload.refer(&id, referral, None, None).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            !referring.is_finished(),
            "the referral waits for the removal"
        );
        assert_eq!(
            store.remove_council(&council.id, now).expect("remove"),
            CouncilRemoval::Removed
        );
        drop(removing);
        let outcome = referring.await.expect("referral task");
        assert!(
            matches!(outcome, Err(CaseloadError::UnknownCouncil(_))),
            "{:?}",
            outcome.map(|r| r.into_inner().participant_id)
        );
        assert_eq!(store.participant_count(&council.id), 0, "no orphan journey");
    }
}
