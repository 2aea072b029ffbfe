//! The write barrier: every write to the store holds its shared side while it
//! writes; a backup takes the exclusive side, so the trees it copies are all as of
//! one instant. sled's iteration is consistent within a tree, not across trees, and
//! a journey with its timers and actions spans several.
//!
//! Reads never touch the barrier, so they are served throughout a backup; writes
//! wait for it (a backup holds it for as long as copying the store takes).

use std::cell::RefCell;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use super::Store;

/// Shared by every clone of a [`Store`].
#[derive(Clone, Default)]
pub(crate) struct WriteBarrier {
    lock: Arc<RwLock<()>>,
}

thread_local! {
    /// The barriers this thread already holds for writing. A write that calls another
    /// write must not queue for the barrier again: with a snapshot waiting, the second
    /// request would wait behind it while the snapshot waits for the first (deadlock).
    static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// The shared side, held by one write for as long as it writes.
pub(crate) struct WriteHold<'a> {
    /// `None` when this thread already held the barrier (a nested write).
    guard: Option<RwLockReadGuard<'a, ()>>,
    id: usize,
}

impl Drop for WriteHold<'_> {
    fn drop(&mut self) {
        if self.guard.take().is_some() {
            HELD.with(|held| {
                let mut held = held.borrow_mut();
                if let Some(i) = held.iter().rposition(|id| *id == self.id) {
                    held.swap_remove(i);
                }
            });
        }
    }
}

/// The exclusive side: while it is held no write runs.
pub(crate) struct SnapshotHold<'a> {
    _guard: RwLockWriteGuard<'a, ()>,
}

impl WriteBarrier {
    fn id(&self) -> usize {
        Arc::as_ptr(&self.lock) as usize
    }

    fn hold_for_write(&self) -> WriteHold<'_> {
        let id = self.id();
        if HELD.with(|held| held.borrow().contains(&id)) {
            return WriteHold { guard: None, id };
        }
        let guard = match self.lock.try_read() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                wait_for(|| self.lock.read().unwrap_or_else(PoisonError::into_inner))
            }
        };
        HELD.with(|held| held.borrow_mut().push(id));
        WriteHold {
            guard: Some(guard),
            id,
        }
    }

    fn hold_for_snapshot(&self) -> SnapshotHold<'_> {
        SnapshotHold {
            _guard: self.lock.write().unwrap_or_else(PoisonError::into_inner),
        }
    }
}

/// Blocks until `f` returns. On a tokio worker thread, tells the runtime first, so
/// the worker's other tasks (reads above all) move to another thread meanwhile.
fn wait_for<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Store {
    /// Taken by every method that writes, around its write (see the module docs).
    pub(crate) fn hold_writes(&self) -> WriteHold<'_> {
        self.barrier.hold_for_write()
    }

    /// Holds every write back until dropped; waits for writes under way to finish.
    pub(crate) fn hold_snapshot(&self) -> SnapshotHold<'_> {
        self.barrier.hold_for_snapshot()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_write_waits_while_a_snapshot_holds_the_barrier() {
        let (_dir, _lock, store) = crate::store::scratch();
        let snapshot = store.hold_snapshot();
        let (done_tx, done) = mpsc::channel();
        let writer = store.clone();
        std::thread::spawn(move || {
            writer.set_meta("written", b"yes").expect("write");
            let _ = done_tx.send(());
        });
        assert!(
            done.recv_timeout(Duration::from_millis(300)).is_err(),
            "the write finished while the snapshot held the barrier"
        );
        // Reads go on meanwhile, and see nothing of the held-back write.
        assert_eq!(store.meta("written").expect("read"), None);
        drop(snapshot);
        done.recv_timeout(Duration::from_secs(10))
            .expect("the write went ahead once the snapshot let go");
        assert_eq!(store.meta("written").expect("read"), Some(b"yes".to_vec()));
    }

    #[test]
    fn a_snapshot_waits_for_a_write_under_way() {
        let (_dir, _lock, store) = crate::store::scratch();
        let writing = store.hold_writes();
        let (taken_tx, taken) = mpsc::channel();
        let backup = store.clone();
        std::thread::spawn(move || {
            let _held = backup.hold_snapshot();
            let _ = taken_tx.send(());
        });
        assert!(taken.recv_timeout(Duration::from_millis(300)).is_err());
        drop(writing);
        taken
            .recv_timeout(Duration::from_secs(10))
            .expect("the snapshot was taken once the write finished");
    }

    #[test]
    fn a_nested_write_does_not_queue_behind_a_waiting_snapshot() {
        let (_dir, _lock, store) = crate::store::scratch();
        let (done_tx, done) = mpsc::channel();
        let (holding_tx, holding) = mpsc::channel();
        let (go_tx, go) = mpsc::channel::<()>();
        let writer = store.clone();
        std::thread::spawn(move || {
            let _outer = writer.hold_writes();
            let _ = holding_tx.send(());
            let _ = go.recv();
            // A write made while this thread already holds the barrier.
            writer.set_meta("nested", b"yes").expect("nested write");
            let _ = done_tx.send(());
        });
        holding.recv().expect("writer holds the barrier");
        let backup = store.clone();
        let snapshot = std::thread::spawn(move || drop(backup.hold_snapshot()));
        std::thread::sleep(Duration::from_millis(100)); // the snapshot is now waiting
        go_tx.send(()).expect("go");
        done.recv_timeout(Duration::from_secs(10))
            .expect("the nested write was not blocked by the waiting snapshot");
        snapshot
            .join()
            .expect("snapshot taken after the writer let go");
    }

    #[test]
    fn barriers_of_two_stores_are_independent() {
        let (_d1, _l1, one) = crate::store::scratch();
        let (_d2, _l2, two) = crate::store::scratch();
        let _writing_one = one.hold_writes();
        let (taken_tx, taken) = mpsc::channel();
        std::thread::spawn(move || {
            let _held = two.hold_snapshot();
            let _ = taken_tx.send(());
        });
        taken
            .recv_timeout(Duration::from_secs(10))
            .expect("a write to one store does not hold back a snapshot of another");
    }
}
