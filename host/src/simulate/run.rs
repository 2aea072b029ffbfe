//! Runs a cohort through the real journey and policy code on a simulated calendar.
//!
//! Day by day from the first referral: timers due that day fire first (as the
//! daemon's scheduler would, before anything a caseworker records that day), then
//! the day's referrals are decided and the day's life events recorded, each followed
//! by a fresh plan from the council's plugin, filtered by the participant's consent
//! exactly as the daemon filters it (`Consents::allowed_timers`). Nothing sleeps, nothing touches the
//! store or HTTP: the same cohort, plugin and settings always give the same run.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use super::cohort::CohortMember;
use crate::council::CouncilId;
use crate::journey::{Event, ExitReason, Journey, ParticipantId, State};
use crate::policy::{
    CallContext, ContactStep, Decision, DecisionError, Destination, Outcome, PlannedTimer, Plugin,
    Reason, TimerKind,
};

/// What a simulation runs with.
pub struct Setup<'a> {
    pub plugin: Arc<Plugin>,
    pub context: CallContext,
    pub cohort: &'a [CohortMember],
    /// How long to simulate, from the earliest referral.
    pub months: u32,
}

/// One plugin decision of a run, by whom it was about and when, for comparing runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionTrace {
    pub member: String,
    pub hook: &'static str,
    pub on: NaiveDate,
    /// A short summary of the answer (`accept`, `4 timers`, `outreach 2026-03-02`…),
    /// or `human_review` when the plugin gave no usable answer.
    pub answer: String,
    pub reasons: Vec<Reason>,
}

/// A fired timer, as the outbox would hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    pub member: usize,
    pub kind: TimerKind,
    pub on: NaiveDate,
}

/// Everything a run produced, before it is summarised into a report.
#[derive(Debug, Default)]
pub struct Run {
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub fired: Vec<Fired>,
    pub decisions: Vec<DecisionTrace>,
    /// Decisions that went to human review, by hook.
    pub human_review: BTreeMap<&'static str, u64>,
    pub handovers: BTreeMap<String, u64>,
    /// Life events the journey did not allow when they came, by event name.
    pub skipped_events: BTreeMap<&'static str, u64>,
    /// Final state of each member, by state name.
    pub final_states: BTreeMap<String, u64>,
    /// Per member: start date, job start date, key worker.
    pub starts: Vec<Option<NaiveDate>>,
    pub job_starts: Vec<Option<NaiveDate>>,
    pub key_workers: Vec<u32>,
    /// Active participants per key worker, sampled each Monday: (week start, key worker) → count.
    pub caseload: BTreeMap<(NaiveDate, u32), u32>,
    pub fuel_used: u64,
    pub plugin_calls: u64,
    /// Plans from which the host withheld employer work for want of consent.
    pub employer_work_withheld: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    #[error("the simulation period is empty: give --months of at least 1")]
    NoMonths,
    #[error("the simulation runs past the end of the calendar (year 9999)")]
    OutOfRange,
}

/// A member's journey while the run goes on.
struct Member<'a> {
    spec: &'a CohortMember,
    journey: Journey,
    /// Pending timers, replaced by each new plan.
    pending: Vec<PlannedTimer>,
    /// Index of the next life event to record.
    next_event: usize,
}

