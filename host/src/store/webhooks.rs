//! Councils' webhooks (tree `webhooks`: council id → [`Webhook`]) and the
//! delivery state of actions: each attempt is recorded on the action before the
//! request is sent and again with its outcome, each in one transaction.

use chrono::{DateTime, Utc};

use sled::transaction::ConflictableTransactionError;

use super::readable::{note_unless, read_page_with};
use super::sealed_records::envelope;
use super::sealing::Sealing;
use super::{Store, StoreError, action_key, encode, flatten};
use crate::council::CouncilId;
use crate::outbox::webhook::Webhook;
use crate::outbox::{Action, ActionId, ActionStatus, Attempt};

/// What [`Store::begin_attempt`] found.
#[derive(Debug)]
pub enum AttemptStart {
    /// Recorded (attempt number in `delivery.attempts`): send it now.
    Send(Action),
    /// Pending, but its next attempt is not due until then.
    NotDue(DateTime<Utc>),
    /// No attempts were left (the last one was cut short by a restart, or
    /// `max_attempts` was lowered): now dead-lettered.
    DeadLettered(Action),
    /// Gone, acknowledged, delivered or dead-lettered: nothing to send.
    Settled,
}

/// A change to the outbox seen by [`OutboxWatch`].
#[derive(Debug)]
pub enum OutboxChange {
    /// An action was written or removed.
    Action(ActionWritten),
    /// A council's webhook was set, replaced or removed.
    Webhook(CouncilId),
}

/// An action write, decoded only if the reader cares about its council (most
/// councils pull, and the scheduler can write thousands of actions a second).
#[derive(Debug)]
pub struct ActionWritten {
    pub council: CouncilId,
    pub id: ActionId,
    record: Option<sled::IVec>,
    /// Opens a participant's sealed action.
    sealing: Sealing,
}

impl ActionWritten {
    /// The action as written; `None` if it was removed or is unreadable.
    pub fn action(&self) -> Option<Action> {
        let bytes = self.record.as_ref()?;
        let key = action_key(&self.council, &self.id);
        match self.sealing.open_record::<Action>("actions", &key, bytes) {
            Ok(a) => Some(a),
            Err(reason) => {
                tracing::error!(council = %self.council, %reason, "unreadable action written");
                None
            }
        }
    }
}

/// Every write to actions and webhooks, as it commits (from any code path: timers,
/// schedules, acknowledgements, redeliveries), so the delivery worker never polls.
///
/// sled blocks a writer while 1,024 events wait unread: the reader must keep
/// reading, and never wait on its own writes while it holds this.
pub struct OutboxWatch {
    actions: sled::Subscriber,
    webhooks: sled::Subscriber,
    sealing: Sealing,
}

impl OutboxWatch {
    /// The next change; `None` once the store is closed.
    pub async fn next(&mut self) -> Option<OutboxChange> {
        loop {
            let event = tokio::select! {
                e = &mut self.actions => (e?, true),
                e = &mut self.webhooks => (e?, false),
            };
            if let Some(change) = change_of(event.0, event.1, &self.sealing) {
                return Some(change);
            }
        }
    }
}

fn change_of(event: sled::Event, is_action: bool, sealing: &Sealing) -> Option<OutboxChange> {
    let (key, value) = match &event {
        sled::Event::Insert { key, value } => (key, Some(value)),
        sled::Event::Remove { key } => (key, None),
    };
    let key = std::str::from_utf8(key).ok()?;
    if !is_action {
        return Some(OutboxChange::Webhook(key.parse().ok()?));
    }
    let (council, id) = key.split_once('/')?;
    Some(OutboxChange::Action(ActionWritten {
        council: council.parse().ok()?,
        id: ActionId::parse(id)?,
        record: value.cloned(),
        sealing: sealing.clone(),
    }))
}

impl Store {
    pub fn webhook(&self, council: &CouncilId) -> Result<Option<Webhook>, StoreError> {
        self.webhooks
            .get(council.as_str())?
            .map(|v| self.open_webhook(council, &v))
            .transpose()
    }

