//! End to end: real plugin crates, built with [`build_plugin`], loaded and called.
//!
//! Each plugin is built once per test run. A hostile plugin (one that loops, hoards
//! memory or panics) is one more crate under `plugins/` and one more call to
//! [`component`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use chrono::NaiveDate;

use super::*;
use crate::schedule::calendar::{Nation, UkCalendar};

/// The component built from the workspace crate `plugins/<name>`, built on first use.
pub(crate) fn component(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    // Held across the build: one cargo at a time, and each plugin built once.
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    built
        .entry(name.to_owned())
        .or_insert_with(|| {
            let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../plugins")
                .join(name);
            let out = tempfile::tempdir().unwrap();
            let path = build_plugin(&crate_dir, Some(&out.path().join(format!("{name}.wasm"))))
                .unwrap_or_else(|e| panic!("plugin {name} did not build: {e}"));
            std::fs::read(path).unwrap()
        })
        .clone()
}

/// One engine for every test here, as in the daemon.
pub(crate) fn policies() -> &'static Policies {
    static POLICIES: OnceLock<Policies> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let settings = EngineSettings {
            pooled_instances: 16,
            ..EngineSettings::default()
        };
        Policies::new(&settings, Limits::default()).unwrap()
    })
}

pub(crate) fn context(settings: &str, limits: Limits) -> CallContext {
    CallContext {
        settings: settings.to_owned(),
        calendar: Arc::new(UkCalendar::new(Nation::EnglandAndWales)),
        limits,
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn stoke_on_trent() -> Arc<Plugin> {
    policies().load(&component("stoke-on-trent")).unwrap()
}

fn st4_adult() -> ReferralFacts {
    ReferralFacts {
        route: ReferralRoute::Jobcentre,
        age: 34,
        postcode_district: "ST4".into(),
        in_work: false,
        on_universal_credit: true,
        known_to_health_services: false,
        on_other_programme: false,
        cohorts: vec![],
        health_condition_or_disability: false,
    }
}

fn started_journey(started_on: NaiveDate) -> JourneyFacts {
    JourneyFacts {
        stage: Stage::Started,
        track: Track::OutOfWork,
        referred_on: started_on - chrono::Duration::days(10),
        started_on: Some(started_on),
        job_started_on: None,
        missed_contacts: 0,
        employer_health_consent: false,
        mental_health_needs: false,
        programme: Default::default(),
        support_ends_on: None,
        job_ended_on: None,
        outcome_checkpoints: Vec::new(),
        health_condition_or_disability: false,
    }
}

#[test]
fn policies_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Policies>();
    shareable::<Plugin>();
    shareable::<CallContext>();
}

#[test]
fn stoke_on_trent_loads_with_an_object_schema() {
    let plugin = stoke_on_trent();
    assert!(plugin.settings_schema().is_object());
    // waymark-sdk builds contract 1.2.
    assert_eq!(plugin.contract_version(), "1.2.0");
    assert_eq!(
        policies().get(plugin.digest()).map(|p| p.digest().clone()),
        Some(plugin.digest().clone())
    );
    // Loading the same bytes again is the same plugin.
    assert!(Arc::ptr_eq(&plugin, &stoke_on_trent()));
}

#[test]
fn stoke_on_trent_accepts_an_adult_from_st4_with_reasons() {
    let plugin = stoke_on_trent();
    let decision = plugin
        .eligibility(
            &context("{}", Limits::default()),
            &st4_adult(),
            day(2026, 3, 2),
        )
        .unwrap();
    assert_eq!(decision.value.outcome, Outcome::Accept, "{decision:?}");
    assert!(!decision.value.reasons.is_empty());
    assert!(decision.fuel_used > 0);
    assert_eq!(&decision.plugin, plugin.digest());
    assert_eq!(decision.input_digest.to_string().len(), 64);
}

/// Stoke-on-Trent's plan for a journey started on `as_of`, with its default settings.
fn stoke_on_trent_plan(as_of: NaiveDate) -> Decision<Plan> {
    stoke_on_trent()
        .plan(
            &context("{}", Limits::default()),
            &started_journey(as_of),
            as_of,
        )
        .unwrap()
}

#[test]
fn stoke_on_trent_plans_reviews_after_the_as_of_date() {
    let as_of = day(2026, 3, 2);
    let decision = stoke_on_trent_plan(as_of);
    let reviews: Vec<_> = decision
        .value
        .timers
        .iter()
        .filter(|t| t.kind == TimerKind::Review)
        .collect();
    assert!(!reviews.is_empty(), "{decision:?}");
    assert!(reviews.iter().all(|t| t.due > as_of), "{reviews:?}");
    assert!(decision.fuel_used > 0);
}

/// A plugin built with waymark-sdk imports only functions of plain numbers
/// (contract 1.2's `log-part`, never the string-taking `log`), so wit-component
/// gives it no adapter modules and each decision instantiates one core module: a
/// string import would quietly add about 1 µs to every decision.
#[test]
fn an_sdk_plugin_imports_no_host_function_that_takes_a_string() {
    use wasmtime::component::types::ComponentItem;
    let plugin = stoke_on_trent();
    let component = plugin.linked.component();
    let engine = component.engine();
    let mut functions = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        if let ComponentItem::ComponentInstance(instance) = item.ty {
            for (function, item) in instance.exports(engine) {
                if matches!(item.ty, ComponentItem::ComponentFunc(_)) {
                    functions.push(format!("{name}#{function}"));
                }
            }
        }
    }
    functions.sort();
    assert_eq!(
        functions,
        [
            "waymark:policy/host@1.2.0#is-working-day",
            "waymark:policy/host@1.2.0#log-part"
        ]
    );
}

