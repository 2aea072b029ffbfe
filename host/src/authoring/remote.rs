//! A council's plugin on a running daemon, managed over the HTTP API (see the API
//! table in README.md): `PUT /v1/councils/{council}/plugin`, `GET
//! …/plugin/versions`, `POST …/plugin/versions/{digest}/activate` and `POST
//! …/plugin/rollback`.
//!
//! The answer types here are the client's reading of the API's JSON, kept apart
//! from the server's types on purpose: they are what a published API promises, and
//! `tests/plugin_cli.rs` drives the real daemon to keep the two in step.
//!
//! The API key is a constructor argument, never a flag: the binary reads it from
//! `WAYMARK_KEY`, so it stays out of shell history and `ps` output.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::council::CouncilId;
use crate::policy::PluginDigest;

/// Validation runs every golden case in the sandbox, so an upload may take a while.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request about a council's plugin did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "no API key: set WAYMARK_KEY to a key of the council's admin (`read -rs WAYMARK_KEY && \
         export WAYMARK_KEY` keeps it out of shell history)"
    )]
    NoKey,
    #[error("`{0}` is not a daemon address: give its base URL, e.g. --url http://127.0.0.1:8080")]
    BadUrl(String),
    #[error(
        "could not reach the daemon at {url}: {reason}; is `waymark serve` running there, and is \
         --url right?"
    )]
    Unreachable { url: String, reason: String },
    #[error(
        "the daemon at {url} answered {status} with something that is not Waymark's API \
         ({reason}); check --url"
    )]
    NotWaymark {
        url: String,
        status: u16,
        reason: String,
    },
    /// The daemon understood the request and refused it; it changed nothing.
    #[error("{0}")]
    Refused(Refusal),
    #[error(
        "`{0}` is not a plugin digest or the start of one: give at least {MIN_PREFIX} of the hex \
         digits (0-9, a-f) `waymark plugin versions` prints"
    )]
    BadDigest(String),
    #[error(
        "council `{council}` has no plugin version starting `{prefix}`: `waymark plugin versions` \
         lists the versions it uploaded"
    )]
    UnknownVersion { council: CouncilId, prefix: String },
    #[error(
        "`{prefix}` is the start of {count} of council `{council}`'s plugin versions: give more of \
         the digest"
    )]
    AmbiguousVersion {
        council: CouncilId,
        prefix: String,
        count: usize,
    },
}

/// The shortest digest prefix `activate` takes: shorter ones collide too easily.
pub const MIN_PREFIX: usize = 6;

/// A refusal as the daemon gave it: an RFC 9457 problem detail.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refusal {
    /// e.g. `urn:waymark:problem:plugin-rejected`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What was wrong, and how to fix it.
    pub detail: String,
}

impl Refusal {
    /// The kind without its `urn:waymark:problem:` prefix, e.g. `plugin-rejected`.
    pub fn short_kind(&self) -> &str {
        self.kind
            .strip_prefix("urn:waymark:problem:")
            .unwrap_or(&self.kind)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused ({} {}): {}",
            self.status, self.title, self.detail
        )
    }
}

/// An accepted upload: the new version, now active.
#[derive(Debug, Clone, Deserialize)]
pub struct Installed {
    pub digest: PluginDigest,
    /// The `waymark:policy` contract version the plugin was built against.
    pub contract_version: String,
    /// How many golden cases it carried; all held in the sandbox.
    pub golden_cases: usize,
    /// The JSON Schema administrators edit the council's settings against.
    pub settings_schema: Value,
}

/// A council's plugin versions, oldest first, and which is active.
#[derive(Debug, Clone, Deserialize)]
pub struct Versions {
    pub active: Option<PluginDigest>,
    pub versions: Vec<Version>,
    /// Version records the daemon could not read (restore them from a backup).
    #[serde(default)]
    pub damaged: Vec<Damaged>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Version {
    pub digest: PluginDigest,
    pub uploaded_at: DateTime<Utc>,
    pub size_bytes: u64,
    pub contract_version: String,
    pub golden_cases: usize,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Damaged {
    pub key: String,
    pub reason: String,
}

/// The version that became active, and the one active before it.
#[derive(Debug, Clone, Deserialize)]
pub struct Activated {
    pub active: PluginDigest,
    pub previous: Option<PluginDigest>,
}

/// One council on one daemon, with the API key to act for it.
pub struct RemoteCouncil {
    base: String,
    council: CouncilId,
    key: String,
    http: reqwest::Client,
}

impl RemoteCouncil {
    /// `url` is the daemon's base address, e.g. `http://127.0.0.1:8080`.
    pub fn new(url: &str, council: CouncilId, key: String) -> Result<RemoteCouncil, RemoteError> {
        let base = url.trim_end_matches('/');
        let parsed = reqwest::Url::parse(base).map_err(|_| RemoteError::BadUrl(url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(RemoteError::BadUrl(url.to_owned()));
        }
        // reqwest is built with rustls and no default crypto provider.
        crate::outbox::delivery::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| RemoteError::Unreachable {
                url: base.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(RemoteCouncil {
            base: base.to_owned(),
            council,
            key,
            http,
        })
    }

    pub fn council(&self) -> &CouncilId {
        &self.council
    }

    /// Uploads a component; the daemon checks it (its golden cases included, under
    /// the council's limits) and makes it the active version, or refuses it and
    /// changes nothing.
    pub async fn upload(&self, component: Vec<u8>) -> Result<Installed, RemoteError> {
        let request = self
            .http
            .put(self.url("plugin"))
            .timeout(UPLOAD_TIMEOUT)
            .header(CONTENT_TYPE, "application/wasm")
            .body(component);
        self.send(request).await
    }

    pub async fn versions(&self) -> Result<Versions, RemoteError> {
        self.send(self.http.get(self.url("plugin/versions"))).await
    }

    /// Makes the version whose digest is or starts with `digest` active.
    pub async fn activate(&self, digest: &str) -> Result<Activated, RemoteError> {
        let digest = self.resolve(digest).await?;
        let path = format!("plugin/versions/{digest}/activate");
        self.send(self.http.post(self.url(&path)).json(&serde_json::json!({})))
            .await
    }

    /// Reactivates the version that was active before the current one.
    pub async fn rollback(&self) -> Result<Activated, RemoteError> {
        self.send(
            self.http
                .post(self.url("plugin/rollback"))
                .json(&serde_json::json!({})),
        )
        .await
    }

    /// A whole digest as given, or the one version whose digest starts with `prefix`.
    async fn resolve(&self, prefix: &str) -> Result<PluginDigest, RemoteError> {
        let prefix = prefix.trim().to_ascii_lowercase();
        if let Ok(digest) = prefix.parse::<PluginDigest>() {
            return Ok(digest);
        }
        let hex = prefix.len() >= MIN_PREFIX && prefix.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex {
            return Err(RemoteError::BadDigest(prefix));
        }
        let listed = self.versions().await?;
        match_prefix(&self.council, &listed, &prefix)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/councils/{}/{path}", self.base, self.council)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RemoteError> {
        let unreachable = |e: reqwest::Error| RemoteError::Unreachable {
            url: self.base.clone(),
            reason: e.without_url().to_string(),
        };
        let response = request
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        let not_waymark = |reason: String| RemoteError::NotWaymark {
            url: self.base.clone(),
            status: status.as_u16(),
            reason,
        };
        if status.is_success() {
            serde_json::from_slice(&body).map_err(|e| not_waymark(e.to_string()))
        } else {
            let refusal: Refusal = serde_json::from_slice(&body)
                .map_err(|_| not_waymark("not a problem detail".to_owned()))?;
            Err(RemoteError::Refused(refusal))
        }
    }
}

/// The one listed version whose digest starts with `prefix`.
fn match_prefix(
    council: &CouncilId,
    listed: &Versions,
    prefix: &str,
) -> Result<PluginDigest, RemoteError> {
    let mut matching = listed
        .versions
        .iter()
        .filter(|v| v.digest.as_str().starts_with(prefix));
    match (matching.next(), matching.count()) {
        (Some(one), 0) => Ok(one.digest.clone()),
        (Some(_), more) => Err(RemoteError::AmbiguousVersion {
            council: council.clone(),
            prefix: prefix.to_owned(),
            count: more + 1,
        }),
        (None, _) => Err(RemoteError::UnknownVersion {
            council: council.clone(),
            prefix: prefix.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn council() -> CouncilId {
        "stoke-on-trent".parse().unwrap()
    }

    fn listed(digests: &[&str]) -> Versions {
        Versions {
            active: None,
            versions: digests
                .iter()
                .map(|d| Version {
                    digest: d.repeat(64 / d.len()).parse().unwrap(),
                    uploaded_at: DateTime::UNIX_EPOCH,
                    size_bytes: 1,
                    contract_version: "1.0.0".into(),
                    golden_cases: 0,
                    active: false,
                })
                .collect(),
            damaged: vec![],
        }
    }

    #[test]
    fn a_unique_prefix_names_its_version() {
        let versions = listed(&["ab", "cd"]);
        let digest = match_prefix(&council(), &versions, "ababab").unwrap();
        assert_eq!(digest.as_str(), "ab".repeat(32));
    }

    #[test]
    fn a_prefix_of_two_versions_or_of_none_is_refused() {
        let versions = listed(&["abcdef01", "abcdef02"]);
        let err = match_prefix(&council(), &versions, "abcdef").unwrap_err();
        assert!(
            matches!(err, RemoteError::AmbiguousVersion { count: 2, .. }),
            "{err}"
        );
        let digest = match_prefix(&council(), &versions, "abcdef02").unwrap();
        assert_eq!(digest.as_str(), "abcdef02".repeat(8));
        let err = match_prefix(&council(), &versions, "ffffff").unwrap_err();
        assert!(matches!(err, RemoteError::UnknownVersion { .. }), "{err}");
    }

    #[test]
    fn only_http_addresses_are_daemons() {
        for bad in ["127.0.0.1:8080", "ftp://example.org", "not a url"] {
            let err = RemoteCouncil::new(bad, council(), "k".into())
                .err()
                .unwrap_or_else(|| panic!("{bad} was taken"));
            assert!(matches!(err, RemoteError::BadUrl(_)), "{err}");
        }
        assert!(RemoteCouncil::new("http://127.0.0.1:8080/", council(), "k".into()).is_ok());
    }

    #[test]
    fn a_refusal_reads_as_its_status_title_and_detail() {
        let refusal: Refusal = serde_json::from_str(
            r#"{"type":"urn:waymark:problem:not-found","title":"Not found","status":404,"detail":"no council `x`"}"#,
        )
        .unwrap();
        assert_eq!(refusal.short_kind(), "not-found");
        assert_eq!(
            refusal.to_string(),
            "refused (404 Not found): no council `x`"
        );
    }
}
