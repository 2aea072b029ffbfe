//! The workflow core: the one place a journey's next step is decided.
//!
//! Each function applies one input — a referral, a caseworker's event, or a timer
//! that ends support — to a journey with a policy [`Decide`]r, and returns the
//! [`Outcome`]: the new journey, the timers it now wants, the decision records, the
//! cases a person must look at, and the handover work to deliver. No I/O and no
//! clock: the as-of date and the instant to stamp records with come in a [`Step`].
//! The daemon (`caseload`) writes an outcome to the store in one transaction;
//! `waymark simulate` keeps it in memory. Nothing else decides a journey.
//!
//! The host's rules live here too, applied to every plan whatever the plugin says:
//! no employer work without consent to it (`consent.rs`), no timer after the
//! programme's end of support, and an end-of-support timer at that end.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Event, ExitReason, Journey, JourneyError, Programme, State};
use crate::policy::{
    CallContext, ContactDecision, ContactStep, Decision, DecisionError, Eligibility, Handover,
    JourneyFacts, Plan, PlannedTimer, Plugin, PluginDigest, Reason, ReferralFacts, TimerKind,
};
use crate::store::DecisionRecord;

/// What a journey's rules are asked of: the council's plugin in its sandbox.
pub trait Decide {
    /// The plugin version asked, for the records of decisions that failed.
    fn plugin(&self) -> Option<PluginDigest>;
    /// The council's settings, as the plugin is given them.
    fn settings(&self) -> &str;
    fn eligibility(
        &self,
        facts: &ReferralFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Eligibility>, DecisionError>;
    fn plan(&self, facts: &JourneyFacts, as_of: NaiveDate)
    -> Result<Decision<Plan>, DecisionError>;
    fn missed_contact(
        &self,
        facts: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<ContactDecision>, DecisionError>;
    fn handover(
        &self,
        facts: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Handover>, DecisionError>;
}

/// Told of each decision: hook, how long it took, and the fuel it burnt (if it ran).
pub type Observe<'a> = &'a (dyn Fn(&'static str, Duration, Option<u64>) + Sync);

/// The council's plugin (or none) with its settings, limits and calendar.
pub struct Sandboxed<'a> {
    pub plugin: Option<&'a Plugin>,
    pub context: &'a CallContext,
    pub observe: Observe<'a>,
}

impl Sandboxed<'_> {
    fn ask<T>(
        &self,
        hook: &'static str,
        call: impl FnOnce(&Plugin) -> Result<Decision<T>, DecisionError>,
    ) -> Result<Decision<T>, DecisionError> {
        let Some(plugin) = self.plugin else {
            return Err(DecisionError::NoPlugin);
        };
        let started = Instant::now();
        let decided = call(plugin);
        let fuel = decided.as_ref().ok().map(|d| d.fuel_used);
        (self.observe)(hook, started.elapsed(), fuel);
        decided
    }
}

impl Decide for Sandboxed<'_> {
    fn plugin(&self) -> Option<PluginDigest> {
        self.plugin.map(|p| p.digest().clone())
    }

    fn settings(&self) -> &str {
        &self.context.settings
    }

    fn eligibility(
        &self,
        facts: &ReferralFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Eligibility>, DecisionError> {
        self.ask("eligibility", |p| p.eligibility(self.context, facts, as_of))
    }

    fn plan(
        &self,
        facts: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Plan>, DecisionError> {
        self.ask("plan", |p| p.plan(self.context, facts, as_of))
    }

    fn missed_contact(
        &self,
        facts: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<ContactDecision>, DecisionError> {
        self.ask("missed_contact", |p| {
            p.missed_contact(self.context, facts, as_of)
        })
    }

    fn handover(
        &self,
        facts: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Handover>, DecisionError> {
        self.ask("handover", |p| p.handover(self.context, facts, as_of))
    }
}

/// Where and when a step happens.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub programme: &'a Programme,
    /// The date the step is decided as of (the event's date, the timer's due date).
    pub as_of: NaiveDate,
    /// When it is recorded, for the decision records.
    pub now: DateTime<Utc>,
}

/// A case a person must decide because the plugin could not.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRequest {
    pub hook: &'static str,
    pub reason: String,
    pub plugin: Option<PluginDigest>,
}

/// The handover to deliver when support ends: the plugin's decision, or `None` when
/// it could not decide and a person must (a review request goes with it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandoverWork {
    pub due: NaiveDate,
    pub decided: Option<Handover>,
}

impl HandoverWork {
    /// Plain English for the key worker.
    pub fn purpose(&self) -> String {
        match &self.decided {
            Some(h) => format!(
                "Hand over to {}: prepare and send the handover pack ({} item{}).",
                destination_text(h.destination),
                h.pack.len(),
                if h.pack.len() == 1 { "" } else { "s" }
            ),
            None => "Support has ended but the council's plugin could not decide the handover: \
                     choose the destination and pack by hand (see the review queue)."
                .to_owned(),
        }
    }
}

fn destination_text(d: crate::policy::Destination) -> &'static str {
    use crate::policy::Destination as D;
    match d {
        D::Jobcentre => "the Jobcentre (warm handback)",
        D::NhsTalkingTherapies => "NHS Talking Therapies employment advisers",
        D::CouncilProvision => "other council provision",
        D::Employer => "the employer (exit plan)",
    }
}

/// What one step did to a journey.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub journey: Journey,
    pub state: State,
    /// Every timer the journey now wants; `None` keeps the pending ones (the plan
    /// failed and a person will check them).
    pub timers: Option<Vec<PlannedTimer>>,
    pub decisions: Vec<DecisionRecord>,
    pub reviews: Vec<ReviewRequest>,
    pub handover: Option<HandoverWork>,
    /// The eligibility decision of a referral, or why a person must decide.
    pub eligibility: Option<Result<Eligibility, String>>,
}

impl Outcome {
    /// The journey as it is: no decision, pending timers kept.
    pub fn unchanged(journey: Journey) -> Result<Outcome, JourneyError> {
        Outcome::of(journey)
    }

