//! The webhooks service: a council's webhook. The delivery worker follows these
//! writes through the store's change feed, so nothing here needs to wake it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::council::CouncilId;
use crate::outbox::webhook::{InvalidWebhook, Webhook, WebhookSettings};
use crate::store::{Durable, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no council `{0}`")]
    UnknownCouncil(CouncilId),
    #[error("council `{0}` has no webhook")]
    NoWebhook(CouncilId),
    #[error(transparent)]
    Invalid(#[from] InvalidWebhook),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Webhooks {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Webhooks {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Webhooks {
        Webhooks { store, clock }
    }

    fn council(&self, id: &CouncilId) -> Result<(), WebhookError> {
        match self.store.council(id)? {
            Some(_) => Ok(()),
            None => Err(WebhookError::UnknownCouncil(id.clone())),
        }
    }

    /// Sets (or replaces) the council's webhook.
    pub async fn set(
        &self,
        council: &CouncilId,
        settings: WebhookSettings,
    ) -> Result<Durable<Webhook>, WebhookError> {
        self.council(council)?;
        let webhook = Webhook::from_settings(settings, self.clock.now())?;
        self.store.put_webhook(council, &webhook)?;
        let durable = self.store.commit(webhook).await?;
        // Neither the URL (it may carry a token) nor the secret is logged.
        tracing::info!(council = %council, "webhook set");
        Ok(durable)
    }

    pub fn get(&self, council: &CouncilId) -> Result<Webhook, WebhookError> {
        self.council(council)?;
        self.store
            .webhook(council)?
            .ok_or_else(|| WebhookError::NoWebhook(council.clone()))
    }

    /// Removes the council's webhook: its actions are pulled from then on.
    pub async fn remove(&self, council: &CouncilId) -> Result<Durable<()>, WebhookError> {
        self.council(council)?;
        if !self.store.delete_webhook(council)? {
            return Err(WebhookError::NoWebhook(council.clone()));
        }
        let durable = self.store.commit(()).await?;
        tracing::info!(council = %council, "webhook removed");
        Ok(durable)
    }
}
