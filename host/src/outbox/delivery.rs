//! The delivery worker: one task that pushes each pending action of a council
//! with a webhook to that webhook, until it is delivered or dead-lettered.
//!
//! It learns of work from the store's change feed ([`OutboxWatch`](crate::store::OutboxWatch)): every action
//! written by any path (timers, schedules, acknowledgements, redeliveries) and every
//! webhook change reaches it as it commits, so it never polls the store; at start it
//! reads the pending actions of each council with a webhook once. It keeps an
//! in-memory queue ordered by when each action is next due, sleeps on the [`Clock`]
//! until the earliest (so a manual clock drives retries in tests), and runs at most
//! one request per council at a time (a council's actions go in due order and a slow
//! receiver holds up no other council), a few councils at once.
//!
//! Each attempt is written to the action, and flushed, before the request is sent
//! (attempt count, when the next is due), then again with its outcome. A restart
//! therefore carries on with the retry schedule, and since the idempotency key is
//! derived from the timer, every request for an action carries the same key.
//! Delivery is at least once; receivers drop repeats by `Idempotency-Key`.
//!
//! TLS: rustls with the `ring` crypto provider, installed once for the process
//! ([`install_tls_provider`]). ring needs only a C compiler (no cmake, no OpenSSL),
//! and server certificates are checked against the platform's trust store.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::webhook::{ATTEMPT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, Webhook, payload};
use super::{Action, ActionId, ActionStatus};
use crate::clock::Clock;
use crate::council::CouncilId;
use crate::store::{AttemptStart, OutboxChange, Store};

/// Requests in flight at once, across councils.
const MAX_IN_FLIGHT: usize = 8;

/// With nothing queued, wake this far ahead anyway (clock waits are sliced too).
const IDLE_HORIZON: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// How long to wait before retrying after the store failed (a full disk, say).
const RETRY_AFTER_FAILURE: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// How long shutdown waits for requests in flight before cutting them short (an
/// attempt cut short is already counted; it is retried on the next start).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Longest failure reason kept on an action.
const MAX_ERROR_CHARS: usize = 300;

/// Installs rustls's `ring` provider as the process default (harmless if one is
/// installed already). Every HTTP client in the process needs one to be built.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The client webhooks are sent with: no redirects (a signed body goes only where
/// the council said), no proxy from the environment, per-request timeouts.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("waymark/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Pending actions of councils with a webhook, ordered by when each is next due.
#[derive(Default)]
struct Queue {
    by_due: BTreeSet<(DateTime<Utc>, CouncilId, ActionId)>,
    due_of: HashMap<(CouncilId, ActionId), DateTime<Utc>>,
}

impl Queue {
    fn upsert(&mut self, council: CouncilId, id: ActionId, due: DateTime<Utc>) {
        self.remove(&council, &id);
        self.by_due.insert((due, council.clone(), id.clone()));
        self.due_of.insert((council, id), due);
    }

    fn remove(&mut self, council: &CouncilId, id: &ActionId) {
        if let Some(due) = self.due_of.remove(&(council.clone(), id.clone())) {
            self.by_due.remove(&(due, council.clone(), id.clone()));
        }
    }

    fn remove_council(&mut self, council: &CouncilId) {
        self.by_due.retain(|(_, c, _)| c != council);
        self.due_of.retain(|(c, _), _| c != council);
    }

    /// Queues an action if it is pending, else forgets it.
    fn track(&mut self, action: &Action) {
        if action.status == ActionStatus::Pending {
            let due = action
                .delivery
                .next_attempt_at
                .unwrap_or(action.scheduled_for);
            self.upsert(action.council.clone(), action.id.clone(), due);
        } else {
            self.remove(&action.council, &action.id);
        }
    }

    /// The earliest entry due by `now` of a council not in `busy`, taken off the queue.
    fn take_due(
        &mut self,
        now: DateTime<Utc>,
        busy: &HashSet<CouncilId>,
    ) -> Option<(CouncilId, ActionId)> {
        let found = self
            .by_due
            .iter()
            .take_while(|(due, _, _)| *due <= now)
            .find(|(_, c, _)| !busy.contains(c))
            .cloned()?;
        self.remove(&found.1, &found.2);
        Some((found.1, found.2))
    }

    /// When the earliest entry of a council not in `busy` is due.
    fn next_due(&self, busy: &HashSet<CouncilId>) -> Option<DateTime<Utc>> {
        self.by_due
            .iter()
            .find(|(_, c, _)| !busy.contains(c))
            .map(|(due, _, _)| *due)
    }

    fn len(&self) -> usize {
        self.due_of.len()
    }
}

