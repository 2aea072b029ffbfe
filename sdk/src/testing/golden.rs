//! Golden cases: a plugin's promised decisions, written down as data.
//!
//! A golden file is a JSON list of cases shipped beside the plugin's `Cargo.toml`
//! (`golden.json`). `cargo test` runs it natively with [`run_golden`]; the host
//! runs the same file against the built component when the plugin is checked or
//! uploaded, so the wasm must decide exactly as the native code did. Field names
//! are the contract's, as the host's `contract.rs` spells them.
//!
//! ```json
//! [
//!   {
//!     "name": "an adult in ST4 is accepted",
//!     "hook": "eligibility",
//!     "settings": {},
//!     "input": { "route": "jobcentre", "age": 30, "postcode_district": "ST4",
//!                "in_work": false, "on_universal_credit": false,
//!                "known_to_health_services": false, "on_other_programme": false,
//!                "cohorts": [] },
//!     "as_of": "2026-01-05",
//!     "bank_holidays": [],
//!     "expect": { "outcome": "accept", "rules": ["eligible"] }
//!   }
//! ]
//! ```
//!
//! - `hook`: `eligibility` (input: a referral), or `plan`, `missed_contact`,
//!   `handover` (input: a journey). Every input field is required, as the host
//!   requires it; optional dates may be `null` or left out.
//! - `settings` (optional, default `{}`): the council's settings object.
//! - `bank_holidays` (optional): the case's calendar is Monday to Friday less
//!   these dates, whatever the council's real calendar, so a case decides the
//!   same everywhere.
//! - `expect`: every field optional, each a check (see [`Expect`]). Whatever is
//!   expected, the contract's own rules are always checked: reasons with rule ids,
//!   timers strictly after `as_of`, at most [`MAX_TIMERS`] timers.

use std::collections::BTreeSet;
use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::calendar::Window;
use crate::convert::date_to_wit;
use crate::export::__private;
use crate::{
    ContactDecision, ContactStep, Date, Destination, Eligibility, Handover, Journey, Outcome, Plan,
    Policy, Reason, Referral, TimerKind,
};

/// The most timers the host accepts in one plan by default (its `max_timers` limit).
pub const MAX_TIMERS: usize = 200;

/// One golden case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows, in plain English; failures are reported by it.
    pub name: String,
    pub hook: Hook,
    /// The council's settings; `{}` (the default) means the plugin's defaults.
    #[serde(default)]
    pub settings: Map<String, Value>,
    /// A referral for `eligibility`, a journey for the other hooks.
    pub input: Value,
    pub as_of: Date,
    /// Dates that are not working days in this case, besides weekends.
    #[serde(default)]
    pub bank_holidays: Vec<Date>,
    pub expect: Expect,
}

/// The hook a case calls, named as in the host's decision log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    Eligibility,
    Plan,
    MissedContact,
    Handover,
}

impl Hook {
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Eligibility => "eligibility",
            Hook::Plan => "plan",
            Hook::MissedContact => "missed_contact",
            Hook::Handover => "handover",
        }
    }
}

/// What a case expects. Every field is optional; a field that does not apply to
/// the case's hook is itself reported as a problem, so a mistyped case cannot
/// pass by checking nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Expect {
    /// The hook refuses to decide with an error containing this text. When set,
    /// no other field may be.
    pub error: Option<String>,
    /// eligibility: the outcome.
    pub outcome: Option<Outcome>,
    /// eligibility: whether a signpost is given.
    pub signpost: Option<bool>,
    /// Any hook: rule ids that must each appear among the reasons.
    pub rules: Vec<String>,
    /// plan: exactly these timers (kind and due date), in any order.
    pub timers: Option<Vec<ExpectedTimer>>,
    /// plan: timers that must be among the plan's (others may be there too).
    pub timers_include: Vec<ExpectedTimer>,
    /// plan: kinds no timer may have.
    pub timers_exclude_kinds: Vec<TimerKind>,
    /// missed_contact: the step.
    pub step: Option<Step>,
    /// missed_contact: the due date of the outreach attempt.
    pub outreach_due: Option<Date>,
    /// handover: where to.
    pub destination: Option<Destination>,
    /// handover: items that must be in the pack, word for word.
    pub pack_includes: Vec<String>,
}

