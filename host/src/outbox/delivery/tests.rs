//! The worker against an in-process receiver, on a manual clock.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;

use super::*;
use crate::clock::ManualClock;
use crate::journey::ParticipantId;
use crate::outbox::backoff::Backoff;
use crate::outbox::webhook::{WebhookSecret, WebhookSettings};
use crate::policy::TimerKind;
use crate::schedule::timer::{Timer, TimerId};
use crate::store::DataFolderLock;

const SECRET: &str = "unit-test-secret-0123456789abcdef";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .expect("valid instant")
}

struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Receiver {
        type Shared = (Arc<Mutex<Vec<(HeaderMap, Bytes)>>>, Arc<AtomicU16>);
        async fn hook(
            State((seen, status)): State<Shared>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            seen.lock().expect("lock").push((headers, body));
            StatusCode::from_u16(status.load(Ordering::SeqCst)).expect("status")
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state((seen.clone(), status.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{addr}/hook"),
            seen,
            status,
        }
    }

    fn count(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    fn requests(&self) -> Vec<(HeaderMap, Bytes)> {
        self.seen.lock().expect("lock").clone()
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    _lock: DataFolderLock,
    store: Store,
    clock: Arc<ManualClock>,
    council: CouncilId,
    shutdown: watch::Sender<bool>,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl Rig {
    fn new(start: &str) -> Rig {
        let (dir, lock, store) = crate::store::scratch();
        let (shutdown, _) = watch::channel(false);
        Rig {
            _dir: dir,
            _lock: lock,
            store,
            clock: Arc::new(ManualClock::new(at(start))),
            council: "stoke-on-trent".parse().expect("id"),
            shutdown,
            worker: None,
        }
    }

    fn start_worker(&mut self) {
        let worker = DeliveryWorker::new(self.store.clone(), self.clock.clone()).expect("client");
        self.worker = Some(tokio::spawn(worker.run(self.shutdown.subscribe())));
    }

    async fn stop_worker(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(w) = self.worker.take() {
            w.await.expect("worker stopped");
        }
        let (shutdown, _) = watch::channel(false);
        self.shutdown = shutdown;
    }

    fn set_webhook(&self, url: &str, max_attempts: u32) -> Webhook {
        let settings: WebhookSettings = serde_json::from_value(serde_json::json!({
            "url": url, "secret": SECRET, "timeout_ms": 2_000, "max_attempts": max_attempts,
            "backoff": { "initial_ms": 1_000, "max_ms": 8_000 }
        }))
        .expect("settings");
        let webhook = Webhook::from_settings(settings, self.clock.now()).expect("valid");
        self.store
            .put_webhook(&self.council, &webhook)
            .expect("put");
        webhook
    }

    /// A review action that fired at `fire_at`.
    fn fire(&self, fire_at: &str) -> Action {
        let fire_at = at(fire_at);
        let participant = ParticipantId::new_random();
        let due = NaiveDate::from_ymd_opt(2026, 2, 2).expect("date");
        let timer = Timer {
            id: TimerId::for_work(&self.council, participant, TimerKind::Review, due),
            council: self.council.clone(),
            participant,
            kind: TimerKind::Review,
            due,
            fire_at,
            purpose: "four-weekly review".into(),
        };
        let action = Action::from_timer(&timer, fire_at);
        self.store.insert_action(&action).expect("insert");
        action
    }

    fn action(&self, id: &ActionId) -> Action {
        self.store
            .action(&self.council, id)
            .expect("read")
            .expect("exists")
    }

    /// Waits (real time, bounded) until the stored action satisfies `done`.
    async fn until(&self, id: &ActionId, done: impl Fn(&Action) -> bool) -> Action {
        for _ in 0..500 {
            let a = self.action(id);
            if done(&a) {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("condition not met: {:?}", self.action(id));
    }
}

#[test]
fn queue_takes_the_earliest_due_first_and_skips_busy_councils() {
    let mut q = Queue::default();
    let a: CouncilId = "a".parse().expect("id");
    let b: CouncilId = "b".parse().expect("id");
    let id = |n: u8| ActionId::parse(&format!("{:016x}-{:016x}", n, n)).expect("id");
    q.upsert(a.clone(), id(2), at("2026-01-01T10:00:00Z"));
    q.upsert(a.clone(), id(1), at("2026-01-01T09:00:00Z"));
    q.upsert(b.clone(), id(3), at("2026-01-01T09:30:00Z"));
    q.upsert(b.clone(), id(4), at("2026-01-01T12:00:00Z"));
    // Re-queueing moves an entry rather than duplicating it.
    q.upsert(b.clone(), id(4), at("2026-01-01T11:00:00Z"));
    assert_eq!(q.len(), 4);
    let now = at("2026-01-01T10:30:00Z");
    let none = HashSet::new();
    assert_eq!(q.take_due(now, &none), Some((a.clone(), id(1))));
    let busy_a = HashSet::from([a.clone()]);
    assert_eq!(q.take_due(now, &busy_a), Some((b.clone(), id(3))));
    assert_eq!(
        q.take_due(now, &busy_a),
        None,
        "a is busy, b's next is not due"
    );
    assert_eq!(q.next_due(&busy_a), Some(at("2026-01-01T11:00:00Z")));
    assert_eq!(q.take_due(now, &none), Some((a.clone(), id(2))));
    q.remove_council(&b);
    assert_eq!(q.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_action_is_posted_once_signed_with_its_idempotency_key() {
    let receiver = Receiver::start().await;
    let mut rig = Rig::new("2026-02-02T08:00:00Z");
    rig.set_webhook(&receiver.url, 5);
    rig.start_worker();
    let action = rig.fire("2026-02-02T08:00:00Z");
    let delivered = rig
        .until(&action.id, |a| a.status == ActionStatus::Delivered)
        .await;
    assert_eq!(delivered.delivery.attempts, 1);
    assert_eq!(delivered.delivery.delivered_at, Some(rig.clock.now()));
    assert_eq!(delivered.delivery.next_attempt_at, None);

    // Moving the clock on sends nothing more.
    rig.clock.set(at("2026-02-03T08:00:00Z"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let (headers, body) = &requests[0];
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header("idempotency-key"), action.idempotency_key);
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("waymark-attempt"), "1");
    let secret = WebhookSecret::new(SECRET.into()).expect("secret");
    assert_eq!(header("waymark-signature"), secret.sign(body));
    let json: serde_json::Value = serde_json::from_slice(body).expect("json body");
    assert_eq!(json["id"], action.id.as_str());
    assert_eq!(json["status"], "pending");
    assert!(json.get("delivery").is_none(), "{json}");
    rig.stop_worker().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_action_or_webhook_is_skipped_and_the_rest_are_delivered() {
    let receiver = Receiver::start().await;
    let mut rig = Rig::new("2026-02-02T08:00:00Z");
    let first = rig.fire("2026-02-02T07:00:00Z");
    let second = rig.fire("2026-02-02T07:30:00Z");
    // Sorts between the two in due order, and cannot be read.
    let damaged = format!(
        "{}/{}-00000000000000aa",
        rig.council,
        &first.id.as_str()[..16]
    );
    rig.store
        .put_damaged("actions", &damaged, b"{\"id\":\"")
        .expect("damage");
    // Another council's webhook is damaged too: it must not stop this one's.
    rig.store
        .put_damaged("webhooks", "derby", b"{\"url\":")
        .expect("damage");
    rig.set_webhook(&receiver.url, 5);
    rig.start_worker();
    for action in [&first, &second] {
        rig.until(&action.id, |a| a.status == ActionStatus::Delivered)
            .await;
    }
    assert_eq!(receiver.count(), 2);
    rig.stop_worker().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_retry_when_the_clock_reaches_the_backoff_then_dead_letter() {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let mut rig = Rig::new("2026-02-02T08:00:00Z");
    let webhook = rig.set_webhook(&receiver.url, 3);
    rig.start_worker();
    let action = rig.fire("2026-02-02T08:00:00Z");

    let mut previous = 0;
    for attempt in 1..=2u32 {
        let a = rig
            .until(&action.id, |a| {
                a.delivery.attempts == attempt && a.delivery.last_error.is_some()
            })
            .await;
        assert_eq!(a.status, ActionStatus::Pending);
        assert!(
            a.delivery
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("500"),
            "{:?}",
            a.delivery
        );
        let last = a.delivery.last_attempt_at.expect("attempted");
        let next = a.delivery.next_attempt_at.expect("retry scheduled");
        let expected = webhook.backoff.delay(attempt, &action.idempotency_key);
        assert_eq!((next - last).to_std().expect("positive"), expected);
        assert!(expected <= webhook.backoff.cap(attempt));
        // The clock has not moved: no retry, however long we wait.
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(receiver.count(), previous + 1);
        previous += 1;
        // One millisecond short of the retry: still nothing.
        rig.clock.set(next - chrono::TimeDelta::milliseconds(1));
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(receiver.count(), previous);
        rig.clock.set(next);
    }
    let dead = rig
        .until(&action.id, |a| a.status == ActionStatus::DeadLetter)
        .await;
    assert_eq!(dead.delivery.attempts, 3);
    assert_eq!(dead.delivery.next_attempt_at, None);
    rig.clock.set(at("2026-02-05T08:00:00Z"));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "no attempt after the dead letter");
    for (i, (headers, _)) in requests.iter().enumerate() {
        assert_eq!(
            headers.get("idempotency-key").and_then(|v| v.to_str().ok()),
            Some(action.idempotency_key.as_str())
        );
        assert_eq!(
            headers.get("waymark-attempt").and_then(|v| v.to_str().ok()),
            Some((i + 1).to_string().as_str())
        );
    }

    // Redelivered: pending again with fresh attempts, and the recovered receiver gets it.
    receiver.answer(204);
    let redelivered = rig
        .store
        .redeliver(&rig.council, &action.id)
        .expect("store");
    assert!(matches!(redelivered, Some(Ok(_))), "{redelivered:?}");
    let done = rig
        .until(&action.id, |a| a.status == ActionStatus::Delivered)
        .await;
    assert_eq!(done.delivery.attempts, 1);
    assert_eq!(receiver.count(), 4);
    // Only a dead letter can be redelivered.
    assert!(matches!(
        rig.store
            .redeliver(&rig.council, &action.id)
            .expect("store"),
        Some(Err(ActionStatus::Delivered))
    ));
    rig.stop_worker().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_resumes_the_retry_schedule_instead_of_retrying_at_once() {
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let mut rig = Rig::new("2026-02-02T08:00:00Z");
    rig.set_webhook(&receiver.url, 5);
    rig.start_worker();
    let action = rig.fire("2026-02-02T08:00:00Z");
    let failed = rig
        .until(&action.id, |a| {
            a.delivery.attempts == 1 && a.delivery.last_error.is_some()
        })
        .await;
    rig.stop_worker().await;

    receiver.answer(200);
    rig.start_worker();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.count(),
        1,
        "the restart must not retry before the schedule"
    );
    rig.clock
        .set(failed.delivery.next_attempt_at.expect("retry scheduled"));
    let done = rig
        .until(&action.id, |a| a.status == ActionStatus::Delivered)
        .await;
    assert_eq!(
        done.delivery.attempts, 2,
        "attempts carried on across the restart"
    );
    rig.stop_worker().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_actions_and_councils_without_a_webhook_are_never_posted() {
    let receiver = Receiver::start().await;
    let mut rig = Rig::new("2026-02-02T08:00:00Z");
    rig.start_worker();
    // No webhook yet: the action waits to be pulled.
    let pulled = rig.fire("2026-02-02T08:00:00Z");
    let later = rig.fire("2026-02-02T08:00:00Z");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(rig.action(&pulled.id).status, ActionStatus::Pending);
    rig.store
        .acknowledge(&rig.council, &pulled.id, rig.clock.now())
        .expect("ack");
    // Setting a webhook delivers what is still pending, and only that.
    rig.set_webhook(&receiver.url, 5);
    rig.until(&later.id, |a| a.status == ActionStatus::Delivered)
        .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let keys: Vec<String> = receiver
        .requests()
        .iter()
        .filter_map(|(h, _)| h.get("idempotency-key")?.to_str().ok().map(str::to_owned))
        .collect();
    assert_eq!(keys, vec![later.idempotency_key.clone()]);
    assert_eq!(rig.action(&pulled.id).status, ActionStatus::Acknowledged);

    // Removing the webhook goes back to pulling.
    rig.store.delete_webhook(&rig.council).expect("delete");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let third = rig.fire("2026-02-02T08:00:00Z");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rig.action(&third.id).status, ActionStatus::Pending);
    assert_eq!(receiver.count(), 1);
    rig.stop_worker().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_hangs_counts_as_a_timeout() {
    async fn hang() -> StatusCode {
        tokio::time::sleep(Duration::from_secs(30)).await;
        StatusCode::OK
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/hook", axum::routing::post(hang));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut rig = Rig::new("2026-02-02T08:00:00Z");
    let settings: WebhookSettings = serde_json::from_value(serde_json::json!({
        "url": format!("http://{addr}/hook"), "secret": SECRET, "timeout_ms": 200,
        "backoff": Backoff::default()
    }))
    .expect("settings");
    let webhook = Webhook::from_settings(settings, rig.clock.now()).expect("valid");
    rig.store.put_webhook(&rig.council, &webhook).expect("put");
    rig.start_worker();
    let action = rig.fire("2026-02-02T08:00:00Z");
    let started = std::time::Instant::now();
    let failed = rig
        .until(&action.id, |a| a.delivery.last_error.is_some())
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let why = failed.delivery.last_error.unwrap_or_default();
    assert!(why.contains("timeout_ms"), "{why}");
    assert_eq!(failed.status, ActionStatus::Pending);
    rig.stop_worker().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_webhook_goes_through_rustls_and_fails_against_a_plain_http_server() {
    let receiver = Receiver::start().await;
    let https = receiver.url.replacen("http://", "https://", 1);
    let mut rig = Rig::new("2026-02-02T08:00:00Z");
    rig.set_webhook(&https, 5);
    rig.start_worker();
    let action = rig.fire("2026-02-02T08:00:00Z");
    let failed = rig
        .until(&action.id, |a| a.delivery.last_error.is_some())
        .await;
    let why = failed.delivery.last_error.unwrap_or_default();
    // The handshake was attempted (and refused): TLS is built in, not a panic or a
    // plain-text request; the URL is not in the recorded error.
    assert!(why.starts_with("the request failed"), "{why}");
    // rustls's answer to a server that speaks plain HTTP.
    assert!(why.contains("corrupt message"), "{why}");
    assert!(!why.contains("127.0.0.1"), "{why}");
    assert_eq!(
        receiver.count(),
        0,
        "no plain-text request reached the server"
    );
    assert_eq!(failed.status, ActionStatus::Pending);
    rig.stop_worker().await;
}
