//! Hostile plugins, built from source (`tests/plugins/hostile*`) with `waymark plugin
//! build`, loaded and called through `Policies` exactly as the daemon does. Each
//! attack ends in a refused upload or a `DecisionError` naming it, and afterwards
//! the same engine still decides for a good plugin.

use crate::support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::json;
use support::{fixture_plugin, plugin};
use waymark::policy::{
    CallContext, DecisionError, EngineSettings, JourneyFacts, Limits, Outcome, Plugin,
    PluginRejected, Policies, ReferralFacts, ReferralRoute, Stage, Track,
};
use waymark::schedule::calendar::{Nation, UkCalendar};

/// One engine for the whole binary, as in the daemon: a hostile call must not
/// spoil it for the calls after.
fn policies() -> &'static Policies {
    static POLICIES: OnceLock<Policies> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let settings = EngineSettings {
            pooled_instances: 8,
            ..EngineSettings::default()
        };
        Policies::new(&settings, Limits::default()).expect("engine")
    })
}

fn bytes(path: std::path::PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hostile() -> Arc<Plugin> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let wasm = BYTES.get_or_init(|| bytes(fixture_plugin("hostile-kit")));
    policies()
        .load(wasm)
        .expect("the hostile plugin is a valid component")
}

fn stoke_on_trent() -> Arc<Plugin> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let wasm = BYTES.get_or_init(|| bytes(plugin("stoke-on-trent")));
    policies().load(wasm).expect("stoke-on-trent loads")
}

fn context(behaviour: &str, limits: Limits) -> CallContext {
    CallContext {
        settings: json!({ "behaviour": behaviour }).to_string(),
        calendar: Arc::new(UkCalendar::new(Nation::EnglandAndWales)),
        limits,
    }
}

fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date")
}

fn referral() -> ReferralFacts {
    ReferralFacts {
        route: ReferralRoute::Jobcentre,
        age: 34,
        postcode_district: "ST4".into(),
        in_work: false,
        on_universal_credit: false,
        known_to_health_services: false,
        on_other_programme: false,
        cohorts: vec![],
        health_condition_or_disability: false,
    }
}

