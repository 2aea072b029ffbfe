//! The daemon's Prometheus metrics (`GET /metrics`): HTTP requests by route pattern
//! and status, decision latency and fuel by council and hook, timers fired and their
//! lag (journey timers and admin schedule firings alike, told apart by `source`), and
//! (read from the store at scrape time) timers pending, outbox depth and
//! dead letters.
//!
//! Labels are route patterns (`/v1/councils/{council}/participants/{participant}`),
//! council ids and fixed names, never a raw path or a participant id: nothing here
//! identifies a person.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::council::CouncilId;
use crate::outbox::{Action, ActionKind};
use crate::store::{Store, StoreError};

/// The `Content-Type` of what [`Telemetry::render`] writes (Prometheus text 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The matched route pattern, or `unmatched`.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    council: String,
    /// The hook: eligibility, plan, missed_contact, handover.
    kind: String,
    /// `decided`, or `no_decision` when the case went to human review.
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FiredLabels {
    council: String,
    /// The timer kind (`review`, …) or the schedule's action (`caseload_digest`, …).
    kind: String,
    /// `journey` for a journey's timer, `schedule` for an admin schedule's firing.
    source: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

/// Where a fired action came from, as the `source` label says it.
fn source(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Timer(_) => "journey",
        ActionKind::Schedule(_) | ActionKind::Escalation(_) => "schedule",
    }
}

