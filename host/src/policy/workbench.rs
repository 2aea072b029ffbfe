//! The council developer's workbench behind `waymark plugin new | check | test`.
//!
//! - [`scaffold`] copies the plugin template (`examples/plugin-template`, a member
//!   of the workspace, so it always builds and passes its own tests) under a new
//!   name.
//! - [`check`] validates a built component exactly as the daemon does on upload,
//!   then runs the plugin's golden cases in the real sandbox under the given
//!   limits, reporting per case whether it held, what it cost (fuel, peak memory,
//!   time) against the limits, and for a failure the rule ids given and the input.
//!   The cases are judged by waymark-sdk's own golden checks, so a case means the
//!   same natively (`cargo test`) and here.
//! - [`test_crate`] is the whole loop: native `cargo test`, build, check.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::de::DeserializeOwned;
use serde_json::Value;
use waymark_sdk::testing::golden::{self, Answer, Case, Hook};

use super::{
    CallContext, Decision, DecisionError, EngineError, EngineSettings, JourneyFacts, Limits,
    PackageError, Plugin, PluginRejected, Policies, ReferralFacts, build_plugin,
};
use crate::schedule::calendar::WorkingCalendar;

/// Why a workbench command could not finish.
#[derive(Debug, thiserror::Error)]
pub enum WorkbenchError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a limits file: {reason}; write a JSON object of limits, e.g. {{\"fuel\": 1000000}}"
    )]
    Limits { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    Golden { path: PathBuf, reason: String },
    #[error("the plugin would be refused on upload: {0}")]
    Rejected(#[from] PluginRejected),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error("could not run `cargo test`: {0}")]
    Spawn(std::io::Error),
    #[error("the plugin's own tests failed (`cargo test --manifest-path {0}`): fix them first")]
    NativeTests(PathBuf),
}

fn read(path: &Path) -> Result<String, WorkbenchError> {
    std::fs::read_to_string(path).map_err(|source| WorkbenchError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Limits from a JSON file (omitted fields keep their defaults), or the defaults.
pub fn limits_from(path: Option<&Path>) -> Result<Limits, WorkbenchError> {
    let Some(path) = path else {
        return Ok(Limits::default());
    };
    serde_json::from_str(&read(path)?).map_err(|e| WorkbenchError::Limits {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Golden cases from a file, refusing one that checks nothing.
pub fn golden_from(path: &Path) -> Result<Vec<Case>, WorkbenchError> {
    golden::parse(&read(path)?).map_err(|reason| WorkbenchError::Golden {
        path: path.to_owned(),
        reason,
    })
}

/// What `check` found: the plugin against the upload limits, and each golden case.
#[derive(Debug)]
pub struct CheckReport {
    pub size_bytes: usize,
    pub limits: Limits,
    pub digest: String,
    pub contract_version: String,
    pub cases: Vec<CaseReport>,
}

/// One golden case run in the sandbox.
#[derive(Debug)]
pub struct CaseReport {
    /// 1-based, as in the file.
    pub number: usize,
    pub name: String,
    pub hook: Hook,
    /// Empty when the case held.
    pub problems: Vec<String>,
    /// What the decision cost, when the sandbox ran it to an answer or a refusal.
    pub cost: Option<Cost>,
    /// The rule ids the answer gave (empty for a refusal or a failed call).
    pub rules_given: Vec<String>,
    pub input: Value,
}

/// The cost of one decision.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub fuel: u64,
    pub peak_memory_bytes: usize,
    pub elapsed: Duration,
}

impl Cost {
    /// The limits this decision used more than half of: the margin a council
    /// would want to know about before a bigger input breaches one.
    pub fn near_limits(&self, limits: &Limits) -> Vec<&'static str> {
        let over_half = |used: u128, limit: u128| used.saturating_mul(2) > limit;
        let mut near = Vec::new();
        if over_half(u128::from(self.fuel), u128::from(limits.fuel)) {
            near.push("fuel");
        }
        if over_half(self.peak_memory_bytes as u128, limits.memory_bytes as u128) {
            near.push("memory");
        }
        if over_half(self.elapsed.as_micros(), limits.deadline.as_micros()) {
            near.push("deadline");
        }
        near
    }
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.failed() == 0
    }

    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.problems.is_empty()).count()
    }
}

/// Where `check` keeps compiled plugins and functions between runs:
/// `compiled/` in the cache the Python and JavaScript tools are installed in
/// (`$WAYMARK_CACHE`, see `authoring::python::cache_root`). A plugin checked again
/// loads from it; a changed one compiles only the functions that changed.
pub fn compiled_cache() -> PathBuf {
    crate::authoring::python::cache_root().join("compiled")
}

/// Validates `bytes` as an upload would be, then runs `cases` in the sandbox.
pub fn check(bytes: &[u8], limits: Limits, cases: &[Case]) -> Result<CheckReport, WorkbenchError> {
    // A Python or JavaScript plugin gets its language's defaults where `limits` has
    // the Rust ones, as it would on the daemon.
    let limits = limits.for_language(super::Language::of(bytes));
    let settings = EngineSettings {
        pooled_instances: 4,
        cache_dir: Some(compiled_cache()),
        ..EngineSettings::default()
    };
    // The upload checks (size, memory) use `limits`; the settings-schema call made
    // on load gets at least the daemon's default time and fuel, so a tight decision
    // budget being checked is reported per case rather than as a failed load.
    let defaults = Limits::default();
    let upload = Limits {
        fuel: limits.fuel.max(defaults.fuel),
        deadline: limits.deadline.max(defaults.deadline),
        ..limits
    };
    let policies = Policies::new(&settings, upload)?;
    let plugin = policies.load(bytes)?;
    let cases = cases
        .iter()
        .enumerate()
        .map(|(index, case)| run_case(&plugin, &limits, index + 1, case))
        .collect();
    Ok(CheckReport {
        size_bytes: bytes.len(),
        limits,
        digest: plugin.digest().to_string(),
        contract_version: plugin.contract_version().to_owned(),
        cases,
    })
}

/// Native tests, build, then check with the crate's `golden.json` (if it has one).
/// Returns the built component's path and the report.
pub fn test_crate(dir: &Path, limits: Limits) -> Result<(PathBuf, CheckReport), WorkbenchError> {
    let manifest = dir.join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .arg("test")
        .arg("--manifest-path")
        .arg(&manifest)
        .status()
        .map_err(WorkbenchError::Spawn)?;
    if !status.success() {
        return Err(WorkbenchError::NativeTests(manifest));
    }
    let wasm = build_plugin(dir, None)?;
    let bytes = std::fs::read(&wasm).map_err(|source| WorkbenchError::Read {
        path: wasm.clone(),
        source,
    })?;
    let golden_path = dir.join("golden.json");
    let cases = if golden_path.is_file() {
        golden_from(&golden_path)?
    } else {
        Vec::new()
    };
    Ok((wasm.clone(), check(&bytes, limits, &cases)?))
}

fn run_case(plugin: &Plugin, limits: &Limits, number: usize, case: &Case) -> CaseReport {
    let ctx = CallContext {
        settings: Value::Object(case.settings.clone()).to_string(),
        calendar: Arc::new(GoldenCalendar(case.bank_holidays.iter().copied().collect())),
        limits: *limits,
    };
    let mut report = CaseReport {
        number,
        name: case.name.clone(),
        hook: case.hook,
        problems: Vec::new(),
        cost: None,
        rules_given: Vec::new(),
        input: case.input.clone(),
    };
    let decided = decide(plugin, &ctx, case);
    let answer = match decided {
        Err(problem) => {
            report.problems.push(problem);
            return report;
        }
        Ok(Err(DecisionError::PluginRefused { message })) => Err(message),
        Ok(Err(other)) => {
            let mut problem = format!("the decision failed in the sandbox: {other}");
            if let DecisionError::Trap { log, .. } = &other
                && !log.is_empty()
            {
                problem.push_str(&format!("; the plugin logged: {}", log.join(" | ")));
            }
            report.problems.push(problem);
            return report;
        }
        Ok(Ok((answer, cost))) => {
            report.cost = Some(cost);
            Ok(answer)
        }
    };
    report.problems = case.check(&answer);
    if let Ok(answer) = &answer {
        report.rules_given = rules(answer);
    }
    report
}

type Decided = Result<(Answer, Cost), DecisionError>;

/// Calls the case's hook in the sandbox. The outer `Err` is a case whose input
/// does not fit its hook, or an answer the SDK's types cannot hold.
fn decide(plugin: &Plugin, ctx: &CallContext, case: &Case) -> Result<Decided, String> {
    let as_of = case.as_of;
    Ok(match case.hook {
        Hook::Eligibility => {
            let referral: ReferralFacts = input(case, "a referral")?;
            match plugin.eligibility(ctx, &referral, as_of) {
                Ok(d) => {
                    let cost = cost(&d);
                    Ok((Answer::Eligibility(d.value), cost))
                }
                Err(e) => Err(e),
            }
        }
        Hook::Plan => {
            let journey: JourneyFacts = input(case, "a journey")?;
            match plugin.plan(ctx, &journey, as_of) {
                Ok(d) => {
                    let cost = cost(&d);
                    Ok((Answer::Plan(d.value), cost))
                }
                Err(e) => Err(e),
            }
        }
        Hook::MissedContact => {
            let journey: JourneyFacts = input(case, "a journey")?;
            match plugin.missed_contact(ctx, &journey, as_of) {
                Ok(d) => {
                    let cost = cost(&d);
                    Ok((Answer::ContactDecision(d.value), cost))
                }
                Err(e) => Err(e),
            }
        }
        Hook::Handover => {
            let journey: JourneyFacts = input(case, "a journey")?;
            match plugin.handover(ctx, &journey, as_of) {
                Ok(d) => {
                    let cost = cost(&d);
                    Ok((Answer::Handover(d.value), cost))
                }
                Err(e) => Err(e),
            }
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

fn cost<T>(d: &Decision<T>) -> Cost {
    Cost {
        fuel: d.fuel_used,
        peak_memory_bytes: d.peak_memory_bytes,
        elapsed: d.elapsed,
    }
}

fn rules(answer: &Answer) -> Vec<String> {
    let reasons = match answer {
        Answer::Eligibility(e) => &e.reasons,
        Answer::Plan(p) => &p.reasons,
        Answer::ContactDecision(d) => &d.reasons,
        Answer::Handover(h) => &h.reasons,
    };
    reasons.iter().map(|r| r.rule.clone()).collect()
}

/// A golden case's calendar: Monday to Friday less the case's bank holidays,
/// whatever any council's real calendar says, as in the native harness.
struct GoldenCalendar(BTreeSet<NaiveDate>);

impl WorkingCalendar for GoldenCalendar {
    fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.0.contains(&day)
    }
}

/// `12.3 MiB`, `640 KiB`: sizes people read at a glance.
fn size(bytes: usize) -> String {
    const MIB: f64 = (1 << 20) as f64;
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

fn percent(used: f64, limit: f64) -> String {
    if limit <= 0.0 {
        return "-".to_owned();
    }
    format!("{:.1}%", used * 100.0 / limit)
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.limits;
        writeln!(
            f,
            "valid waymark:policy {} component, digest {}",
            self.contract_version, self.digest
        )?;
        writeln!(
            f,
            "  size    {} of {} allowed ({})",
            size(self.size_bytes),
            size(l.max_plugin_bytes),
            percent(self.size_bytes as f64, l.max_plugin_bytes as f64)
        )?;
        if self.cases.is_empty() {
            return writeln!(
                f,
                "no golden cases given: pass --golden golden.json to run them in the sandbox"
            );
        }
        let deadline_us = l.deadline.as_micros() as f64;
        for case in &self.cases {
            let verdict = if case.problems.is_empty() {
                "ok  "
            } else {
                "FAIL"
            };
            write!(
                f,
                "{verdict} case {} [{}] {}",
                case.number,
                case.hook.as_str(),
                case.name
            )?;
            if let Some(c) = case.cost {
                write!(
                    f,
                    "\n       fuel {} ({} of limit)  memory {} ({})  time {} µs ({} of deadline)",
                    c.fuel,
                    percent(c.fuel as f64, l.fuel as f64),
                    size(c.peak_memory_bytes),
                    percent(c.peak_memory_bytes as f64, l.memory_bytes as f64),
                    c.elapsed.as_micros(),
                    percent(c.elapsed.as_micros() as f64, deadline_us),
                )?;
                let near = c.near_limits(l);
                if !near.is_empty() {
                    write!(
                        f,
                        "\n       warning: over half the {} limit; a little more input could \
                         breach it",
                        near.join(" and ")
                    )?;
                }
            }
            writeln!(f)?;
            if !case.problems.is_empty() {
                for problem in &case.problems {
                    writeln!(f, "       - {problem}")?;
                }
                if !case.rules_given.is_empty() {
                    writeln!(f, "       rules given: {}", case.rules_given.join(", "))?;
                }
                writeln!(f, "       input: {}", case.input)?;
            }
        }
        let (failed, ran) = (self.failed(), self.cases.len());
        if failed == 0 {
            writeln!(f, "all {ran} golden cases held in the sandbox")
        } else {
            writeln!(f, "{failed} of {ran} golden cases failed in the sandbox")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::component;
    use super::*;

    fn plugin_dir(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../plugins")
            .join(name)
    }

    fn golden(name: &str) -> Vec<Case> {
        golden_from(&plugin_dir(name).join("golden.json")).unwrap()
    }

    #[test]
    fn stoke_on_trent_golden_cases_hold_in_the_sandbox_with_costs() {
        let report = check(
            &component("stoke-on-trent"),
            Limits::default(),
            &golden("stoke-on-trent"),
        )
        .unwrap();
        assert!(report.passed(), "{report}");
        // Every case that decided (rather than refused, as expected) has its cost.
        for case in report.cases.iter().filter(|c| c.rules_given.is_empty()) {
            assert!(case.cost.is_none(), "{case:?}");
        }
        for case in report.cases.iter().filter(|c| !c.rules_given.is_empty()) {
            let cost = case.cost.expect("a cost for every decided case");
            assert!(cost.fuel > 0 && cost.peak_memory_bytes > 0, "{case:?}");
        }
        let text = report.to_string();
        assert!(text.contains("all 13 golden cases held"), "{text}");
        assert!(text.contains("of 8.0 MiB allowed"), "{text}");
    }

    #[test]
    fn the_other_councils_decide_in_the_sandbox_as_natively() {
        for name in ["working-well-east-midlands", "central-london-forward"] {
            let report = check(&component(name), Limits::default(), &golden(name)).unwrap();
            assert!(report.passed(), "{name}: {report}");
        }
    }

    #[test]
    fn a_failing_case_names_the_rules_given_and_the_input() {
        let mut cases = golden("stoke-on-trent");
        cases.truncate(1);
        cases[0].expect.outcome = Some(waymark_sdk::Outcome::Decline);
        let report = check(&component("stoke-on-trent"), Limits::default(), &cases).unwrap();
        assert!(!report.passed());
        let text = report.to_string();
        assert!(text.contains("FAIL case 1 [eligibility]"), "{text}");
        assert!(
            text.contains("expected outcome decline, got accept"),
            "{text}"
        );
        assert!(text.contains("rules given: eligible"), "{text}");
        assert!(text.contains("\"postcode_district\":\"ST4\""), "{text}");
        assert!(text.contains("1 of 1 golden cases failed"), "{text}");
    }

    #[test]
    fn a_case_over_the_fuel_limit_fails_with_the_limit_named() {
        let limits = Limits {
            fuel: 5_000,
            ..Limits::default()
        };
        let mut cases = golden("stoke-on-trent");
        cases.truncate(1);
        let report = check(&component("stoke-on-trent"), limits, &cases).unwrap();
        let text = report.to_string();
        assert!(text.contains("used all of its 5000 fuel"), "{text}");
    }

    #[test]
    fn a_case_using_over_half_a_limit_is_flagged() {
        let mut cases = golden("stoke-on-trent");
        cases.retain(|c| c.hook == Hook::Plan && c.expect.error.is_none());
        cases.truncate(1);
        let wasm = component("stoke-on-trent");
        // A budget half as large again as the plan burns: it holds, with little to
        // spare (whatever the plan burns as the plugin changes).
        let burned = check(&wasm, Limits::default(), &cases).unwrap().cases[0]
            .cost
            .expect("a cost")
            .fuel;
        let limits = Limits {
            fuel: burned * 3 / 2,
            ..Limits::default()
        };
        let report = check(&wasm, limits, &cases).unwrap();
        assert!(report.passed(), "{report}");
        let cost = report.cases[0].cost.expect("a cost");
        assert_eq!(cost.near_limits(&limits), vec!["fuel"], "{cost:?}");
        assert!(
            report
                .to_string()
                .contains("warning: over half the fuel limit"),
            "{report}"
        );
        assert!(cost.near_limits(&Limits::default()).is_empty());
    }

    #[test]
    fn a_binary_over_the_size_limit_would_be_refused() {
        let limits = Limits {
            max_plugin_bytes: 1000,
            ..Limits::default()
        };
        let err = check(&component("stoke-on-trent"), limits, &[]).unwrap_err();
        assert!(
            matches!(
                err,
                WorkbenchError::Rejected(PluginRejected::TooLarge { .. })
            ),
            "{err}"
        );
    }

    #[test]
    fn a_limits_file_keeps_unset_limits_at_their_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("limits.json");
        std::fs::write(&path, r#"{"fuel": 1234}"#).unwrap();
        let limits = limits_from(Some(&path)).unwrap();
        assert_eq!(limits.fuel, 1234);
        assert_eq!(limits.memory_bytes, Limits::default().memory_bytes);
        std::fs::write(&path, r#"{"feul": 1}"#).unwrap();
        assert!(matches!(
            limits_from(Some(&path)),
            Err(WorkbenchError::Limits { .. })
        ));
    }
}
