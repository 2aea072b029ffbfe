//! Hostile HTTP: a seeded generator throws malformed, oversized, mistyped and
//! forged requests at every declared route (`api::declared`,
//! so a new route is covered without touching this file) on a real daemon, and
//! checks that none gets a 5xx or kills the daemon, every 4xx is a problem-details
//! body, and a refused request changes nothing.
//!
//! `WAYMARK_HEAVY=1` tries 20 000 inputs instead of 1 500; `WAYMARK_HOSTILE_SEED=<n>`
//! replays another seed.

use crate::support;

use std::time::Duration;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use support::{ADMIN_TOKEN, Daemon, plugin};
use waymark::api::declared;

const COUNCIL: &str = "stoke-on-trent";

/// Real ids the generator sometimes uses, so requests get past the 404s.
struct Known {
    participants: Vec<String>,
    action: String,
}

/// Ids meant to escape, confuse or overflow the path.
const HOSTILE_IDS: &[&str] = &[
    "..",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f",
    "stoke-on-trent%2Fparticipants",
    "a%2Fb",
    "%00",
    "%ZZ",
    "%C0%AE%C0%AE",
    "STOKE-ON-TRENT",
    "stoke_on_trent",
    "-1",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "0000019c1d5d9c00-819867060984a315",
    "%27%20OR%201%3D1--",
    "%F0%9F%92%A5",
    "null",
    "%20",
];

const HOSTILE_QUERIES: &[&str] = &[
    "limit=0",
    "limit=-1",
    "limit=99999999999999999999999",
    "limit=abc",
    "limit=1&limit=2",
    "after=..%2F..%2F",
    "after=%00",
    "after=18446744073709551616",
    "status=exploded",
    "status=",
    "unknown=1",
    "%ZZ=%ZZ",
    "from=2026-02-30",
    "from=not-a-date&to=9999-99-99",
    "count=100000000",
];

const HOSTILE_STRINGS: &[&str] = &[
    "",
    " ",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "+275760-09-13",
    "-000001-01-01",
    "2026-01-05T25:61:00Z",
    "9999-12-31T23:59:59Z",
    "telepathy",
    "ACCEPTED",
    "platform_admin",
    "../../etc/passwd",
    "\u{0}",
    "\u{202e}evil",
    "Europe/Atlantis",
    "* * * * * * * *",
    "0 0 31 2 *",
    "FREQ=SECONDLY",
];

/// Field names and enum words, taken from the published request schemas.
fn vocabulary() -> (Vec<String>, Vec<Value>) {
    let mut names = Vec::new();
    let mut enums = Vec::new();
    fn walk(v: &Value, names: &mut Vec<String>, enums: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(props)) = m.get("properties") {
                    names.extend(props.keys().cloned());
                }
                if let Some(Value::Array(e)) = m.get("enum") {
                    enums.extend(e.iter().cloned());
                }
                if let Some(c) = m.get("const") {
                    enums.push(c.clone());
                }
                m.values().for_each(|x| walk(x, names, enums));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, names, enums)),
            _ => {}
        }
    }
    let dir = support::workspace().join("schemas");
    for entry in std::fs::read_dir(dir).expect("schemas/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let v: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("schema");
            walk(&v, &mut names, &mut enums);
        }
    }
    names.sort();
    names.dedup();
    (names, enums)
}

/// A plausible body for the route, for mutation.
fn seed_body(method: &str, pattern: &str) -> Value {
    match (method, pattern.rsplit('/').next().unwrap_or("")) {
        ("POST", "clock") => json!({ "now": "2026-02-03T09:00:00Z" }),
        ("POST", "councils") => json!({ "id": "leeds", "name": "Leeds City Council" }),
        ("POST", "referrals") => json!({
            "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "ST4 1AB"
        }),
        ("POST", "events") => json!({ "type": "started", "at": "2026-01-05" }),
        ("POST", "keys") => json!({ "name": "front desk", "role": "caseworker" }),
        ("PUT", "hold") => json!({ "reason": "tribunal" }),
        ("PUT", "calendar") => json!({ "non_working_days": ["2026-12-28"] }),
        ("POST", "schedules") | ("PUT", "{schedule}") => json!({
            "name": "weekly", "cron": "0 9 * * MON", "action": "review-caseload",
            "timezone": "Europe/London"
        }),
        _ => json!({}),
    }
}