/// `waymark plugin build` links a plugin with a 128 KiB stack (`package::STACK_SIZE`),
/// not Rust's 1 MiB: each decision's reset walks the whole memory for the pages it
/// wrote, so memory the plugin never touches still costs time.
#[test]
fn an_sdk_plugin_plans_in_under_half_a_mebibyte_of_memory() {
    let decision = stoke_on_trent_plan(day(2026, 3, 2));
    let stack_data_and_heap = super::package::STACK_SIZE + super::package::INITIAL_HEAP;
    assert!(
        decision.peak_memory_bytes > stack_data_and_heap,
        "{} bytes",
        decision.peak_memory_bytes
    );
    assert!(
        decision.peak_memory_bytes <= 512 << 10,
        "{} bytes",
        decision.peak_memory_bytes
    );
}

/// A 1.2 plugin answers from the working days it is handed, and asks the host
/// about a day outside them: the same journey, planned with its end of support
/// (Christmas Day 2024, moved past Boxing Day) inside the window and outside it,
/// gets the same answer.
#[test]
fn working_days_outside_the_window_handed_over_are_asked_of_the_host() {
    let plugin = stoke_on_trent();
    let ctx = context("{}", Limits::default());
    let journey = started_journey(day(2023, 12, 25));
    let mut answers = Vec::new();
    // The window starts on 1 January of the year before the as-of date's.
    for as_of in [day(2025, 6, 2), day(2026, 6, 1)] {
        let plan = plugin.plan(&ctx, &journey, as_of).unwrap().value;
        let duration = plan
            .reasons
            .iter()
            .find(|r| r.rule == "duration.maximum")
            .map(|r| r.text.clone())
            .unwrap_or_else(|| panic!("no duration reason in {plan:?}"));
        assert!(
            duration.ends_with("support ended on Friday 27 December 2024."),
            "{duration}"
        );
        answers.push(duration);
    }
    assert_eq!(answers[0], answers[1]);
}

#[test]
fn the_same_input_gives_the_same_decision() {
    let plugin = stoke_on_trent();
    let ctx = context("{}", Limits::default());
    let first = plugin
        .eligibility(&ctx, &st4_adult(), day(2026, 3, 2))
        .unwrap();
    let second = plugin
        .eligibility(&ctx, &st4_adult(), day(2026, 3, 2))
        .unwrap();
    assert_eq!(first.value, second.value);
    assert_eq!(first.input_digest, second.input_digest);
    assert_eq!(first.fuel_used, second.fuel_used);
}