/// What one attempt task reports back to the loop.
struct AttemptEnd {
    council: CouncilId,
    id: ActionId,
    /// Put back in the queue at this instant (not due yet, or the store failed).
    requeue_at: Option<DateTime<Utc>>,
}

pub struct DeliveryWorker {
    store: Store,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
}

impl DeliveryWorker {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Result<DeliveryWorker, reqwest::Error> {
        Ok(DeliveryWorker {
            store,
            clock,
            http: http_client()?,
        })
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        // Subscribe before reading, so nothing written in between is missed.
        let mut changes = self.store.watch_outbox();
        let mut webhooks: HashMap<CouncilId, Webhook> = HashMap::new();
        let mut queue = Queue::default();
        let mut busy: HashSet<CouncilId> = HashSet::new();
        let mut in_flight: JoinSet<AttemptEnd> = JoinSet::new();
        let mut task_council: HashMap<tokio::task::Id, CouncilId> = HashMap::new();

        match self.store.webhooks() {
            Ok(all) => {
                for (council, webhook) in all {
                    self.load_council(&mut queue, &council).await;
                    webhooks.insert(council, webhook);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "reading webhooks failed; none will be delivered until they are changed")
            }
        }
        tracing::info!(
            councils = webhooks.len(),
            queued = queue.len(),
            "webhook delivery started"
        );

        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = self.clock.now();
            while in_flight.len() < MAX_IN_FLIGHT {
                let Some((council, id)) = queue.take_due(now, &busy) else {
                    break;
                };
                let Some(webhook) = webhooks.get(&council).cloned() else {
                    continue;
                };
                let council_of_task = council.clone();
                busy.insert(council.clone());
                let task = in_flight.spawn(attempt(
                    self.store.clone(),
                    self.clock.clone(),
                    self.http.clone(),
                    council,
                    id,
                    webhook,
                ));
                task_council.insert(task.id(), council_of_task);
            }
            let wake = if in_flight.len() < MAX_IN_FLIGHT {
                queue.next_due(&busy)
            } else {
                None
            }
            .unwrap_or(now + IDLE_HORIZON);
            tokio::select! {
                change = changes.next() => match change {
                    Some(OutboxChange::Action(written)) => {
                        if webhooks.contains_key(&written.council) {
                            match written.action() {
                                Some(action) => queue.track(&action),
                                None => queue.remove(&written.council, &written.id),
                            }
                        }
                    }
                    Some(OutboxChange::Webhook(council)) => {
                        self.webhook_changed(&mut webhooks, &mut queue, council).await;
                    }
                    None => break, // the store is closing
                },
                Some(done) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                    let task = match &done {
                        Ok((task, _)) => *task,
                        Err(e) => e.id(),
                    };
                    if let Some(council) = task_council.remove(&task) {
                        busy.remove(&council);
                    }
                    // A panicked attempt is not requeued: its action is retried when
                    // next written or on the next start.
                    if let Ok((_, end)) = done
                        && let Some(at) = end.requeue_at
                        && webhooks.contains_key(&end.council)
                    {
                        queue.upsert(end.council, end.id, at);
                    }
                }
                _ = self.clock.wait_until(wake) => {}
                _ = shutdown.changed() => {}
            }
        }
        // Stop reading changes first: a writer blocked on a full change feed would
        // otherwise hold up the attempts we are about to wait for.
        drop(changes);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        in_flight.abort_all();
    }

    async fn webhook_changed(
        &self,
        webhooks: &mut HashMap<CouncilId, Webhook>,
        queue: &mut Queue,
        council: CouncilId,
    ) {
        queue.remove_council(&council);
        match self.store.webhook(&council) {
            Ok(Some(webhook)) => {
                webhooks.insert(council.clone(), webhook);
                self.load_council(queue, &council).await;
                tracing::info!(council = %council, "webhook set; delivering its pending actions");
            }
            Ok(None) => {
                webhooks.remove(&council);
                tracing::info!(council = %council, "webhook removed; its actions are pulled");
            }
            Err(e) => {
                webhooks.remove(&council);
                tracing::error!(council = %council, error = %e, "reading a webhook failed; its actions wait until it is set again");
            }
        }
    }

    /// Queues every pending action of a council (a read only, never a write: see
    /// [`OutboxWatch`](crate::store::OutboxWatch)).
    async fn load_council(&self, queue: &mut Queue, council: &CouncilId) {
        let store = self.store.clone();
        let c = council.clone();
        match tokio::task::spawn_blocking(move || store.pending_actions(&c)).await {
            Ok(Ok(actions)) => actions.iter().for_each(|a| queue.track(a)),
            Ok(Err(e)) => {
                tracing::error!(council = %council, error = %e, "reading pending actions failed")
            }
            Err(_) => tracing::error!(council = %council, "reading pending actions crashed"),
        }
    }
}

