//! Changing one part of a council without losing a concurrent change to another:
//! settings, limits and the active plugin are each written by a transaction that
//! re-reads the council and changes only its own field.

use sled::transaction::ConflictableTransactionError;

use super::{Store, StoreError, encode, flatten, tx_decode};
use crate::council::{Council, CouncilId};

impl Store {
    /// Applies `change` to the stored council atomically and returns the result;
    /// `None` if there is no such council. `change` may refuse with an error (e.g.
    /// [`StoreError::Conflict`] when what it was validated against has moved on),
    /// and then nothing is written.
    pub fn update_council(
        &self,
        id: &CouncilId,
        change: impl Fn(&mut Council) -> Result<(), StoreError>,
    ) -> Result<Option<Council>, StoreError> {
        let key = id.as_str().as_bytes();
        let _writing = self.hold_writes();
        self.councils
            .transaction(|councils| {
                let Some(raw) = councils.get(key)? else {
                    return Ok(None);
                };
                let mut council: Council = tx_decode("councils", key, &raw)?;
                change(&mut council).map_err(ConflictableTransactionError::Abort)?;
                councils.insert(key, encode(&council))?;
                Ok(Some(council))
            })
            .map_err(flatten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Limits;

    #[test]
    fn an_update_changes_only_its_field_and_a_refused_one_nothing() {
        let (_dir, _lock, store) = crate::store::scratch();
        let id: CouncilId = "stoke-on-trent".parse().unwrap();
        assert_eq!(store.update_council(&id, |_| Ok(())).unwrap(), None);
        store
            .put_council(&Council::example("stoke-on-trent"))
            .unwrap();

        let updated = store
            .update_council(&id, |c| {
                c.settings = serde_json::json!({"review_every_weeks": 2});
                Ok(())
            })
            .unwrap()
            .unwrap();
        assert_eq!(updated.limits, Limits::default());
        let refused = store.update_council(&id, |c| {
            c.settings = serde_json::json!({"lost": true});
            Err(StoreError::Conflict)
        });
        assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
        assert_eq!(
            store.council(&id).unwrap().unwrap().settings,
            serde_json::json!({"review_every_weeks": 2})
        );
    }
}
