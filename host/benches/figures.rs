//! `cargo bench -p waymark --bench figures`: the platform's speed and memory figures,
//! each printed beside its target. Figures, never assertions: a busy machine makes
//! them slower, not wrong.
//!
//! `WAYMARK_BENCH_JOURNEYS` sets the store's scale (default 1,000,000 journeys, each
//! with a pending timer); a smaller figure gives a quick look.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use tokio::sync::{Notify, watch};
use waymark::clock::{Clock, ManualClock, SystemClock};
use waymark::council::CouncilId;
use waymark::journey::{Journey, ParticipantId, Referral};
use waymark::policy::{PlannedTimer, ReferralRoute, TimerKind};
use waymark::schedule::Scheduler;
use waymark::schedule::timer::{Timer, TimerId};
use waymark::simulate::{self, CohortSpec, Variant};
use waymark::store::{DataFolderLock, JourneyWrite, Store};

struct Row {
    figure: String,
    value: String,
    target: &'static str,
}

/// Rows are also printed as they are measured, so a long run shows its progress.
fn record(rows: &mut Vec<Row>, row: Row) {
    eprintln!("  {}: {} (target {})", row.figure, row.value, row.target);
    rows.push(row);
}

fn rss_mib() -> f64 {
    rss_mib_of("self")
}

