//! Runs a cohort through the workflow core on a simulated calendar.
//!
//! Day by day from the first referral: timers due that day fire first (as the
//! daemon's scheduler would at the council's reminder time, before anything a
//! caseworker records that day): plain reminders become actions, and a timer that
//! ends support is decided by `journey::workflow::end_support`, as the daemon does.
//! Then the day's referrals and life events are applied with `workflow::refer` and
//! `workflow::record` — the same functions the daemon's caseload calls, so outreach,
//! disengaged exits, handovers, consent and the programme's end are decided in one
//! place. Nothing sleeps, nothing touches the store or HTTP: the same cohort, plugin
//! and settings always give the same run.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Serialize;

use super::cohort::CohortMember;
use crate::council::CouncilId;
use crate::journey::workflow::{self, Outcome, Sandboxed, Step, ends_support};
use crate::journey::{Event, Journey, JourneyError, ParticipantId, Programme, State};
use crate::policy::{CallContext, Destination, PlannedTimer, Plugin, Reason, TimerKind};
use crate::store::DecisionRecord;

/// What a simulation runs with.
pub struct Setup<'a> {
    pub plugin: Arc<Plugin>,
    pub context: CallContext,
    pub programme: Programme,
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

/// A fired timer or a decided handover, as the outbox would hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    pub member: usize,
    pub kind: TimerKind,
    /// The day it is due (and fires).
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
    /// Pending timers, as the workflow last left them.
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
            sim.fire(&mut run, i, member, day);
        }
        // 2. Today's referrals.
        for &i in referrals.get(&day).map(Vec::as_slice).unwrap_or_default() {
            members[i] = Some(sim.refer(&mut run, i, day));
        }
        // 3. Today's life events.
        for (i, slot) in members.iter_mut().enumerate() {
            let Some(member) = slot else { continue };
            while let Some(event) = member.spec.life.get(member.next_event) {
                let event = Event::from(event.clone());
                if event.at() > day {
                    break;
                }
                member.next_event += 1;
                sim.live(&mut run, i, member, event);
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

/// Decisions are stamped with the simulated day (no wall clock: runs repeat exactly).
fn stamp(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

impl<'a> Simulator<'_, 'a> {
    fn step(&self, as_of: NaiveDate) -> Step<'_> {
        Step {
            programme: &self.setup.programme,
            as_of,
            now: stamp(as_of),
        }
    }

    fn decide<T>(&self, f: impl FnOnce(&Sandboxed<'_>) -> T) -> T {
        let observe = |_: &'static str, _, _| {};
        f(&Sandboxed {
            plugin: Some(&self.setup.plugin),
            context: &self.setup.context,
            observe: &observe,
        })
    }

    /// Counts what one workflow step decided and keeps its journey and timers.
    fn apply(&self, run: &mut Run, index: usize, member: &mut Member<'_>, out: Outcome) {
        for rec in &out.decisions {
            self.trace(run, member.spec, rec);
        }
        for review in &out.reviews {
            *run.human_review.entry(review.hook).or_default() += 1;
        }
        if let Some(work) = &out.handover {
            let destination = match &work.decided {
                Some(h) => destination_name(h.destination),
                None => "human_review",
            };
            *run.handovers.entry(destination.to_owned()).or_default() += 1;
            run.fired.push(Fired {
                member: index,
                kind: TimerKind::Handover,
                on: work.due,
            });
        }
        member.journey = out.journey;
        if let Some(timers) = out.timers {
            member.pending = timers;
        }
    }

    fn trace(&self, run: &mut Run, member: &CohortMember, rec: &DecisionRecord) {
        run.plugin_calls += 1;
        run.fuel_used += rec.fuel_used;
        let hook = hook_name(&rec.hook);
        if hook == "plan"
            && rec
                .reasons
                .iter()
                .any(|r| r.rule == "host.consent.employer_contact")
        {
            run.employer_work_withheld += 1;
        }
        let (answer, reasons) = match (&rec.output, &rec.error) {
            (Some(output), None) => (summary(hook, output), rec.reasons.clone()),
            (_, error) => (
                "human_review".to_owned(),
                vec![Reason {
                    rule: "host.human_review".to_owned(),
                    text: error.clone().unwrap_or_default(),
                }],
            ),
        };
        run.decisions.push(DecisionTrace {
            member: member.id.clone(),
            hook,
            on: rec.as_of.unwrap_or_default(),
            answer,
            reasons,
        });
    }

    /// Timers due today fire: reminders first, then any that end support.
    fn fire(&self, run: &mut Run, index: usize, member: &mut Member<'_>, day: NaiveDate) {
        let mut due: Vec<PlannedTimer> = member
            .pending
            .iter()
            .filter(|t| t.due <= day)
            .cloned()
            .collect();
        if due.is_empty() {
            return;
        }
        due.sort_by_key(|t| (ends_support(t.kind), t.due));
        member.pending.retain(|t| t.due > day);
        for timer in due {
            if !ends_support(timer.kind) {
                run.fired.push(Fired {
                    member: index,
                    kind: timer.kind,
                    on: timer.due,
                });
                continue;
            }
            let ended = self.decide(|decide| {
                workflow::end_support(&member.journey, &timer, self.step(timer.due), decide)
            });
            if let Ok(Some(out)) = ended {
                self.apply(run, index, member, out);
            }
        }
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
            journey: journey.clone(),
            pending: Vec::new(),
            next_event: 0,
        };
        match spec.referral.facts(day) {
            Ok(facts) => {
                let referred =
                    self.decide(|decide| workflow::refer(journey, &facts, self.step(day), decide));
                if let Ok(out) = referred {
                    self.apply(run, index, &mut member, out);
                }
            }
            Err(e) => {
                // The cohort's data is not a valid referral: a person would have to
                // look at it, as the daemon refuses it.
                *run.human_review.entry("eligibility").or_default() += 1;
                if let Ok((j, _)) = member.journey.record(Event::SentForReview {
                    at: day,
                    hook: "eligibility".into(),
                    error: e.to_string(),
                }) {
                    member.journey = j;
                }
            }
        }
        member
    }

    /// Records a life event; what the journey does not allow is skipped and counted.
    fn live(&self, run: &mut Run, index: usize, member: &mut Member<'_>, event: Event) {
        let name = event.name();
        let at = event.at();
        let recorded: Result<Outcome, JourneyError> = self.decide(|decide| {
            workflow::record(
                &member.journey,
                &member.pending,
                event,
                self.step(at),
                decide,
            )
        });
        match recorded {
            Ok(out) => self.apply(run, index, member, out),
            Err(_) => *run.skipped_events.entry(name).or_default() += 1,
        }
    }
}

fn hook_name(hook: &str) -> &'static str {
    match hook {
        "eligibility" => "eligibility",
        "plan" => "plan",
        "missed_contact" => "missed_contact",
        "handover" => "handover",
        _ => "other",
    }
}

/// A short summary of a recorded answer, for comparing runs.
fn summary(hook: &str, output: &serde_json::Value) -> String {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    match hook {
        "eligibility" => text(&output["outcome"]),
        "plan" => format!("{} timers", output["timers"].as_array().map_or(0, Vec::len)),
        "missed_contact" => match output["step"]["step"].as_str() {
            Some("outreach") => format!("outreach {}", text(&output["step"]["timer"]["due"])),
            other => other.unwrap_or_default().to_owned(),
        },
        "handover" => text(&output["destination"]),
        _ => String::new(),
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
