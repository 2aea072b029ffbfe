//! Webhook delivery end to end: the real daemon on a manual clock pushes a fired
//! review to a receiver in this process, signed, with its idempotency key; retries
//! a receiver that fails or hangs; dead-letters and redelivers; and resumes its
//! retry schedule after `kill -9`.

use crate::support;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use support::receiver::{Mode, Receiver};
use support::{Client, Daemon, plugin};

const SECRET: &str = "whsec-e2e-0123456789abcdef0123456789";
const ACTIONS: &str = "/v1/councils/stoke-on-trent/actions";
const WAIT: Duration = Duration::from_secs(15);

/// A daemon with Stoke-on-Trent's plugin and a participant started on Monday
/// 5 January 2026, whose first review is due on Monday 2 February.
async fn council_with_a_started_participant(dir: &Path) -> Daemon {
    let _wasm = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let daemon = Daemon::start(dir);
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(
        &api,
        "stoke-on-trent",
        "Stoke-on-Trent City Council",
        "stoke-on-trent",
    )
    .await;
    support::started_participant(&api, "stoke-on-trent").await;
    daemon
}

async fn set_webhook(api: &Client, url: &str, max_attempts: u32) {
    let r = api
        .put(
            "/v1/councils/stoke-on-trent/webhook",
            json!({
                "url": url, "secret": SECRET, "timeout_ms": 400, "max_attempts": max_attempts,
                "backoff": { "initial_ms": 2_000, "max_ms": 60_000 }
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Moves the clock past the first review (2 February, 08:00 London) and returns it.
async fn fire_first_review(api: &Client) -> Value {
    api.set_clock("2026-02-02T09:00:00Z").await;
    let page = api
        .wait_for(ACTIONS, WAIT, |b| first_review(b).is_some())
        .await;
    first_review(&page).expect("review fired")
}

fn first_review(page: &Value) -> Option<Value> {
    page["actions"]
        .as_array()?
        .iter()
        .find(|a| a["kind"] == "review" && a["due"] == "2026-02-02")
        .cloned()
}

/// The stored action with this id, once `done` holds for it.
async fn action_when(api: &Client, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let page = api
        .wait_for(ACTIONS, WAIT, |b| {
            b["actions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["id"] == id && done(x)))
        })
        .await;
    page["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == id).cloned())
        .expect("action listed")
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fired_review_reaches_the_webhook_once_signed_with_its_idempotency_key() {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = council_with_a_started_participant(dir.path()).await;
    let api = daemon.client();

    // Bad configurations are refused with the field named, and change nothing.
    let hook = "/v1/councils/stoke-on-trent/webhook";
    for (body, field) in [
        (
            json!({ "url": receiver.url, "secret": "too-short" }),
            "secret",
        ),
        (
            json!({ "url": "ftp://council.example/in", "secret": SECRET }),
            "url",
        ),
        (
            json!({ "url": receiver.url, "secret": SECRET, "retries": 3 }),
            "retries",
        ),
        (
            json!({ "url": receiver.url, "secret": SECRET, "timeout_ms": 0 }),
            "timeout_ms",
        ),
        (
            json!({ "url": receiver.url, "secret": SECRET, "backoff": { "initial_ms": 5000, "max_ms": 10 } }),
            "max_ms",
        ),
    ] {
        let r = api.put(hook, body.clone()).await;
        assert_eq!(r.status, 422, "{body} → {}", r.body);
        assert!(
            str_of(&r.body["detail"]).contains(field),
            "{body} → {}",
            r.body
        );
    }
    let r = api.get(hook).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = api
        .put(
            "/v1/councils/nowhere/webhook",
            json!({ "url": receiver.url, "secret": SECRET }),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Defaults fill what is left out; the secret is never shown.
    let r = api
        .put(hook, json!({ "url": receiver.url, "secret": SECRET }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api.get(hook).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["url"], receiver.url.as_str());
    assert_eq!(r.body["timeout_ms"], 10_000);
    assert_eq!(r.body["max_attempts"], 10);
    assert_eq!(r.body["backoff"]["initial_ms"], 1_000);
    assert!(!r.body.to_string().contains(SECRET), "{}", r.body);
    assert!(r.body.get("secret").is_none(), "{}", r.body);

    let review = fire_first_review(&api).await;
    let id = str_of(&review["id"]);
    let key = str_of(&review["idempotency_key"]);
    let delivered = action_when(&api, &id, |a| a["status"] == "delivered").await;
    assert_eq!(delivered["delivery"]["attempts"], 1, "{delivered}");
    assert!(
        delivered["delivery"]["delivered_at"].is_string(),
        "{delivered}"
    );

    // Weeks later, still exactly one request for it.
    api.set_clock("2026-02-20T09:00:00Z").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.for_action(&id);
    assert_eq!(got.len(), 1, "delivered more than once");
    let request = &got[0];
    assert!(request.signed_with(SECRET), "signature does not verify");
    assert!(!request.signed_with("another-secret-0123456789abcdef0123"));
    assert_eq!(request.header("idempotency-key"), Some(key.as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(body["kind"], "review");
    assert_eq!(body["due"], "2026-02-02");
    assert_eq!(body["idempotency_key"], key.as_str());
    // Each action the receiver got came once, with its own key.
    let all = receiver.received();
    let mut ids: Vec<String> = all.iter().map(|r| str_of(&r.json()["id"])).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "an action was posted twice");

    // Acknowledging a delivered action leaves it delivered; removing the webhook
    // goes back to pulling.
    let r = api.delete(hook).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = api.delete(hook).await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_then_hanging_receiver_is_retried_with_the_same_key_until_it_recovers() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail);
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = council_with_a_started_participant(dir.path()).await;
    let api = daemon.client();
    set_webhook(&api, &receiver.url, 5).await;

    let review = fire_first_review(&api).await;
    let id = str_of(&review["id"]);
    let key = str_of(&review["idempotency_key"]);

    // Attempt 1: a 500. The retry waits for the clock.
    let a = action_when(&api, &id, |a| {
        a["delivery"]["attempts"] == 1 && a["delivery"]["last_error"].is_string()
    })
    .await;
    assert_eq!(a["status"], "pending", "{a}");
    assert!(str_of(&a["delivery"]["last_error"]).contains("500"), "{a}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.for_action(&id).len(), 1, "retried before its time");

    // Attempt 2: the receiver holds the request past the 400 ms timeout.
    receiver.set_mode(Mode::Hang(Duration::from_secs(3)));
    api.set_clock(&str_of(&a["delivery"]["next_attempt_at"]))
        .await;
    let a = action_when(&api, &id, |a| {
        a["delivery"]["attempts"] == 2 && str_of(&a["delivery"]["last_error"]).contains("timeout")
    })
    .await;
    assert_eq!(a["status"], "pending", "{a}");

    // Attempt 3: recovered.
    receiver.set_mode(Mode::Accept);
    api.set_clock(&str_of(&a["delivery"]["next_attempt_at"]))
        .await;
    let a = action_when(&api, &id, |a| a["status"] == "delivered").await;
    assert_eq!(a["delivery"]["attempts"], 3, "{a}");

    let got = receiver.for_action(&id);
    assert_eq!(got.len(), 3);
    for (n, r) in got.iter().enumerate() {
        assert_eq!(
            r.header("idempotency-key"),
            Some(key.as_str()),
            "attempt {}",
            n + 1
        );
        assert_eq!(
            r.header("waymark-attempt"),
            Some((n + 1).to_string().as_str())
        );
        assert!(r.signed_with(SECRET));
        // Every attempt sends the same bytes.
        assert_eq!(r.body, got[0].body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_that_always_fails_dead_letters_the_action_and_redelivery_sends_it_again() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail);
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = council_with_a_started_participant(dir.path()).await;
    let api = daemon.client();
    set_webhook(&api, &receiver.url, 2).await;

    let review = fire_first_review(&api).await;
    let id = str_of(&review["id"]);
    let redeliver = format!("{ACTIONS}/{id}/redeliver");

    let a = action_when(&api, &id, |a| {
        a["delivery"]["attempts"] == 1 && a["delivery"]["last_error"].is_string()
    })
    .await;
    // A pending action cannot be redelivered.
    let r = api.post(&redeliver, json!({})).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(str_of(&r.body["detail"]).contains("pending"), "{}", r.body);
    api.set_clock(&str_of(&a["delivery"]["next_attempt_at"]))
        .await;
    let dead = action_when(&api, &id, |a| a["status"] == "dead_letter").await;
    assert_eq!(dead["delivery"]["attempts"], 2, "{dead}");
    assert!(dead["delivery"]["next_attempt_at"].is_null(), "{dead}");
    let r = api.get(&format!("{ACTIONS}?status=dead_letter")).await;
    assert!(
        r.body["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == id.as_str())),
        "{}",
        r.body
    );

    // Nothing more is sent, however far the clock goes.
    api.set_clock("2026-02-10T09:00:00Z").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.for_action(&id).len(), 2);

    // Redelivered to a receiver that has recovered: delivered, same key.
    receiver.set_mode(Mode::Accept);
    let r = api.post(&redeliver, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["delivery"]["attempts"], 0);
    let done = action_when(&api, &id, |a| a["status"] == "delivered").await;
    assert_eq!(done["delivery"]["attempts"], 1, "{done}");
    let got = receiver.for_action(&id);
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.header("idempotency-key")
                == Some(str_of(&review["idempotency_key"]).as_str()))
    );
    // Delivered is final: no redelivery, and acknowledging keeps it delivered.
    let r = api.post(&redeliver, json!({})).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = api.post(&format!("{ACTIONS}/{id}/ack"), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "delivered");
    let r = api
        .post(
            &format!("{ACTIONS}/0000000000000000-0000000000000000/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_retry_resumes_its_schedule_and_keeps_its_idempotency_key() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail);
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = council_with_a_started_participant(dir.path()).await;
    let api = daemon.client();
    set_webhook(&api, &receiver.url, 5).await;

    let review = fire_first_review(&api).await;
    let id = str_of(&review["id"]);
    let key = str_of(&review["idempotency_key"]);
    let a = action_when(&api, &id, |a| {
        a["delivery"]["attempts"] == 1 && a["delivery"]["last_error"].is_string()
    })
    .await;

    // Attempt 2 is held by the receiver; the daemon dies while it waits.
    receiver.set_mode(Mode::Hang(Duration::from_secs(10)));
    api.set_clock(&str_of(&a["delivery"]["next_attempt_at"]))
        .await;
    receiver.wait_for(&id, 2, WAIT).await;
    daemon.kill9();

    receiver.set_mode(Mode::Accept);
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    // The cut-short attempt counted, and its retry is scheduled, not immediate.
    let a = action_when(&api, &id, |a| a["delivery"]["attempts"] == 2).await;
    assert_eq!(a["status"], "pending", "{a}");
    let next = str_of(&a["delivery"]["next_attempt_at"]);
    assert!(!next.is_empty(), "{a}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        receiver.for_action(&id).len(),
        2,
        "restart retried before its time"
    );

    api.set_clock(&next).await;
    let done = action_when(&api, &id, |a| a["status"] == "delivered").await;
    assert_eq!(done["delivery"]["attempts"], 3, "{done}");
    let got = receiver.for_action(&id);
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.header("idempotency-key") == Some(key.as_str()))
    );
    assert!(got.iter().all(|r| r.signed_with(SECRET)));
    // No action reached the receiver under two keys.
    let mut pairs: Vec<(String, String)> = receiver
        .received()
        .iter()
        .map(|r| {
            (
                str_of(&r.json()["id"]),
                r.header("idempotency-key").unwrap_or("").to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs.dedup();
    let mut ids: Vec<&String> = pairs.iter().map(|(i, _)| i).collect();
    ids.dedup();
    assert_eq!(
        ids.len(),
        pairs.len(),
        "an action was sent with two keys: {pairs:?}"
    );
}