/// A timer as a case names it: what and when (the purpose is free text).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExpectedTimer {
    pub kind: TimerKind,
    pub due: Date,
}

impl fmt::Display for ExpectedTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.kind.as_str(), self.due)
    }
}

/// The step after a missed contact, as a case names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Outreach,
    DisengagedExit,
}

/// A hook's answer, whichever hook it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Eligibility(Eligibility),
    Plan(Plan),
    ContactDecision(ContactDecision),
    Handover(Handover),
}

/// Parses a golden file. An empty list is an error: a golden file that checks
/// nothing is a mistake, not a pass.
pub fn parse(json: &str) -> Result<Vec<Case>, String> {
    let cases: Vec<Case> =
        serde_json::from_str(json).map_err(|e| format!("not a golden file: {e}"))?;
    if cases.is_empty() {
        return Err("the golden file has no cases".to_owned());
    }
    Ok(cases)
}

impl Case {
    /// Everything wrong with `answer` for this case: unmet expectations and broken
    /// contract rules. Empty when the case holds. `Err` is the hook's refusal text.
    pub fn check(&self, answer: &Result<Answer, String>) -> Vec<String> {
        let mut problems = self.misplaced_expectations();
        let expect = &self.expect;
        match (answer, &expect.error) {
            (Err(message), Some(wanted)) => {
                if !message.contains(wanted.as_str()) {
                    problems.push(format!(
                        "expected an error containing {wanted:?}, got the error {message:?}"
                    ));
                }
            }
            (Err(message), None) => problems.push(format!("the hook refused: {message}")),
            (Ok(answer), Some(wanted)) => problems.push(format!(
                "expected an error containing {wanted:?}, got {}",
                summary(answer)
            )),
            (Ok(answer), None) => {
                self.check_contract(answer, &mut problems);
                self.check_expected(answer, &mut problems);
            }
        }
        problems
    }

    /// Expectations that make no sense for the hook, or beside an expected error.
    fn misplaced_expectations(&self) -> Vec<String> {
        let e = &self.expect;
        let set: [(&str, bool, Hook); 9] = [
            ("outcome", e.outcome.is_some(), Hook::Eligibility),
            ("signpost", e.signpost.is_some(), Hook::Eligibility),
            ("timers", e.timers.is_some(), Hook::Plan),
            ("timers_include", !e.timers_include.is_empty(), Hook::Plan),
            (
                "timers_exclude_kinds",
                !e.timers_exclude_kinds.is_empty(),
                Hook::Plan,
            ),
            ("step", e.step.is_some(), Hook::MissedContact),
            (
                "outreach_due",
                e.outreach_due.is_some(),
                Hook::MissedContact,
            ),
            ("destination", e.destination.is_some(), Hook::Handover),
            ("pack_includes", !e.pack_includes.is_empty(), Hook::Handover),
        ];
        let mut problems = Vec::new();
        for (field, is_set, hook) in set {
            if !is_set {
                continue;
            }
            if hook != self.hook {
                problems.push(format!(
                    "`expect.{field}` applies to {} cases, not {}",
                    hook.as_str(),
                    self.hook.as_str()
                ));
            } else if e.error.is_some() {
                problems.push(format!(
                    "`expect.{field}` cannot be checked beside `expect.error`"
                ));
            }
        }
        if e.error.is_some() && !e.rules.is_empty() {
            problems.push("`expect.rules` cannot be checked beside `expect.error`".to_owned());
        }
        problems
    }

