//! The human-review queue's persistence: `reviews`, keyed `council/<20-digit id>` so
//! a council's items list in arrival order and an id is a cursor. Items are written
//! with their journey, in `write_journey`'s transaction, sealed with the participant's
//! key (`sealed_records.rs`): a reviewer's note is as personal as the journey.

use super::readable::read_page_with;
use super::{Listed, Store, StoreError};
use crate::council::CouncilId;
use crate::review::{ReviewId, ReviewItem, ReviewStatus};

pub(super) fn key(council: &CouncilId, id: ReviewId) -> Vec<u8> {
    format!("{council}/{:020}", id.0).into_bytes()
}

impl Store {
    pub(super) fn reviews_tree(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree("reviews")?)
    }

    /// A fresh review id, larger than any given before.
    pub fn new_review_id(&self) -> Result<ReviewId, StoreError> {
        Ok(ReviewId(self.db.generate_id()?))
    }

    /// Writes one review item on its own (one that changes no journey).
    pub fn put_review(&self, council: &CouncilId, item: &ReviewItem) -> Result<(), StoreError> {
        let key = key(council, item.id);
        let record = self.seal_record("reviews", &key, Some((council, item.participant)), item)?;
        let _writing = self.hold_writes();
        self.reviews_tree()?.insert(key, record)?;
        Ok(())
    }

    pub fn review(
        &self,
        council: &CouncilId,
        id: ReviewId,
    ) -> Result<Option<ReviewItem>, StoreError> {
        let key = key(council, id);
        self.reviews_tree()?
            .get(&key)?
            .map(|v| self.open_record("reviews", &key, &v))
            .transpose()
    }

    /// A council's review items in arrival order, after `after`, at most `limit`,
    /// only those with `status` if given; damaged ones are skipped and named.
    pub fn reviews(
        &self,
        council: &CouncilId,
        status: Option<ReviewStatus>,
        after: Option<ReviewId>,
        limit: usize,
    ) -> Result<Listed<ReviewItem>, StoreError> {
        read_page_with(
            &self.reviews_tree()?,
            "reviews",
            format!("{council}/").as_bytes(),
            after.map(|id| key(council, id)),
            limit,
            |item: &ReviewItem| status.is_none_or(|s| s == item.status),
            |k, v| self.sealing.open_record("reviews", k, v),
        )
    }
}
