//! `cargo bench -p waymark --bench console`: how long the console takes to answer
//! its pages with 10,000 participants in the store (`WAYMARK_BENCH_PARTICIPANTS`
//! sets another number), measured end to end over HTTP against the real daemon,
//! and how big each page's own HTML is. Figures, never assertions.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use waymark::council::CouncilId;
use waymark::journey::{Journey, ParticipantId, Referral};
use waymark::policy::{PlannedTimer, ReferralRoute, TimerKind};
use waymark::schedule::timer::Timer;
use waymark::store::{DataFolderLock, JourneyWrite, Store};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// N journeys, each with one pending review timer spread over a year, written
/// through the same transactional path the API uses (as `figures` does).
fn populate(dir: &std::path::Path, council: &CouncilId, n: usize) {
    let lock = DataFolderLock::acquire(dir).expect("lock");
    let store = Store::open(dir, &lock).expect("open store");
    for i in 0..n {
        let participant = ParticipantId::new_random();
        let referral = Referral {
            route: ReferralRoute::Jobcentre,
            date_of_birth: day(1990, 4, 1),
            postcode: "ST4 1AB".into(),
            in_work: false,
            on_universal_credit: true,
            known_to_health_services: false,
            on_other_programme: false,
            cohorts: Vec::new(),
            health_condition_or_disability: false,
        };
        let journey = Journey::refer(council.clone(), participant, day(2026, 1, 5), referral);
        let timer = Timer::from_plan(
            council,
            participant,
            &PlannedTimer {
                kind: TimerKind::Review,
                due: day(2026, 1, 6) + TimeDelta::days((i % 365) as i64),
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
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(store.flush()).expect("flush");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(i.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// The value of the first `name="csrf" value="…"` in a page.
fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

fn cookie_of(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .and_then(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("WAYMARK_BENCH_PARTICIPANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let samples = 200;
    let council: CouncilId = "bench".parse()?;
    let dir = tempfile::tempdir()?;
    eprintln!("bench: writing {n} journeys…");
    populate(dir.path(), &council, n);
    // Pages are answered through the API, under the key's rate limit: raised here, so
    // the figure is the page's time, not the limiter's.
    let daemon = support::Daemon::start_with(
        dir.path(),
        &[
            ("RUST_LOG", "warn"),
            ("WAYMARK_RATE_PER_SECOND", "1000000"),
            ("WAYMARK_RATE_BURST", "1000000"),
        ],
    );
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let admin = daemon.client();
        let r = admin
            .post(
                "/v1/councils",
                serde_json::json!({ "id": "bench", "name": "Bench Borough" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // Three weeks in: the reviews due so far fire, so "my work today (a page of 40)" has work.
        admin.set_clock("2026-01-26T10:00:00Z").await;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let roster = admin
            .get("/v1/councils/bench/participants?limit=1")
            .await;
        let participant = roster.body["participants"][0]["participant_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let r = admin
            .post(
                "/v1/councils/bench/keys",
                serde_json::json!({ "role": "caseworker", "name": "bench" }),
            )
            .await;
        let key = r.body["secret"].as_str().unwrap_or_default().to_owned();

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let base = daemon.base.clone();
        let form = http
            .get(format!("{base}/console/sign-in"))
            .send()
            .await
            .expect("sign-in page");
        let sign_in_cookie = cookie_of(&form, "waymark_sign_in");
        let csrf = csrf_of(&form.text().await.unwrap_or_default());
        let signed = http
            .post(format!("{base}/console/sign-in"))
            .header("cookie", format!("waymark_sign_in={sign_in_cookie}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&key={key}"))
            .send()
            .await
            .expect("sign in");
        let session = cookie_of(&signed, "waymark_session");
        assert!(!session.is_empty(), "signed in");

        let pages = [
            ("overview", "/console/councils/bench".to_owned()),
            ("my work today (a page of 40)", "/console/councils/bench/work".to_owned()),
            (
                "participants roster (a page of 40)",
                "/console/councils/bench/participants".to_owned(),
            ),
            (
                "a journey's timeline",
                format!("/console/councils/bench/participants/{participant}"),
            ),
            ("review queue", "/console/councils/bench/reviews".to_owned()),
        ];
        println!("Console pages with {n} participants in the store ({samples} requests each, end to end over HTTP on this machine):");
        println!("| page | p50 | p99 | HTML |");
        println!("|---|---|---|---|");
        for (name, path) in pages {
            let mut times = Vec::with_capacity(samples);
            let mut bytes = 0;
            for i in 0..samples + 10 {
                let started = Instant::now();
                let r = http
                    .get(format!("{base}{path}"))
                    .header("cookie", format!("waymark_session={session}"))
                    .send()
                    .await
                    .expect("page");
                assert!(r.status().is_success(), "{path}: {}", r.status());
                let body = r.bytes().await.expect("body");
                if i >= 10 {
                    times.push(started.elapsed().as_secs_f64() * 1e3);
                }
                bytes = body.len();
            }
            times.sort_by(f64::total_cmp);
            println!(
                "| {name} | {:.1} ms | {:.1} ms | {:.1} KB |",
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                bytes as f64 / 1024.0
            );
        }
    });
    Ok(())
}