    fn of(journey: Journey) -> Result<Outcome, JourneyError> {
        Ok(Outcome {
            state: journey.state()?,
            journey,
            timers: None,
            decisions: Vec::new(),
            reviews: Vec::new(),
            handover: None,
            eligibility: None,
        })
    }

    fn append(&mut self, event: Event) -> Result<(), JourneyError> {
        let (journey, state) = self.journey.record(event)?;
        self.journey = journey;
        self.state = state;
        Ok(())
    }

    fn failed(&mut self, hook: &'static str, error: &DecisionError, decide: &dyn Decide) {
        self.reviews.push(ReviewRequest {
            hook,
            reason: error.to_string(),
            plugin: decide.plugin(),
        });
    }
}

/// A new journey (its `referred` event only): eligibility, then its first plan.
pub fn refer(
    journey: Journey,
    facts: &ReferralFacts,
    step: Step<'_>,
    decide: &dyn Decide,
) -> Result<Outcome, JourneyError> {
    let mut out = Outcome::of(journey)?;
    let asked = Asked::new(decide, facts, step.as_of);
    let decided = decide.eligibility(facts, step.as_of);
    out.decisions
        .push(decision_record("eligibility", step.now, &asked, &decided));
    let event = match decided {
        Ok(d) => {
            out.eligibility = Some(Ok(d.value.clone()));
            Event::EligibilityDecided {
                at: step.as_of,
                decision: d.value,
                plugin: d.plugin,
            }
        }
        Err(e) => {
            out.failed("eligibility", &e, decide);
            out.eligibility = Some(Err(e.to_string()));
            Event::SentForReview {
                at: step.as_of,
                hook: "eligibility".into(),
                error: e.to_string(),
            }
        }
    };
    out.append(event)?;
    plan(&mut out, &[], Outreach::Keep, step, decide)?;
    Ok(out)
}

/// Records `event` and decides what follows: outreach or a disengaged exit after a
/// missed contact, the handover when support is completed or handed over, and the
/// journey's new plan.
pub fn record(
    journey: &Journey,
    pending: &[PlannedTimer],
    event: Event,
    step: Step<'_>,
    decide: &dyn Decide,
) -> Result<Outcome, JourneyError> {
    match event {
        Event::Exited {
            at,
            reason: reason @ (ExitReason::Completed | ExitReason::HandedOver),
        } => {
            // Refuse an illegal exit before asking anyone anything.
            journey.record(event.clone())?;
            let mut out = Outcome::of(journey.clone())?;
            hand_over(&mut out, at, reason, step, decide)?;
            Ok(out)
        }
        Event::ContactMissed { .. } => {
            let (journey, _) = journey.record(event)?;
            let mut out = Outcome::of(journey)?;
            plan(&mut out, pending, Outreach::Keep, step, decide)?;
            missed_contact(&mut out, pending, step, decide)?;
            Ok(out)
        }
        Event::ContactMade { .. } => {
            let (journey, _) = journey.record(event)?;
            replan(journey, pending, Outreach::Drop, step, decide)
        }
        event => {
            let (journey, _) = journey.record(event)?;
            replan(journey, pending, Outreach::Keep, step, decide)
        }
    }
}

/// Whether pending outreach attempts survive a new plan: they come from the
/// missed-contact hook, not the plan, and end when contact is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outreach {
    Keep,
    Drop,
}