fn journey() -> JourneyFacts {
    JourneyFacts {
        stage: Stage::Started,
        track: Track::OutOfWork,
        referred_on: monday(),
        started_on: Some(monday()),
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

/// After any attack: the hostile plugin decides normally in a fresh sandbox, and
/// another council's plugin on the same engine still decides.
fn others_still_decide() {
    let well = hostile()
        .eligibility(
            &context("well_behaved", Limits::default()),
            &referral(),
            monday(),
        )
        .expect("a fresh sandbox decides normally");
    assert_eq!(well.value.outcome, Outcome::Accept);
    let ctx = CallContext {
        settings: "{}".into(),
        ..context("", Limits::default())
    };
    let good = stoke_on_trent()
        .eligibility(&ctx, &referral(), monday())
        .expect("another plugin still decides");
    assert_eq!(good.value.outcome, Outcome::Accept);
}

fn eligibility_error(behaviour: &str, limits: Limits) -> DecisionError {
    hostile()
        .eligibility(&context(behaviour, limits), &referral(), monday())
        .expect_err("the attack must not become a decision")
}

fn plan_error(behaviour: &str, limits: Limits) -> DecisionError {
    hostile()
        .plan(&context(behaviour, limits), &journey(), monday())
        .expect_err("the attack must not become a decision")
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let err = eligibility_error("endless_loop", Limits::default());
    assert_eq!(
        err,
        DecisionError::OutOfFuel {
            limit: Limits::default().fuel
        }
    );
    assert!(err.to_string().contains("looping"), "{err}");
    others_still_decide();
}

#[test]
fn an_endless_loop_with_fuel_to_spare_hits_the_deadline() {
    let limits = Limits {
        fuel: u64::MAX,
        deadline: Duration::from_millis(30),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let err = plan_error("endless_loop", limits);
    assert_eq!(err, DecisionError::DeadlineExceeded { deadline_ms: 30 });
    // Noticed within a few 10 ms ticks, not after the loop has eaten a core for long.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    others_still_decide();
}

#[test]
fn unbounded_memory_growth_hits_the_memory_limit() {
    let limits = Limits {
        memory_bytes: 8 << 20,
        ..Limits::default()
    };
    let err = eligibility_error("memory_growth", limits);
    assert_eq!(err, DecisionError::MemoryLimit { limit: 8 << 20 });
    others_still_decide();
}

#[test]
fn deep_recursion_is_a_trap_not_a_crash() {
    let err = plan_error("deep_recursion", Limits::default());
    let DecisionError::Trap { message, .. } = &err else {
        panic!("expected a trap, got {err:?}");
    };
    assert!(
        message.contains("stack") || message.contains("out of bounds"),
        "{message}"
    );
    others_still_decide();
}

/// The refusal every answer over the cap gets: too large, by the cap, briefly.
fn assert_too_large(err: &DecisionError) {
    assert_eq!(err, &DecisionError::AnswerTooLarge { limit: 262_144 });
    let text = err.to_string();
    assert!(
        text.contains("answer is too large: over the 262144-byte limit")
            && text.contains("`max_output_bytes`"),
        "{text}"
    );
    assert!(text.len() < 400, "{} bytes", text.len());
}

#[test]
fn an_answer_over_the_output_cap_is_too_large() {
    assert_too_large(&plan_error("oversize_answer", Limits::default()));
    assert_too_large(&eligibility_error("oversize_answer", Limits::default()));
    others_still_decide();
}

#[test]
fn a_blank_rule_with_a_megabyte_of_text_is_too_large_and_not_quoted() {
    assert_too_large(&eligibility_error("blank_rule_oversize", Limits::default()));
    others_still_decide();
}

#[test]
fn every_answer_is_held_to_the_output_cap_refusals_and_many_reasons_included() {
    assert_too_large(&eligibility_error("oversize_refusal", Limits::default()));

    // 20,000 reasons of a few bytes each: the lift's floor (two bytes an element)
    // lets them in, the exact JSON measure after it does not.
    let ctx = CallContext {
        settings: json!({ "behaviour": "many_reasons", "iterations": 20_000u64 }).to_string(),
        ..context("", Limits::default())
    };
    let err = hostile()
        .eligibility(&ctx, &referral(), monday())
        .expect_err("the attack must not become a decision");
    assert_too_large(&err);
    others_still_decide();
}

/// A refusal within the cap is recorded, cut to a stated length.
#[test]
fn a_long_refusal_is_recorded_cut_short() {
    let limits = Limits {
        max_output_bytes: 4 << 20,
        ..Limits::default()
    };
    let err = eligibility_error("oversize_refusal", limits);
    let DecisionError::PluginRefused { message } = &err else {
        panic!("expected a refusal, got {err:?}");
    };
    assert_eq!(
        message.chars().count(),
        1001,
        "1000 characters and an ellipsis"
    );
    assert!(message.ends_with('…'));
}

#[test]
fn a_panic_is_a_trap_with_the_panic_message_in_its_log() {
    let err = eligibility_error("panic", Limits::default());
    let DecisionError::Trap { log, .. } = &err else {
        panic!("expected a trap, got {err:?}");
    };
    assert!(
        log.iter().any(|l| l.contains("panicked on purpose")),
        "{log:?}"
    );
    others_still_decide();
}

#[test]
fn a_date_that_does_not_exist_is_an_invalid_answer() {
    let err = plan_error("impossible_date", Limits::default());
    let DecisionError::InvalidAnswer { what } = &err else {
        panic!("expected an invalid answer, got {err:?}");
    };
    assert!(what.contains("2026-13-40 is not a calendar date"), "{what}");
    others_still_decide();
}

#[test]
fn a_timer_due_at_the_end_of_time_is_an_invalid_answer_with_its_reason() {
    let err = plan_error("far_future_timer", Limits::default());
    let DecisionError::InvalidAnswer { what } = &err else {
        panic!("expected an invalid answer, got {err:?}");
    };
    assert!(
        what.contains("the review timer is due +262142-12-31, more than 3653 days"),
        "{what}"
    );
    let err = hostile()
        .missed_contact(
            &context("far_future_timer", Limits::default()),
            &journey(),
            monday(),
        )
        .expect_err("the attack must not become a decision");
    let DecisionError::InvalidAnswer { what } = &err else {
        panic!("expected an invalid answer, got {err:?}");
    };
    assert!(
        what.contains("the outreach timer is due +262142-12-31"),
        "{what}"
    );
    others_still_decide();
}

#[test]
fn answers_breaking_the_contract_are_invalid() {
    let err = plan_error("timer_not_in_future", Limits::default());
    assert_eq!(
        err,
        DecisionError::InvalidAnswer {
            what: "the review timer is due 2026-03-02, not after the as-of date 2026-03-02".into()
        }
    );
    let err = eligibility_error("no_reasons", Limits::default());
    let DecisionError::InvalidAnswer { what } = &err else {
        panic!("expected an invalid answer, got {err:?}");
    };
    assert!(what.contains("no reasons"), "{what}");
    let err = plan_error("too_many_timers_is_not_a_behaviour", Limits::default());
    assert!(
        matches!(&err, DecisionError::PluginRefused { message } if message.contains("invalid setting `behaviour`")),
        "{err:?}"
    );
    others_still_decide();
}

#[test]
fn a_refusal_is_recorded_with_the_plugins_message() {
    let err = eligibility_error("refuse", Limits::default());
    assert_eq!(
        err,
        DecisionError::PluginRefused {
            message: "the hostile plugin refuses".into()
        }
    );
}

#[test]
fn a_slow_plugin_within_its_deadline_decides_and_past_it_does_not() {
    let generous = Limits {
        fuel: u64::MAX,
        deadline: Duration::from_secs(5),
        ..Limits::default()
    };
    // About a tenth of a second of arithmetic on this machine.
    let ctx = CallContext {
        settings: json!({ "behaviour": "slow", "iterations": 100_000_000u64 }).to_string(),
        ..context("", generous)
    };
    let slow = hostile()
        .eligibility(&ctx, &referral(), monday())
        .expect("a slow decision inside its deadline stands");
    assert!(slow.fuel_used > 100_000_000, "{}", slow.fuel_used);

    // The same work against a 20 ms deadline, noticed within a 10 ms tick. Only
    // asserted when the work plainly takes longer than that: the same work never
    // runs several times faster than it just did.
    let tight = CallContext {
        limits: Limits {
            deadline: Duration::from_millis(20),
            ..generous
        },
        ..ctx
    };
    if slow.elapsed > Duration::from_millis(60) {
        let err = hostile()
            .eligibility(&tight, &referral(), monday())
            .expect_err("past its deadline");
        assert_eq!(err, DecisionError::DeadlineExceeded { deadline_ms: 20 });
    }
    others_still_decide();
}

#[test]
fn a_component_importing_wasi_outside_the_deterministic_set_is_refused_on_load() {
    // WASI 0.2's command interfaces are given (deterministic and deny-all, for
    // Python and JavaScript runtimes); HTTP is not.
    let wasm = bytes(fixture_plugin("hostile-wasi"));
    let err = policies()
        .load(&wasm)
        .expect_err("WASI HTTP is outside the contract");
    assert_eq!(
        err,
        PluginRejected::ForbiddenImports(vec!["wasi:http/outgoing-handler@0.2.0".into()])
    );
    assert!(
        err.to_string().contains("wasi:http/outgoing-handler@0.2.0"),
        "{err}"
    );
    others_still_decide();
}

#[test]
fn an_oversize_binary_is_refused_before_it_is_compiled() {
    // A valid plugin padded with a custom section past the upload cap.
    let mut wasm = bytes(plugin("stoke-on-trent"));
    let cap = Limits::default().max_plugin_bytes;
    let padding = cap + 1 - wasm.len().min(cap);
    wasm.push(0); // custom section id
    let mut size = padding as u64 + 2; // name length byte + name
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        wasm.push(if size == 0 { byte } else { byte | 0x80 });
        if size == 0 {
            break;
        }
    }
    wasm.extend([1, b'x']);
    wasm.resize(wasm.len() + padding, 0);
    let err = policies().load(&wasm).expect_err("over the cap");
    assert!(
        matches!(err, PluginRejected::TooLarge { limit, .. } if limit == cap),
        "{err:?}"
    );
    others_still_decide();
}

#[test]
fn bytes_that_are_not_wasm_are_refused() {
    for garbage in [&b"MZ\x90\x00 a Windows executable"[..], b"", b"\0asm"] {
        let err = policies().load(garbage).expect_err("not wasm");
        assert_eq!(err, PluginRejected::NotWasm, "{garbage:?}");
    }
    let err = policies()
        .load(b"\0asm\x0d\0\x01\0\x07\xff\xff")
        .expect_err("a cut-off component");
    assert!(matches!(err, PluginRejected::Invalid(_)), "{err:?}");
    others_still_decide();
}

#[test]
fn a_plugin_built_against_a_doctored_contract_with_an_unknown_enum_case_is_refused_on_load() {
    let wasm = bytes(fixture_plugin("hostile-enum"));
    let err = policies()
        .load(&wasm)
        .expect_err("an outcome the contract lacks");
    assert!(
        err.to_string()
            .contains("expected enum of 3 names, found 4 names"),
        "{err}"
    );
    others_still_decide();
}