fn rss_mib_of(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn referral() -> Referral {
    Referral {
        route: ReferralRoute::Jobcentre,
        date_of_birth: day(1990, 4, 1),
        postcode: "ST4 1AB".into(),
        in_work: false,
        on_universal_credit: true,
        known_to_health_services: false,
        on_other_programme: false,
        cohorts: Vec::new(),
        health_condition_or_disability: false,
    }
}

fn open(dir: &std::path::Path) -> (DataFolderLock, Store) {
    let lock = DataFolderLock::acquire(dir).expect("lock");
    let store = Store::open(dir, &lock).expect("open store");
    (lock, store)
}

/// N journeys, each with one pending review timer spread over a year, written
/// through the same transactional path the API uses.
fn populate(store: &Store, council: &CouncilId, n: usize) {
    let threads = 2;
    std::thread::scope(|s| {
        for t in 0..threads {
            let store = store.clone();
            s.spawn(move || {
                for i in (t..n).step_by(threads) {
                    let participant = ParticipantId::new_random();
                    let journey =
                        Journey::refer(council.clone(), participant, day(2026, 1, 5), referral());
                    let due = day(2026, 1, 6) + TimeDelta::days((i % 365) as i64);
                    let timer = Timer::from_plan(
                        council,
                        participant,
                        &PlannedTimer {
                            kind: TimerKind::Review,
                            due,
                            purpose: "Key-worker review".into(),
                        },
                        chrono_tz::Europe::London,
                        NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
                    );
                    store
                        .write_journey(
                            None,
                            JourneyWrite::planned(&journey, std::slice::from_ref(&timer)),
                        )
                        .expect("write journey");
                }
            });
        }
    });
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("WAYMARK_BENCH_JOURNEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Runtime::new()?;
    let mut rows = Vec::new();
    let council: CouncilId = "bench".parse()?;

    eprintln!("bench: the store at scale…");
    // --- the store at scale -------------------------------------------------------
    let dir = tempfile::tempdir()?;
    {
        let (_lock, store) = open(dir.path());
        let started = Instant::now();
        populate(&store, &council, n);
        rt.block_on(store.flush())?;
        let secs = started.elapsed().as_secs_f64();
        record(
            &mut rows,
            Row {
                figure: format!("journey writes (transactional, 2 threads), {n} journeys"),
                value: format!("{:.0}/s", n as f64 / secs),
                target: "≥ 5,000/s",
            },
        );
    }
    let started = Instant::now();
    let (lock, store) = open(dir.path());
    let earliest = store.earliest_timer()?;
    let startup = started.elapsed();
    record(
        &mut rows,
        Row {
            figure: format!(
                "start-up with {} pending timers (open + first due)",
                store.timer_count()
            ),
            value: format!("{:.0} ms", startup.as_secs_f64() * 1e3),
            target: "≤ 2,000 ms",
        },
    );
    // What the daemon holds at start: the store open, the first due timer found.
    // (Reading every journey back into a Vec would measure this benchmark, not it.)
    let resident = rss_mib();
    record(
        &mut rows,
        Row {
            figure: format!("benchmark process memory after writing {n} journeys and reopening"),
            value: format!("{resident:.0} MiB"),
            target: "-",
        },
    );
    let _ = earliest;

    let clock = Arc::new(ManualClock::new(Utc::now()));
    clock.set(DateTime::parse_from_rfc3339("2027-06-01T00:00:00Z")?.with_timezone(&Utc));
    let scheduler = Scheduler::new(store.clone(), clock.clone(), Arc::new(Notify::new()));
    let started = Instant::now();
    let fired = rt.block_on(scheduler.fire_due())?;
    let secs = started.elapsed().as_secs_f64();
    record(
        &mut rows,
        Row {
            figure: format!(
                "timers fired end to end ({fired} of {n} pending, durable before delivery)"
            ),
            value: format!("{:.0}/s", fired as f64 / secs),
            target: "≥ 20,000/s",
        },
    );
    // Every handle on the store goes before the daemon takes the folder.
    drop(scheduler);
    drop(store);
    drop(lock);

    // The real daemon on that store: its resident memory once it is serving.
    {
        let daemon = support::Daemon::start_with(dir.path(), &[("RUST_LOG", "warn")]);
        let client = daemon.client();
        let healthy = rt.block_on(client.get("/healthz")).status;
        record(
            &mut rows,
            Row {
                figure: format!(
                    "daemon resident memory, serving a store of {n} journeys (healthz {healthy})"
                ),
                value: format!("{:.0} MiB", rss_mib_of(&daemon.pid().to_string())),
                target: "≤ 512 MiB",
            },
        );
    }

    eprintln!("bench: fire lag…");
    // --- fire lag at a steady rate ------------------------------------------------
    let lag_dir = tempfile::tempdir()?;
    let (_lag_lock, store) = open(lag_dir.path());
    let rate = 5_000usize;
    let seconds = 4usize;
    let lags = rt.block_on(async {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let changed = Arc::new(Notify::new());
        let (stop_tx, stop_rx) = watch::channel(false);
        let loop_ =
            tokio::spawn(Scheduler::new(store.clone(), clock, changed.clone()).run(stop_rx));
        let begin = Utc::now() + TimeDelta::milliseconds(300);
        for i in 0..rate * seconds {
            let participant = ParticipantId::new_random();
            let fire_at = begin + TimeDelta::microseconds((i * 1_000_000 / rate) as i64);
            let timer = Timer {
                id: TimerId::for_work(&council, participant, TimerKind::Review, day(2026, 1, 6)),
                council: council.clone(),
                participant,
                kind: TimerKind::Review,
                due: day(2026, 1, 6),
                fire_at,
                purpose: "lag".into(),
            };
            let journey = Journey::refer(council.clone(), participant, day(2026, 1, 5), referral());
            let _ = store.write_journey(
                None,
                JourneyWrite::planned(&journey, std::slice::from_ref(&timer)),
            );
            changed.notify_one();
            // Written just ahead of due, as a steady stream of new plans would be.
            let ahead = fire_at - TimeDelta::milliseconds(200);
            if let Ok(wait) = (ahead - Utc::now()).to_std() {
                tokio::time::sleep(wait).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let _ = stop_tx.send(true);
        let _ = loop_.await;
        let actions = store.actions(&council, None, None, rate * seconds + 10)?;
        let mut lags: Vec<f64> = actions
            .iter()
            .map(|a| {
                (a.fired_at - a.scheduled_for)
                    .num_microseconds()
                    .unwrap_or(0) as f64
                    / 1e3
            })
            .collect();
        lags.sort_by(f64::total_cmp);
        anyhow::Ok(lags)
    })?;
    record(
        &mut rows,
        Row {
            figure: format!(
                "fire lag at {rate} timers/s ({} fired), p50 / p99",
                lags.len()
            ),
            value: format!(
                "{:.1} / {:.1} ms",
                percentile(&lags, 0.5),
                percentile(&lags, 0.99)
            ),
            target: "p99 ≤ 100 ms",
        },
    );

    eprintln!("bench: simulation…");
    // --- simulation -----------------------------------------------------------------
    let plugin_path = support::plugin("stoke-on-trent");
    let policies = simulate::engine()?;
    let variant = Variant {
        plugin: simulate::load_plugin(&policies, &plugin_path)?,
        settings: serde_json::json!({}),
    };
    let cohort = simulate::generate(&CohortSpec::stoke(10_000, 1));
    let started = Instant::now();
    let (report, _) = simulate::simulate(
        &variant,
        &cohort,
        12,
        waymark::schedule::calendar::Nation::EnglandAndWales,
        |_, _| {},
    )?;
    record(
        &mut rows,
        Row {
            figure: format!(
                "simulation: 10,000 people × 12 months ({} plugin decisions)",
                report.plugin_calls
            ),
            value: format!("{:.1} s", started.elapsed().as_secs_f64()),
            target: "≤ 30 s",
        },
    );

    eprintln!("bench: API throughput…");
    // --- the API, over loopback against the real daemon ------------------------------
    let api_dir = tempfile::tempdir()?;
    // The per-key rate limit would measure itself, not the daemon: lift it here.
    let daemon = support::Daemon::start_with(
        api_dir.path(),
        &[
            ("WAYMARK_RATE_PER_SECOND", "1000000"),
            ("WAYMARK_RATE_BURST", "1000000"),
            ("RUST_LOG", "warn"),
        ],
    );
    let (writes, events, reads) = rt.block_on(async {
        let api = daemon.client();
        let bytes = std::fs::read(&plugin_path)?;
        api.post(
            "/v1/councils",
            serde_json::json!({"id": "bench", "name": "Bench"}),
        )
        .await;
        api.put_wasm("/v1/councils/bench/plugin", bytes).await;
        // Events are dated from 5 January: keep the clock there so none of the
        // timers they plan is already overdue and fires during the measurement.
        api.set_clock("2026-01-05T10:00:00Z").await;
        let api = Arc::new(api);
        let window = Duration::from_secs(4);
        let ids = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let mut tasks = Vec::new();
        let deadline = Instant::now() + window;
        for _ in 0..16 {
            let (api, ids) = (api.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                let mut done = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let r = api
                        .post(
                            "/v1/councils/bench/referrals",
                            serde_json::json!({"route":"jobcentre","date_of_birth":"1990-04-01","postcode":"ST4 1AB"}),
                        )
                        .await;
                    if let Some(id) = r.body["participant_id"].as_str() {
                        ids.lock().map(|mut v| v.push(id.to_owned())).ok();
                        done.push(sent.elapsed().as_secs_f64() * 1e3);
                    }
                }
                done
            }));
        }
        let mut writes = Vec::new();
        for t in tasks {
            writes.extend(t.await.unwrap_or_default());
        }
        let ids: Vec<String> = ids.lock().map(|v| v.clone()).unwrap_or_default();
        let ids = Arc::new(ids);
        // Events: each client takes its own participants (so no two clients race on
        // one journey), starts each, then records contacts with them in turn.
        let deadline = Instant::now() + window;
        let mut tasks = Vec::new();
        for k in 0..16 {
            let (api, ids) = (api.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                let mine: Vec<&String> = ids.iter().skip(k).step_by(16).collect();
                let mut started = vec![false; mine.len()];
                let mut done = Vec::new();
                let mut i = 0;
                while Instant::now() < deadline && !mine.is_empty() {
                    let n = i % mine.len();
                    let event = if started[n] {
                        serde_json::json!({"type": "contact_made", "at": "2026-01-06"})
                    } else {
                        serde_json::json!({"type": "started", "at": "2026-01-05"})
                    };
                    let sent = Instant::now();
                    let r = api
                        .post(&format!("/v1/councils/bench/participants/{}/events", mine[n]), event)
                        .await;
                    if r.status == 200 {
                        started[n] = true;
                        done.push(sent.elapsed().as_secs_f64() * 1e3);
                    }
                    i += 1;
                }
                done
            }));
        }
        let mut events = Vec::new();
        for t in tasks {
            events.extend(t.await.unwrap_or_default());
        }
        let deadline = Instant::now() + window;
        let mut tasks = Vec::new();
        for k in 0..16 {
            let (api, ids) = (api.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                let mut done = Vec::new();
                let mut i = k;
                while Instant::now() < deadline && !ids.is_empty() {
                    let id = &ids[i % ids.len()];
                    let sent = Instant::now();
                    let r = api.get(&format!("/v1/councils/bench/participants/{id}")).await;
                    if r.status == 200 {
                        done.push(sent.elapsed().as_secs_f64() * 1e3);
                    }
                    i += 16;
                }
                done
            }));
        }
        let mut reads = Vec::new();
        for t in tasks {
            reads.extend(t.await.unwrap_or_default());
        }
        writes.sort_by(f64::total_cmp);
        events.sort_by(f64::total_cmp);
        reads.sort_by(f64::total_cmp);
        anyhow::Ok((writes, events, reads))
    })?;
    record(
        &mut rows,
        Row {
            figure: "API writes: referrals (plugin decision + durable flush), 16 clients".into(),
            value: format!(
                "{:.0}/s, p99 {:.1} ms",
                writes.len() as f64 / 4.0,
                percentile(&writes, 0.99)
            ),
            target: "≥ 200/s, p99 ≤ 100 ms",
        },
    );
    record(
        &mut rows,
        Row {
            figure: "API writes: events (started, contacts; durable flush), 16 clients".into(),
            value: format!(
                "{:.0}/s, p99 {:.1} ms",
                events.len() as f64 / 4.0,
                percentile(&events, 0.99)
            ),
            target: "≥ 200/s, p99 ≤ 100 ms",
        },
    );
    record(
        &mut rows,
        Row {
            figure: "API reads: participant view, 16 clients".into(),
            value: format!(
                "{:.0}/s, p99 {:.1} ms",
                reads.len() as f64 / 4.0,
                percentile(&reads, 0.99)
            ),
            target: "≥ 2,000/s, p99 ≤ 50 ms",
        },
    );

    let width = rows
        .iter()
        .map(|r| r.figure.chars().count())
        .max()
        .unwrap_or(0);
    println!("\n{:width$}  {:>18}  target", "figure", "measured");
    for r in &rows {
        println!("{:width$}  {:>18}  {}", r.figure, r.value, r.target);
    }
    Ok(())
}