/// Re-plans a journey changed outside an event (a corrected referral).
pub fn replan(
    journey: Journey,
    pending: &[PlannedTimer],
    outreach: Outreach,
    step: Step<'_>,
    decide: &dyn Decide,
) -> Result<Outcome, JourneyError> {
    let mut out = Outcome::of(journey)?;
    plan(&mut out, pending, outreach, step, decide)?;
    Ok(out)
}

/// Timers of these kinds end support when they fire: the handover is decided and
/// the journey closes.
pub fn ends_support(kind: TimerKind) -> bool {
    matches!(kind, TimerKind::Handover | TimerKind::EndOfSupport)
}

/// A timer that ends support fired: the plugin decides the handover and the journey
/// closes as handed over. `None` when the journey has nothing left to hand over
/// (already closed, or not taking part).
pub fn end_support(
    journey: &Journey,
    timer: &PlannedTimer,
    step: Step<'_>,
    decide: &dyn Decide,
) -> Result<Option<Outcome>, JourneyError> {
    if journey.facts(step.programme)?.is_none() {
        return Ok(None);
    }
    // Never before the journey's last event (a caseworker may have recorded a later
    // one before the timer fired).
    let at = journey
        .events
        .last()
        .map_or(timer.due, |e| e.at().max(timer.due));
    let mut out = Outcome::of(journey.clone())?;
    hand_over(&mut out, at, ExitReason::HandedOver, step, decide)?;
    Ok(Some(out))
}

fn hand_over(
    out: &mut Outcome,
    at: NaiveDate,
    reason: ExitReason,
    step: Step<'_>,
    decide: &dyn Decide,
) -> Result<(), JourneyError> {
    // Only support that started is handed over (a referral accepted but never started
    // simply closes).
    let facts = out
        .journey
        .facts(step.programme)?
        .filter(|f| f.started_on.is_some());
    if let Some(facts) = facts {
        let asked = Asked::new(decide, &facts, step.as_of);
        let decided = decide.handover(&facts, step.as_of);
        out.decisions
            .push(decision_record("handover", step.now, &asked, &decided));
        let work = match decided {
            Ok(d) => {
                out.append(Event::HandoverDecided {
                    at,
                    handover: d.value.clone(),
                    plugin: d.plugin,
                })?;
                HandoverWork {
                    due: at,
                    decided: Some(d.value),
                }
            }
            Err(e) => {
                out.failed("handover", &e, decide);
                HandoverWork {
                    due: at,
                    decided: None,
                }
            }
        };
        out.handover = Some(work);
    }
    out.append(Event::Exited { at, reason })?;
    out.timers = Some(Vec::new());
    Ok(())
}

