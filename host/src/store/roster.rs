//! A council's participants a page at a time, in id order, for the roster list.

use super::readable::read_page_with;
use super::{Listed, Store, StoreError, journey_key};
use crate::council::CouncilId;
use crate::journey::{Journey, ParticipantId};

impl Store {
    /// Journeys of `council` after participant `after`, at most `limit`; damaged
    /// ones are skipped and named.
    pub fn journeys_page(
        &self,
        council: &CouncilId,
        after: Option<ParticipantId>,
        limit: usize,
    ) -> Result<Listed<Journey>, StoreError> {
        read_page_with(
            &self.journeys,
            "journeys",
            format!("{council}/").as_bytes(),
            after.map(|p| journey_key(council, p)),
            limit,
            |_: &Journey| true,
            |k, v| self.open_journey(k, v).map_err(StoreError::into_reason),
        )
    }
}