fn hostile_value(rng: &mut ChaCha8Rng, enums: &[Value], depth: u32) -> Value {
    match rng.random_range(0..14) {
        0 => Value::Null,
        1 => json!(rng.random_bool(0.5)),
        2 => json!(rng.random_range(i64::MIN..i64::MAX)),
        3 => json!(1e308),
        4 => serde_json::from_str("18446744073709551616").expect("big number"),
        5 => json!(HOSTILE_STRINGS.choose(rng).expect("strings")),
        6 => json!("x".repeat(rng.random_range(1000..20_000))),
        7 => enums.choose(rng).cloned().unwrap_or(Value::Null),
        8 if depth < 3 => Value::Array(
            (0..rng.random_range(0..5))
                .map(|_| hostile_value(rng, enums, depth + 1))
                .collect(),
        ),
        9 if depth < 3 => {
            json!({ "type": hostile_value(rng, enums, depth + 1), "at": "2026-01-05" })
        }
        10 => json!(format!(
            "2026-{:02}-{:02}",
            rng.random_range(0..20),
            rng.random_range(0..40)
        )),
        _ => json!(HOSTILE_STRINGS.choose(rng).expect("strings")),
    }
}

/// Raw bytes for a request body, and whether to label them JSON.
fn hostile_body(
    rng: &mut ChaCha8Rng,
    method: &str,
    pattern: &str,
    names: &[String],
    enums: &[Value],
) -> (Vec<u8>, &'static str) {
    let json_ct = "application/json";
    match rng.random_range(0..16) {
        0 => (Vec::new(), json_ct),
        1 => (b"{".to_vec(), json_ct),
        2 => (b"null".to_vec(), json_ct),
        3 => (b"[]".to_vec(), json_ct),
        4 => {
            // Deep nesting, past any sane recursion limit.
            let depth = rng.random_range(200..20_000);
            let mut s = "[".repeat(depth);
            s.push_str(&"]".repeat(depth));
            (s.into_bytes(), json_ct)
        }
        5 => {
            // Larger than the body cap.
            let s = format!("{{\"name\":\"{}\"}}", "y".repeat(70 * 1024));
            (s.into_bytes(), json_ct)
        }
        6 => (vec![0xff, 0xfe, 0x00, 0x7b, 0x22], json_ct),
        7 => (
            serde_json::to_vec(&seed_body(method, pattern)).expect("json"),
            "text/plain",
        ),
        8 => {
            // Random object from the schemas' field names.
            let mut m = Map::new();
            for _ in 0..rng.random_range(0..6) {
                let k = names.choose(rng).cloned().unwrap_or_default();
                m.insert(k, hostile_value(rng, enums, 0));
            }
            (
                serde_json::to_vec(&Value::Object(m)).expect("json"),
                json_ct,
            )
        }
        _ => {
            // A plausible body with one field broken, dropped or added.
            let mut body = seed_body(method, pattern);
            if let Value::Object(m) = &mut body {
                let keys: Vec<String> = m.keys().cloned().collect();
                match (rng.random_range(0..4), keys.choose(rng)) {
                    (0, Some(k)) => {
                        m.remove(k);
                    }
                    (1, _) => {
                        let k = names.choose(rng).cloned().unwrap_or_default();
                        m.insert(format!("{k}_"), json!(1));
                    }
                    (_, Some(k)) => {
                        m.insert(k.clone(), hostile_value(rng, enums, 0));
                    }
                    (_, None) => {
                        m.insert("id".into(), hostile_value(rng, enums, 0));
                    }
                }
            }
            (serde_json::to_vec(&body).expect("json"), json_ct)
        }
    }
}