    pub fn put_webhook(&self, council: &CouncilId, webhook: &Webhook) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        let record = self.seal_webhook(council, webhook)?;
        self.webhooks.insert(council.as_str(), record)?;
        Ok(())
    }

    /// `false` if the council had no webhook.
    pub fn delete_webhook(&self, council: &CouncilId) -> Result<bool, StoreError> {
        let _writing = self.hold_writes();
        Ok(self.webhooks.remove(council.as_str())?.is_some())
    }

    /// Every council's webhook. A damaged one is logged by key and skipped, so the
    /// other councils' actions are still delivered.
    pub fn webhooks(&self) -> Result<Vec<(CouncilId, Webhook)>, StoreError> {
        let mut out = Vec::new();
        let mut damaged = Vec::new();
        for kv in self.webhooks.iter() {
            let (k, v) = kv?;
            // Keys are written from parsed ids only.
            let Some(council) = std::str::from_utf8(&k)
                .ok()
                .and_then(|c| c.parse::<CouncilId>().ok())
            else {
                continue;
            };
            let read = self
                .open_webhook(&council, &v)
                .map_err(StoreError::into_reason);
            if let Some(webhook) = note_unless("webhooks", &k, read, &mut damaged) {
                out.push((council, webhook));
            }
        }
        Ok(out)
    }

    /// Subscribes to outbox changes. Subscribe before reading the current state, so
    /// nothing written in between is missed.
    pub fn watch_outbox(&self) -> OutboxWatch {
        OutboxWatch {
            actions: self.actions.watch_prefix(Vec::new()),
            webhooks: self.webhooks.watch_prefix(Vec::new()),
            sealing: self.sealing.clone(),
        }
    }

    /// A council's pending actions, in due order. A damaged action is logged by key
    /// and skipped, so the others are still delivered.
    pub fn pending_actions(&self, council: &CouncilId) -> Result<Vec<Action>, StoreError> {
        let pending = read_page_with(
            &self.actions,
            "actions",
            format!("{council}/").as_bytes(),
            None,
            usize::MAX,
            |action: &Action| action.status == ActionStatus::Pending,
            |k, v| self.sealing.open_record("actions", k, v),
        )?;
        Ok(pending.items)
    }

    /// Claims the next webhook attempt of a pending action that is due by `now`:
    /// counts it and sets when the one after is due (`now` plus the backoff), so
    /// that a crash during the request resumes the retry schedule.
    pub fn begin_attempt(
        &self,
        council: &CouncilId,
        id: &ActionId,
        webhook: &Webhook,
        now: DateTime<Utc>,
    ) -> Result<AttemptStart, StoreError> {
        self.change_action(
            council,
            id,
            || AttemptStart::Settled,
            |action| match action.begin_attempt(webhook, now) {
                Attempt::Send => Change::Write(AttemptStart::Send(action.clone())),
                Attempt::DeadLettered => Change::Write(AttemptStart::DeadLettered(action.clone())),
                Attempt::NotDue(at) => Change::Keep(AttemptStart::NotDue(at)),
                Attempt::Settled => Change::Keep(AttemptStart::Settled),
            },
        )
    }

    /// Records how attempt `attempt` ended (`Err` holds why it failed): delivered,
    /// pending with its next attempt `now` plus the backoff, or dead-lettered when no
    /// attempts are left. `None` if the action moved on meanwhile (acknowledged).
    pub fn finish_attempt(
        &self,
        council: &CouncilId,
        id: &ActionId,
        webhook: &Webhook,
        attempt: u32,
        outcome: Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<Option<Action>, StoreError> {
        self.change_action(
            council,
            id,
            || None,
            |action| {
                if action.finish_attempt(webhook, attempt, &outcome, now) {
                    Change::Write(Some(action.clone()))
                } else {
                    Change::Keep(None)
                }
            },
        )
    }

    /// Moves a dead-lettered action back to pending with a fresh set of attempts,
    /// due at once. `Err(status)` if it is not dead-lettered; `None` if unknown.
    pub fn redeliver(
        &self,
        council: &CouncilId,
        id: &ActionId,
    ) -> Result<Option<Result<Action, ActionStatus>>, StoreError> {
        self.change_action(
            council,
            id,
            || None,
            |action| match action.redeliver() {
                Ok(()) => Change::Write(Some(Ok(action.clone()))),
                Err(status) => Change::Keep(Some(Err(status))),
            },
        )
    }

    /// Reads an action, lets `change` edit it, and writes it back when `change` says
    /// so, in one transaction under the write barrier; `missing()` when there is no
    /// such action. `change` may run more than once (sled retries on conflict), each
    /// time on a fresh copy.
    pub(super) fn change_action<R>(
        &self,
        council: &CouncilId,
        id: &ActionId,
        missing: impl Fn() -> R,
        change: impl Fn(&mut Action) -> Change<R>,
    ) -> Result<R, StoreError> {
        let key = action_key(council, id);
        // The participant's key, looked up outside the transaction (a participant's
        // key never changes while their journey stands).
        let sealed_key = match self.actions.get(&key)?.and_then(|v| envelope(&v)) {
            Some(sealed) => self.participant_key(&sealed.council, sealed.participant)?,
            None => None,
        };
        let _writing = self.hold_writes();
        self.actions
            .transaction(|actions| {
                let Some(v) = actions.get(&key)? else {
                    return Ok(missing());
                };
                let mut action: Action = self
                    .open_record("actions", &key, &v)
                    .map_err(ConflictableTransactionError::Abort)?;
                Ok(match change(&mut action) {
                    Change::Keep(r) => r,
                    Change::Write(r) => {
                        // Sealed again with the key it was sealed with, if it was.
                        let record = match &sealed_key {
                            Some(k) => k.seal("actions", &key, &action),
                            None => encode(&action),
                        };
                        actions.insert(key.as_slice(), record)?;
                        r
                    }
                })
            })
            .map_err(flatten)
    }
}

/// What [`Store::change_action`]'s edit decided: keep the action as stored, or
/// write back the edited one; either way with the answer to give.
pub(super) enum Change<R> {
    Keep(R),
    Write(R),
}

#[cfg(test)]
impl Store {
    /// Writes an action as the scheduler would (tests of delivery start here).
    pub(crate) fn insert_action(&self, action: &Action) -> Result<(), StoreError> {
        let _writing = self.hold_writes();
        self.actions
            .insert(action_key(&action.council, &action.id), encode(action))?;
        Ok(())
    }

    /// Writes `bytes` as a record of `tree`, as damage on disk would leave it.
    pub(crate) fn put_damaged(
        &self,
        tree: &str,
        key: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        self.db.open_tree(tree)?.insert(key, bytes)?;
        Ok(())
    }
}
