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

/// The largest plugin the API accepts, whatever a council's limits: room for a
/// Python or JavaScript component (a language runtime, tens of megabytes).
pub const MAX_UPLOAD_BYTES: usize = 64 << 20;

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

/// A council's limit outside what the platform allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is {value}, but must be from {min} to {max}{why}")]
pub struct InvalidLimits {
    pub field: &'static str,
    pub value: u64,
    pub min: u64,
    pub max: u64,
    pub why: &'static str,
}

impl Limits {
    /// Checks every field against the platform's floors and ceilings: a floor below
    /// which no plugin could decide, and a ceiling past which one council's plugin
    /// could starve the daemon. `memory_ceiling` is the engine's, which no council
    /// may exceed. The first field out of range is named.
    pub fn check(&self, memory_ceiling: usize) -> Result<(), InvalidLimits> {
        let defaults = Limits::default();
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        let deadline_ms = u64::try_from(self.deadline.as_millis()).unwrap_or(u64::MAX);
        let ranges: [(&'static str, u64, u64, u64, &'static str); 8] = [
            ("fuel", self.fuel, 100_000, 100 * defaults.fuel, ""),
            (
                "memory_bytes",
                n(self.memory_bytes),
                64 << 10,
                n(memory_ceiling),
                " (the engine's memory ceiling)",
            ),
            (
                "deadline_ms",
                deadline_ms,
                10,
                10_000,
                " (one 10 ms tick to 10 s)",
            ),
            (
                "max_input_bytes",
                n(self.max_input_bytes),
                1 << 10,
                1 << 20,
                "",
            ),
            (
                "max_output_bytes",
                n(self.max_output_bytes),
                1 << 10,
                4 << 20,
                "",
            ),
            ("max_log_bytes", n(self.max_log_bytes), 0, 64 << 10, ""),
            (
                "max_plugin_bytes",
                n(self.max_plugin_bytes),
                64 << 10,
                n(MAX_UPLOAD_BYTES),
                " (the upload size the API accepts)",
            ),
            ("max_timers", n(self.max_timers), 1, 1000, ""),
        ];
        for (field, value, min, max, why) in ranges {
            if !(min..=max).contains(&value) {
                return Err(InvalidLimits {
                    field,
                    value,
                    min,
                    max,
                    why,
                });
            }
        }
        Ok(())
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
    fn the_defaults_are_within_the_platform_range() {
        assert_eq!(Limits::default().check(64 << 20), Ok(()));
    }

    #[test]
    fn a_limit_out_of_range_is_named_with_its_range() {
        let limits = Limits {
            deadline: Duration::from_millis(60_000),
            ..Limits::default()
        };
        let err = limits.check(64 << 20).unwrap_err();
        assert_eq!(err.field, "deadline_ms");
        assert_eq!(
            err.to_string(),
            "`deadline_ms` is 60000, but must be from 10 to 10000 (one 10 ms tick to 10 s)"
        );
        let greedy = Limits {
            memory_bytes: 128 << 20,
            ..Limits::default()
        };
        assert_eq!(greedy.check(64 << 20).unwrap_err().field, "memory_bytes");
        let starved = Limits {
            fuel: 10,
            ..Limits::default()
        };
        assert_eq!(starved.check(64 << 20).unwrap_err().field, "fuel");
    }

    #[test]
    fn limits_round_trip_through_json() {
        let limits = Limits::default();
        let json = serde_json::to_string(&limits).unwrap();
        assert!(json.contains(r#""deadline_ms":200"#), "{json}");
        assert_eq!(serde_json::from_str::<Limits>(&json).unwrap(), limits);
    }
}
