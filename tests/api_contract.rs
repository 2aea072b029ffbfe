//! The API's contract against the real daemon: `Idempotency-Key` retries (also across
//! kill -9 and a restart, and after the key expires), cursor pagination walked page by
//! page, and the list/get/change/delete routes with each role and across councils.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Client, Daemon, Reply, key, plugin};

const STOKE: &str = "/v1/councils/stoke-on-trent";
const LEEDS: &str = "/v1/councils/leeds";

/// Sends a request with an optional `Idempotency-Key`.
async fn send(
    api: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
    idempotency_key: Option<&str>,
) -> Reply {
    let mut req = api
        .http
        .request(method, format!("{}{path}", api.base))
        .bearer_auth(&api.token);
    if let Some(body) = body {
        req = req.json(body);
    }
    if let Some(k) = idempotency_key {
        req = req.header("idempotency-key", k);
    }
    let resp = req.send().await.expect("request reached the daemon");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("read body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        body,
        headers,
    }
}

async fn post_idem(api: &Client, path: &str, body: &Value, key: &str) -> Reply {
    send(api, Method::POST, path, Some(body), Some(key)).await
}

fn replayed(r: &Reply) -> bool {
    r.headers
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

fn problem_type(r: &Reply) -> &str {
    r.body["type"].as_str().unwrap_or_default()
}

async fn council(admin: &Client, id: &str) {
    let r = admin
        .post(
            "/v1/councils",
            json!({ "id": id, "name": format!("{id} council") }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

fn referral(postcode: &str) -> Value {
    json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": postcode })
}

/// Every participant id of a council, one big page.
async fn participant_ids(api: &Client, council: &str) -> Vec<String> {
    let r = api.get(&format!("{council}/participants?limit=500")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["next_cursor"].is_null(), "{}", r.body);
    r.body["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| p["participant_id"].as_str().expect("id").to_owned())
        .collect()
}

async fn audited(admin: &Client, council: &str, route: &str) -> usize {
    let r = admin.get(&format!("{council}/audit?limit=500")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["route"] == route)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_post_runs_once_even_across_kill_9_until_its_key_expires() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;

    // Creating a council twice with one key: the first answer, not "already exists".
    let new_council = json!({ "id": "stoke-on-trent", "name": "Stoke-on-Trent" });
    let first = post_idem(&admin, "/v1/councils", &new_council, "council-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(!replayed(&first));
    let again = post_idem(&admin, "/v1/councils", &new_council, "council-1").await;
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert!(replayed(&again));

    // A key made twice with one Idempotency-Key is one key, with the same secret.
    let new_key = json!({ "role": "caseworker", "name": "case system" });
    let made = post_idem(&admin, &format!("{STOKE}/keys"), &new_key, "key-1").await;
    assert_eq!(made.status, 201, "{}", made.body);
    let remade = post_idem(&admin, &format!("{STOKE}/keys"), &new_key, "key-1").await;
    assert_eq!((remade.status, &remade.body), (201, &made.body));
    let listed = admin.get(&format!("{STOKE}/keys")).await;
    assert_eq!(listed.body["keys"].as_array().map(Vec::len), Some(1));
    let secret = made.body["secret"].as_str().expect("secret").to_owned();
    let worker = admin.with_token(&secret);
    let referrals = format!("{STOKE}/referrals");

    // The referral: one participant, one audit entry, however often it is retried.
    let body = referral("ST4 1AB");
    let first = post_idem(&worker, &referrals, &body, "ref-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["participant_id"]
        .as_str()
        .expect("id")
        .to_owned();
    for _ in 0..3 {
        let again = post_idem(&worker, &referrals, &body, "ref-1").await;
        assert_eq!((again.status, &again.body), (201, &first.body));
        assert!(replayed(&again));
    }
    assert_eq!(participant_ids(&worker, STOKE).await, [id]);
    let route = "/v1/councils/{council}/referrals";
    assert_eq!(audited(&admin, STOKE, route).await, 1);
    assert_eq!(
        audited(&admin, STOKE, "/v1/councils/{council}/keys").await,
        1
    );

    // The same key on a different body is refused, and nothing is created.
    let other = post_idem(&worker, &referrals, &referral("ST1 1AA"), "ref-1").await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(
        problem_type(&other),
        "urn:waymark:problem:idempotency-key-reused"
    );
    assert!(
        other.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("different request")),
        "{}",
        other.body
    );
    // Malformed keys are refused before anything runs.
    for bad in ["has space".to_owned(), "x".repeat(256), String::new()] {
        let r = post_idem(&worker, &referrals, &body, &bad).await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.body);
        assert_eq!(
            problem_type(&r),
            "urn:waymark:problem:invalid-idempotency-key"
        );
    }
    assert_eq!(participant_ids(&worker, STOKE).await.len(), 1);

    // A body over the limit is refused as usual, key or not.
    let huge = json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "x".repeat(70_000) });
    let r = post_idem(&worker, &referrals, &huge, "ref-huge").await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(problem_type(&r), "urn:waymark:problem:body-too-large");

    // A refusal is not kept: the corrected request may use the same key.
    let bad = json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "nowhere" });
    let r = post_idem(&worker, &referrals, &bad, "ref-fixed").await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = post_idem(&worker, &referrals, &referral("ST4 3CD"), "ref-fixed").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(!replayed(&r));
    assert_eq!(participant_ids(&worker, STOKE).await.len(), 2);

    // Keys are scoped to the caller: another key's "ref-1" is its own request.
    let (_, other_worker) = key(&admin, STOKE, "caseworker").await;
    let theirs = post_idem(&other_worker, &referrals, &body, "ref-1").await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    assert_ne!(theirs.body["participant_id"], first.body["participant_id"]);

    // Concurrent requests with one key: one runs, the others wait and get its answer.
    let burst = referral("ST4 2BB");
    let answers = futures_join(&worker, &referrals, &burst, "ref-burst", 6).await;
    let ids: BTreeSet<&str> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.body);
            r.body["participant_id"].as_str().expect("id")
        })
        .collect();
    assert_eq!(ids.len(), 1, "concurrent retries made {ids:?}");
    assert_eq!(answers.iter().filter(|r| !replayed(r)).count(), 1);
    assert_eq!(participant_ids(&worker, STOKE).await.len(), 4);
    assert_eq!(audited(&admin, STOKE, route).await, 4);

    // kill -9 and a restart: the record was flushed before the first answer.
    daemon.kill9();
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    let worker = admin.with_token(&secret);
    let after = post_idem(&worker, &referrals, &body, "ref-1").await;
    assert_eq!((after.status, &after.body), (201, &first.body));
    assert!(replayed(&after));
    assert_eq!(participant_ids(&worker, STOKE).await.len(), 4);

    // A day later the key is forgotten: the same request is a new referral.
    admin.set_clock("2026-01-06T10:00:01Z").await;
    let later = post_idem(&worker, &referrals, &body, "ref-1").await;
    assert_eq!(later.status, 201, "{}", later.body);
    assert!(!replayed(&later));
    assert_ne!(later.body["participant_id"], first.body["participant_id"]);
    assert_eq!(participant_ids(&worker, STOKE).await.len(), 5);
}