    /// The contract's rules, as the host enforces them on every answer.
    fn check_contract(&self, answer: &Answer, problems: &mut Vec<String>) {
        if reasons(answer).is_empty() {
            problems.push("the answer gives no reasons; every decision must say why".to_owned());
        }
        for blank in reasons(answer).iter().filter(|r| r.rule.trim().is_empty()) {
            problems.push(format!("the reason {:?} has no rule id", blank.text));
        }
        let timers: Vec<&crate::Timer> = match answer {
            Answer::Plan(plan) => plan.timers.iter().collect(),
            Answer::ContactDecision(ContactDecision {
                step: ContactStep::Outreach { timer },
                ..
            }) => vec![timer],
            _ => Vec::new(),
        };
        if timers.len() > MAX_TIMERS {
            problems.push(format!(
                "the plan asks for {} timers, more than the {MAX_TIMERS} a plan may have",
                timers.len()
            ));
        }
        for timer in timers.into_iter().filter(|t| t.due <= self.as_of) {
            problems.push(format!(
                "the {} timer is due {}, not after the as-of date {}",
                timer.kind.as_str(),
                timer.due,
                self.as_of
            ));
        }
    }

    fn check_expected(&self, answer: &Answer, problems: &mut Vec<String>) {
        let e = &self.expect;
        let given: BTreeSet<&str> = reasons(answer).iter().map(|r| r.rule.as_str()).collect();
        for rule in &e.rules {
            if !given.contains(rule.as_str()) {
                problems.push(format!(
                    "expected a reason with rule {rule:?}; rules given: {given:?}"
                ));
            }
        }
        match answer {
            Answer::Eligibility(eligibility) => {
                if let Some(outcome) = e.outcome
                    && outcome != eligibility.outcome
                {
                    problems.push(format!(
                        "expected outcome {}, got {}",
                        outcome_name(outcome),
                        outcome_name(eligibility.outcome)
                    ));
                }
                if let Some(wanted) = e.signpost
                    && wanted != eligibility.signpost.is_some()
                {
                    problems.push(if wanted {
                        "expected a signpost, got none".to_owned()
                    } else {
                        format!("expected no signpost, got {:?}", eligibility.signpost)
                    });
                }
            }
            Answer::Plan(plan) => {
                let mut got: Vec<ExpectedTimer> = plan
                    .timers
                    .iter()
                    .map(|t| ExpectedTimer {
                        kind: t.kind,
                        due: t.due,
                    })
                    .collect();
                got.sort();
                if let Some(wanted) = &e.timers {
                    let mut wanted = wanted.clone();
                    wanted.sort();
                    if wanted != got {
                        problems.push(format!(
                            "expected exactly the timers [{}], got [{}]",
                            list(&wanted),
                            list(&got)
                        ));
                    }
                }
                for timer in e.timers_include.iter().filter(|t| !got.contains(t)) {
                    problems.push(format!("expected a timer {timer}, got [{}]", list(&got)));
                }
                for kind in &e.timers_exclude_kinds {
                    if let Some(timer) = got.iter().find(|t| t.kind == *kind) {
                        problems.push(format!("expected no {} timer, got {timer}", kind.as_str()));
                    }
                }
            }
            Answer::ContactDecision(decision) => {
                let (step, due) = match &decision.step {
                    ContactStep::Outreach { timer } => (Step::Outreach, Some(timer.due)),
                    ContactStep::DisengagedExit => (Step::DisengagedExit, None),
                };
                if let Some(wanted) = e.step
                    && wanted != step
                {
                    problems.push(format!(
                        "expected the step {}, got {}",
                        step_name(wanted),
                        step_name(step)
                    ));
                }
                if let Some(wanted) = e.outreach_due
                    && Some(wanted) != due
                {
                    problems.push(match due {
                        Some(due) => format!("expected outreach due {wanted}, got {due}"),
                        None => format!("expected outreach due {wanted}, got a disengaged exit"),
                    });
                }
            }
            Answer::Handover(handover) => {
                if let Some(wanted) = e.destination
                    && wanted != handover.destination
                {
                    problems.push(format!(
                        "expected destination {}, got {}",
                        destination_name(wanted),
                        destination_name(handover.destination)
                    ));
                }
                for item in e
                    .pack_includes
                    .iter()
                    .filter(|i| !handover.pack.contains(i))
                {
                    problems.push(format!(
                        "expected {item:?} in the pack, got {:?}",
                        handover.pack
                    ));
                }
            }
        }
    }
}