/// After a missed contact (already recorded, and planned): the plugin says whether to
/// try again (an outreach timer) or close the journey as disengaged.
fn missed_contact(
    out: &mut Outcome,
    pending: &[PlannedTimer],
    step: Step<'_>,
    decide: &dyn Decide,
) -> Result<(), JourneyError> {
    let Some(facts) = out.journey.facts(step.programme)? else {
        return Ok(());
    };
    let asked = Asked::new(decide, &facts, step.as_of);
    let decided = decide.missed_contact(&facts, step.as_of);
    let mut rec = decision_record("missed_contact", step.now, &asked, &decided);
    match decided {
        Ok(d) => match d.value.step {
            ContactStep::Outreach { timer } => {
                let mut timers = out.timers.take().unwrap_or_else(|| pending.to_vec());
                let (mut kept, dropped) = within_programme(vec![timer], facts.support_ends_on);
                rec.reasons.extend(dropped);
                for t in kept.drain(..) {
                    if !timers.contains(&t) {
                        timers.push(t);
                    }
                }
                out.timers = Some(timers);
            }
            ContactStep::DisengagedExit => {
                out.append(Event::Exited {
                    at: step.as_of,
                    reason: ExitReason::Disengaged,
                })?;
                out.timers = Some(Vec::new());
            }
        },
        Err(e) => out.failed("missed_contact", &e, decide),
    }
    out.decisions.push(rec);
    Ok(())
}

/// Asks for the journey's plan and applies the host's rules to it.
fn plan(
    out: &mut Outcome,
    pending: &[PlannedTimer],
    outreach: Outreach,
    step: Step<'_>,
    decide: &dyn Decide,
) -> Result<(), JourneyError> {
    let Some(facts) = out.journey.facts(step.programme)? else {
        out.timers = Some(Vec::new()); // closed or undecided: nothing is scheduled
        return Ok(());
    };
    let asked = Asked::new(decide, &facts, step.as_of);
    let decided = decide.plan(&facts, step.as_of);
    let mut rec = decision_record("plan", step.now, &asked, &decided);
    match &decided {
        Ok(d) => {
            // The plugin's output stays as it answered (replay compares it); the
            // host's reasons join the record's reasons.
            let consents = out.journey.consents();
            let allowed = consents.allowed_timers(&d.value.timers);
            rec.reasons.extend(allowed.reason());
            let allowed: Vec<PlannedTimer> = allowed.allowed.into_iter().cloned().collect();
            let (mut timers, dropped) = within_programme(allowed, facts.support_ends_on);
            rec.reasons.extend(dropped);
            if let Some(end) = facts.support_ends_on.filter(|end| *end > step.as_of)
                && facts.started_on.is_some()
                && !timers.iter().any(|t| ends_support(t.kind) && t.due <= end)
            {
                timers.push(PlannedTimer {
                    kind: TimerKind::EndOfSupport,
                    due: end,
                    purpose: "End of support: the programme allows no more; the handover \
                              is decided on this day."
                        .into(),
                });
                rec.reasons.push(Reason {
                    rule: "host.programme.end_of_support".into(),
                    text: format!(
                        "Support ends on {end}, the most the programme allows: the host added \
                         the end of support, which the plan did not ask for."
                    ),
                });
            }
            if outreach == Outreach::Keep {
                for t in pending {
                    if t.kind == TimerKind::Outreach && t.due > step.as_of && !timers.contains(t) {
                        timers.push(t.clone());
                    }
                }
            }
            out.timers = Some(timers);
        }
        Err(e) => {
            out.failed("plan", e, decide);
            out.timers = None;
        }
    }
    out.decisions.push(rec);
    Ok(())
}

