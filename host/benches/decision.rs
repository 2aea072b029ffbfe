//! What one policy decision costs: a fresh sandbox per decision (instantiate the
//! Stoke-on-Trent plugin from its `InstancePre`, call the hook, check the answer),
//! beside the same rule called natively. Not a test: it prints a table.
//!
//!     cargo bench -p waymark --bench decision
//!
//! The target is a median of at most 10 µs per sandboxed decision. Stoke-on-Trent's
//! Python and JavaScript ports are built and timed the same way, side by side (the
//! first run installs componentize-py and ComponentizeJS into the cache).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use waymark::authoring::python::Toolchain;
use waymark::policy::{
    CallContext, EngineSettings, JourneyFacts, Limits, Plugin, Policies, ReferralFacts,
    ReferralRoute, Stage, Track, build_plugin,
};
use waymark::schedule::calendar::{Nation, UkCalendar};
use waymark_plugin_stoke_on_trent::{Settings, StokeOnTrent};
use waymark_sdk::{Journey, Policy, Referral};

const TARGET_MEDIAN: Duration = Duration::from_micros(10);
const WARM_UP: usize = 200;
const SAMPLES: usize = 3_000;
/// Native calls are too quick to time one by one: each sample times a batch.
const NATIVE_BATCH: u32 = 100;

struct Row {
    name: String,
    median: Duration,
    p99: Duration,
    /// For sandboxed rows: the median of the decision's own `elapsed` (fresh store,
    /// instantiation and the call); the rest is the host's input digest and checks.
    in_sandbox: Option<Duration>,
    fuel: Option<u64>,
    /// Judged against the 10 µs target: Rust's own hooks with the default settings.
    judged: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Times `f` SAMPLES times after a warm-up; each call is `per_call` decisions.
fn measure(per_call: u32, mut f: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..WARM_UP {
        f();
    }
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed() / per_call
        })
        .collect();
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn median_of(samples: &mut [Duration]) -> Duration {
    samples.sort();
    percentile(samples, 0.5)
}

/// Builds Stoke-on-Trent's Python and JavaScript ports as `waymark plugin build`
/// does (the first build installs the language's tools into the cache, and says
/// so): each language's component, or why there is none.
fn other_ports(workspace: &Path) -> Vec<(&'static str, Result<Vec<u8>, String>)> {
    let out = workspace.join("target/bench-plugins");
    let python = || -> Result<Vec<u8>, String> {
        let tools = Toolchain::ensure(&mut |line| eprintln!("waymark: {line}"))
            .map_err(|e| e.to_string())?;
        let wasm = tools
            .build(
                &workspace.join("plugins/stoke-on-trent-py"),
                Some(&out.join("stoke-on-trent-py.wasm")),
            )
            .map_err(|e| e.to_string())?;
        std::fs::read(wasm).map_err(|e| e.to_string())
    };
    let javascript = || -> Result<Vec<u8>, String> {
        let wasm = build_plugin(
            &workspace.join("plugins/stoke-on-trent-js"),
            Some(&out.join("stoke-on-trent-js.wasm")),
        )
        .map_err(|e| e.to_string())?;
        std::fs::read(wasm).map_err(|e| e.to_string())
    };
    vec![("Python", python()), ("JavaScript", javascript())]
}