#[test]
fn a_decision_over_its_fuel_is_out_of_fuel() {
    let plugin = stoke_on_trent();
    let limits = Limits {
        fuel: 1000,
        ..Limits::default()
    };
    let err = plugin
        .eligibility(&context("{}", limits), &st4_adult(), day(2026, 3, 2))
        .unwrap_err();
    assert_eq!(err, DecisionError::OutOfFuel { limit: 1000 });
}

fn golden_file() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/stoke-on-trent/golden.json"),
    )
    .unwrap()
}

#[test]
fn an_upload_runs_the_golden_cases_it_carries_in_the_sandbox() {
    let bytes = component("stoke-on-trent");
    let shipped =
        golden::find_section(&bytes, golden::GOLDEN_SECTION).expect("build embeds golden.json");
    assert_eq!(shipped, golden_file().as_bytes());
    let checked = policies().check_upload(&bytes, &Limits::default()).unwrap();
    let cases = waymark_sdk::testing::golden::parse(&golden_file()).unwrap();
    assert_eq!(checked.golden_cases, cases.len());
    assert!(checked.golden_cases > 0);
}

#[test]
fn a_failing_golden_case_rejects_the_upload_naming_the_case_expected_and_actual() {
    let wrong = r#"[{
        "name": "an adult in ST4 is declined (wrongly)",
        "hook": "eligibility",
        "input": {"route": "jobcentre", "age": 35, "postcode_district": "ST4", "in_work": false,
                  "on_universal_credit": false, "known_to_health_services": false,
                  "on_other_programme": false, "cohorts": []},
        "as_of": "2026-01-05",
        "expect": {"outcome": "decline"}
    }]"#;
    let mut bytes = golden::strip_section(&component("stoke-on-trent"), golden::GOLDEN_SECTION);
    golden::embed_section(&mut bytes, golden::GOLDEN_SECTION, wrong.as_bytes());
    let err = policies()
        .check_upload(&bytes, &Limits::default())
        .err()
        .expect("rejected");
    let PluginRejected::GoldenFailed { ran, failures, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((*ran, failures.len()), (1, 1));
    assert_eq!(failures[0].name, "an adult in ST4 is declined (wrongly)");
    let text = err.to_string();
    assert!(
        text.contains("expected outcome decline, got accept"),
        "{text}"
    );
    assert!(text.contains(r#""outcome":"accept""#), "{text}");
}

#[test]
fn unreadable_golden_cases_reject_the_upload() {
    let mut bytes = golden::strip_section(&component("stoke-on-trent"), golden::GOLDEN_SECTION);
    golden::embed_section(&mut bytes, golden::GOLDEN_SECTION, b"[]");
    let err = policies()
        .check_upload(&bytes, &Limits::default())
        .err()
        .expect("rejected");
    assert!(
        matches!(err, PluginRejected::GoldenUnreadable(_)),
        "{err:?}"
    );
}

#[test]
fn a_council_plugin_size_limit_applies_on_upload() {
    let bytes = component("stoke-on-trent");
    let limits = Limits {
        max_plugin_bytes: 1000,
        ..Limits::default()
    };
    let err = policies()
        .check_upload(&bytes, &limits)
        .err()
        .expect("rejected");
    assert!(
        matches!(err, PluginRejected::TooLarge { limit: 1000, .. }),
        "{err:?}"
    );
}

#[test]
fn a_restart_loads_compiled_plugins_from_the_cache_without_recompiling() {
    let dir = tempfile::tempdir().unwrap();
    let settings = EngineSettings {
        pooled_instances: 0,
        cache_dir: Some(dir.path().join("compiled")),
        ..EngineSettings::default()
    };
    let bytes = component("stoke-on-trent");
    let first = Policies::new(&settings, Limits::default()).unwrap();
    first.load(&bytes).unwrap();
    assert_eq!(
        first.compilations(),
        Compilations {
            compiled: 1,
            from_cache: 0,
            ..first.compilations()
        }
    );
    drop(first);

    let restarted = Policies::new(&settings, Limits::default()).unwrap();
    let plugin = restarted.load(&bytes).unwrap();
    assert_eq!(
        restarted.compilations(),
        Compilations {
            compiled: 0,
            from_cache: 1,
            functions_from_cache: 0,
            functions_compiled: 0,
        }
    );
    // And the cached code decides.
    let decision = plugin
        .eligibility(
            &context("{}", Limits::default()),
            &st4_adult(),
            day(2026, 3, 2),
        )
        .unwrap();
    assert_eq!(decision.value.outcome, Outcome::Accept);
}

/// An engine of its own, with an on-disk cache in `dir` and room for `kept` plugins.
fn engine_with_cache(dir: &Path, kept: usize) -> Policies {
    let settings = EngineSettings {
        pooled_instances: 0,
        cache_dir: Some(dir.join("compiled")),
        loaded_plugins: kept,
        ..EngineSettings::default()
    };
    Policies::new(&settings, Limits::default()).unwrap()
}

/// Stoke-on-Trent with `nonce` in a custom section: the same plugin, another digest.
fn stoke_on_trent_variant(nonce: &str) -> Vec<u8> {
    let mut bytes = component("stoke-on-trent");
    golden::embed_section(&mut bytes, "waymark:test-nonce", nonce.as_bytes());
    bytes
}

/// Compiled plugins in the cache under `dir`.
fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("compiled"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("cwasm".as_ref()))
        .count()
}

/// Compiled functions in the cache under `dir` (in its shards).
fn functions_in(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("compiled/functions"))
        .unwrap()
        .map(|shard| std::fs::read_dir(shard.unwrap().path()).unwrap().count())
        .sum()
}