/// Runs the cohort; `progress` is told each simulated month as it completes.
pub fn run(setup: &Setup<'_>, mut progress: impl FnMut(u32, u32)) -> Result<Run, SimulationError> {
    if setup.months == 0 {
        return Err(SimulationError::NoMonths);
    }
    let council: CouncilId = "simulation"
        .parse()
        .map_err(|_| SimulationError::OutOfRange)?;
    let Some(first) = setup.cohort.iter().map(|m| m.referred_on).min() else {
        return Ok(Run::default());
    };
    let last = first
        .checked_add_months(Months::new(setup.months))
        .ok_or(SimulationError::OutOfRange)?;

    // Referrals by day, in cohort order, so the run does not depend on hashing.
    let mut referrals: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (i, m) in setup.cohort.iter().enumerate() {
        referrals.entry(m.referred_on).or_default().push(i);
    }

    let mut run = Run {
        first_day: Some(first),
        last_day: Some(last),
        starts: vec![None; setup.cohort.len()],
        job_starts: vec![None; setup.cohort.len()],
        key_workers: setup.cohort.iter().map(|m| m.key_worker).collect(),
        ..Run::default()
    };
    let mut members: Vec<Option<Member<'_>>> = (0..setup.cohort.len()).map(|_| None).collect();
    let sim = Simulator { setup, council };

    let mut day = first;
    let mut month = 0;
    while day < last {
        // 1. Timers due today fire, in member order.
        for (i, slot) in members.iter_mut().enumerate() {
            let Some(member) = slot else { continue };
            let due: Vec<PlannedTimer> = member
                .pending
                .iter()
                .filter(|t| t.due <= day)
                .cloned()
                .collect();
            if due.is_empty() {
                continue;
            }
            member.pending.retain(|t| t.due > day);
            for timer in due {
                run.fired.push(Fired {
                    member: i,
                    kind: timer.kind,
                    on: day,
                });
                if matches!(timer.kind, TimerKind::Handover | TimerKind::EndOfSupport) {
                    sim.hand_over(&mut run, member, day);
                }
            }
        }
        // 2. Today's referrals.
        for &i in referrals.get(&day).map(Vec::as_slice).unwrap_or_default() {
            members[i] = Some(sim.refer(&mut run, i, day));
        }
        // 3. Today's life events.
        for slot in members.iter_mut() {
            let Some(member) = slot else { continue };
            while let Some(event) = member.spec.life.get(member.next_event) {
                let at = Event::from(event.clone()).at();
                if at > day {
                    break;
                }
                member.next_event += 1;
                sim.live(&mut run, member, Event::from(event.clone()), day);
            }
        }
        // 4. Caseloads, each Monday.
        if day.weekday() == chrono::Weekday::Mon {
            for member in members.iter().flatten() {
                let active = matches!(
                    member.journey.state(),
                    Ok(State::Active { .. } | State::Paused { .. } | State::Outreach { .. })
                );
                if active {
                    *run.caseload
                        .entry((day, member.spec.key_worker))
                        .or_default() += 1;
                }
            }
        }
        let Some(next) = day.succ_opt() else {
            return Err(SimulationError::OutOfRange);
        };
        if next.month() != day.month() {
            month += 1;
            progress(month.min(setup.months), setup.months);
        }
        day = next;
    }
    for (i, member) in members.iter().enumerate() {
        let state = match member {
            Some(m) => m
                .journey
                .state()
                .map(|s| s.name())
                .unwrap_or_else(|e| e.to_string()),
            None => "not yet referred".to_owned(),
        };
        *run.final_states.entry(state).or_default() += 1;
        if let Some(m) = member {
            run.starts[i] = m.journey.started_on();
            run.job_starts[i] = m
                .journey
                .events
                .iter()
                .find_map(|e| matches!(e, Event::JobStarted { .. }).then(|| e.at()));
        }
    }
    Ok(run)
}

struct Simulator<'s, 'a> {
    setup: &'s Setup<'a>,
    council: CouncilId,
}

