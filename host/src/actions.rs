//! The actions service: acknowledging an action (its work is handled) and queueing
//! a dead-lettered one for delivery again. The delivery worker follows these writes
//! through the store's change feed, so nothing here needs to wake it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::council::CouncilId;
use crate::outbox::{Action, ActionId, ActionStatus};
use crate::store::{Durable, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no council `{0}`")]
    UnknownCouncil(CouncilId),
    #[error("no action `{id}` in council `{council}`", id = id_str(.1), council = .0)]
    Unknown(CouncilId, ActionId),
    #[error("action `{id}` is {status}: only a dead-lettered action can be redelivered", id = id_str(.0), status = status_name(.1))]
    NotDeadLettered(ActionId, ActionStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn id_str(id: &ActionId) -> &str {
    id.as_str()
}

/// A status as the API spells it, e.g. `"pending"`.
fn status_name(status: &ActionStatus) -> String {
    serde_json::to_value(status).unwrap_or_default().to_string()
}

#[derive(Clone)]
pub struct Actions {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Actions {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Actions {
        Actions { store, clock }
    }

    /// Acknowledges an action; twice is harmless and keeps the first time.
    pub async fn acknowledge(
        &self,
        council: &CouncilId,
        id: &ActionId,
    ) -> Result<Durable<Action>, ActionError> {
        let action = self
            .store
            .acknowledge(council, id, self.clock.now())?
            .ok_or_else(|| ActionError::Unknown(council.clone(), id.clone()))?;
        let durable = self.store.commit(action).await?;
        tracing::info!(council = %council, action = id.as_str(), "action acknowledged");
        Ok(durable)
    }

    /// Queues a dead-lettered action for delivery again, with fresh attempts.
    pub async fn redeliver(
        &self,
        council: &CouncilId,
        id: &ActionId,
    ) -> Result<Durable<Action>, ActionError> {
        if self.store.council(council)?.is_none() {
            return Err(ActionError::UnknownCouncil(council.clone()));
        }
        let action = match self.store.redeliver(council, id)? {
            None => return Err(ActionError::Unknown(council.clone(), id.clone())),
            Some(Err(status)) => return Err(ActionError::NotDeadLettered(id.clone(), status)),
            Some(Ok(action)) => action,
        };
        let durable = self.store.commit(action).await?;
        tracing::info!(council = %council, action = id.as_str(), "action queued for redelivery");
        Ok(durable)
    }
}
