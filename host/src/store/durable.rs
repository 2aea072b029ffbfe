//! An acknowledgement that exists only once a write is on disk.
//!
//! Services answer writes with [`Durable`], which only [`Store::commit`] makes, after
//! the flush; the API's write handlers answer with it, so a handler that skips the
//! flush has nothing to answer with.

use super::{Store, StoreError};

/// `T`, written and flushed: what a write may acknowledge.
///
/// Nothing outside the store can make one:
///
/// ```compile_fail
/// let answer = waymark::store::Durable(42);
/// ```
#[derive(Debug)]
#[must_use = "a durable write is the answer to give"]
pub struct Durable<T>(T);

impl<T> Durable<T> {
    pub fn into_inner(self) -> T {
        self.0
    }

    pub fn get(&self) -> &T {
        &self.0
    }

    /// The same write, answered with something made from it.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Durable<U> {
        Durable(f(self.0))
    }
}

impl Store {
    /// Flushes everything written so far, then acknowledges `value`.
    pub async fn commit<T>(&self, value: T) -> Result<Durable<T>, StoreError> {
        self.flush().await?;
        Ok(Durable(value))
    }
}
