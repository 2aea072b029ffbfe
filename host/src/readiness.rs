//! Whether the daemon can do its work, for `/readyz`: the store takes a write, the
//! scheduler and the webhook delivery worker are running, and the councils' plugins
//! have been compiled. `/healthz` only says the process answers.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::store::Store;

/// The meta key the write probe rewrites (the probe's own timestamp, nothing else).
const PROBE_META: &str = "readiness_probe";

/// A background loop the daemon cannot work without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    Scheduler,
    Delivery,
}

impl Worker {
    fn name(self) -> &'static str {
        match self {
            Worker::Scheduler => "the scheduler is not running",
            Worker::Delivery => "the webhook delivery worker is not running",
        }
    }
}

#[derive(Debug, Default)]
pub struct Readiness {
    scheduler: AtomicBool,
    delivery: AtomicBool,
    plugins_preloaded: AtomicBool,
}

/// Marks a worker stopped when dropped: when its loop returns, and when it panics.
struct Running {
    readiness: Arc<Readiness>,
    worker: Worker,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.readiness
            .flag(self.worker)
            .store(false, Ordering::SeqCst);
    }
}

impl Readiness {
    fn flag(&self, worker: Worker) -> &AtomicBool {
        match worker {
            Worker::Scheduler => &self.scheduler,
            Worker::Delivery => &self.delivery,
        }
    }

    /// Wraps a worker's loop: it counts as running from its first poll until it ends.
    pub fn watch<F: Future>(
        self: &Arc<Self>,
        worker: Worker,
        run: F,
    ) -> impl Future<Output = F::Output> + use<F> {
        let readiness = self.clone();
        async move {
            readiness.flag(worker).store(true, Ordering::SeqCst);
            let _running = Running { readiness, worker };
            run.await
        }
    }

    /// Called once every stored plugin has been compiled (or found not to load).
    pub fn plugins_preloaded(&self) {
        self.plugins_preloaded.store(true, Ordering::SeqCst);
    }

    /// What is not ready, one sentence each; empty when everything is.
    pub async fn not_ready(
        &self,
        store: &Store,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<String> {
        let mut missing = Vec::new();
        let probe = store.set_meta(PROBE_META, now.to_rfc3339().as_bytes());
        let written = match probe {
            Ok(()) => store.flush().await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            missing.push(format!("the store does not take writes ({e})"));
        }
        for worker in [Worker::Scheduler, Worker::Delivery] {
            if !self.flag(worker).load(Ordering::SeqCst) {
                missing.push(worker.name().to_owned());
            }
        }
        if !self.plugins_preloaded.load(Ordering::SeqCst) {
            missing.push("the councils' plugins are still being compiled".to_owned());
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_started_names_every_missing_part() {
        let (_dir, _lock, store) = crate::store::scratch();
        let missing = Readiness::default()
            .not_ready(&store, chrono::Utc::now())
            .await;
        assert_eq!(missing.len(), 3, "{missing:?}");
        assert!(missing.iter().any(|m| m.contains("scheduler")));
        assert!(missing.iter().any(|m| m.contains("webhook delivery")));
        assert!(missing.iter().any(|m| m.contains("plugins")));
    }

    #[tokio::test]
    async fn ready_while_workers_run_and_not_after_one_stops() {
        let (_dir, _lock, store) = crate::store::scratch();
        let readiness = Arc::new(Readiness::default());
        readiness.plugins_preloaded();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let scheduler = tokio::spawn(readiness.watch(Worker::Scheduler, async move {
            let _ = stop_rx.await;
        }));
        let delivery =
            tokio::spawn(readiness.watch(Worker::Delivery, std::future::pending::<()>()));
        tokio::task::yield_now().await;
        for _ in 0..100 {
            if readiness
                .not_ready(&store, chrono::Utc::now())
                .await
                .is_empty()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(
            readiness
                .not_ready(&store, chrono::Utc::now())
                .await
                .is_empty()
        );
        assert!(
            store.meta(PROBE_META).expect("meta").is_some(),
            "the probe wrote"
        );

        let _ = stop_tx.send(());
        scheduler.await.expect("scheduler ends");
        let missing = readiness.not_ready(&store, chrono::Utc::now()).await;
        assert_eq!(missing, vec!["the scheduler is not running".to_owned()]);

        delivery.abort();
        let _ = delivery.await;
        let missing = readiness.not_ready(&store, chrono::Utc::now()).await;
        assert_eq!(
            missing.len(),
            2,
            "an aborted worker counts as stopped: {missing:?}"
        );
    }
}
