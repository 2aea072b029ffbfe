//! One daemon per data folder: sled is single-writer, and two writers would corrupt it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another Waymark daemon is already using the data folder {0} (it holds {0}/waymark.lock): stop that daemon, or start this one with a different --data folder"
    )]
    InUse(PathBuf),
    #[error("cannot open the data folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held for as long as the daemon runs; the OS releases it when the process dies,
/// even on `kill -9`, so a crash never leaves a stale lock.
#[derive(Debug)]
pub struct DataFolderLock {
    _file: File,
}

impl DataFolderLock {
    pub fn acquire(dir: &Path) -> Result<DataFolderLock, LockError> {
        let io = |source| LockError::Io {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("waymark.lock"))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(DataFolderLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LockError::InUse(dir.to_owned())),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }
}