fn fill_path(rng: &mut ChaCha8Rng, pattern: &str, known: &Known) -> String {
    pattern
        .split('/')
        .map(|seg| {
            let real = rng.random_bool(0.5);
            match seg {
                "{council}" if real => COUNCIL.to_owned(),
                "{participant}" if real => {
                    known.participants.choose(rng).cloned().unwrap_or_default()
                }
                "{action}" if real => known.action.clone(),
                s if s.starts_with('{') => {
                    if rng.random_bool(0.1) {
                        "z".repeat(rng.random_range(300..9000))
                    } else {
                        (*HOSTILE_IDS.choose(rng).expect("ids")).to_owned()
                    }
                }
                s => s.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Everything a refused request must leave alone.
async fn snapshot(api: &support::Client, known: &Known) -> Vec<(String, Value)> {
    let mut paths = vec![
        "/v1/audit?limit=500".to_owned(),
        format!("/v1/councils/{COUNCIL}"),
        format!("/v1/councils/{COUNCIL}/actions?limit=500"),
        format!("/v1/councils/{COUNCIL}/keys"),
        format!("/v1/councils/{COUNCIL}/schedules"),
        format!("/v1/councils/{COUNCIL}/calendar"),
        "/v1/keys".to_owned(),
        "/v1/councils/leeds".to_owned(),
    ];
    for p in &known.participants {
        paths.push(format!("/v1/councils/{COUNCIL}/participants/{p}"));
    }
    let mut out = Vec::new();
    for path in paths {
        let mut r = api.get(&path).await;
        // Later audit pages: the whole chain's length is what counts.
        if path.starts_with("/v1/audit") {
            let mut n = r.body["entries"].as_array().map_or(0, Vec::len);
            while let Some(after) = r.body["next_cursor"].as_u64() {
                r = api.get(&format!("/v1/audit?limit=500&after={after}")).await;
                n += r.body["entries"].as_array().map_or(0, Vec::len);
            }
            out.push((path, json!({ "entries": n })));
            continue;
        }
        out.push((path, json!({ "status": r.status, "body": r.body })));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_never_get_a_5xx_and_refusals_change_nothing() {
    let heavy = std::env::var("WAYMARK_HEAVY").is_ok_and(|v| v == "1");
    let inputs = if heavy { 20_000 } else { 1_500 };
    let seed: u64 = std::env::var("WAYMARK_HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (names, enums) = vocabulary();

    let wasm = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start_with(
        dir.path(),
        &[
            ("WAYMARK_RATE_PER_SECOND", "1000000"),
            ("WAYMARK_RATE_BURST", "1000000"),
        ],
    );
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": COUNCIL, "name": "Stoke-on-Trent City Council" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = api
        .put_wasm(&format!("/v1/councils/{COUNCIL}/plugin"), wasm)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut participants = Vec::new();
    for _ in 0..3 {
        let r = api
            .post(
                &format!("/v1/councils/{COUNCIL}/referrals"),
                seed_body("POST", "referrals"),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["participant_id"].as_str().expect("id").to_owned();
        let r = api
            .post(
                &format!("/v1/councils/{COUNCIL}/participants/{id}/events"),
                seed_body("POST", "events"),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        participants.push(id);
    }
    api.set_clock("2026-02-03T09:00:00Z").await;
    let actions = api
        .wait_for(
            &format!("/v1/councils/{COUNCIL}/actions"),
            Duration::from_secs(10),
            |b| b["actions"].as_array().is_some_and(|a| !a.is_empty()),
        )
        .await;
    let known = Known {
        participants,
        action: actions["actions"][0]["id"]
            .as_str()
            .expect("action")
            .to_owned(),
    };

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut before = snapshot(&api, &known).await;
    let (mut tried, mut refused, mut accepted) = (0u64, 0u64, 0u64);
    let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
    while tried < inputs {
        let route = declared().choose(&mut rng).expect("routes");
        let (method, pattern) = (route.method.as_str(), route.path);
        let method = if rng.random_bool(0.05) {
            *["PATCH", "DELETE", "PUT", "GET", "POST"]
                .choose(&mut rng)
                .expect("m")
        } else {
            method
        };
        let mut url = format!("{}{}", daemon.base, fill_path(&mut rng, pattern, &known));
        if rng.random_bool(0.4) {
            url.push('?');
            url.push_str(HOSTILE_QUERIES.choose(&mut rng).expect("queries"));
        }
        let Ok(parsed) = reqwest::Url::parse(&url) else {
            continue;
        };
        let mut req = http.request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            parsed,
        );
        // Keys: mostly the admin's, sometimes none, forged or malformed.
        req = match rng.random_range(0..20) {
            0 => req,
            1 => req.bearer_auth(format!("wmk_{}", "0".repeat(40))),
            2 => req.header("authorization", "Basic YWRtaW46YWRtaW4="),
            3 => req.header("authorization", format!("Bearer {ADMIN_TOKEN}x")),
            _ => req.bearer_auth(ADMIN_TOKEN),
        };
        if method != "GET" || rng.random_bool(0.1) {
            let (body, ct) = hostile_body(&mut rng, method, pattern, &names, &enums);
            req = req.header("content-type", ct).body(body);
        }
        tried += 1;
        let what = format!("#{tried} {method} {url:.300}");
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => panic!(
                "{what}: no answer ({e}); daemon output:\n{}",
                daemon.output()
            ),
        };
        let status = resp.status().as_u16();
        *statuses.entry(status).or_default() += 1;
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.unwrap_or_default();
        assert!(status < 500, "{what} → {status}: {text:.500}");
        if status >= 400 {
            refused += 1;
            assert_eq!(
                ct, "application/problem+json",
                "{what} → {status}: {text:.300}"
            );
            let problem: Value = serde_json::from_str(&text).expect("problem body is JSON");
            assert_eq!(problem["status"], status, "{what}: {problem}");
            assert!(problem["detail"].is_string(), "{what}: {problem}");
            let after = snapshot(&api, &known).await;
            assert!(
                after == before,
                "{what} → {status} was refused but changed state"
            );
        } else {
            accepted += 1;
            // An accepted request may change state (and a clock move may fire timers).
            tokio::time::sleep(Duration::from_millis(100)).await;
            before = snapshot(&api, &known).await;
        }
        if tried % 50 == 0 {
            assert_eq!(
                api.get("/healthz").await.status,
                200,
                "daemon stopped answering"
            );
        }
    }
    assert_eq!(api.get("/healthz").await.status, 200);
    eprintln!(
        "hostile HTTP: seed {seed}, {tried} inputs over {} routes: {refused} refused, {accepted} \
         accepted, no 5xx; statuses {statuses:?}",
        declared().len()
    );
}

/// Sends raw bytes (what no HTTP client library would build) and returns the
/// status line's code, or `None` when the daemon closed the connection without one.
async fn raw(addr: &str, request: &[u8]) -> Option<u16> {
    let (addr, request) = (addr.to_owned(), request.to_vec());
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let _ = stream.write_all(&request);
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    })
    .await
    .expect("raw request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_traversal_paths_and_broken_http_are_refused_and_the_daemon_stays_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": "derby", "name": "Derby City Council" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let addr = daemon.base.trim_start_matches("http://").to_owned();
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}\r\n");
    let long_header = format!("X-Long: {}\r\n", "h".repeat(200_000));
    let paths = [
        "/v1/councils/derby/participants/../../../keys",
        "/v1/councils/derby/../../v1/keys",
        "/v1/councils/./derby",
        "/v1//councils//derby",
        "/v1/councils/derby/participants/..%2f..%2fkeys",
        "/v1/councils/derby%2Fparticipants",
        "/v1/councils/%2e%2e/keys",
        "/v1/councils/derby/participants/%00",
        "//etc/passwd",
        "/v1/councils/derby/actions?limit=%%%",
    ];
    let mut tried = 0;
    for path in paths {
        for method in ["GET", "DELETE", "POST"] {
            let req = format!(
                "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            );
            let status = raw(&addr, req.as_bytes()).await;
            tried += 1;
            let status = status.unwrap_or_else(|| panic!("{method} {path}: no answer"));
            assert!((400..500).contains(&status), "{method} {path} → {status}");
        }
    }
    // Broken HTTP: the connection may be refused outright, but never a 5xx.
    for req in [
        b"GARBAGE\r\n\r\n".to_vec(),
        b"GET /v1/councils/derby HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".to_vec(),
        b"POST /v1/councils HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{".to_vec(),
        b"POST /v1/councils HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n".to_vec(),
        format!("GET /v1/councils/derby HTTP/1.1\r\nHost: x\r\n{long_header}\r\n").into_bytes(),
        [b"GET /".as_slice(), &[0xff, 0xfe, 0x00], b" HTTP/1.1\r\n\r\n"].concat(),
    ] {
        tried += 1;
        if let Some(status) = raw(&addr, &req).await {
            assert!(status < 500, "{} → {status}", String::from_utf8_lossy(&req[..20]));
        }
        assert_eq!(api.get("/healthz").await.status, 200, "daemon stopped answering");
    }
    // Nothing changed: the one council is still there, no keys were revoked.
    let r = api.get("/v1/councils/derby").await;
    assert_eq!(r.status, 200, "{}", r.body);
    eprintln!("hostile HTTP (raw): {tried} raw requests, all refused, daemon up");
}
