//! When to retry a failed webhook attempt: exponential backoff with jitter.
//!
//! The delay before retry `n` is drawn from `[cap/2, cap]`, where `cap` doubles
//! from `initial_ms` with each attempt up to `max_ms` ("equal jitter"). The jitter is
//! not random: it is derived from the action's idempotency key and the attempt, so
//! actions that failed together (a receiver outage) spread out instead of retrying
//! in lockstep, while one action's schedule is the same after a restart and in
//! tests driven by a manual clock.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Retry delays for one council's webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// Upper bound of the first retry's delay, in milliseconds; default 1,000.
    #[serde(default = "default_initial_ms")]
    pub initial_ms: u64,
    /// No delay is longer than this, in milliseconds; default 900,000 (15 minutes).
    #[serde(default = "default_max_ms")]
    pub max_ms: u64,
}

fn default_initial_ms() -> u64 {
    1_000
}

fn default_max_ms() -> u64 {
    15 * 60 * 1_000
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_ms: default_initial_ms(),
            max_ms: default_max_ms(),
        }
    }
}

/// Bounds that keep a webhook from retrying in a hot loop or waiting for days.
pub const INITIAL_MS: std::ops::RangeInclusive<u64> = 10..=3_600_000;
pub const MAX_MS: std::ops::RangeInclusive<u64> = 10..=86_400_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidBackoff {
    #[error("`backoff.initial_ms` must be from 10 to 3,600,000 (one hour); it was {0}")]
    Initial(u64),
    #[error("`backoff.max_ms` must be from 10 to 86,400,000 (one day); it was {0}")]
    Max(u64),
    #[error("`backoff.max_ms` ({max}) must not be less than `backoff.initial_ms` ({initial})")]
    MaxBelowInitial { initial: u64, max: u64 },
}

impl Backoff {
    pub fn validate(&self) -> Result<(), InvalidBackoff> {
        if !INITIAL_MS.contains(&self.initial_ms) {
            return Err(InvalidBackoff::Initial(self.initial_ms));
        }
        if !MAX_MS.contains(&self.max_ms) {
            return Err(InvalidBackoff::Max(self.max_ms));
        }
        if self.max_ms < self.initial_ms {
            return Err(InvalidBackoff::MaxBelowInitial {
                initial: self.initial_ms,
                max: self.max_ms,
            });
        }
        Ok(())
    }

    /// The largest delay after `attempts` failed attempts (1 for the first failure).
    pub fn cap(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(63);
        let ms = self
            .initial_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_ms);
        Duration::from_millis(ms)
    }

    /// The delay before the next attempt, after `attempts` failed attempts of the
    /// action whose idempotency key is `key`: within `[cap/2, cap]`.
    pub fn delay(&self, attempts: u32, key: &str) -> Duration {
        let cap = self.cap(attempts).as_millis() as u64;
        let half = cap / 2;
        let spread = cap - half;
        let jitter = if spread == 0 {
            0
        } else {
            unit_hash(key, attempts) % (spread + 1)
        };
        Duration::from_millis(half + jitter)
    }
}

/// 64 well-mixed bits from (key, attempt).
fn unit_hash(key: &str, attempts: u32) -> u64 {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0]);
    h.update(attempts.to_be_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff(initial_ms: u64, max_ms: u64) -> Backoff {
        Backoff { initial_ms, max_ms }
    }

    #[test]
    fn delay_stays_within_half_cap_and_cap_and_never_exceeds_max() {
        let b = backoff(1_000, 60_000);
        for attempts in 1..=40 {
            for k in 0..50 {
                let key = format!("key-{k}");
                let d = b.delay(attempts, &key);
                let cap = b.cap(attempts);
                assert!(d <= cap, "attempt {attempts}: {d:?} > cap {cap:?}");
                assert!(d >= cap / 2, "attempt {attempts}: {d:?} < half cap");
                assert!(d <= Duration::from_millis(60_000));
            }
        }
    }

    #[test]
    fn cap_doubles_from_initial_until_max() {
        let b = backoff(1_000, 10_000);
        let caps: Vec<u128> = (1..=6).map(|n| b.cap(n).as_millis()).collect();
        assert_eq!(caps, vec![1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
        // Huge attempt counts neither overflow nor escape the bound.
        assert_eq!(b.cap(u32::MAX).as_millis(), 10_000);
    }

    #[test]
    fn delays_grow_with_attempts_for_one_action() {
        let b = backoff(500, 3_600_000);
        let key = "f3a1c0de";
        // Each retry's lower bound is the previous retry's upper bound: never shorter.
        let delays: Vec<Duration> = (1..=12).map(|n| b.delay(n, key)).collect();
        for pair in delays.windows(2) {
            assert!(pair[1] >= pair[0], "{delays:?}");
        }
        assert!(delays[11] > delays[0] * 100, "{delays:?}");
    }

    #[test]
    fn jitter_spreads_actions_but_repeats_for_the_same_action() {
        let b = backoff(10_000, 600_000);
        let delays: std::collections::BTreeSet<Duration> = (0..100)
            .map(|k| b.delay(3, &format!("action-{k}")))
            .collect();
        // 100 actions failing together do not retry at one instant.
        assert!(delays.len() > 90, "only {} distinct delays", delays.len());
        // Deterministic: a restart computes the same schedule.
        assert_eq!(b.delay(3, "action-7"), b.delay(3, "action-7"));
        assert_ne!(b.delay(3, "action-7"), b.delay(4, "action-7"));
    }

    #[test]
    fn validation_refuses_zero_huge_and_inverted_bounds() {
        assert!(backoff(1_000, 900_000).validate().is_ok());
        assert_eq!(
            backoff(0, 1_000).validate(),
            Err(InvalidBackoff::Initial(0))
        );
        assert_eq!(
            backoff(1_000, 100_000_000).validate(),
            Err(InvalidBackoff::Max(100_000_000))
        );
        assert_eq!(
            backoff(5_000, 1_000).validate(),
            Err(InvalidBackoff::MaxBelowInitial {
                initial: 5_000,
                max: 1_000
            })
        );
    }
}
