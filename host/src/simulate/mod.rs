//! What-if for a council: run a cohort through the real journey, policy and
//! scheduling rules on a simulated calendar, and see what a change of plugin or
//! settings would do to key workers before it goes live.
//!
//! - `cohort`: the people simulated, as JSON Lines.
//! - `generate`: a synthetic cohort in stated proportions, seeded.
//! - `run`: the day-by-day run, calling the council's plugin in its sandbox.
//! - `report`: weekly figures, IPS-style indicators, and an HTML page with charts;
//!   a comparison of two runs.
//!
//! Deterministic: the same cohort, plugins and settings give the same report, byte
//! for byte (no wall-clock time, no hashing order, no randomness but the seeded
//! generator's).

mod cohort;
mod generate;
mod report;
mod run;

use std::path::Path;
use std::sync::Arc;

pub use cohort::{CohortError, CohortMember};
pub use generate::{CohortSpec, WITHOUT_EMPLOYER_CONSENT, generate};
pub use report::{CASELOAD_CAP, Comparison, Report};
pub use run::{Run, SimulationError};

use crate::journey::Programme;
use crate::policy::{CallContext, EngineSettings, Limits, Plugin, Policies};
use crate::schedule::calendar::{Nation, UkCalendar};

/// One side of a simulation: a plugin, the settings it runs with, and the
/// council's programme (which fixes the end of support).
pub struct Variant {
    pub plugin: Arc<Plugin>,
    pub settings: serde_json::Value,
    pub programme: Programme,
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a plugin Waymark accepts: {reason}")]
    Plugin { path: String, reason: String },
    #[error("{path} is not JSON settings ({reason}); give a JSON object, e.g. {{}}")]
    Settings { path: String, reason: String },
    #[error("the policy engine could not start: {0}")]
    Engine(String),
    #[error(transparent)]
    Cohort(#[from] CohortError),
    #[error(transparent)]
    Run(#[from] SimulationError),
}

/// Loads plugins for simulation: one engine, a handful of pooled instances.
pub fn engine() -> Result<Policies, SimulateError> {
    let settings = EngineSettings {
        pooled_instances: 4,
        ..EngineSettings::default()
    };
    Policies::new(&settings, Limits::default()).map_err(|e| SimulateError::Engine(e.to_string()))
}

pub fn load_plugin(policies: &Policies, path: &Path) -> Result<Arc<Plugin>, SimulateError> {
    let bytes = std::fs::read(path).map_err(|source| SimulateError::Read {
        path: path.display().to_string(),
        source,
    })?;
    policies.load(&bytes).map_err(|e| SimulateError::Plugin {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

pub fn load_settings(path: Option<&Path>) -> Result<serde_json::Value, SimulateError> {
    let Some(path) = path else {
        return Ok(serde_json::json!({}));
    };
    let text = std::fs::read_to_string(path).map_err(|source| SimulateError::Read {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| SimulateError::Settings {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

pub fn load_cohort(path: &Path) -> Result<Vec<CohortMember>, SimulateError> {
    let file = std::fs::File::open(path).map_err(|source| SimulateError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Ok(cohort::read(std::io::BufReader::new(file))?)
}

pub fn write_cohort(members: &[CohortMember], out: impl std::io::Write) -> std::io::Result<()> {
    cohort::write(members, out)
}

/// Runs one variant over the cohort and summarises it.
pub fn simulate(
    variant: &Variant,
    cohort: &[CohortMember],
    months: u32,
    nation: Nation,
    progress: impl FnMut(u32, u32),
) -> Result<(Report, Run), SimulateError> {
    let setup = run::Setup {
        plugin: variant.plugin.clone(),
        context: CallContext {
            settings: variant.settings.to_string(),
            calendar: Arc::new(UkCalendar::new(nation)),
            limits: Limits::default(),
        },
        programme: variant.programme,
        cohort,
        months,
    };
    let run = run::run(&setup, progress)?;
    let report = Report::new(
        &run,
        variant.plugin.digest().to_string(),
        variant.settings.clone(),
        months,
    );
    Ok((report, run))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::{component, policies};

    fn stoke(settings: serde_json::Value) -> Variant {
        let plugin = policies()
            .load(&component("stoke-on-trent"))
            .expect("the Stoke-on-Trent plugin loads");
        Variant {
            plugin,
            settings,
            programme: Programme::ConnectToWork,
        }
    }

    fn small_cohort() -> Vec<CohortMember> {
        generate(&CohortSpec::stoke(120, 42))
    }

    #[test]
    fn the_same_inputs_give_the_same_report_byte_for_byte() {
        let cohort = small_cohort();
        let variant = stoke(serde_json::json!({}));
        let (a, _) =
            simulate(&variant, &cohort, 6, Nation::EnglandAndWales, |_, _| {}).expect("run");
        let (b, _) =
            simulate(&variant, &cohort, 6, Nation::EnglandAndWales, |_, _| {}).expect("run");
        let json = |r: &Report| serde_json::to_string(r).expect("json");
        assert_eq!(json(&a), json(&b));
        assert_eq!(a.to_html(), b.to_html());
        assert!(
            a.actions_by_kind.get("review").copied().unwrap_or(0) > 0,
            "{a:?}"
        );
        assert!(a.plugin_calls > 120);
    }

    #[test]
    fn without_employer_consent_nobody_gets_employer_check_ins_as_in_the_daemon() {
        let mut spec = CohortSpec::stoke(120, 42);
        spec.without_employer_consent = 0.0;
        let consented = generate(&spec);
        spec.without_employer_consent = 1.0;
        let refused = generate(&spec);
        let variant = stoke(serde_json::json!({}));
        let run = |cohort: &[CohortMember]| {
            simulate(&variant, cohort, 12, Nation::EnglandAndWales, |_, _| {})
                .expect("run")
                .0
        };
        let (with, without) = (run(&consented), run(&refused));
        let count = |r: &Report, kind: &str| r.actions_by_kind.get(kind).copied().unwrap_or(0);
        assert!(count(&with, "employer_check_in") > 0, "{with:?}");
        assert!(count(&with, "first_employer_contact") > 0, "{with:?}");
        assert_eq!(with.plans_with_employer_work_withheld, 0);
        assert_eq!(count(&without, "employer_check_in"), 0, "{without:?}");
        assert_eq!(count(&without, "first_employer_contact"), 0, "{without:?}");
        assert!(without.plans_with_employer_work_withheld > 0);
        // Only employer work differs: reviews are planned alike.
        assert_eq!(count(&with, "review"), count(&without, "review"));
    }

    #[test]
    fn fortnightly_reviews_make_about_twice_the_review_actions_of_four_weekly() {
        let cohort = small_cohort();
        let four =
            stoke(serde_json::json!({ "review_every_weeks": 4, "weekly_in_first_month": false }));
        let two =
            stoke(serde_json::json!({ "review_every_weeks": 2, "weekly_in_first_month": false }));
        let (a, run_a) =
            simulate(&four, &cohort, 9, Nation::EnglandAndWales, |_, _| {}).expect("run");
        let (b, run_b) =
            simulate(&two, &cohort, 9, Nation::EnglandAndWales, |_, _| {}).expect("run");
        let reviews = |r: &Report| r.actions_by_kind.get("review").copied().unwrap_or(0) as f64;
        let ratio = reviews(&b) / reviews(&a);
        assert!(
            (1.7..=2.3).contains(&ratio),
            "ratio {ratio}: {} vs {}",
            reviews(&b),
            reviews(&a)
        );
        let cmp = Comparison::new((a, &run_a), (b, &run_b));
        assert!(cmp.changed_decisions_total > 0);
        assert!(
            cmp.changed_decisions.iter().all(|c| c.hook == "plan"),
            "{:?}",
            cmp.changed_decisions.first()
        );
        let html = cmp.to_html();
        assert!(html.contains("<svg") && html.contains("polyline") && html.contains("Differences"));
    }

    #[test]
    fn weekly_series_cover_every_week_and_caseloads_are_counted() {
        let cohort = small_cohort();
        let (r, _) = simulate(
            &stoke(serde_json::json!({})),
            &cohort,
            12,
            Nation::EnglandAndWales,
            |_, _| {},
        )
        .expect("run");
        assert!(r.weeks.len() >= 52);
        for series in r.actions_by_kind_per_week.values() {
            assert_eq!(series.len(), r.weeks.len());
        }
        let total: u64 = r.actions_by_kind_per_week.values().flatten().sum();
        assert_eq!(total, r.actions_by_kind.values().sum::<u64>());
        assert!(r.caseload.max_per_week.iter().any(|n| *n > 0));
        assert!(r.indicators.starters > 0);
        let handed_over: u64 = r.handovers_by_destination.values().sum();
        assert!(handed_over > 0, "{r:?}");
    }

    #[test]
    fn a_plugin_that_cannot_decide_sends_cases_to_human_review() {
        let cohort = small_cohort();
        // Settings the plugin refuses: every decision goes to a person.
        let (r, _) = simulate(
            &stoke(serde_json::json!({ "no_such_setting": true })),
            &cohort,
            2,
            Nation::EnglandAndWales,
            |_, _| {},
        )
        .expect("run");
        assert!(
            r.human_review_by_hook
                .get("eligibility")
                .copied()
                .unwrap_or(0)
                > 0,
            "{r:?}"
        );
        assert_eq!(r.actions_by_kind.values().sum::<u64>(), 0);
    }
}
