//! The only place Waymark reads the time.
//!
//! Production uses [`SystemClock`]; tests and `--manual-clock` use [`ManualClock`],
//! which moves only when told to. The scheduler waits through [`Clock::wait_until`],
//! so a manual clock that jumps forward wakes it at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

pub type WaitFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Resolves at or after `instant`, or earlier when the clock may have jumped:
    /// callers re-read [`Clock::now`] and wait again if need be.
    fn wait_until(&self, instant: DateTime<Utc>) -> WaitFuture<'_>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

/// A wall clock can jump (NTP, a suspended VM); sleeping in bounded slices means a
/// jump delays nothing by more than this.
const LONGEST_SLEEP: Duration = Duration::from_secs(30);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn wait_until(&self, instant: DateTime<Utc>) -> WaitFuture<'_> {
        let wait = (instant - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(LONGEST_SLEEP);
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The store's meta key under which a manual clock's time is kept, so a restart
/// (even after kill -9) resumes where it was set.
pub const MANUAL_CLOCK_META: &str = "manual_clock_now";

/// A clock that stands still until [`ManualClock::set`] moves it (either way).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: Notify,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(start),
            moved: Notify::new(),
        }
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait_until(&self, instant: DateTime<Utc>) -> WaitFuture<'_> {
        Box::pin(async move {
            let moved = self.moved.notified();
            tokio::pin!(moved);
            // Register interest before checking, so a `set` in between is not missed.
            moved.as_mut().enable();
            if self.now() >= instant {
                return;
            }
            moved.await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn manual_clock_wakes_a_waiter_when_moved_past_its_instant() {
        let start = DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid instant");
        let clock = Arc::new(ManualClock::new(start));
        let waiter = {
            let clock = clock.clone();
            tokio::spawn(async move {
                let target = start + chrono::Duration::days(1);
                while clock.now() < target {
                    clock.wait_until(target).await;
                }
                clock.now()
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        clock.set(start + chrono::Duration::days(2));
        let woke_at = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("waiter woke")
            .expect("task ran");
        assert_eq!(woke_at, start + chrono::Duration::days(2));
    }
}