/// Forgets every kept answer in a stopped daemon's store: what a crash after the work
/// was flushed, but before its answer was kept, leaves behind.
fn lose_kept_answers(data: &std::path::Path) {
    let db = sled::open(data.join("sled")).expect("open the stopped daemon's store");
    let answers = db.open_tree("idempotency").expect("tree");
    assert!(
        !answers.is_empty(),
        "the answers were kept before the crash"
    );
    answers.clear().expect("clear");
    db.flush().expect("flush");
}

/// A daemon in `dir` with Stoke-on-Trent and a caseworker who has referred someone and
/// recorded their start, each under an `Idempotency-Key` (`{keys}-ref`, `{keys}-start`).
struct Keyed {
    daemon: Daemon,
    admin: Client,
    worker: Client,
    referrals: String,
    referral: Value,
    referred: Reply,
    events: String,
    start: Value,
}

async fn referred_and_started_under_keys(dir: &std::path::Path, keys: &str) -> Keyed {
    let daemon = Daemon::start(dir);
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(&admin, "stoke-on-trent", "Stoke-on-Trent", "stoke-on-trent")
        .await;
    let (_, worker) = key(&admin, STOKE, "caseworker").await;
    let referrals = format!("{STOKE}/referrals");
    let referral = referral("ST4 1AB");
    let referred = post_idem(&worker, &referrals, &referral, &format!("{keys}-ref")).await;
    assert_eq!(referred.status, 201, "{}", referred.body);
    let id = referred.body["participant_id"].as_str().expect("id");
    let events = format!("{STOKE}/participants/{id}/events");
    let start = json!({ "type": "started", "at": "2026-01-05" });
    let started = post_idem(&worker, &events, &start, &format!("{keys}-start")).await;
    assert_eq!(started.status, 200, "{}", started.body);
    Keyed {
        daemon,
        admin,
        worker,
        referrals,
        referral,
        referred,
        events,
        start,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_event_schedule_or_key_whose_answer_was_lost_in_a_crash_is_not_made_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Keyed {
        daemon,
        admin,
        worker,
        referrals,
        referral: body,
        referred: first,
        events,
        start,
        ..
    } = referred_and_started_under_keys(dir.path(), "lost").await;
    let id = first.body["participant_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let contact = json!({ "type": "contact_made", "at": "2026-01-06" });
    let contacted = post_idem(&worker, &events, &contact, "lost-contact").await;
    assert_eq!(contacted.status, 200, "{}", contacted.body);
    let schedules = format!("{STOKE}/schedules");
    let digest = json!({
        "name": "Monday digest",
        "cron": "0 9 * * MON",
        "timezone": "Europe/London",
        "action": { "type": "caseload_digest" }
    });
    let scheduled = post_idem(&admin, &schedules, &digest, "lost-schedule").await;
    assert_eq!(scheduled.status, 201, "{}", scheduled.body);
    let keys = format!("{STOKE}/keys");
    let new_key = json!({ "role": "auditor", "name": "lost auditor" });
    let made = post_idem(&admin, &keys, &new_key, "lost-key").await;
    assert_eq!(made.status, 201, "{}", made.body);

    daemon.kill9();
    lose_kept_answers(dir.path());
    let daemon = Daemon::start(dir.path());
    let worker = daemon.client().with_token(&worker.token);

    // The retried referral finds its participant: the same answer, no second person.
    let again = post_idem(&worker, &referrals, &body, "lost-ref").await;
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert_eq!(participant_ids(&worker, STOKE).await, vec![id.clone()]);

    // The retried events are not recorded twice.
    let again = post_idem(&worker, &events, &start, "lost-start").await;
    assert_eq!(again.status, 200, "{}", again.body);
    let again = post_idem(&worker, &events, &contact, "lost-contact").await;
    assert_eq!(again.status, 200, "{}", again.body);
    let history = again.body["history"].as_array().expect("history");
    let kinds: Vec<&str> = history
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "started").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "contact_made").count(),
        1,
        "{kinds:?}"
    );

    // The retried schedule is the one made, not a second that would fire everything twice.
    let admin = daemon.client();
    let again = post_idem(&admin, &schedules, &digest, "lost-schedule").await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body["id"], scheduled.body["id"]);
    let listed = admin.get(&schedules).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body["schedules"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );

    // The retried key: its secret was never sent and is kept only as a hash, so the
    // answer names the key to revoke instead of making a second one.
    let again = post_idem(&admin, &keys, &new_key, "lost-key").await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(
        problem_type(&again),
        "urn:waymark:problem:key-secret-unavailable"
    );
    let orphan = made.body["id"].as_str().expect("id");
    assert!(
        again.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(orphan)),
        "{}",
        again.body
    );
    let listed = admin.get(&keys).await;
    let named: Vec<&Value> = listed.body["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|k| k["name"] == "lost auditor")
        .collect();
    assert_eq!(named.len(), 1, "{}", listed.body);

    // The key still names its first request: another body under it is refused.
    let other = post_idem(&worker, &referrals, &referral("ST4 2BB"), "lost-ref").await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(
        problem_type(&other),
        "urn:waymark:problem:idempotency-key-reused"
    );
    assert_eq!(participant_ids(&worker, STOKE).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_removes_the_answers_kept_for_a_participants_retries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Keyed {
        daemon,
        admin,
        worker,
        referrals,
        referral: body,
        referred,
        events,
        start,
    } = referred_and_started_under_keys(dir.path(), "erase").await;
    let id = referred.body["participant_id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Someone else's kept answer, which erasure must leave alone.
    let other = post_idem(&worker, &referrals, &referral("ST4 2BB"), "other-ref").await;
    assert_eq!(other.status, 201, "{}", other.body);

    let erased = admin.delete(&format!("{STOKE}/participants/{id}")).await;
    assert_eq!(erased.status, 200, "{}", erased.body);

    // A retry neither replays the erased details nor refers the person again.
    let again = post_idem(&worker, &referrals, &body, "erase-ref").await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert!(!replayed(&again));
    let again = post_idem(&worker, &events, &start, "erase-start").await;
    assert_eq!(again.status, 404, "{}", again.body);
    let kept = post_idem(&worker, &referrals, &referral("ST4 2BB"), "other-ref").await;
    assert_eq!((kept.status, &kept.body), (201, &other.body));
    assert!(replayed(&kept));
    assert_eq!(participant_ids(&worker, STOKE).await.len(), 1);

    // On disk: the other referral's answer remains; the erased participant's are gone.
    daemon.stop();
    let db = sled::open(dir.path().join("sled")).expect("open the stopped daemon's store");
    let answers = db.open_tree("idempotency").expect("tree");
    let keys: Vec<String> = answers
        .iter()
        .keys()
        .map(|k| String::from_utf8_lossy(&k.expect("key")).into_owned())
        .collect();
    assert!(keys.iter().any(|k| k.ends_with("\0other-ref")), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains("erase-")), "{keys:?}");
}

/// `n` copies of one request, sent at once.
async fn futures_join(api: &Client, path: &str, body: &Value, key: &str, n: usize) -> Vec<Reply> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let api = api.with_token(&api.token);
        let (path, body, key) = (path.to_owned(), body.clone(), key.to_owned());
        tasks.push(tokio::spawn(async move {
            post_idem(&api, &path, &body, &key).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

/// Walks a list page by page with `limit`, returning the `id_field` of every item.
async fn walk(api: &Client, path: &str, items: &str, id_field: &str, limit: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10_000 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &after {
            Some(a) => format!("{path}{sep}limit={limit}&after={a}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let r = api.get(&url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        let page = r.body[items].as_array().expect("items");
        assert!(page.len() <= limit, "{url} gave {} items", page.len());
        seen.extend(
            page.iter()
                .map(|i| i[id_field].as_str().expect("id").to_owned()),
        );
        match r.body["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(page.len(), limit, "a short page before the last: {url}");
                after = Some(next.to_owned());
            }
            None => return seen,
        }
    }
    panic!("{path} did not end");
}

async fn every_page_size_sees_each_item_once(
    api: &Client,
    path: &str,
    items: &str,
    id_field: &str,
    expected: usize,
) {
    let whole = walk(api, path, items, id_field, 500).await;
    assert_eq!(whole.len(), expected, "{path}");
    let unique: BTreeSet<&String> = whole.iter().collect();
    assert_eq!(unique.len(), whole.len(), "{path} lists an item twice");
    for limit in [1, 7] {
        let paged = walk(api, path, items, id_field, limit).await;
        assert_eq!(paged, whole, "{path} walked {limit} at a time");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_size_walks_participants_keys_and_actions_without_gaps() {
    let wasm = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    council(&admin, "stoke-on-trent").await;
    council(&admin, "leeds").await;
    let r = admin.put_wasm(&format!("{STOKE}/plugin"), wasm).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, worker) = key(&admin, STOKE, "caseworker").await;
    for role in ["auditor", "council_admin", "caseworker"] {
        for _ in 0..4 {
            key(&admin, STOKE, role).await;
        }
    }
    // Another council's keys and platform keys never show in Stoke's list.
    key(&admin, LEEDS, "caseworker").await;
    for n in 0..9 {
        let r = admin
            .post("/v1/keys", json!({ "name": format!("platform {n}") }))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    let people = 17;
    for n in 0..people {
        let r = worker
            .post(
                &format!("{STOKE}/referrals"),
                referral(&format!("ST4 {}{}", n % 10, ["AB", "BD"][n / 10])),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["participant_id"].as_str().expect("id");
        let r = worker
            .post(
                &format!("{STOKE}/participants/{id}/events"),
                json!({ "type": "started", "at": "2026-01-05" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Months on, each started journey has had its reviews fire.
    admin.set_clock("2026-05-01T09:00:00Z").await;
    let mut last = 0;
    for _ in 0..100 {
        let r = worker.get(&format!("{STOKE}/actions?limit=500")).await;
        let n = r.body["actions"].as_array().map_or(0, Vec::len);
        if n >= people && n == last {
            break;
        }
        last = n;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        last >= people,
        "expected an action per person at least, saw {last}"
    );

    every_page_size_sees_each_item_once(
        &worker,
        &format!("{STOKE}/participants"),
        "participants",
        "participant_id",
        people,
    )
    .await;
    every_page_size_sees_each_item_once(&admin, &format!("{STOKE}/keys"), "keys", "id", 13).await;
    // The bootstrap key is not stored; these are the nine made over the API.
    every_page_size_sees_each_item_once(&admin, "/v1/keys", "keys", "id", 9).await;
    every_page_size_sees_each_item_once(
        &worker,
        &format!("{STOKE}/actions"),
        "actions",
        "id",
        last,
    )
    .await;

    // Least data: the roster names no one.
    let roster = worker
        .get(&format!("{STOKE}/participants"))
        .await
        .body
        .to_string();
    assert!(
        !roster.contains("ST4") && !roster.contains("1990-04-01") && !roster.contains("postcode"),
        "{roster}"
    );
    // A cursor that is not one is refused.
    let r = admin.get(&format!("{STOKE}/keys?after=nonsense")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = worker.get(&format!("{STOKE}/participants?limit=501")).await;
    assert_eq!(r.status, 400, "{}", r.body);
}

/// The same component with a custom section appended: another version (digest) of it.
fn another_build(wasm: &[u8]) -> Vec<u8> {
    let name = b"waymark-test-build";
    let payload = b"2";
    let mut section = vec![u8::try_from(name.len()).expect("short name")];
    section.extend_from_slice(name);
    section.extend_from_slice(payload);
    let mut out = wasm.to_vec();
    out.push(0); // custom section
    out.push(u8::try_from(section.len()).expect("short section"));
    out.extend_from_slice(&section);
    out
}

/// Who asks, how, where, with what body, and the status they must get.
type Case<'a> = (&'a str, &'a Client, Method, String, Option<Value>, u16);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_new_route_answers_each_role_and_no_other_council() {
    let wasm = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    council(&admin, "stoke-on-trent").await;
    council(&admin, "leeds").await;
    let r = admin
        .put_wasm(&format!("{STOKE}/plugin"), wasm.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first_digest = r.body["digest"].as_str().expect("digest").to_owned();

    let (_, stoke_admin) = key(&admin, STOKE, "council_admin").await;
    let (_, worker) = key(&admin, STOKE, "caseworker").await;
    let (_, auditor) = key(&admin, STOKE, "auditor").await;
    let (_, leeds_admin) = key(&admin, LEEDS, "council_admin").await;
    let (_, leeds_worker) = key(&admin, LEEDS, "caseworker").await;

    // A Stoke participant, started, with a review action; a Leeds referral, which
    // (no plugin there) waits in Leeds's review queue.
    let r = worker
        .post(&format!("{STOKE}/referrals"), referral("ST4 1AB"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let person = r.body["participant_id"].as_str().expect("id").to_owned();
    let r = worker
        .post(
            &format!("{STOKE}/participants/{person}/events"),
            json!({ "type": "started", "at": "2026-01-05" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    admin.set_clock("2026-02-03T09:00:00Z").await;
    let actions = worker
        .wait_for(&format!("{STOKE}/actions"), Duration::from_secs(10), |b| {
            b["actions"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    let action = actions["actions"][0]["id"].as_str().expect("id").to_owned();
    let r = leeds_worker
        .post(&format!("{LEEDS}/referrals"), referral("LS1 4AP"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let leeds_person = r.body["participant_id"].as_str().expect("id").to_owned();
    let r = leeds_worker.get(&format!("{LEEDS}/reviews")).await;
    let review = r.body["reviews"][0]["id"].to_string();
    assert_ne!(review, "null", "{}", r.body);

    // (who, method, path, body, expected status)
    let get = Method::GET;
    let events = format!("{STOKE}/participants/{person}/events");
    let version = format!("{STOKE}/plugin/versions/{first_digest}");
    let leeds_review = format!("{LEEDS}/reviews/{review}");
    let rename = json!({ "name": "Stoke-on-Trent City Council" });
    let cases: Vec<Case> = vec![
        (
            "admin",
            &admin,
            get.clone(),
            "/v1/councils".into(),
            None,
            200,
        ),
        (
            "council admin",
            &stoke_admin,
            get.clone(),
            "/v1/councils".into(),
            None,
            403,
        ),
        (
            "caseworker",
            &worker,
            get.clone(),
            "/v1/councils".into(),
            None,
            403,
        ),
        (
            "council admin",
            &stoke_admin,
            Method::PATCH,
            STOKE.into(),
            Some(rename.clone()),
            200,
        ),
        (
            "caseworker",
            &worker,
            Method::PATCH,
            STOKE.into(),
            Some(rename.clone()),
            403,
        ),
        (
            "auditor",
            &auditor,
            Method::PATCH,
            STOKE.into(),
            Some(rename.clone()),
            403,
        ),
        (
            "other council",
            &leeds_admin,
            Method::PATCH,
            STOKE.into(),
            Some(rename.clone()),
            403,
        ),
        (
            "council admin",
            &stoke_admin,
            Method::DELETE,
            LEEDS.into(),
            None,
            403,
        ),
        (
            "caseworker",
            &worker,
            get.clone(),
            format!("{STOKE}/participants"),
            None,
            200,
        ),
        (
            "auditor",
            &auditor,
            get.clone(),
            format!("{STOKE}/participants"),
            None,
            200,
        ),
        (
            "council admin",
            &stoke_admin,
            get.clone(),
            format!("{STOKE}/participants"),
            None,
            403,
        ),
        (
            "other council",
            &leeds_worker,
            get.clone(),
            format!("{STOKE}/participants"),
            None,
            403,
        ),
        (
            "caseworker",
            &worker,
            get.clone(),
            events.clone(),
            None,
            200,
        ),
        ("auditor", &auditor, get.clone(), events.clone(), None, 200),
        (
            "council admin",
            &stoke_admin,
            get.clone(),
            events.clone(),
            None,
            403,
        ),
        (
            "other council",
            &leeds_worker,
            get.clone(),
            events.clone(),
            None,
            403,
        ),
        (
            "other council's id",
            &leeds_worker,
            get.clone(),
            format!("{LEEDS}/participants/{person}/events"),
            None,
            404,
        ),
        (
            "caseworker",
            &worker,
            get.clone(),
            format!("{STOKE}/actions/{action}"),
            None,
            200,
        ),
        (
            "auditor",
            &auditor,
            get.clone(),
            format!("{STOKE}/actions/{action}"),
            None,
            200,
        ),
        (
            "council admin",
            &stoke_admin,
            get.clone(),
            format!("{STOKE}/actions/{action}"),
            None,
            403,
        ),
        (
            "other council's id",
            &leeds_worker,
            get.clone(),
            format!("{LEEDS}/actions/{action}"),
            None,
            404,
        ),
        (
            "caseworker",
            &leeds_worker,
            get.clone(),
            leeds_review.clone(),
            None,
            200,
        ),
        (
            "council admin",
            &leeds_admin,
            get.clone(),
            leeds_review.clone(),
            None,
            403,
        ),
        (
            "other council",
            &worker,
            get.clone(),
            leeds_review.clone(),
            None,
            403,
        ),
        (
            "other council's id",
            &worker,
            get.clone(),
            format!("{STOKE}/reviews/{review}"),
            None,
            404,
        ),
        (
            "council admin",
            &stoke_admin,
            get.clone(),
            version.clone(),
            None,
            200,
        ),
        (
            "caseworker",
            &worker,
            get.clone(),
            version.clone(),
            None,
            200,
        ),
        ("auditor", &auditor, get.clone(), version.clone(), None, 200),
        (
            "other council's id",
            &leeds_admin,
            get.clone(),
            format!("{LEEDS}/plugin/versions/{first_digest}"),
            None,
            404,
        ),
        (
            "caseworker",
            &worker,
            Method::DELETE,
            version.clone(),
            None,
            403,
        ),
        (
            "auditor",
            &auditor,
            Method::DELETE,
            version.clone(),
            None,
            403,
        ),
        (
            "other council",
            &leeds_admin,
            Method::DELETE,
            version.clone(),
            None,
            403,
        ),
        (
            "council admin, active version",
            &stoke_admin,
            Method::DELETE,
            version.clone(),
            None,
            409,
        ),
    ];
    for (who, api, method, path, body, status) in &cases {
        let r = send(api, method.clone(), path, body.as_ref(), None).await;
        assert_eq!(r.status, *status, "{who}: {method} {path}: {}", r.body);
        if *status >= 400 {
            assert!(
                problem_type(&r).starts_with("urn:waymark:problem:"),
                "{}",
                r.body
            );
        }
    }

    // What the routes answer.
    let r = stoke_admin.get(STOKE).await;
    assert_eq!(r.body["name"], "Stoke-on-Trent City Council", "{}", r.body);
    let r = send(
        &stoke_admin,
        Method::PATCH,
        STOKE,
        Some(&json!({ "timezone": "Europe/Dublin", "reminder_time": "09:30:00", "colour": "red" })),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "unknown fields are refused: {}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("colour")),
        "{}",
        r.body
    );
    let r = send(
        &stoke_admin,
        Method::PATCH,
        STOKE,
        Some(&json!({ "timezone": "Europe/Dublin", "reminder_time": "09:30:00", "nation": "scotland" })),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["timezone"], "Europe/Dublin");
    assert_eq!(r.body["reminder_time"], "09:30:00");
    assert_eq!(r.body["nation"], "scotland");
    assert_eq!(r.body["name"], "Stoke-on-Trent City Council", "unchanged");
    let r = admin.get("/v1/councils").await;
    let ids: Vec<&str> = r.body["councils"]
        .as_array()
        .expect("councils")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["leeds", "stoke-on-trent"]);
    let r = worker.get(&events).await;
    let types: Vec<&str> = r.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"]["type"].as_str())
        .collect();
    assert_eq!(types.first(), Some(&"referred"), "{}", r.body);
    assert!(types.contains(&"started"), "{types:?}");
    let r = worker.get(&format!("{events}?limit=1&after=0")).await;
    assert_eq!(r.body["events"][0]["seq"], 1, "{}", r.body);
    let r = worker.get(&format!("{STOKE}/actions/{action}")).await;
    assert_eq!(r.body["id"], action.as_str());
    let r = leeds_worker.get(&leeds_review).await;
    assert_eq!(r.body["participant"], leeds_person.as_str(), "{}", r.body);
    let r = stoke_admin.get(&version).await;
    assert_eq!(r.body["active"], true, "{}", r.body);

    // A second version active, the first can go; it is then unknown and unlisted.
    let r = stoke_admin
        .put_wasm(&format!("{STOKE}/plugin"), another_build(&wasm))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.body["digest"], first_digest.as_str());
    let r = stoke_admin.delete(&version).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = stoke_admin.get(&version).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = stoke_admin.get(&format!("{STOKE}/plugin/versions")).await;
    assert_eq!(
        r.body["versions"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
    let r = stoke_admin
        .post(&format!("{STOKE}/plugin/rollback"), json!({}))
        .await;
    assert_eq!(
        r.status, 409,
        "no rollback to a deleted version: {}",
        r.body
    );

    // A council with participants is not deleted; the answer says how to empty it.
    let r = admin.delete(STOKE).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        problem_type(&r),
        "urn:waymark:problem:council-has-participants"
    );
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("erase") && detail.contains("DELETE"),
        "{detail}"
    );
    assert_eq!(stoke_admin.get(STOKE).await.status, 200);

    // Emptied by erasure, it goes, with its keys: a council made later with the same
    // id is not reachable with them.
    let r = leeds_admin
        .delete(&format!("{LEEDS}/participants/{leeds_person}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin.delete(LEEDS).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(admin.get(LEEDS).await.status, 404);
    council(&admin, "leeds").await;
    let r = leeds_admin.get(LEEDS).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = admin.delete("/v1/councils/york").await;
    assert_eq!(r.status, 404, "{}", r.body);
    let audit = admin.get("/v1/audit?limit=500").await.body.to_string();
    assert!(
        audit.contains("\"DELETE\"") && audit.contains("\"PATCH\""),
        "deleting and changing councils are audited: {audit}"
    );
}
