//! A council's caseload: where journeys, policy and store meet.
//!
//! Each operation reads the journey, asks the council's plugin what the journey's
//! rules say (eligibility, the plan of timers), and writes the journey, its timers
//! and the decision log in one transaction, flushed before it returns. A plugin that
//! fails never becomes a decision: the referral goes to human review, or the
//! journey's existing timers are kept, and the failure is recorded.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::council::{Council, CouncilId};
use crate::journey::{
    CaseworkerEvent, Consents, Event, InvalidReferral, Journey, JourneyError, ParticipantId,
    Referral, ReferralCorrection, State,
};
use crate::policy::{
    CallContext, Decision, DecisionError, Eligibility, Outcome, Plan, Plugin, PluginDigest,
    Policies,
};
use crate::review::{Resolution, ReviewId, ReviewItem, ReviewStatus};
use crate::schedule::timer::Timer;
use crate::store::{
    DamagedRecord, DecisionRecord, Done, IdempotencyMark, JourneyWrite, Made, Store, StoreError,
};
use crate::telemetry::Telemetry;

#[derive(Debug, thiserror::Error)]
pub enum CaseloadError {
    #[error("no council `{0}`: create it first with POST /v1/councils")]
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

    /// Counts one decision's latency and fuel.
    fn observe<T>(
        &self,
        council: &Council,
        hook: &str,
        started: Instant,
        decided: &Result<Decision<T>, DecisionError>,
    ) {
        let fuel = decided.as_ref().ok().map(|d| d.fuel_used);
        self.telemetry
            .decision(&council.id, hook, started.elapsed(), fuel);
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

    /// Wakes the scheduler: a schedule was created, changed or resumed.
    pub fn wake_scheduler(&self) {
        self.timers_changed.notify_one();
    }

    /// Refers someone: decides eligibility with the council's plugin and plans the journey.
    pub async fn refer(
        &self,
        council_id: &CouncilId,
        referral: Referral,
        referred_on: Option<NaiveDate>,
        mark: Option<&IdempotencyMark>,
    ) -> Result<Referred, CaseloadError> {
        let council = self.council(council_id)?;
        if let Some(participant) = self.done_before(mark)? {
            return self.referred(&council.id, participant);
        }
        let at = referred_on.unwrap_or_else(|| self.today(&council));
        let facts = referral.facts(at)?;
        let participant = ParticipantId::new_random();
        let journey = Journey::refer(council.id.clone(), participant, at, referral);
        let now = self.clock.now();

        let plugin = self.plugin(&council)?;
        let ctx = self.context(&council)?;
        let asked = Asked::new(&ctx, &facts, at, plugin.as_deref());
        let decided = match plugin.clone() {
            None => Err(DecisionError::NoPlugin),
            Some(plugin) => {
                let ctx = ctx.clone();
                let started = Instant::now();
                let decided = blocking(move || plugin.eligibility(&ctx, &facts, at)).await?;
                self.observe(&council, "eligibility", started, &decided);
                decided
            }
        };
        let mut decisions = vec![record("eligibility", now, &asked, &decided)];
        let mut reviews = Vec::new();
        if let Err(e) = &decided {
            reviews.push(ReviewItem {
                id: self.store.new_review_id()?,
                participant,
                hook: "eligibility".into(),
                reason: e.to_string(),
                plugin: asked.plugin.clone(),
                at: now,
                as_of: at,
                status: ReviewStatus::Open,
                resolution: None,
            });
            tracing::warn!(council = %council.id, %participant, hook = "eligibility", "plugin gave no decision; sent for human review");
        }
        let (event, decision, review_reason) = match decided {
            Ok(d) => (
                Event::EligibilityDecided {
                    at,
                    decision: d.value.clone(),
                    plugin: d.plugin.clone(),
                },
                Some(d.value),
                None,
            ),
            Err(e) => (
                Event::SentForReview {
                    at,
                    hook: "eligibility".into(),
                    error: e.to_string(),
                },
                None,
                Some(e.to_string()),
            ),
        };
        let (journey, state) = journey.record(event)?;
        let (timers, planned) = self.plan(&council, plugin, ctx, &journey, at, now).await?;
        reviews.extend(self.plan_review(participant, &planned, at, now)?);
        decisions.extend(planned);
        let timers = timers.unwrap_or_default();
        let adding = self.new_journeys.read().await;
        // The council may have been removed while its plugin decided.
        self.council(&council.id)?;
        self.store.write_journey(
            None,
            JourneyWrite {
                journey: &journey,
                timers: Some(&timers),
                decisions: &decisions,
                reviews: &reviews,
                effect: mark.map(|m| (m, now)),
            },
        )?;
        drop(adding);
        self.store.flush().await?;
        self.timers_changed.notify_one();
        Ok(Referred {
            participant_id: participant,
            state,
            decision,
            review_reason,
        })
    }

    /// The plan for a journey as of a date: `None` keeps the journey's current timers
    /// (the plugin failed; the failure is in the returned decision records).
    async fn plan(
        &self,
        council: &Council,
        plugin: Option<Arc<Plugin>>,
        ctx: CallContext,
        journey: &Journey,
        as_of: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(Option<Vec<Timer>>, Vec<DecisionRecord>), CaseloadError> {
        let Some(facts) = journey.facts()? else {
            return Ok((Some(Vec::new()), Vec::new())); // closed or undecided: nothing to plan
        };
        let asked = Asked::new(&ctx, &facts, as_of, plugin.as_deref());
        let Some(plugin) = plugin else {
            let failed: Result<Decision<Plan>, _> = Err(DecisionError::NoPlugin);
            return Ok((None, vec![record("plan", now, &asked, &failed)]));
        };
        let started = Instant::now();
        let planned = blocking(move || plugin.plan(&ctx, &facts, as_of)).await?;
        self.observe(council, "plan", started, &planned);
        let mut rec = record("plan", now, &asked, &planned);
        let consents = journey.consents();
        let timers = planned.ok().map(|d| {
            let timers = consents.allowed_timers(&d.value.timers);
            if let Some(reason) = timers.reason() {
                // The plugin's output stays as it answered (replay compares it); the
                // host's reason joins the record's reasons.
                rec.reasons.push(reason);
                tracing::info!(council = %council.id, participant = %journey.participant, withheld = timers.withheld.len(), "employer contact not scheduled: no consent recorded");
            }
            timers
                .allowed
                .into_iter()
                .map(|t| {
                    Timer::from_plan(
                        &council.id,
                        journey.participant,
                        t,
                        council.timezone,
                        council.reminder_time,
                    )
                })
                .collect()
        });
        Ok((timers, vec![rec]))
    }

    /// Records a caseworker's event and re-plans the journey's timers.
    pub async fn record_event(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        event: CaseworkerEvent,
        mark: Option<&IdempotencyMark>,
    ) -> Result<ParticipantView, CaseloadError> {
        if self.done_before(mark)?.is_some() {
            return self.view(council_id, participant);
        }
        let event = Event::from(event).stamped(self.clock.now());
        let at = event.at();
        self.change(council_id, participant, at, &[], mark, |journey| {
            Ok(Some(journey.record(event.clone())?))
        })
        .await
    }

    /// Records `event`, re-plans the journey's timers, and writes `reviews` (items
    /// added or resolved) in the same transaction.
    pub(crate) async fn apply(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        event: Event,
        reviews: &[ReviewItem],
    ) -> Result<ParticipantView, CaseloadError> {
        let at = event.at();
        self.change(council_id, participant, at, reviews, None, |journey| {
            Ok(Some(journey.record(event.clone())?))
        })
        .await
    }

    /// The participant a request with this `Idempotency-Key` already wrote, if its
    /// work is done: then a retry (after a crash lost the kept answer) must not do it
    /// again.
    fn done_before(
        &self,
        mark: Option<&IdempotencyMark>,
    ) -> Result<Option<ParticipantId>, CaseloadError> {
        let Some(mark) = mark else {
            return Ok(None);
        };
        match self.store.done_under(mark, self.clock.now())? {
            Done::NotYet => Ok(None),
            Done::Made(Made::Participant(participant)) => Ok(Some(participant)),
            // The fingerprint covers the route, so a mark from other work means
            // another request.
            Done::Made(_) | Done::OtherRequest => Err(CaseloadError::IdempotencyKeyReused),
        }
    }

    /// The answer a referral gave, rebuilt from its journey: the state and decision
    /// right after eligibility was decided, whatever happened since.
    fn referred(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Referred, CaseloadError> {
        let (journey, _) = self
            .store
            .journey(council, participant)?
            .ok_or_else(|| CaseloadError::UnknownParticipant(council.clone(), participant))?;
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

    /// Corrects the referral's details (the right to rectification), dated today in
    /// the council's time zone, and re-plans the journey's timers from the corrected
    /// facts. Eligibility is not decided again: the decision stands as made.
    pub async fn correct(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        correction: &ReferralCorrection,
    ) -> Result<ParticipantView, CaseloadError> {
        let council = self.council(council_id)?;
        let at = self.today(&council);
        let now = self.clock.now();
        self.change(council_id, participant, at, &[], None, |journey| {
            Ok(journey
                .correct(at, correction)?
                .map(|(mut journey, state)| {
                    if let Some(last) = journey.events.pop() {
                        journey.events.push(last.stamped(now));
                    }
                    (journey, state)
                }))
        })
        .await
    }

    /// Writes the journey `change` makes of the stored one (`None`: nothing changes),
    /// re-planned as of `at`, with `reviews`, retrying on a concurrent write.
    async fn change(
        &self,
        council_id: &CouncilId,
        participant: ParticipantId,
        at: NaiveDate,
        reviews: &[ReviewItem],
        mark: Option<&IdempotencyMark>,
        change: impl Fn(&Journey) -> Result<Option<(Journey, State)>, CaseloadError>,
    ) -> Result<ParticipantView, CaseloadError> {
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
            let Some((journey, _)) = change(&journey)? else {
                return self.view(council_id, participant);
            };
            let now = self.clock.now();
            let plugin = self.plugin(&council)?;
            let (timers, decisions) = self
                .plan(&council, plugin, self.context(&council)?, &journey, at, now)
                .await?;
            let mut reviews = reviews.to_vec();
            reviews.extend(self.plan_review(participant, &decisions, at, now)?);
            let written = self.store.write_journey(
                Some(&raw),
                JourneyWrite {
                    journey: &journey,
                    timers: timers.as_deref(),
                    decisions: &decisions,
                    reviews: &reviews,
                    effect: mark.map(|m| (m, now)),
                },
            );
            match written {
                Err(StoreError::Conflict) if attempt < WRITE_ATTEMPTS => continue,
                other => other?,
            }
            self.store.flush().await?;
            self.timers_changed.notify_one();
            return self.view(council_id, participant);
        }
    }

    /// A failed plan keeps the journey's timers as they were, so a person must check
    /// them: the failure joins the review queue.
    fn plan_review(
        &self,
        participant: ParticipantId,
        decisions: &[DecisionRecord],
        as_of: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<ReviewItem>, CaseloadError> {
        let Some(failed) = decisions
            .iter()
            .find(|d| d.hook == "plan" && d.error.is_some())
        else {
            return Ok(None);
        };
        tracing::warn!(%participant, hook = "plan", "plugin gave no plan; sent for human review");
        Ok(Some(ReviewItem {
            id: self.store.new_review_id()?,
            participant,
            hook: "plan".into(),
            reason: failed.error.clone().unwrap_or_default(),
            plugin: failed.plugin.clone(),
            at: now,
            as_of,
            status: ReviewStatus::Open,
            resolution: None,
        }))
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
    ) -> Result<ReviewItem, CaseloadError> {
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
            self.store.flush().await?;
            return Ok(resolved);
        };
        let event = Event::ReviewResolved {
            at: on,
            review: id,
            outcome,
            note,
        };
        self.apply(
            council_id,
            item.participant,
            event,
            std::slice::from_ref(&resolved),
        )
        .await?;
        Ok(resolved)
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
        Ok(ParticipantView {
            participant_id: participant,
            council: council_id.clone(),
            state: journey.state()?,
            support_ends_on: journey.support_ends_on(),
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

/// What a plugin was asked: kept with the decision so it can be replayed.
pub(crate) struct Asked {
    pub(crate) plugin: Option<PluginDigest>,
    pub(crate) settings: String,
    pub(crate) facts: Option<serde_json::Value>,
    pub(crate) as_of: NaiveDate,
}

impl Asked {
    pub(crate) fn new<F: Serialize>(
        ctx: &CallContext,
        facts: &F,
        as_of: NaiveDate,
        plugin: Option<&Plugin>,
    ) -> Asked {
        Asked {
            plugin: plugin.map(|p| p.digest().clone()),
            settings: ctx.settings.clone(),
            facts: serde_json::to_value(facts).ok(),
            as_of,
        }
    }
}

pub(crate) fn record<T: Serialize>(
    hook: &str,
    at: DateTime<Utc>,
    asked: &Asked,
    result: &Result<Decision<T>, DecisionError>,
) -> DecisionRecord {
    let mut rec = DecisionRecord {
        hook: hook.into(),
        at,
        plugin: asked.plugin.clone(),
        input_digest: None,
        output: None,
        error: None,
        fuel_used: 0,
        elapsed_micros: 0,
        as_of: Some(asked.as_of),
        settings: Some(asked.settings.clone()),
        facts: asked.facts.clone(),
        reasons: Vec::new(),
    };
    match result {
        Ok(d) => {
            let output = serde_json::to_value(&d.value).ok();
            rec.reasons = output
                .as_ref()
                .and_then(|o| o.get("reasons"))
                .and_then(|r| serde_json::from_value(r.clone()).ok())
                .unwrap_or_default();
            rec.plugin = Some(d.plugin.clone());
            rec.input_digest = Some(d.input_digest.clone());
            rec.output = output;
            rec.fuel_used = d.fuel_used;
            rec.elapsed_micros = u64::try_from(d.elapsed.as_micros()).unwrap_or(u64::MAX);
        }
        Err(e) => rec.error = Some(e.to_string()),
    }
    rec
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
            outcome.map(|r| r.participant_id)
        );
        assert_eq!(store.participant_count(&council.id), 0, "no orphan journey");
    }
}