/// Timers on or before the programme's end, and the host's reason for those dropped.
fn within_programme(
    timers: Vec<PlannedTimer>,
    end: Option<NaiveDate>,
) -> (Vec<PlannedTimer>, Option<Reason>) {
    let Some(end) = end else {
        return (timers, None);
    };
    let (kept, dropped): (Vec<_>, Vec<_>) = timers.into_iter().partition(|t| t.due <= end);
    if dropped.is_empty() {
        return (kept, None);
    }
    let mut kinds: Vec<&str> = dropped.iter().map(|t| t.kind.as_str()).collect();
    kinds.dedup();
    let reason = Reason {
        rule: "host.programme.end".into(),
        text: format!(
            "Not scheduled ({} after {end}): support ends on {end}, the most the council's \
             programme allows.",
            kinds.join(", ")
        ),
    };
    (kept, Some(reason))
}

/// What a plugin was asked: kept with the decision so it can be replayed.
pub(crate) struct Asked {
    pub(crate) plugin: Option<PluginDigest>,
    pub(crate) settings: String,
    pub(crate) facts: Option<serde_json::Value>,
    pub(crate) as_of: NaiveDate,
}

impl Asked {
    pub(crate) fn new<F: Serialize>(decide: &dyn Decide, facts: &F, as_of: NaiveDate) -> Asked {
        Asked {
            plugin: decide.plugin(),
            settings: decide.settings().to_owned(),
            facts: serde_json::to_value(facts).ok(),
            as_of,
        }
    }
}

