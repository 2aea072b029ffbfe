//! A council's webhook: where its actions are POSTed, how they are signed, and
//! how hard delivery tries.
//!
//! Each request carries the action as JSON, `Waymark-Signature: sha256=<hex>` (an
//! HMAC-SHA256 of the exact body bytes keyed with the council's secret) and
//! `Idempotency-Key` (the action's key, the same on every attempt), so a receiver
//! can check where a request came from and drop repeats.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Action;
use super::backoff::{Backoff, InvalidBackoff};

/// The signature header: `sha256=` and the lower-case hex HMAC of the body.
pub const SIGNATURE_HEADER: &str = "Waymark-Signature";
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Which attempt this request is (1 for the first); informational only.
pub const ATTEMPT_HEADER: &str = "Waymark-Attempt";

pub const MIN_SECRET_CHARS: usize = 32;
const MAX_SECRET_CHARS: usize = 1_024;
const MAX_URL_CHARS: usize = 2_048;
pub const TIMEOUT_MS: std::ops::RangeInclusive<u64> = 100..=60_000;
pub const MAX_ATTEMPTS: std::ops::RangeInclusive<u32> = 1..=100;

/// The shared secret signatures are keyed with. It is stored (delivery needs it)
/// but never returned by the API, and its `Debug` never shows it, so it cannot
/// reach a log by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookSecret(String);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

