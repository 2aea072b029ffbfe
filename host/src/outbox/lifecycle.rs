//! An action's life: pending, attempted over its council's webhook, delivered or
//! dead-lettered, redelivered, acknowledged. Each change is a method here; the store
//! only reads the action, applies one, and writes it back in one transaction.

use chrono::{DateTime, Utc};

use super::webhook::Webhook;
use super::{Action, ActionStatus};

/// What claiming the next webhook attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted (its number in `delivery.attempts`): send it now.
    Send,
    /// Pending, but its next attempt is not due until then.
    NotDue(DateTime<Utc>),
    /// No attempts were left (the last one was cut short by a restart, or
    /// `max_attempts` was lowered): now dead-lettered.
    DeadLettered,
    /// Acknowledged, delivered or dead-lettered: nothing to send.
    Settled,
}

impl Attempt {
    /// Whether the action changed and must be written back.
    pub fn changed(self) -> bool {
        matches!(self, Attempt::Send | Attempt::DeadLettered)
    }
}

impl Action {
    /// Claims the next webhook attempt if one is due by `now`: counts it and sets
    /// when the one after is due (`now` plus the backoff), so that a crash during the
    /// request resumes the retry schedule.
    pub fn begin_attempt(&mut self, webhook: &Webhook, now: DateTime<Utc>) -> Attempt {
        if self.status != ActionStatus::Pending {
            return Attempt::Settled;
        }
        if let Some(next) = self.delivery.next_attempt_at
            && next > now
        {
            return Attempt::NotDue(next);
        }
        let d = &mut self.delivery;
        if d.attempts >= webhook.max_attempts {
            let why = d
                .last_error
                .clone()
                .unwrap_or_else(|| "the last attempt was cut short by a restart".into());
            d.last_error = Some(format!(
                "no attempts left ({} of {} made); {why}",
                d.attempts, webhook.max_attempts
            ));
            d.next_attempt_at = None;
            self.status = ActionStatus::DeadLetter;
            return Attempt::DeadLettered;
        }
        d.attempts += 1;
        d.last_attempt_at = Some(now);
        d.next_attempt_at = Some(retry_at(webhook, &self.idempotency_key, d.attempts, now));
        Attempt::Send
    }

    /// Records how attempt `attempt` ended (`Err` holds why it failed): delivered,
    /// pending with its next attempt `now` plus the backoff, or dead-lettered when no
    /// attempts are left. `false` (unchanged) if the action moved on meanwhile.
    pub fn finish_attempt(
        &mut self,
        webhook: &Webhook,
        attempt: u32,
        outcome: &Result<(), String>,
        now: DateTime<Utc>,
    ) -> bool {
        if self.status != ActionStatus::Pending || self.delivery.attempts != attempt {
            return false;
        }
        let d = &mut self.delivery;
        match outcome {
            Ok(()) => {
                self.status = ActionStatus::Delivered;
                d.delivered_at = Some(now);
                d.next_attempt_at = None;
                d.last_error = None;
            }
            Err(why) => {
                d.last_error = Some(why.clone());
                if d.attempts >= webhook.max_attempts {
                    self.status = ActionStatus::DeadLetter;
                    d.next_attempt_at = None;
                } else {
                    d.next_attempt_at =
                        Some(retry_at(webhook, &self.idempotency_key, d.attempts, now));
                }
            }
        }
        true
    }

    /// Back to pending with a fresh set of attempts, due at once. `Err(status)` if
    /// it is not dead-lettered.
    pub fn redeliver(&mut self) -> Result<(), ActionStatus> {
        if self.status != ActionStatus::DeadLetter {
            return Err(self.status);
        }
        self.status = ActionStatus::Pending;
        self.delivery.attempts = 0;
        self.delivery.next_attempt_at = None;
        Ok(())
    }

    /// Acknowledged (handled) at `at`; a dead-lettered action can be too (handled by
    /// hand). Acknowledging twice keeps the first time. `false` when unchanged.
    pub fn acknowledge(&mut self, at: DateTime<Utc>) -> bool {
        if !matches!(
            self.status,
            ActionStatus::Pending | ActionStatus::DeadLetter
        ) {
            return false;
        }
        self.status = ActionStatus::Acknowledged;
        self.acknowledged_at = Some(at);
        true
    }
}

fn retry_at(webhook: &Webhook, key: &str, attempts: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let delay = webhook.backoff.delay(attempts, key);
    chrono::TimeDelta::from_std(delay)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(now)
}