#[test]
fn a_plugin_sharing_code_with_one_compiled_before_compiles_it_from_the_function_cache() {
    let dir = tempfile::tempdir().unwrap();
    let first = engine_with_cache(dir.path(), 8);
    let decide = |plugin: &Plugin| {
        plugin
            .eligibility(
                &context("{}", Limits::default()),
                &st4_adult(),
                day(2026, 3, 2),
            )
            .unwrap()
            .value
    };
    let decided = decide(&first.load(&stoke_on_trent_variant("one")).unwrap());
    let compiled = first.compilations();
    assert!(compiled.functions_compiled > 0, "{compiled:?}");
    assert!(functions_in(dir.path()) > 0);
    drop(first);

    // Another plugin (another digest, so not the compiled plugin's file) in a new
    // engine over the same folder, as another process would be: its functions come
    // from the cache, and it decides as the first did.
    let second = engine_with_cache(dir.path(), 8);
    let plugin = second.load(&stoke_on_trent_variant("two")).unwrap();
    let reused = second.compilations();
    assert_eq!((reused.compiled, reused.from_cache), (1, 0), "{reused:?}");
    // Most: wasmtime's own glue functions (a few dozen to about a hundred, more
    // when compiles run side by side) differ from one engine to the next and are
    // always compiled.
    assert!(
        reused.functions_from_cache > 3 * reused.functions_compiled,
        "{reused:?}"
    );
    assert_eq!(decide(&plugin), decided);
}

#[test]
fn a_plugin_refused_after_compiling_leaves_no_functions_behind() {
    let dir = tempfile::tempdir().unwrap();
    let settings = EngineSettings {
        pooled_instances: 0,
        cache_dir: Some(dir.path().join("compiled")),
        ..EngineSettings::default()
    };
    // Too little memory for its initial heap: refused once compiled.
    let tight = Limits {
        memory_bytes: 64 << 10,
        ..Limits::default()
    };
    let policies = Policies::new(&settings, tight).unwrap();
    let err = policies.load(&component("stoke-on-trent")).unwrap_err();
    assert!(
        matches!(err, PluginRejected::MemoryTooLarge { .. }),
        "{err:?}"
    );
    assert!(policies.compilations().functions_compiled > 0);
    assert_eq!((files_in(dir.path()), functions_in(dir.path())), (0, 0));
}