/// Why a golden file did not pass.
#[derive(Clone, PartialEq, Eq)]
pub enum GoldenFailure {
    /// The text is not a golden file; no case was run.
    Unreadable(String),
    /// These cases did not hold; the others did.
    Failed {
        /// How many cases ran.
        ran: usize,
        failures: Vec<CaseFailure>,
    },
}

/// One case that did not hold, and everything wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    /// 1-based, as people count cases in a file.
    pub number: usize,
    pub name: String,
    pub problems: Vec<String>,
}

impl fmt::Display for GoldenFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoldenFailure::Unreadable(why) => f.write_str(why),
            GoldenFailure::Failed { ran, failures } => {
                write!(f, "{} of {ran} golden cases failed:", failures.len())?;
                for failure in failures {
                    write!(f, "\n  case {} ({:?}):", failure.number, failure.name)?;
                    for problem in &failure.problems {
                        write!(f, "\n    - {problem}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The same text as `Display`: a test that returns `Result<(), GoldenFailure>`
/// prints its error with `Debug`, and a list of problems reads better unescaped.
impl fmt::Debug for GoldenFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for GoldenFailure {}

/// Runs every case of a golden file against policy `P`, natively, through the
/// same settings parsing and conversions a built plugin uses. Every case runs;
/// the failure lists each one that did not hold and why.
///
/// ```ignore
/// #[test]
/// fn golden_cases_hold() -> Result<(), waymark_sdk::testing::GoldenFailure> {
///     waymark_sdk::testing::run_golden::<MyPolicy>(include_str!("../golden.json"))
/// }
/// ```
pub fn run_golden<P: Policy>(json: &str) -> Result<(), GoldenFailure> {
    let cases = parse(json).map_err(GoldenFailure::Unreadable)?;
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let holidays = case.bank_holidays.iter().copied().collect();
        let problems = match super::with_exactly(holidays, || call::<P>(case)) {
            Ok(answer) => case.check(&answer),
            Err(bad_input) => vec![bad_input],
        };
        if !problems.is_empty() {
            failures.push(CaseFailure {
                number: index + 1,
                name: case.name.clone(),
                problems,
            });
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(GoldenFailure::Failed {
            ran: cases.len(),
            failures,
        })
    }
}

/// Calls the case's hook through the export glue. The outer `Err` is a case whose
/// input does not fit its hook; the inner one is the hook's refusal.
fn call<P: Policy>(case: &Case) -> Result<Result<Answer, String>, String> {
    let settings = Value::Object(case.settings.clone()).to_string();
    let as_of = date_to_wit(case.as_of);
    let calendar = Window::for_tests(case.as_of);
    Ok(match case.hook {
        Hook::Eligibility => {
            let referral: Referral = input(case, "a referral")?;
            __private::eligibility::<P>(settings, (&referral).into(), as_of, calendar)
                .map(|e| Answer::Eligibility(e.into()))
        }
        Hook::Plan => {
            let journey: Journey = input(case, "a journey")?;
            __private::plan::<P>(settings, (&journey).into(), as_of, calendar)
                .and_then(Plan::try_from)
                .map(Answer::Plan)
        }
        Hook::MissedContact => {
            let journey: Journey = input(case, "a journey")?;
            __private::missed_contact::<P>(settings, (&journey).into(), as_of, calendar)
                .and_then(ContactDecision::try_from)
                .map(Answer::ContactDecision)
        }
        Hook::Handover => {
            let journey: Journey = input(case, "a journey")?;
            __private::handover::<P>(settings, (&journey).into(), as_of, calendar)
                .map(|h| Answer::Handover(h.into()))
        }
    })
}

fn input<T: DeserializeOwned>(case: &Case, what: &str) -> Result<T, String> {
    T::deserialize(&case.input).map_err(|e| {
        format!(
            "the input of a {} case must be {what}: {e}",
            case.hook.as_str()
        )
    })
}

fn reasons(answer: &Answer) -> &[Reason] {
    match answer {
        Answer::Eligibility(e) => &e.reasons,
        Answer::Plan(p) => &p.reasons,
        Answer::ContactDecision(d) => &d.reasons,
        Answer::Handover(h) => &h.reasons,
    }
}

/// A short description of an answer for "expected an error, got ...".
fn summary(answer: &Answer) -> String {
    match answer {
        Answer::Eligibility(e) => format!("the outcome {}", outcome_name(e.outcome)),
        Answer::Plan(p) => format!("a plan of {} timers", p.timers.len()),
        Answer::ContactDecision(d) => match d.step {
            ContactStep::Outreach { .. } => "an outreach attempt".to_owned(),
            ContactStep::DisengagedExit => "a disengaged exit".to_owned(),
        },
        Answer::Handover(h) => format!("a handover to {}", destination_name(h.destination)),
    }
}

fn list(timers: &[ExpectedTimer]) -> String {
    timers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Accept => "accept",
        Outcome::Waitlist => "waitlist",
        Outcome::Decline => "decline",
    }
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Outreach => "outreach",
        Step::DisengagedExit => "disengaged_exit",
    }
}

fn destination_name(destination: Destination) -> &'static str {
    match destination {
        Destination::Jobcentre => "jobcentre",
        Destination::NhsTalkingTherapies => "nhs_talking_therapies",
        Destination::CouncilProvision => "council_provision",
        Destination::Employer => "employer",
    }
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use serde::Deserialize;

    use super::*;
    use crate::{PolicyError, TimerKind, calendar};

    /// A small policy to run golden files against: accepts adults, reviews a week
    /// after the start (on a working day), refuses a started journey with no start.
    struct Weekly;

    #[derive(Default, Deserialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct Settings {
        /// Added to the minimum age of 18.
        extra_years: u32,
    }

    impl Policy for Weekly {
        type Settings = Settings;

        fn eligibility(s: &Settings, r: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
            let reason = Reason::new("age.minimum", "18 or over");
            Ok(if r.age >= 18 + s.extra_years {
                Eligibility::accept([reason])
            } else {
                Eligibility::decline([reason], "The National Careers Service")
            })
        }

        fn plan(_: &Settings, j: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
            let start = j.started_on.ok_or("a started journey has no start date")?;
            let review = calendar::next_working_day_from(calendar::add_days(start, 7)?)?;
            Ok(Plan::after(as_of)
                .timer(TimerKind::Review, review, "Weekly review")
                .reason("cadence.review", "Weekly")
                .build())
        }

        fn missed_contact(
            _: &Settings,
            _: &Journey,
            as_of: Date,
        ) -> Result<ContactDecision, PolicyError> {
            let due = calendar::add_days(as_of, 7)?;
            Ok(ContactDecision::outreach(
                crate::Timer::new(TimerKind::Outreach, due, "Call"),
                [Reason::new("outreach.attempts", "Try again in a week")],
            ))
        }

        fn handover(_: &Settings, _: &Journey, _: Date) -> Result<Handover, PolicyError> {
            Ok(Handover::new(
                Destination::Jobcentre,
                ["Action plan".to_owned()],
                [],
            ))
        }
    }

    const REFERRAL: &str = r#"{"route": "self", "age": 17, "postcode_district": "ST4",
        "in_work": false, "on_universal_credit": true, "known_to_health_services": false,
        "on_other_programme": false, "cohorts": ["carer"]}"#;
    const JOURNEY: &str = r#"{"stage": "started", "track": "out_of_work",
        "referred_on": "2026-03-30", "started_on": "2026-03-30", "job_started_on": null,
        "missed_contacts": 0, "employer_health_consent": false, "mental_health_needs": false}"#;

    fn file(cases: &[String]) -> String {
        format!("[{}]", cases.join(","))
    }

    fn case(hook: &str, input: &str, extra: &str, expect: &str) -> String {
        format!(
            r#"{{"name": "{hook} case", "hook": "{hook}", "input": {input},
                "as_of": "2026-03-30"{extra}, "expect": {expect}}}"#
        )
    }

    #[test]
    fn passing_cases_pass() {
        let json = file(&[
            case(
                "eligibility",
                REFERRAL,
                "",
                r#"{"outcome": "decline", "signpost": true, "rules": ["age.minimum"]}"#,
            ),
            // 6 April 2026 is Easter Monday: the review moves to Tuesday.
            case(
                "plan",
                JOURNEY,
                r#", "bank_holidays": ["2026-04-06"]"#,
                r#"{"timers": [{"kind": "review", "due": "2026-04-07"}]}"#,
            ),
            case(
                "missed_contact",
                JOURNEY,
                "",
                r#"{"step": "outreach", "outreach_due": "2026-04-06"}"#,
            ),
        ]);
        run_golden::<Weekly>(&json).expect("all cases hold");
    }

    #[test]
    fn a_wrong_expectation_names_the_case_and_the_difference() {
        let json = file(&[
            case("eligibility", REFERRAL, "", r#"{"outcome": "decline"}"#),
            case("eligibility", REFERRAL, "", r#"{"outcome": "accept"}"#),
        ]);
        let failure = run_golden::<Weekly>(&json).unwrap_err();
        let text = failure.to_string();
        assert!(text.starts_with("1 of 2 golden cases failed:"), "{text}");
        assert!(text.contains("case 2 (\"eligibility case\")"), "{text}");
        assert!(
            text.contains("expected outcome accept, got decline"),
            "{text}"
        );
    }

    #[test]
    fn settings_reach_the_policy_and_bad_ones_are_named() {
        let adult = REFERRAL.replace(r#""age": 17"#, r#""age": 19"#);
        let json = file(&[
            case(
                "eligibility",
                &adult,
                r#", "settings": {"extra_years": 2}"#,
                r#"{"outcome": "decline"}"#,
            ),
            case(
                "eligibility",
                &adult,
                r#", "settings": {"extra_years": "two"}"#,
                r#"{"error": "invalid setting `extra_years`"}"#,
            ),
        ]);
        run_golden::<Weekly>(&json).expect("all cases hold");
    }

    #[test]
    fn contract_breaches_fail_even_when_not_expected() {
        // The handover gives no reasons.
        let json = file(&[case("handover", JOURNEY, "", "{}")]);
        let text = run_golden::<Weekly>(&json).unwrap_err().to_string();
        assert!(text.contains("gives no reasons"), "{text}");
    }

    #[test]
    fn a_refusal_is_a_failure_unless_expected() {
        let unstarted = JOURNEY.replace(r#""started_on": "2026-03-30""#, r#""started_on": null"#);
        let json = file(&[case("plan", &unstarted, "", "{}")]);
        let text = run_golden::<Weekly>(&json).unwrap_err().to_string();
        assert!(
            text.contains("the hook refused: a started journey has no start date"),
            "{text}"
        );
        let json = file(&[case(
            "plan",
            &unstarted,
            "",
            r#"{"error": "no start date"}"#,
        )]);
        run_golden::<Weekly>(&json).expect("the refusal was expected");
    }

    #[test]
    fn a_misplaced_or_misspelt_expectation_is_reported() {
        let json = file(&[case("plan", JOURNEY, "", r#"{"outcome": "accept"}"#)]);
        let text = run_golden::<Weekly>(&json).unwrap_err().to_string();
        assert!(
            text.contains("`expect.outcome` applies to eligibility cases, not plan"),
            "{text}"
        );
        let json = file(&[case("plan", JOURNEY, "", r#"{"timerz": []}"#)]);
        let failure = run_golden::<Weekly>(&json).unwrap_err();
        assert!(matches!(failure, GoldenFailure::Unreadable(_)), "{failure}");
        assert!(failure.to_string().contains("timerz"), "{failure}");
    }

    #[test]
    fn an_input_that_does_not_fit_its_hook_is_reported() {
        let json = file(&[case("plan", REFERRAL, "", "{}")]);
        let text = run_golden::<Weekly>(&json).unwrap_err().to_string();
        assert!(
            text.contains("the input of a plan case must be a journey"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_file_is_not_a_pass() {
        let failure = run_golden::<Weekly>("[]").unwrap_err();
        assert_eq!(failure.to_string(), "the golden file has no cases");
    }
}
