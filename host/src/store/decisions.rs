//! Reading a council's decision log across participants, for replay.

use super::{Store, StoreError};
use crate::council::CouncilId;
use crate::journey::ParticipantId;

use super::DecisionRecord;

impl Store {
    /// The council's recorded decisions (one participant's, if given) in key order,
    /// at most `limit`.
    pub fn council_decisions(
        &self,
        council: &CouncilId,
        participant: Option<ParticipantId>,
        limit: usize,
    ) -> Result<Vec<(ParticipantId, DecisionRecord)>, StoreError> {
        let prefix = match participant {
            Some(p) => format!("{council}/{p}/"),
            None => format!("{council}/"),
        };
        let mut out = Vec::new();
        for kv in self.decisions.scan_prefix(prefix).take(limit) {
            let (k, v) = kv?;
            let text = String::from_utf8_lossy(&k);
            let participant = text
                .split('/')
                .nth(1)
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| StoreError::Corrupt {
                    tree: "decisions",
                    key: text.clone().into_owned(),
                    reason: "the key names no participant".into(),
                })?;
            out.push((participant, self.open_record("decisions", &k, &v)?));
        }
        Ok(out)
    }
}