#[test]
fn refused_uploads_leave_nothing_in_memory_or_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let policies = engine_with_cache(dir.path(), 8);
    for n in 0..3 {
        let wrong = format!(
            r#"[{{"name": "refused upload {n}", "hook": "eligibility",
                "input": {{"route": "jobcentre", "age": 35, "postcode_district": "ST4",
                          "in_work": false, "on_universal_credit": false,
                          "known_to_health_services": false, "on_other_programme": false,
                          "cohorts": []}},
                "as_of": "2026-01-05", "expect": {{"outcome": "decline"}}}}]"#
        );
        let mut bytes = golden::strip_section(&component("stoke-on-trent"), golden::GOLDEN_SECTION);
        golden::embed_section(&mut bytes, golden::GOLDEN_SECTION, wrong.as_bytes());
        let err = policies
            .check_upload(&bytes, &Limits::default())
            .err()
            .expect("refused");
        assert!(
            matches!(err, PluginRejected::GoldenFailed { .. }),
            "{err:?}"
        );
        assert!(policies.get(&PluginDigest::of(&bytes)).is_none());
        assert_eq!((policies.loaded(), files_in(dir.path())), (0, 0));
        assert_eq!(functions_in(dir.path()), 0, "a refused plugin's functions");
    }

    // An upload that passes is kept only once the caller admits it.
    let checked = policies
        .check_upload(&component("stoke-on-trent"), &Limits::default())
        .unwrap();
    assert_eq!((policies.loaded(), files_in(dir.path())), (0, 0));
    assert_eq!(functions_in(dir.path()), 0);
    policies.admit(&checked.plugin);
    assert_eq!((policies.loaded(), files_in(dir.path())), (1, 1));
    assert!(functions_in(dir.path()) > 0);
    assert!(policies.get(checked.plugin.digest()).is_some());
}

#[test]
fn the_in_memory_cache_drops_the_least_recently_used_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let policies = engine_with_cache(dir.path(), 2);
    let [a, b, c] = ["a", "b", "c"].map(stoke_on_trent_variant);
    let a = policies.load(&a).unwrap();
    let b = policies.load(&b).unwrap();
    policies.get(a.digest()).expect("a is kept"); // a is now used more recently than b
    let c = policies.load(&c).unwrap();
    assert_eq!(policies.loaded(), 2);
    assert!(
        policies.get(b.digest()).is_none(),
        "b was least recently used"
    );
    assert!(policies.get(a.digest()).is_some());
    assert!(policies.get(c.digest()).is_some());
    // A dropped plugin still decides for whoever holds it, and loads again from disk.
    assert_eq!(files_in(dir.path()), 3);
    let decision = b
        .eligibility(
            &context("{}", Limits::default()),
            &st4_adult(),
            day(2026, 3, 2),
        )
        .unwrap();
    assert_eq!(decision.value.outcome, Outcome::Accept);
}

/// Stoke-on-Trent carrying `cases` as its golden cases.
fn stoke_on_trent_with_cases(cases: &str) -> Vec<u8> {
    let mut bytes = golden::strip_section(&component("stoke-on-trent"), golden::GOLDEN_SECTION);
    golden::embed_section(&mut bytes, golden::GOLDEN_SECTION, cases.as_bytes());
    bytes
}

/// `n` eligibility cases for an adult in ST4, named `name(i)`, expecting `outcome`.
fn eligibility_cases(n: usize, name: impl Fn(usize) -> String, outcome: &str) -> String {
    let cases: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "name": name(i),
                "hook": "eligibility",
                "input": {"route": "jobcentre", "age": 35, "postcode_district": "ST4",
                          "in_work": false, "on_universal_credit": false,
                          "known_to_health_services": false, "on_other_programme": false,
                          "cohorts": []},
                "as_of": "2026-01-05",
                "expect": {"outcome": outcome}
            })
        })
        .collect();
    serde_json::Value::Array(cases).to_string()
}

#[test]
fn ten_thousand_golden_cases_are_refused_by_the_cap_before_any_runs() {
    let bytes = stoke_on_trent_with_cases(&eligibility_cases(
        10_000,
        |i| format!("case {i}"),
        "accept",
    ));
    let started = std::time::Instant::now();
    let err = policies()
        .check_upload(&bytes, &Limits::default())
        .err()
        .expect("refused");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.contains("10000 golden cases, more than the 1000 an upload may"),
        "{text}"
    );
    // Nothing was even compiled for it.
    assert!(policies().get(&PluginDigest::of(&bytes)).is_none());
}