/// One attempt at one action: record it, send it, record the outcome.
async fn attempt(
    store: Store,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    council: CouncilId,
    id: ActionId,
    webhook: Webhook,
) -> AttemptEnd {
    let requeue = |at: DateTime<Utc>| AttemptEnd {
        council: council.clone(),
        id: id.clone(),
        requeue_at: Some(at),
    };
    let now = clock.now();
    let start = {
        let (store, c, i, w) = (store.clone(), council.clone(), id.clone(), webhook.clone());
        tokio::task::spawn_blocking(move || store.begin_attempt(&c, &i, &w, now)).await
    };
    let action = match start {
        Ok(Ok(AttemptStart::Send(action))) => action,
        Ok(Ok(AttemptStart::NotDue(at))) => return requeue(at),
        Ok(Ok(AttemptStart::Settled)) => {
            return AttemptEnd {
                council,
                id,
                requeue_at: None,
            };
        }
        Ok(Ok(AttemptStart::DeadLettered(action))) => {
            if store.flush().await.is_err() {
                return requeue(now + RETRY_AFTER_FAILURE);
            }
            tracing::warn!(council = %council, action = id.as_str(), attempts = action.delivery.attempts, "action dead-lettered: no attempts left");
            return AttemptEnd {
                council,
                id,
                requeue_at: None,
            };
        }
        Ok(Err(e)) => {
            tracing::error!(council = %council, action = id.as_str(), error = %e, "recording a webhook attempt failed");
            return requeue(now + RETRY_AFTER_FAILURE);
        }
        Err(_) => return requeue(now + RETRY_AFTER_FAILURE),
    };
    // Durable before the request leaves: the attempt counts even if we crash now.
    if let Err(e) = store.flush().await {
        tracing::error!(council = %council, action = id.as_str(), error = %e, "flushing a webhook attempt failed");
        return requeue(now + RETRY_AFTER_FAILURE);
    }
    let attempt_no = action.delivery.attempts;
    let outcome = send(&http, &webhook, &action).await;
    let finished = clock.now();
    let result = {
        let (store, c, i, w, o) = (
            store.clone(),
            council.clone(),
            id.clone(),
            webhook.clone(),
            outcome.clone(),
        );
        tokio::task::spawn_blocking(move || {
            store.finish_attempt(&c, &i, &w, attempt_no, o, finished)
        })
        .await
    };
    let recorded = match result {
        Ok(Ok(recorded)) => recorded,
        Ok(Err(e)) => {
            // The attempt stays counted and its retry is already scheduled.
            tracing::error!(council = %council, action = id.as_str(), error = %e, "recording a webhook outcome failed");
            return AttemptEnd {
                council,
                id,
                requeue_at: None,
            };
        }
        Err(_) => {
            return AttemptEnd {
                council,
                id,
                requeue_at: None,
            };
        }
    };
    if let Err(e) = store.flush().await {
        tracing::error!(council = %council, action = id.as_str(), error = %e, "flushing a webhook outcome failed");
    }
    match (&outcome, recorded.as_ref().map(|a| a.status)) {
        (Ok(()), _) => {
            tracing::info!(council = %council, action = id.as_str(), attempt = attempt_no, "action delivered")
        }
        (Err(why), Some(ActionStatus::DeadLetter)) => {
            tracing::warn!(council = %council, action = id.as_str(), attempt = attempt_no, error = %why, "action dead-lettered")
        }
        (Err(why), _) => {
            tracing::warn!(council = %council, action = id.as_str(), attempt = attempt_no, error = %why, "webhook attempt failed; will retry")
        }
    }
    AttemptEnd {
        council,
        id,
        requeue_at: None,
    }
}

/// POSTs the signed action; `Err` says why it did not count as delivered.
async fn send(http: &reqwest::Client, webhook: &Webhook, action: &Action) -> Result<(), String> {
    let body = payload(action).map_err(|e| format!("the action could not be encoded: {e}"))?;
    let signature = webhook.secret.sign(&body);
    let response = http
        .post(webhook.url.as_str())
        .timeout(webhook.timeout())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(IDEMPOTENCY_HEADER, action.idempotency_key.as_str())
        .header(ATTEMPT_HEADER, action.delivery.attempts.to_string())
        .body(body)
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("the receiver answered {}", r.status())),
        Err(e) if e.is_timeout() => Err(format!(
            "no answer within timeout_ms ({} ms)",
            webhook.timeout_ms
        )),
        Err(e) => Err(describe(&e.without_url())),
    }
}

/// The error and its causes on one line, without the URL (it may hold a token).
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = format!("the request failed: {e}");
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests;
