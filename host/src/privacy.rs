//! The privacy service: a participant's data-protection rights. Export of everything
//! held, erasure, and the legal hold that blocks erasure while it stands.

use std::sync::Arc;

use crate::access::KeyId;
use crate::clock::Clock;
use crate::council::CouncilId;
use crate::journey::ParticipantId;
use crate::store::{
    Durable, EraseOutcome, Erasure, LegalHold, ParticipantExport, Store, StoreError,
};

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("no participant `{1}` in council `{0}`")]
    UnknownParticipant(CouncilId, ParticipantId),
    #[error("{}", held(.0))]
    Held(LegalHold),
    #[error("`reason` must be 1 to 500 characters")]
    InvalidHoldReason,
    #[error("no legal hold on participant `{1}` in council `{0}`")]
    NoHold(CouncilId, ParticipantId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn held(hold: &LegalHold) -> String {
    format!(
        "a legal hold stands on this participant ({}), placed {}; nothing was erased",
        hold.reason, hold.placed_at
    )
}

#[derive(Clone)]
pub struct Privacy {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Privacy {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Privacy {
        Privacy { store, clock }
    }

    /// Everything held about a participant.
    pub fn export(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<ParticipantExport, PrivacyError> {
        self.store
            .export_participant(council, participant, self.clock.now())?
            .ok_or_else(|| PrivacyError::UnknownParticipant(council.clone(), participant))
    }

    /// Erases a participant (asked for by `by`); erasing again answers the first
    /// erasure. A legal hold refuses it.
    pub async fn erase(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        by: &KeyId,
    ) -> Result<Durable<Erasure>, PrivacyError> {
        let outcome = self
            .store
            .erase_participant(council, participant, self.clock.now(), by)?;
        match outcome {
            EraseOutcome::Erased(erasure) => {
                let durable = self.store.commit(erasure).await?;
                tracing::info!(council = %council, participant = %participant, "participant erased");
                Ok(durable)
            }
            // Already on disk: the flush only confirms it.
            EraseOutcome::AlreadyErased(erasure) => Ok(self.store.commit(erasure).await?),
            EraseOutcome::Held(hold) => Err(PrivacyError::Held(hold)),
            EraseOutcome::Unknown => Err(PrivacyError::UnknownParticipant(
                council.clone(),
                participant,
            )),
        }
    }

    /// Places (or replaces) a legal hold, placed by `by`.
    pub async fn place_hold(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        reason: &str,
        by: KeyId,
    ) -> Result<Durable<LegalHold>, PrivacyError> {
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(PrivacyError::InvalidHoldReason);
        }
        let hold = LegalHold {
            reason,
            placed_at: self.clock.now(),
            placed_by: by,
        };
        if !self.store.put_legal_hold(council, participant, &hold)? {
            return Err(PrivacyError::UnknownParticipant(
                council.clone(),
                participant,
            ));
        }
        let durable = self.store.commit(hold).await?;
        tracing::info!(council = %council, participant = %participant, "legal hold placed");
        Ok(durable)
    }

    pub async fn lift_hold(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Durable<()>, PrivacyError> {
        self.store
            .remove_legal_hold(council, participant)?
            .ok_or_else(|| PrivacyError::NoHold(council.clone(), participant))?;
        let durable = self.store.commit(()).await?;
        tracing::info!(council = %council, participant = %participant, "legal hold lifted");
        Ok(durable)
    }
}
