//! A council's participants a page at a time, in id order, for the roster list.

use super::{Store, StoreError, decode, journey_key};
use crate::council::CouncilId;
use crate::journey::{Journey, ParticipantId};

impl Store {
    /// Journeys of `council` after participant `after`, at most `limit`.
    pub fn journeys_page(
        &self,
        council: &CouncilId,
        after: Option<ParticipantId>,
        limit: usize,
    ) -> Result<Vec<Journey>, StoreError> {
        let prefix = format!("{council}/");
        let start = match after {
            Some(p) => {
                let mut k = journey_key(council, p);
                k.push(0);
                k
            }
            None => prefix.clone().into_bytes(),
        };
        let mut out = Vec::new();
        for kv in self.journeys.range(start..) {
            let (k, v) = kv?;
            if !k.starts_with(prefix.as_bytes()) || out.len() >= limit {
                break;
            }
            out.push(decode("journeys", &k, &v)?);
        }
        Ok(out)
    }
}