/// The eligibility and plan rows of one plugin, each decision in a fresh sandbox.
fn sandboxed(
    language: &str,
    plugin: &Plugin,
    ctx: &CallContext,
    referral: &ReferralFacts,
    journey: &JourneyFacts,
    as_of: NaiveDate,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let fuel = plugin
        .eligibility(ctx, referral, as_of)
        .expect("decides")
        .fuel_used;
    let mut inside = Vec::with_capacity(SAMPLES + WARM_UP);
    let (median, p99) = measure(1, || {
        let decision = plugin.eligibility(ctx, referral, as_of);
        inside.push(decision.expect("decides").elapsed);
    });
    rows.push(Row {
        name: format!("{language} eligibility, fresh sandbox"),
        median,
        p99,
        in_sandbox: Some(median_of(&mut inside)),
        fuel: Some(fuel),
        judged: true,
    });
    let fuel = plugin.plan(ctx, journey, as_of).expect("plans").fuel_used;
    let mut inside = Vec::with_capacity(SAMPLES + WARM_UP);
    let (median, p99) = measure(1, || {
        inside.push(plugin.plan(ctx, journey, as_of).expect("plans").elapsed);
    });
    rows.push(Row {
        name: format!("{language} plan, fresh sandbox"),
        median,
        p99,
        in_sandbox: Some(median_of(&mut inside)),
        fuel: Some(fuel),
        judged: true,
    });
    rows
}

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let crate_dir = workspace.join("plugins/stoke-on-trent");
    let out = workspace.join("target/bench-plugins/stoke-on-trent.wasm");
    eprintln!("building the Stoke-on-Trent plugin ...");
    let wasm = build_plugin(&crate_dir, Some(&out)).expect("the plugin builds");
    let bytes = std::fs::read(wasm).expect("the built plugin");
    let policies = Policies::new(&EngineSettings::default(), Limits::default()).expect("engine");
    let plugin = policies.load(&bytes).expect("the plugin loads");
    let ctx = CallContext {
        settings: "{}".to_owned(),
        calendar: Arc::new(UkCalendar::new(Nation::EnglandAndWales)),
        limits: Limits::default(),
    };
    // The same settings written out in full, as a council that set every field has.
    let full = CallContext {
        settings: serde_json::to_string(&Settings::default()).expect("settings as JSON"),
        ..ctx.clone()
    };
    let monday = NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date");
    let referral = ReferralFacts {
        route: ReferralRoute::Jobcentre,
        age: 34,
        postcode_district: "ST4".into(),
        in_work: false,
        on_universal_credit: false,
        known_to_health_services: false,
        on_other_programme: false,
        cohorts: vec![],
        health_condition_or_disability: false,
    };
    let journey = JourneyFacts {
        stage: Stage::Started,
        track: Track::OutOfWork,
        referred_on: monday,
        started_on: Some(monday),
        job_started_on: None,
        missed_contacts: 0,
        employer_health_consent: false,
        mental_health_needs: false,
        programme: Default::default(),
        support_ends_on: None,
        job_ended_on: None,
        outcome_checkpoints: Vec::new(),
        health_condition_or_disability: false,
    };

    let mut rows = sandboxed("Rust", &plugin, &ctx, &referral, &journey, monday);
    let mut full_rows = sandboxed("Rust", &plugin, &full, &referral, &journey, monday);
    for row in &mut full_rows {
        row.name = format!("{}, full settings", row.name);
        row.judged = false;
    }
    rows.extend(full_rows);

    // A paused journey's plan is one reason and no timers: little beyond the
    // sandbox's own cost (a fresh instance, the call, the slot's reset, the input
    // digest), so the rows above less this one are what the plugin's work costs.
    let paused = JourneyFacts {
        stage: Stage::Paused,
        ..journey.clone()
    };
    let fuel = plugin.plan(&ctx, &paused, monday).expect("plans").fuel_used;
    let mut inside = Vec::with_capacity(SAMPLES + WARM_UP);
    let (median, p99) = measure(1, || {
        inside.push(plugin.plan(&ctx, &paused, monday).expect("plans").elapsed);
    });
    rows.push(Row {
        name: "Rust plan, paused journey (the floor)".to_owned(),
        median,
        p99,
        in_sandbox: Some(median_of(&mut inside)),
        fuel: Some(fuel),
        judged: false,
    });

    let settings = Settings::default();
    let native_referral = Referral::example();
    let native_journey = Journey::started_on(monday);
    let (median, p99) = measure(NATIVE_BATCH, || {
        for _ in 0..NATIVE_BATCH {
            std::hint::black_box(
                StokeOnTrent::eligibility(
                    &settings,
                    std::hint::black_box(&native_referral),
                    monday,
                )
                .expect("decides"),
            );
        }
    });
    rows.push(Row {
        name: "Rust eligibility, native".to_owned(),
        median,
        p99,
        in_sandbox: None,
        fuel: None,
        judged: false,
    });
    let (median, p99) = measure(NATIVE_BATCH, || {
        for _ in 0..NATIVE_BATCH {
            std::hint::black_box(
                StokeOnTrent::plan(&settings, std::hint::black_box(&native_journey), monday)
                    .expect("plans"),
            );
        }
    });
    rows.push(Row {
        name: "Rust plan, native".to_owned(),
        median,
        p99,
        in_sandbox: None,
        fuel: None,
        judged: false,
    });

    // Python and JavaScript: the same rules through their SDKs, side by side.
    let mut missing = Vec::new();
    eprintln!("building the Python and JavaScript ports ...");
    for (language, built) in other_ports(&workspace) {
        let loaded = built.and_then(|bytes| policies.load(&bytes).map_err(|e| e.to_string()));
        match loaded {
            // Beside Rust for comparison; the target is Rust's.
            Ok(other) => rows.extend(
                sandboxed(language, &other, &ctx, &referral, &journey, monday)
                    .into_iter()
                    .map(|row| Row {
                        judged: false,
                        ..row
                    }),
            ),
            Err(e) => missing.push(format!(
                "{language}: no figures, the port did not build or load: {e}"
            )),
        }
    }

    println!(
        "Stoke-on-Trent policy decision, {SAMPLES} samples each (pooled: {})",
        policies.pooled()
    );
    println!(
        "{:<45} {:>12} {:>12} {:>12} {:>10}  target",
        "decision", "median", "p99", "in sandbox", "fuel"
    );
    for row in &rows {
        let target = if row.judged {
            let verdict = if row.median <= TARGET_MEDIAN {
                "met"
            } else {
                "MISSED"
            };
            format!("median <= {} µs: {verdict}", TARGET_MEDIAN.as_micros())
        } else {
            "-".to_owned()
        };
        println!(
            "{:<45} {:>9.2} µs {:>9.2} µs {:>12} {:>10}  {target}",
            row.name,
            row.median.as_secs_f64() * 1e6,
            row.p99.as_secs_f64() * 1e6,
            row.in_sandbox
                .map(|d| format!("{:.2} µs", d.as_secs_f64() * 1e6))
                .unwrap_or_else(|| "-".to_owned()),
            row.fuel
                .map(|f| f.to_string())
                .unwrap_or_else(|| "-".to_owned()),
        );
    }
    for line in missing {
        println!("{line}");
    }
}
