//! A hostile plugin behind the real daemon: each attack on a referral sends the
//! case to human review with the reason, nothing is decided for it, another
//! council's plugin keeps deciding, and the daemon keeps answering.

use crate::support;

use serde_json::{Value, json};
use support::{Client, Daemon, fixture_plugin, plugin};

/// Sends `req` with the admin key and a JSON body: the status and the JSON answer.
async fn send(api: &Client, req: reqwest::RequestBuilder, body: Value) -> (u16, Value) {
    let resp = req
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .expect("request reached the daemon");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("read body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_go_to_human_review_and_the_daemon_keeps_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-02T10:00:00Z").await;
    for (id, wasm) in [
        ("hostile", fixture_plugin("hostile-kit")),
        ("stoke-on-trent", plugin("stoke-on-trent")),
    ] {
        let r = api
            .post("/v1/councils", json!({ "id": id, "name": id }))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let bytes = std::fs::read(wasm).expect("built plugin");
        let r = api
            .put_wasm(&format!("/v1/councils/{id}/plugin"), bytes)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    // The postcode district picks the attack (see tests/plugins/hostile-kit).
    for (postcode, reason) in [
        ("ZE1 0AA", "fuel"),
        ("ZE2 9AA", "memory"),
        ("ZE3 9AA", "crashed"),
        ("ZE4 9AA", "answer is too large: over the 262144-byte limit"),
        ("ZE5 9AA", "crashed"),
    ] {
        let r = api
            .post(
                "/v1/councils/hostile/referrals",
                json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": postcode }),
            )
            .await;
        assert_eq!(r.status, 201, "{postcode}: {}", r.body);
        assert!(r.body["decision"].is_null(), "{postcode}: {}", r.body);
        let why = r.body["review_reason"].as_str().unwrap_or_default();
        assert!(why.contains(reason), "{postcode}: {why}");
        let id = r.body["participant_id"].as_str().expect("id");
        let r = api
            .get(&format!("/v1/councils/hostile/participants/{id}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.to_string().contains("sent_for_review"),
            "{postcode}: {}",
            r.body
        );

        // The daemon answers, and another council still decides.
        assert_eq!(api.get("/healthz").await.status, 200);
        let r = api
            .post(
                "/v1/councils/stoke-on-trent/referrals",
                json!({ "route": "jobcentre", "date_of_birth": "1990-01-01", "postcode": "ST4 1AB" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
    }

    // The hostile plugin itself decides an ordinary referral: a fresh sandbox each time.
    let r = api
        .post(
            "/v1/councils/hostile/referrals",
            json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": "ST4 1AB" }),
        )
        .await;
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
}

/// A plan timer due 262142-12-31 for a council in New York with an evening reminder
/// time: its UTC instant is past the end of chrono's calendar. The plan is refused as
/// an invalid answer, the case joins the review queue with the reason, and the
/// daemon (which once panicked here) keeps answering, retries included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_at_the_end_of_time_goes_to_review_and_nothing_panics() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-02T10:00:00Z").await;
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": "far-future", "name": "Far Future", "timezone": "America/New_York", "reminder_time": "20:00:00" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let bytes = std::fs::read(fixture_plugin("hostile-kit")).expect("built plugin");
    let r = api.put_wasm("/v1/councils/far-future/plugin", bytes).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api
        .put_json(
            "/v1/councils/far-future/settings",
            json!({ "behaviour": "far_future_timer" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    for reminder in ["20:00:00", "22:30:00"] {
        let (status, body) = send(
            &api,
            api.http
                .patch(format!("{}/v1/councils/far-future", api.base)),
            json!({ "reminder_time": reminder }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // The retry with the same Idempotency-Key once panicked again.
        for attempt in 0..2 {
            let (status, body) = send(
                &api,
                api.http
                    .post(format!("{}/v1/councils/far-future/referrals", api.base))
                    .header("idempotency-key", format!("far-future-{reminder}")),
                json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": "ST4 1AB" }),
            )
            .await;
            assert_eq!(status, 201, "{reminder} attempt {attempt}: {body}");
            assert_eq!(body["decision"]["outcome"], "accept", "{body}");
        }
        assert_eq!(api.get("/healthz").await.status, 200);
    }

    let r = api.get("/v1/councils/far-future/reviews?status=open").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reviews = r.body["reviews"].as_array().expect("reviews");
    assert_eq!(reviews.len(), 2, "{}", r.body);
    for review in reviews {
        assert_eq!(review["hook"], "plan", "{review}");
        let reason = review["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("invalid") && reason.contains("262142-12-31"),
            "{reason}"
        );
    }
}

/// Every file under `dir`, at any depth, by its path from `dir`: the compiled cache
/// keeps whole plugins at its top and their functions in `functions/<shard>/`.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, names: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, names);
            } else if let Ok(relative) = path.strip_prefix(root) {
                names.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    let mut names = Vec::new();
    walk(dir, dir, &mut names);
    names.sort();
    names
}

/// A field of the daemon's `/proc/<pid>/status`, in bytes (`VmHWM`, `VmRSS`).
fn memory_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("cannot read the daemon's /proc status (Linux only): {e}"));
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in the daemon's status:\n{status}"));
    kib * 1024
}

/// Uploads the daemon must refuse, each quickly and by name, leaving nothing behind:
/// a settings schema that is a validation bomb (28 entries, each `allOf` two `$ref`s
/// to the next), a plugin carrying more golden cases than an upload may, and sixty
/// distinct plugins whose golden cases fail. `data/compiled`,
/// the daemon's resident memory and `/healthz` are unaffected; and a body that is not
/// a JSON object is refused.
///
/// Stoke-on-Trent is first accepted for another council, so its functions are in the
/// cache: each refused copy is then built from them (as a council re-uploading a
/// fixed plugin would be) and must still leave no file behind, and the test spends
/// its time on sixty refusals rather than sixty full compiles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_uploads_are_named_and_leave_nothing_behind() {
    use waymark::policy::golden::{GOLDEN_SECTION, embed_section, strip_section};

    let dir = tempfile::tempdir().expect("temp dir");
    // Its own compiled cache (the daemon's default, in its data folder), not the
    // one the other tests share: what a refused upload leaves there is the point.
    let compiled = dir.path().join("compiled");
    let daemon = Daemon::start_with(
        dir.path(),
        &[(
            "WAYMARK_COMPILED_CACHE",
            compiled.to_str().expect("a UTF-8 temporary path"),
        )],
    );
    let api = daemon.client();
    let r = api
        .post("/v1/councils", json!({ "id": "bombed", "name": "Bombed" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    support::council_with_plugin(&api, "stoke", "Stoke-on-Trent", "stoke-on-trent").await;
    let before = files_in(&compiled);
    assert!(
        before.iter().any(|f| f.starts_with("functions/")),
        "the accepted plugin's functions are cached: {before:?}"
    );

    let bomb = std::fs::read(fixture_plugin("hostile-schema")).expect("built plugin");
    let started = std::time::Instant::now();
    let r = api.put_wasm("/v1/councils/bombed/plugin", bomb).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("more than 10000 subschemas"), "{detail}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(api.get("/healthz").await.status, 200);

    let stoke = strip_section(
        &std::fs::read(plugin("stoke-on-trent")).expect("built plugin"),
        GOLDEN_SECTION,
    );
    // The referral every golden case below asks about.
    let referral = json!({"route": "jobcentre", "age": 35, "postcode_district": "ST4",
                          "in_work": false, "on_universal_credit": false,
                          "known_to_health_services": false, "on_other_programme": false,
                          "cohorts": []});
    // Over the cap on golden cases: counted, and refused before anything is compiled.
    let case = json!({
        "name": "accepted", "hook": "eligibility", "input": referral,
        "as_of": "2026-01-05", "expect": {"outcome": "accept"}
    });
    let over = Value::Array(vec![case; waymark::policy::golden::MAX_GOLDEN_CASES + 1]);
    let mut bytes = stoke.clone();
    embed_section(&mut bytes, GOLDEN_SECTION, over.to_string().as_bytes());
    let r = api.put_wasm("/v1/councils/bombed/plugin", bytes).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("it carries 1001 golden cases, more than the 1000 an upload may"),
        "{detail}"
    );
    // Sixty distinct refused uploads (issue 14: each once kept ~3 MiB of memory and
    // ~2.3 MiB of compiled code). Resident memory is read once the first ten have
    // warmed the allocator and the engine, and again after the last.
    let mut warm_rss = 0;
    for n in 0..60 {
        if n == 10 {
            warm_rss = memory_status(daemon.pid(), "VmRSS");
        }
        let wrong = json!([{
            "name": format!("refused upload {n}"),
            "hook": "eligibility",
            "input": referral,
            "as_of": "2026-01-05",
            "expect": {"outcome": "decline"}
        }]);
        let mut bytes = stoke.clone();
        embed_section(&mut bytes, GOLDEN_SECTION, wrong.to_string().as_bytes());
        let r = api.put_wasm("/v1/councils/bombed/plugin", bytes).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("1 of 1 golden cases failed"),
            "{}",
            r.body
        );
    }
    assert_eq!(
        files_in(&compiled),
        before,
        "refused uploads left compiled code"
    );
    let grown = memory_status(daemon.pid(), "VmRSS").saturating_sub(warm_rss);
    assert!(
        grown < 32 << 20,
        "50 refused uploads grew the daemon's resident memory by {} KiB",
        grown >> 10
    );
    let r = api.get("/v1/councils/bombed/plugin/versions").await;
    assert_eq!(r.body["versions"], json!([]), "{}", r.body);

    // Strict bodies: serde would read the limits from an array of their fields.
    let r = api.put_json("/v1/councils/bombed/limits", json!([])).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.body["type"], "urn:waymark:problem:invalid-body",
        "{}",
        r.body
    );
}

/// Polls `/healthz` every 50 ms until `stop`: how many answers, and the slowest.
/// A request that gets no 200 within 5 s fails the test there.
async fn poll_health(
    base: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (usize, std::time::Duration) {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let (mut answers, mut slowest) = (0, Duration::ZERO);
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let r = http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("/healthz answers within 5 s");
        assert_eq!(r.status(), 200);
        slowest = slowest.max(started.elapsed());
        answers += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (answers, slowest)
}

/// The two schemas that once held the daemon up (issue 14): a validation bomb, whose
/// four concurrent uploads kept `/healthz` waiting 10 s, and a `pattern` only a
/// backtracking engine runs, which made one settings check take a minute. Four of
/// each are uploaded at once; each is refused, naming the bound it breaks and what
/// to change, while `/healthz`, polled throughout, answers every time within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_bomb_and_a_backtracking_pattern_are_refused_while_healthz_answers_within_a_second()
 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let bomb = std::fs::read(fixture_plugin("hostile-schema")).expect("built plugin");
    let backtracking = std::fs::read(fixture_plugin("hostile-pattern")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    let r = api
        .post("/v1/councils", json!({ "id": "bombed", "name": "Bombed" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let stop = Arc::new(AtomicBool::new(false));
    let health = tokio::spawn(poll_health(daemon.base.clone(), stop.clone()));
    let mut uploads = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (kind, wasm) = if n % 2 == 0 {
            ("bomb", bomb.clone())
        } else {
            ("pattern", backtracking.clone())
        };
        let api = daemon.client();
        uploads.spawn(async move {
            let r = api.put_wasm("/v1/councils/bombed/plugin", wasm).await;
            (kind, r.status, r.body)
        });
    }
    while let Some(done) = uploads.join_next().await {
        let (kind, status, body) = done.expect("upload task");
        assert_eq!(status, 422, "{kind}: {body}");
        let detail = body["detail"].as_str().unwrap_or_default();
        let bound = match kind {
            "bomb" => "more than 10000 subschemas",
            _ => "\"^(a+)+(?=b)\", which the linear-time regex engine does not accept",
        };
        assert!(detail.contains(bound), "{kind} names the bound: {detail}");
        assert!(
            detail.contains("simplify settings-schema in the plugin"),
            "{kind} says what to change: {detail}"
        );
    }
    stop.store(true, Ordering::SeqCst);
    let (answers, slowest) = health.await.expect("health poller");
    assert!(answers > 0, "/healthz was never polled");
    assert!(
        slowest < std::time::Duration::from_secs(1),
        "/healthz took {slowest:?} while the uploads were refused"
    );
    let r = api.get("/v1/councils/bombed/plugin/versions").await;
    assert_eq!(r.body["versions"], json!([]), "{}", r.body);
}

/// A settings check within the bounds but slow (the `slow-schema` fixture: each item
/// of a megabyte of settings walks about 2,000 subschemas) stops when its client
/// hangs up: the daemon logs that the check stopped because whoever asked had gone
/// (the work returned early; a finished check logs nothing of the kind), and the
/// settings are unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_settings_check_stops_when_its_client_hangs_up() {
    use std::time::{Duration, Instant};

    let wasm = std::fs::read(fixture_plugin("slow-schema")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start_with(dir.path(), &[("WAYMARK_MAX_BODY_BYTES", "4194304")]);
    let api = daemon.client();
    let r = api
        .post("/v1/councils", json!({ "id": "slow", "name": "Slow" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = api.put_wasm("/v1/councils/slow/plugin", wasm).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Small settings fit at once: the schema is usable.
    let r = api
        .put_json("/v1/councils/slow/settings", json!({ "items": ["x"] }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // 400,000 items: hundreds of millions of subschemas, far more than a second's work.
    let settings = json!({ "items": vec!["y"; 400_000] });
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .expect("client");
    let sent = impatient
        .put(format!("{}/v1/councils/slow/settings", daemon.base))
        .bearer_auth(&api.token)
        .json(&settings)
        .send()
        .await;
    match sent {
        Err(e) if e.is_timeout() => {} // hung up, as meant
        other => panic!("the slow check answered within a second: {other:?}"),
    }
    drop(impatient);

    let stopped = "settings check stopped before it was done: the settings check was stopped: \
                   whoever asked for it has gone";
    let deadline = Instant::now() + Duration::from_secs(60);
    while !daemon.output().contains(stopped) {
        assert!(
            Instant::now() < deadline,
            "the check never stopped: {}",
            daemon.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = api.get("/v1/councils/slow/settings").await;
    assert_eq!(r.body["settings"], json!({ "items": ["x"] }), "{}", r.body);
    assert_eq!(api.get("/healthz").await.status, 200);
}

/// Answers far over the 256 KiB cap, written by the plugin straight into its memory
/// in the canonical ABI's form (see tests/plugins/hostile-raw): 2 million reasons in
/// 30.5 MiB, one reason with a blank rule id and 30 MiB of text, a 30 MiB refusal.
/// Each is measured as it is lifted, refused as too large (by the cap, not by the
/// deadline the copying once overran) having copied at most the cap, and the
/// daemon's peak resident memory grows by less than 64 MiB (the plugin's own 30 MiB
/// of memory included) while it keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_answers_are_refused_as_too_large_without_being_copied() {
    const BOUND: u64 = 64 << 20;
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-02T10:00:00Z").await;
    let r = api
        .post("/v1/councils", json!({ "id": "raw", "name": "Raw" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let bytes = std::fs::read(fixture_plugin("hostile-raw")).expect("built plugin");
    let r = api.put_wasm("/v1/councils/raw/plugin", bytes).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Writing 2 million reasons takes the plugin more than the default 50 million
    // fuel, and a busy machine may take longer than 200 ms: room for the plugin to
    // finish, so what is judged is its answer. Memory and the answer cap keep their
    // defaults (32 MiB, 256 KiB).
    let r = api
        .put_json(
            "/v1/councils/raw/limits",
            json!({ "fuel": 1_000_000_000u64, "deadline_ms": 5000 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let refer = |postcode: &'static str| {
        api.post(
            "/v1/councils/raw/referrals",
            json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": postcode }),
        )
    };
    // Warm: the plugin has decided once, so what follows measures the answers alone.
    let r = refer("ST4 1AB").await;
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);

    // Linux resets the peak (VmHWM) to the current resident size on writing 5 here.
    let pid = daemon.pid();
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .unwrap_or_else(|e| panic!("cannot reset the daemon's peak RSS: {e}"));
    let resident = memory_status(pid, "VmRSS");
    assert!(memory_status(pid, "VmHWM") < resident + (1 << 20));

    for (postcode, what) in [
        ("ZE6 1AA", "2 million reasons"),
        ("ZE7 1AA", "a blank rule with 30 MiB of text"),
        ("ZE8 1AA", "a 30 MiB refusal"),
    ] {
        let r = refer(postcode).await;
        assert_eq!(r.status, 201, "{what}: {}", r.body);
        assert!(r.body["decision"].is_null(), "{what}: {}", r.body);
        let why = r.body["review_reason"].as_str().unwrap_or_default();
        assert!(
            why.contains("answer is too large")
                && why.contains("over the 262144-byte limit")
                && why.contains("`max_output_bytes`"),
            "{what}: {why}"
        );
        assert!(why.len() < 400, "{what}: the reason quotes the answer");
        let grown = memory_status(pid, "VmHWM").saturating_sub(resident);
        eprintln!(
            "{what}: peak RSS grew by {:.1} MiB",
            grown as f64 / f64::from(1 << 20)
        );
        assert!(
            grown < BOUND,
            "{what}: the daemon's peak RSS grew by {} MiB",
            grown >> 20
        );
        assert_eq!(api.get("/healthz").await.status, 200);
    }

    // The review queue holds each case (beside the warm-up's plan, which this
    // plugin refuses), and the plugin still decides.
    let r = api.get("/v1/councils/raw/reviews?status=open").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reviews = r.body["reviews"].as_array().cloned().unwrap_or_default();
    let too_large = reviews
        .iter()
        .filter(|review| review["hook"] == "eligibility")
        .filter(|review| {
            let reason = review["reason"].as_str().unwrap_or_default();
            reason.contains("answer is too large")
        })
        .count();
    assert_eq!(too_large, 3, "{}", r.body);
    let r = refer("ST4 1AB").await;
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
}