fn fire_lag_seconds() -> Histogram {
    // 1 s to about 3 days: catching up after downtime shows in the top buckets.
    Histogram::new(exponential_buckets(1.0, 4.0, 10))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CouncilLabels {
    council: String,
}

fn decision_seconds() -> Histogram {
    // 100 µs to about 6.5 s: a decision's deadline is well inside it.
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

fn decision_fuel() -> Histogram {
    // 10 thousand to about 80 million units: the default limit is 50 million.
    Histogram::new(exponential_buckets(10_000.0, 2.0, 14))
}

/// Why `/metrics` could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the metrics could not be written as text; report this as a bug")]
    Encode,
}

pub struct Telemetry {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    decision_seconds: Family<DecisionLabels, Histogram, fn() -> Histogram>,
    decision_fuel: Family<DecisionLabels, Histogram, fn() -> Histogram>,
    timers_fired: Family<FiredLabels, Counter>,
    fire_lag_seconds: Family<SourceLabels, Histogram, fn() -> Histogram>,
    timers_pending: Gauge,
    outbox_depth: Family<CouncilLabels, Gauge>,
    dead_letters: Family<CouncilLabels, Gauge>,
}

impl Default for Telemetry {
    fn default() -> Telemetry {
        Telemetry::new()
    }
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Telemetry {
    pub fn new() -> Telemetry {
        let mut registry = Registry::with_prefix("waymark");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route pattern and status",
            requests.clone(),
        );
        let decision_seconds = Family::new_with_constructor(decision_seconds as fn() -> Histogram);
        registry.register(
            "decision_duration_seconds",
            "Wall-clock time of a policy plugin decision, by council, hook and outcome",
            decision_seconds.clone(),
        );
        let decision_fuel = Family::new_with_constructor(decision_fuel as fn() -> Histogram);
        registry.register(
            "decision_fuel",
            "WebAssembly fuel a plugin decision used, by council, hook and outcome",
            decision_fuel.clone(),
        );
        let timers_fired = Family::<FiredLabels, Counter>::default();
        registry.register(
            "timers_fired",
            "Journey timers and admin schedule occurrences fired into the outbox, by council, \
             kind and source (journey or schedule)",
            timers_fired.clone(),
        );
        let fire_lag_seconds = Family::new_with_constructor(fire_lag_seconds as fn() -> Histogram);
        registry.register(
            "timer_fire_lag_seconds",
            "How long after its scheduled instant a timer or schedule occurrence fired, by source",
            fire_lag_seconds.clone(),
        );
        let timers_pending = Gauge::default();
        registry.register(
            "timers_pending",
            "Journey timers waiting to fire",
            timers_pending.clone(),
        );
        let outbox_depth = Family::<CouncilLabels, Gauge>::default();
        registry.register(
            "outbox_pending_actions",
            "Actions not yet acknowledged, delivered or dead-lettered, by council",
            outbox_depth.clone(),
        );
        let dead_letters = Family::<CouncilLabels, Gauge>::default();
        registry.register(
            "outbox_dead_letters",
            "Actions whose every webhook attempt failed, by council",
            dead_letters.clone(),
        );
        Telemetry {
            registry,
            requests,
            decision_seconds,
            decision_fuel,
            timers_fired,
            fire_lag_seconds,
            timers_pending,
            outbox_depth,
            dead_letters,
        }
    }

    /// One answered request. `route` must be a route pattern, never the raw path.
    pub fn request(&self, method: &str, route: &str, status: u16) {
        // Clients may send any method name: only the standard ones get their own series.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
    }

    /// One plugin decision: `fuel` is `None` when the plugin gave no decision.
    pub fn decision(&self, council: &CouncilId, kind: &str, elapsed: Duration, fuel: Option<u64>) {
        let labels = DecisionLabels {
            council: council.to_string(),
            kind: kind.to_owned(),
            outcome: if fuel.is_some() {
                "decided"
            } else {
                "no_decision"
            }
            .to_owned(),
        };
        self.decision_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if let Some(fuel) = fuel {
            // Fuel is far below 2^53, so the f64 is exact.
            self.decision_fuel
                .get_or_create(&labels)
                .observe(fuel as f64);
        }
    }

    /// One action fired into the outbox, by a journey's timer or an admin schedule.
    pub fn fired(&self, action: &Action) {
        let source = source(action.kind).to_owned();
        self.timers_fired
            .get_or_create(&FiredLabels {
                council: action.council.to_string(),
                kind: action.kind.as_str().to_owned(),
                source: source.clone(),
            })
            .inc();
        let lag = (action.fired_at - action.scheduled_for)
            .to_std()
            .unwrap_or(Duration::ZERO);
        self.fire_lag_seconds
            .get_or_create(&SourceLabels { source })
            .observe(lag.as_secs_f64());
    }

    /// Reads the store's counts, then writes every metric in the Prometheus text format.
    pub fn render(&self, store: &Store) -> Result<String, RenderError> {
        self.timers_pending
            .set(i64::try_from(store.timer_count()).unwrap_or(i64::MAX));
        let counts = store.outbox_counts()?;
        // Cleared first, so a council that no longer has actions loses its series.
        self.outbox_depth.clear();
        self.dead_letters.clear();
        for (council, c) in counts {
            let labels = CouncilLabels {
                council: council.to_string(),
            };
            self.outbox_depth
                .get_or_create(&labels)
                .set(i64::try_from(c.pending).unwrap_or(i64::MAX));
            self.dead_letters
                .get_or_create(&labels)
                .set(i64::try_from(c.dead_letters).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
            .map_err(|_| RenderError::Encode)?;
        Ok(text)
    }
}

/// `tokio::task::spawn_blocking` that keeps the request's span, so what the blocking
/// work logs (a plugin cache warning, a schedule firing) carries the request id too.
pub fn spawn_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_methods_share_one_series_so_clients_cannot_grow_the_registry() {
        let t = Telemetry::new();
        t.request("BREW", "unmatched", 405);
        t.request("WHEN", "unmatched", 405);
        t.request("GET", "/healthz", 200);
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &t.registry)
            .expect("encoded");
        let series: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("waymark_http_requests_total{"))
            .collect();
        assert_eq!(series.len(), 2, "{text}");
        assert!(
            series.contains(
                &"waymark_http_requests_total{method=\"other\",route=\"unmatched\",status=\"405\"} 2"
            ),
            "{text}"
        );
    }
}
