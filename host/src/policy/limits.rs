//! What one decision may cost: fuel, memory, wall-clock time and the sizes of what
//! goes in and comes out.
//!
//! A plugin is code a council uploads, so every call runs under these limits and a
//! breach is an error the case is routed to human review with, never a silent "no".
//! The defaults are generous for rule-following code (a real plugin decides in well
//! under a million instructions and a megabyte) and small enough that a runaway
//! plugin cannot hurt the daemon or other councils. Councils may override any field
//! in their configuration; omitted fields keep their defaults.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The budget of one plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// WebAssembly fuel (roughly, instructions) one decision may burn, instantiation included.
    pub fuel: u64,
    /// The most linear memory the plugin may grow to, in bytes. The engine's
    /// `memory_ceiling_bytes` caps this for every council.
    pub memory_bytes: usize,
    /// Wall-clock time one decision may take, in milliseconds. Enforced in 10 ms
    /// ticks, so a breach is noticed within one tick of the deadline.
    #[serde(rename = "deadline_ms", with = "millis")]
    #[schemars(with = "u64")]
    pub deadline: Duration,
    /// The most the input may weigh (settings, facts and date, serialized as JSON).
    pub max_input_bytes: usize,
    /// The most the plugin's answer may weigh, serialized as JSON.
    pub max_output_bytes: usize,
    /// The most log text one decision may keep; lines past it are dropped.
    pub max_log_bytes: usize,
    /// The largest plugin binary accepted for upload.
    pub max_plugin_bytes: usize,
    /// The most timers one plan may ask for.
    pub max_timers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 50_000_000,
            memory_bytes: 32 << 20,
            deadline: Duration::from_millis(200),
            max_input_bytes: 64 << 10,
            max_output_bytes: 256 << 10,
            max_log_bytes: 4 << 10,
            max_plugin_bytes: 8 << 20,
            // A journey lasts at most a year or so; even weekly check-ins for all of
            // it stay well under this.
            max_timers: 200,
        }
    }
}

/// `Duration` as whole milliseconds, which is what an administrator writes.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn council_overrides_keep_the_other_defaults() {
        let limits: Limits = serde_json::from_str(r#"{"fuel": 1000, "deadline_ms": 50}"#).unwrap();
        assert_eq!(limits.fuel, 1000);
        assert_eq!(limits.deadline, Duration::from_millis(50));
        assert_eq!(limits.memory_bytes, Limits::default().memory_bytes);
    }

    #[test]
    fn a_misspelt_limit_is_an_error_not_ignored() {
        assert!(serde_json::from_str::<Limits>(r#"{"feul": 1000}"#).is_err());
    }

    #[test]
    fn limits_round_trip_through_json() {
        let limits = Limits::default();
        let json = serde_json::to_string(&limits).unwrap();
        assert!(json.contains(r#""deadline_ms":200"#), "{json}");
        assert_eq!(serde_json::from_str::<Limits>(&json).unwrap(), limits);
    }
}