impl<'a> Simulator<'_, 'a> {
    fn trace<T>(
        &self,
        run: &mut Run,
        member: &CohortMember,
        hook: &'static str,
        on: NaiveDate,
        result: &Result<Decision<T>, DecisionError>,
        summary: impl FnOnce(&T) -> (String, Vec<Reason>),
    ) {
        run.plugin_calls += 1;
        let (answer, reasons) = match result {
            Ok(d) => {
                run.fuel_used += d.fuel_used;
                summary(&d.value)
            }
            Err(e) => {
                *run.human_review.entry(hook).or_default() += 1;
                (
                    "human_review".to_owned(),
                    vec![Reason {
                        rule: "host.human_review".to_owned(),
                        text: e.to_string(),
                    }],
                )
            }
        };
        run.decisions.push(DecisionTrace {
            member: member.id.clone(),
            hook,
            on,
            answer,
            reasons,
        });
    }

    fn refer(&self, run: &mut Run, index: usize, day: NaiveDate) -> Member<'a> {
        let cohort: &'a [CohortMember] = self.setup.cohort;
        let spec = &cohort[index];
        let participant = ParticipantId::from_sequence(index as u128);
        let journey = Journey::refer(
            self.council.clone(),
            participant,
            day,
            spec.referral.clone(),
        );
        let mut member = Member {
            spec,
            journey,
            pending: Vec::new(),
            next_event: 0,
        };
        let event = match spec.referral.facts(day) {
            Ok(facts) => {
                let decided = self
                    .setup
                    .plugin
                    .eligibility(&self.setup.context, &facts, day);
                self.trace(run, spec, "eligibility", day, &decided, |e| {
                    (outcome_name(e.outcome).to_owned(), e.reasons.clone())
                });
                match decided {
                    Ok(d) => Event::EligibilityDecided {
                        at: day,
                        decision: d.value,
                        plugin: d.plugin,
                    },
                    Err(e) => Event::SentForReview {
                        at: day,
                        hook: "eligibility".into(),
                        error: e.to_string(),
                    },
                }
            }
            Err(e) => Event::SentForReview {
                at: day,
                hook: "eligibility".into(),
                error: e.to_string(),
            },
        };
        self.record(run, &mut member, event, day);
        member
    }

    /// Records a life event; what the journey does not allow is skipped and counted.
    fn live(&self, run: &mut Run, member: &mut Member<'_>, event: Event, day: NaiveDate) {
        let missed = matches!(event, Event::ContactMissed { .. });
        if !self.record(run, member, event.clone(), day) {
            *run.skipped_events.entry(event.name()).or_default() += 1;
            return;
        }
        if !missed {
            return;
        }
        let Ok(Some(facts)) = member.journey.facts() else {
            return;
        };
        let decided = self
            .setup
            .plugin
            .missed_contact(&self.setup.context, &facts, day);
        self.trace(
            run,
            member.spec,
            "missed_contact",
            day,
            &decided,
            |c| match &c.step {
                ContactStep::Outreach { timer } => {
                    (format!("outreach {}", timer.due), c.reasons.clone())
                }
                ContactStep::DisengagedExit => ("disengaged_exit".to_owned(), c.reasons.clone()),
            },
        );
        match decided.map(|d| d.value.step) {
            Ok(ContactStep::Outreach { timer }) => member.pending.push(timer),
            Ok(ContactStep::DisengagedExit) => {
                self.record(
                    run,
                    member,
                    Event::Exited {
                        at: day,
                        reason: ExitReason::Disengaged,
                    },
                    day,
                );
            }
            Err(_) => {} // a person decides; the planned reviews stand meanwhile
        }
    }

    /// The end of support: the plugin says where to, and the journey closes.
    fn hand_over(&self, run: &mut Run, member: &mut Member<'_>, day: NaiveDate) {
        let Ok(Some(facts)) = member.journey.facts() else {
            return; // already closed (e.g. a handover and an end of support on one day)
        };
        let decided = self.setup.plugin.handover(&self.setup.context, &facts, day);
        self.trace(run, member.spec, "handover", day, &decided, |h| {
            (
                destination_name(h.destination).to_owned(),
                h.reasons.clone(),
            )
        });
        let destination = match &decided {
            Ok(d) => destination_name(d.value.destination),
            Err(_) => "human_review",
        };
        *run.handovers.entry(destination.to_owned()).or_default() += 1;
        self.record(
            run,
            member,
            Event::Exited {
                at: day,
                reason: ExitReason::HandedOver,
            },
            day,
        );
    }

    /// Appends an event and re-plans; `false` when the journey does not allow it.
    fn record(&self, run: &mut Run, member: &mut Member<'_>, event: Event, day: NaiveDate) -> bool {
        let Ok((journey, _)) = member.journey.record(event) else {
            return false;
        };
        member.journey = journey;
        match member.journey.facts() {
            Ok(Some(facts)) => {
                let planned = self.setup.plugin.plan(&self.setup.context, &facts, day);
                // The host's consent filter, as the daemon applies it: its reason joins
                // the plan's traced reasons, as it joins the daemon's decision record.
                let consents = member.journey.consents();
                let allowed = planned
                    .as_ref()
                    .ok()
                    .map(|p| consents.allowed_timers(&p.value.timers));
                self.trace(run, member.spec, "plan", day, &planned, |p| {
                    let mut reasons = p.reasons.clone();
                    reasons.extend(allowed.as_ref().and_then(|a| a.reason()));
                    (format!("{} timers", p.timers.len()), reasons)
                });
                if let Some(allowed) = allowed {
                    // Outreach attempts come from the missed-contact hook, not the plan:
                    // keep those still pending.
                    let outreach: Vec<PlannedTimer> = member
                        .pending
                        .drain(..)
                        .filter(|t| t.kind == TimerKind::Outreach && t.due > day)
                        .collect();
                    if !allowed.withheld.is_empty() {
                        run.employer_work_withheld += 1;
                    }
                    member.pending = allowed.allowed.into_iter().cloned().collect();
                    for t in outreach {
                        if !member.pending.contains(&t) {
                            member.pending.push(t);
                        }
                    }
                }
            }
            _ => member.pending.clear(), // closed or undecided: nothing is scheduled
        }
        true
    }
}

pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Accept => "accept",
        Outcome::Waitlist => "waitlist",
        Outcome::Decline => "decline",
    }
}

pub fn destination_name(d: Destination) -> &'static str {
    match d {
        Destination::Jobcentre => "jobcentre",
        Destination::NhsTalkingTherapies => "nhs_talking_therapies",
        Destination::CouncilProvision => "council_provision",
        Destination::Employer => "employer",
    }
}