impl WebhookSecret {
    pub fn new(secret: String) -> Result<WebhookSecret, InvalidWebhook> {
        let chars = secret.chars().count();
        if !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&chars) {
            return Err(InvalidWebhook::Secret { chars });
        }
        if secret.chars().any(char::is_control) {
            return Err(InvalidWebhook::SecretControl);
        }
        Ok(WebhookSecret(secret))
    }

    /// `sha256=<hex HMAC-SHA256 of body>`, the value of [`SIGNATURE_HEADER`].
    pub fn sign(&self, body: &[u8]) -> String {
        // HMAC accepts a key of any length (long keys are hashed first), so this
        // cannot fail for any secret.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_bytes())
            .expect("HMAC-SHA256 takes a key of any length");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

/// An `http` or `https` URL without credentials in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: &str) -> Result<WebhookUrl, InvalidWebhook> {
        if raw.len() > MAX_URL_CHARS {
            return Err(InvalidWebhook::Url(format!(
                "it is longer than {MAX_URL_CHARS} characters"
            )));
        }
        let url = reqwest::Url::parse(raw).map_err(|e| InvalidWebhook::Url(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidWebhook::Url(format!(
                "the scheme is `{}`; use http or https",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InvalidWebhook::Url("it has no host".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidWebhook::Url(
                "it carries credentials; receivers authenticate requests by their signature".into(),
            ));
        }
        if url.fragment().is_some() {
            return Err(InvalidWebhook::Url("it has a `#fragment`".into()));
        }
        Ok(WebhookUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidWebhook {
    #[error("`url` is not a valid webhook URL: {0}")]
    Url(String),
    #[error(
        "`secret` must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters (it had {chars}); generate a long random one, e.g. `openssl rand -hex 32`"
    )]
    Secret { chars: usize },
    #[error("`secret` must not contain control characters")]
    SecretControl,
    #[error("`timeout_ms` must be from 100 to 60,000; it was {0}")]
    Timeout(u64),
    #[error("`max_attempts` must be from 1 to 100; it was {0}")]
    MaxAttempts(u32),
    #[error(transparent)]
    Backoff(#[from] InvalidBackoff),
}

/// `PUT /v1/councils/{council}/webhook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Where actions are POSTed: an `http` or `https` URL.
    pub url: String,
    /// At least 32 characters; signs every request. Write-only: never returned.
    pub secret: String,
    /// How long one attempt may take, 100 to 60,000 ms; default 10,000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts before an action is dead-lettered, 1 to 100; default 10.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    #[serde(default)]
    pub backoff: Backoff,
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_max_attempts() -> u32 {
    10
}

/// A council's webhook, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub url: WebhookUrl,
    pub secret: WebhookSecret,
    pub timeout_ms: u64,
    pub max_attempts: u32,
    pub backoff: Backoff,
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    pub fn from_settings(
        s: WebhookSettings,
        now: DateTime<Utc>,
    ) -> Result<Webhook, InvalidWebhook> {
        let url = WebhookUrl::parse(&s.url)?;
        let secret = WebhookSecret::new(s.secret)?;
        if !TIMEOUT_MS.contains(&s.timeout_ms) {
            return Err(InvalidWebhook::Timeout(s.timeout_ms));
        }
        if !MAX_ATTEMPTS.contains(&s.max_attempts) {
            return Err(InvalidWebhook::MaxAttempts(s.max_attempts));
        }
        s.backoff.validate()?;
        Ok(Webhook {
            url,
            secret,
            timeout_ms: s.timeout_ms,
            max_attempts: s.max_attempts,
            backoff: s.backoff,
            updated_at: now,
        })
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// What `GET …/webhook` shows: everything but the secret.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WebhookView {
    pub url: WebhookUrl,
    pub timeout_ms: u64,
    pub max_attempts: u32,
    pub backoff: Backoff,
    pub updated_at: DateTime<Utc>,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> Self {
        WebhookView {
            url: w.url.clone(),
            timeout_ms: w.timeout_ms,
            max_attempts: w.max_attempts,
            backoff: w.backoff,
            updated_at: w.updated_at,
        }
    }
}

/// The request body for an action: the action as listed by `GET …/actions`,
/// without its `delivery` bookkeeping, so every attempt sends the same bytes.
pub fn payload(action: &Action) -> Result<Vec<u8>, serde_json::Error> {
    let mut value = serde_json::to_value(action)?;
    if let Some(object) = value.as_object_mut() {
        object.remove("delivery");
    }
    serde_json::to_vec(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, secret: &str) -> WebhookSettings {
        serde_json::from_value(serde_json::json!({ "url": url, "secret": secret }))
            .expect("valid settings")
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn signature_is_hmac_sha256_of_the_body_as_rfc4231_test_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let secret = WebhookSecret("Jefe".into());
        assert_eq!(
            secret.sign(b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signature_changes_with_the_body_and_with_the_secret() {
        let a = WebhookSecret::new(SECRET.into()).expect("valid");
        let b = WebhookSecret::new(format!("{SECRET}x")).expect("valid");
        assert_ne!(a.sign(b"{\"a\":1}"), a.sign(b"{\"a\":2}"));
        assert_ne!(a.sign(b"{\"a\":1}"), b.sign(b"{\"a\":1}"));
        assert_eq!(a.sign(b"{\"a\":1}"), a.sign(b"{\"a\":1}"));
    }

    #[test]
    fn defaults_are_applied_and_the_secret_never_shows_in_debug() {
        let w = Webhook::from_settings(
            settings("https://council.example/hooks", SECRET),
            Utc::now(),
        )
        .expect("valid");
        assert_eq!(w.timeout_ms, 10_000);
        assert_eq!(w.max_attempts, 10);
        assert_eq!(w.backoff, Backoff::default());
        assert!(!format!("{w:?}").contains(SECRET));
        let view = serde_json::to_string(&WebhookView::from(&w)).expect("json");
        assert!(!view.contains(SECRET), "{view}");
        assert!(!view.contains("secret"), "{view}");
    }

    #[test]
    fn bad_urls_short_secrets_and_out_of_range_limits_are_refused_with_the_field_named() {
        let now = Utc::now();
        for url in [
            "ftp://council.example/",
            "not a url",
            "http://user:pw@council.example/",
            "https://council.example/#frag",
            "file:///etc/passwd",
        ] {
            let e = Webhook::from_settings(settings(url, SECRET), now).expect_err(url);
            assert!(e.to_string().contains("`url`"), "{url}: {e}");
        }
        let e = Webhook::from_settings(settings("http://127.0.0.1:9/", "short"), now)
            .expect_err("short secret");
        assert!(e.to_string().contains("`secret`"), "{e}");
        let mut s = settings("http://127.0.0.1:9/", SECRET);
        s.timeout_ms = 5;
        assert_eq!(
            Webhook::from_settings(s, now),
            Err(InvalidWebhook::Timeout(5))
        );
        let mut s = settings("http://127.0.0.1:9/", SECRET);
        s.max_attempts = 0;
        assert_eq!(
            Webhook::from_settings(s, now),
            Err(InvalidWebhook::MaxAttempts(0))
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<WebhookSettings, _> = serde_json::from_value(serde_json::json!({
            "url": "http://x.example/", "secret": SECRET, "retries": 3
        }));
        assert!(r.is_err());
        let r: Result<WebhookSettings, _> = serde_json::from_value(serde_json::json!({
            "url": "http://x.example/", "secret": SECRET, "backoff": { "factor": 2 }
        }));
        assert!(r.is_err());
    }
}