#[test]
fn a_refusal_describes_a_few_failing_cases_each_cut_short() {
    let long_name = |i: usize| format!("case {i} {}", "é".repeat(100_000));
    let bytes = stoke_on_trent_with_cases(&eligibility_cases(40, long_name, "decline"));
    let err = policies()
        .check_upload(&bytes, &Limits::default())
        .err()
        .expect("refused");
    let PluginRejected::GoldenFailed {
        ran,
        failed,
        failures,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        (*ran, *failed, failures.len()),
        (40, 40, golden::MAX_REPORTED_FAILURES)
    );
    assert!(
        failures
            .iter()
            .all(|f| f.name.chars().count() <= golden::MAX_QUOTE + 1)
    );
    let text = err.to_string();
    assert!(
        text.starts_with("40 of 40 golden cases failed in the sandbox (the first 10 shown)"),
        "{}",
        &text[..200]
    );
    assert!(text.len() < 40_000, "{} bytes", text.len());
}

#[test]
fn golden_cases_share_one_fuel_budget() {
    let plugin = stoke_on_trent();
    let cases = waymark_sdk::testing::golden::parse(&eligibility_cases(
        3,
        |i| format!("case {i}"),
        "accept",
    ))
    .unwrap();
    let run = golden::run_within(&plugin, &cases, &Limits::default(), u64::MAX).unwrap();
    assert_eq!(run.failed, 0);
    let one = run.fuel / 3;
    assert!(one > 0);
    // The same cases, with fuel for about one and a half of them: the second runs
    // out, and the same budget always runs out at the same case.
    for _ in 0..2 {
        let err = golden::run_within(&plugin, &cases, &Limits::default(), one + one / 2)
            .expect_err("over budget");
        let text = err.to_string();
        assert!(text.contains("by case 2 of 3 (0 failed by then)"), "{text}");
    }
}

#[test]
fn a_refusal_is_charged_the_fuel_it_burned_and_the_budget_names_the_first_failure() {
    let plugin = stoke_on_trent();
    // A case whose input the plugin refuses (an unknown setting), then two that fail.
    let mut cases: Vec<serde_json::Value> =
        serde_json::from_str(&eligibility_cases(3, |i| format!("case {i}"), "decline")).unwrap();
    cases[0]["settings"] = serde_json::json!({"no_such_setting": 1});
    cases[0]["expect"] = serde_json::json!({"error": "no_such_setting"});
    let cases =
        waymark_sdk::testing::golden::parse(&serde_json::Value::Array(cases).to_string()).unwrap();
    let run = golden::run_within(&plugin, &cases, &Limits::default(), u64::MAX).unwrap();
    assert_eq!(run.failed, 2, "{:?}", run.failures);
    // Charged what it burned, far below a whole 50,000,000 fuel limit per case.
    assert!(run.fuel < Limits::default().fuel, "{}", run.fuel);

    // Fuel for the first two cases and half the third: the last case runs out, and
    // the refusal names the failure before it.
    let two = golden::run_within(&plugin, &cases[..2], &Limits::default(), u64::MAX)
        .unwrap()
        .fuel;
    let budget = two + (run.fuel - two) / 2;
    let text = golden::run_within(&plugin, &cases, &Limits::default(), budget)
        .expect_err("over budget")
        .to_string();
    assert!(
        text.contains("by case 3 of 3 (1 failed by then; the first failure: case 2 (\"case 1\")"),
        "{text}"
    );
}

#[test]
fn golden_cases_stop_at_their_wall_clock_safety_net() {
    let plugin = stoke_on_trent();
    let cases = waymark_sdk::testing::golden::parse(&eligibility_cases(
        3,
        |i| format!("case {i}"),
        "accept",
    ))
    .unwrap();
    let err = golden::run_timed(
        &plugin,
        &cases,
        &Limits::default(),
        u64::MAX,
        std::time::Duration::ZERO,
    )
    .expect_err("past the safety net");
    assert!(err.to_string().contains("by case 1 of 3"), "{err}");
}