pub(crate) fn decision_record<T: Serialize>(
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
            rec.input_digest = Some(d.input_digest.to_string());
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
    use crate::journey::{ParticipantId, Referral};
    use crate::policy::{Destination, Outcome as Eligible};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    /// A plugin's answers, fixed in advance.
    struct Fixed {
        timers: Vec<PlannedTimer>,
        contact: Option<ContactStep>,
        handover: Option<Handover>,
    }

    fn decided<T>(value: T) -> Result<Decision<T>, DecisionError> {
        Ok(Decision {
            value,
            plugin: PluginDigest::of(b"fixed"),
            input_digest: "0".repeat(64).try_into().expect("64 hex digits"),
            fuel_used: 1,
            peak_memory_bytes: 0,
            elapsed: Duration::ZERO,
            log: Vec::new(),
        })
    }

    fn refused<T>() -> Result<Decision<T>, DecisionError> {
        Err(DecisionError::PluginRefused {
            message: "cannot decide".into(),
        })
    }

    impl Decide for Fixed {
        fn plugin(&self) -> Option<PluginDigest> {
            Some(PluginDigest::of(b"fixed"))
        }
        fn settings(&self) -> &str {
            "{}"
        }
        fn eligibility(
            &self,
            _: &ReferralFacts,
            _: NaiveDate,
        ) -> Result<Decision<Eligibility>, DecisionError> {
            decided(Eligibility {
                outcome: Eligible::Accept,
                reasons: vec![],
                signpost: None,
            })
        }
        fn plan(&self, _: &JourneyFacts, _: NaiveDate) -> Result<Decision<Plan>, DecisionError> {
            decided(Plan {
                timers: self.timers.clone(),
                reasons: vec![],
            })
        }
        fn missed_contact(
            &self,
            _: &JourneyFacts,
            _: NaiveDate,
        ) -> Result<Decision<ContactDecision>, DecisionError> {
            match &self.contact {
                Some(step) => decided(ContactDecision {
                    step: step.clone(),
                    reasons: vec![],
                }),
                None => refused(),
            }
        }
        fn handover(
            &self,
            _: &JourneyFacts,
            _: NaiveDate,
        ) -> Result<Decision<Handover>, DecisionError> {
            match &self.handover {
                Some(h) => decided(h.clone()),
                None => refused(),
            }
        }
    }

    fn timer(kind: TimerKind, due: NaiveDate) -> PlannedTimer {
        PlannedTimer {
            kind,
            due,
            purpose: kind.as_str().into(),
        }
    }

    fn step(programme: &Programme, as_of: NaiveDate) -> Step<'_> {
        Step {
            programme,
            as_of,
            now: as_of.and_time(chrono::NaiveTime::MIN).and_utc(),
        }
    }

    fn to_jobcentre() -> Handover {
        Handover {
            destination: Destination::Jobcentre,
            pack: vec!["action plan".into()],
            reasons: vec![],
        }
    }

    /// Referred and accepted on 2 January 2026, started on 5 January.
    fn started(decide: &Fixed, programme: &Programme) -> Outcome {
        let journey = Journey::refer(
            "york".parse().expect("id"),
            ParticipantId::new_random(),
            d(2026, 1, 2),
            Referral::example(),
        );
        let facts = Referral::example().facts(d(2026, 1, 2)).expect("facts");
        let out = refer(journey, &facts, step(programme, d(2026, 1, 2)), decide).expect("refer");
        record(
            &out.journey,
            &[],
            Event::Started { at: d(2026, 1, 5) },
            step(programme, d(2026, 1, 5)),
            decide,
        )
        .expect("start")
    }

    #[test]
    fn timers_after_the_programmes_end_are_dropped_with_the_hosts_reason() {
        let decide = Fixed {
            timers: vec![
                timer(TimerKind::Review, d(2026, 2, 2)),
                timer(TimerKind::EndOfSupport, d(2026, 10, 5)),
                timer(TimerKind::OutcomeCheckpoint, d(2026, 12, 1)),
            ],
            contact: None,
            handover: None,
        };
        let nine = Programme::IpsPrimaryCare {
            max_months: 9,
            in_work_run_on_months: 0,
        };
        let out = started(&decide, &nine);
        let timers = out.timers.expect("planned");
        assert_eq!(
            timers.iter().map(|t| t.kind).collect::<Vec<_>>(),
            vec![TimerKind::Review, TimerKind::EndOfSupport]
        );
        let plan = out.decisions.last().expect("plan record");
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.rule == "host.programme.end" && r.text.contains("2026-10-05")),
            "{:?}",
            plan.reasons
        );
    }

    #[test]
    fn the_host_adds_the_end_of_support_a_plan_left_out() {
        let decide = Fixed {
            timers: vec![timer(TimerKind::Review, d(2026, 2, 2))],
            contact: None,
            handover: None,
        };
        let out = started(&decide, &Programme::ConnectToWork);
        let timers = out.timers.expect("planned");
        assert!(
            timers
                .iter()
                .any(|t| t.kind == TimerKind::EndOfSupport && t.due == d(2027, 1, 5))
        );
    }

    #[test]
    fn outreach_survives_a_new_plan_until_contact_is_made() {
        let decide = Fixed {
            timers: vec![timer(TimerKind::Review, d(2026, 3, 2))],
            contact: Some(ContactStep::Outreach {
                timer: timer(TimerKind::Outreach, d(2026, 2, 9)),
            }),
            handover: None,
        };
        let p = Programme::ConnectToWork;
        let out = started(&decide, &p);
        let missed = record(
            &out.journey,
            out.timers.as_deref().unwrap_or_default(),
            Event::ContactMissed { at: d(2026, 2, 2) },
            step(&p, d(2026, 2, 2)),
            &decide,
        )
        .expect("missed");
        let pending = missed.timers.clone().expect("planned");
        assert!(pending.iter().any(|t| t.kind == TimerKind::Outreach));
        // Another event re-plans: the attempt stays.
        let paused = record(
            &missed.journey,
            &pending,
            Event::OutcomeCheckpoint {
                at: d(2026, 2, 3),
                met: false,
                hours_per_week: 0,
            },
            step(&p, d(2026, 2, 3)),
            &decide,
        )
        .expect("checkpoint");
        assert!(
            paused
                .timers
                .as_ref()
                .expect("planned")
                .iter()
                .any(|t| t.kind == TimerKind::Outreach)
        );
        let made = record(
            &paused.journey,
            paused.timers.as_deref().unwrap_or_default(),
            Event::ContactMade { at: d(2026, 2, 4) },
            step(&p, d(2026, 2, 4)),
            &decide,
        )
        .expect("made");
        assert!(
            !made
                .timers
                .expect("planned")
                .iter()
                .any(|t| t.kind == TimerKind::Outreach)
        );
    }

    #[test]
    fn a_disengaged_exit_closes_the_journey_and_cancels_every_timer() {
        let decide = Fixed {
            timers: vec![timer(TimerKind::Review, d(2026, 3, 2))],
            contact: Some(ContactStep::DisengagedExit),
            handover: None,
        };
        let p = Programme::ConnectToWork;
        let out = started(&decide, &p);
        let missed = record(
            &out.journey,
            out.timers.as_deref().unwrap_or_default(),
            Event::ContactMissed { at: d(2026, 2, 2) },
            step(&p, d(2026, 2, 2)),
            &decide,
        )
        .expect("missed");
        assert_eq!(
            missed.state,
            State::Exited {
                reason: ExitReason::Disengaged
            }
        );
        assert_eq!(missed.timers, Some(Vec::new()));
    }

    #[test]
    fn a_plugin_that_cannot_decide_a_missed_contact_sends_it_to_review_and_keeps_the_plan() {
        let decide = Fixed {
            timers: vec![timer(TimerKind::Review, d(2026, 3, 2))],
            contact: None,
            handover: None,
        };
        let p = Programme::ConnectToWork;
        let out = started(&decide, &p);
        let missed = record(
            &out.journey,
            out.timers.as_deref().unwrap_or_default(),
            Event::ContactMissed { at: d(2026, 2, 2) },
            step(&p, d(2026, 2, 2)),
            &decide,
        )
        .expect("missed");
        assert_eq!(missed.reviews.len(), 1);
        assert_eq!(missed.reviews[0].hook, "missed_contact");
        assert!(!missed.state.is_closed());
        assert!(
            missed
                .timers
                .expect("planned")
                .iter()
                .any(|t| t.kind == TimerKind::Review)
        );
    }

    #[test]
    fn the_end_of_support_decides_the_handover_once_and_closes() {
        let decide = Fixed {
            timers: vec![],
            contact: None,
            handover: Some(to_jobcentre()),
        };
        let p = Programme::ConnectToWork;
        let out = started(&decide, &p);
        let end = timer(TimerKind::EndOfSupport, d(2027, 1, 5));
        let ended = end_support(&out.journey, &end, step(&p, end.due), &decide)
            .expect("decided")
            .expect("handed over");
        assert_eq!(
            ended.state,
            State::Exited {
                reason: ExitReason::HandedOver
            }
        );
        let work = ended.handover.expect("handover work");
        assert_eq!(work.decided, Some(to_jobcentre()));
        assert!(work.purpose().contains("Jobcentre"));
        assert_eq!(ended.timers, Some(Vec::new()));
        // A closed journey has nothing more to hand over.
        assert!(
            end_support(&ended.journey, &end, step(&p, end.due), &decide)
                .expect("decided")
                .is_none()
        );
    }

    #[test]
    fn a_handover_the_plugin_cannot_decide_still_closes_and_goes_to_a_person() {
        let decide = Fixed {
            timers: vec![],
            contact: None,
            handover: None,
        };
        let p = Programme::ConnectToWork;
        let out = started(&decide, &p);
        let done = record(
            &out.journey,
            &[],
            Event::Exited {
                at: d(2026, 6, 1),
                reason: ExitReason::Completed,
            },
            step(&p, d(2026, 6, 1)),
            &decide,
        )
        .expect("exit");
        assert!(done.state.is_closed());
        assert_eq!(done.reviews[0].hook, "handover");
        let work = done.handover.expect("work");
        assert_eq!(work.decided, None);
        assert!(work.purpose().contains("review queue"));
    }
}
