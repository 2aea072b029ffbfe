//! What a plugin was asked, as a digest: the SHA-256 of the hook, the council's
//! settings, the facts and the as-of date, as canonical JSON. With the plugin's own
//! digest it names a decision: the same pair always gives the same answer, so a
//! recorded decision can be replayed, and a Python or JavaScript plugin's WASI
//! randomness is seeded from it.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::call::DecisionError;
use super::limits::Limits;

/// The hooks of the contract, named as in the input digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    Eligibility,
    Plan,
    MissedContact,
    Handover,
}

impl Hook {
    fn as_str(self) -> &'static str {
        match self {
            Hook::Eligibility => "eligibility",
            Hook::Plan => "plan",
            Hook::MissedContact => "missed_contact",
            Hook::Handover => "handover",
        }
    }
}

/// The SHA-256 of a decision's input, written as 64 lowercase hex characters.
/// Kept as bytes: every decision makes one, and most are never written out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InputDigest([u8; 32]);

impl InputDigest {
    /// Digests what the plugin will see, refusing input over the limit. The settings
    /// are digested exactly as the plugin receives them, since that is what it
    /// decides on.
    pub(crate) fn of<I: Serialize>(
        hook: Hook,
        settings: &str,
        input: &I,
        as_of: NaiveDate,
        limits: &Limits,
    ) -> Result<InputDigest, DecisionError> {
        // Field order is fixed by the struct, so the serialization is canonical.
        #[derive(Serialize)]
        struct Canonical<'a, I> {
            hook: &'a str,
            settings: &'a str,
            input: &'a I,
            #[serde(serialize_with = "iso_date")]
            as_of: NaiveDate,
        }
        // Hashed as it is written, and counted: the input is never kept whole.
        struct Digesting {
            sha: Sha256,
            bytes: usize,
        }
        impl std::io::Write for Digesting {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.sha.update(buf);
                self.bytes += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut digesting = Digesting {
            sha: Sha256::new(),
            bytes: 0,
        };
        let canonical = Canonical {
            hook: hook.as_str(),
            settings,
            input,
            as_of,
        };
        serde_json::to_writer(&mut digesting, &canonical).map_err(|e| {
            DecisionError::Unavailable {
                message: format!("the input could not be serialized: {e}"),
            }
        })?;
        if digesting.bytes > limits.max_input_bytes {
            return Err(DecisionError::InputTooLarge {
                bytes: digesting.bytes,
                limit: limits.max_input_bytes,
            });
        }
        Ok(InputDigest(digesting.sha.finalize().into()))
    }

    pub(crate) fn bytes(&self) -> [u8; 32] {
        self.0
    }
}

/// `YYYY-MM-DD`, as chrono writes a date of years 0 to 9999, without `fmt`: the
/// as-of date is digested with every decision. Other years are chrono's to write.
fn iso_date<S: Serializer>(day: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    let (year, month, date) = (day.year(), day.month(), day.day());
    let Ok(year @ 0..=9999) = u32::try_from(year) else {
        return day.serialize(serializer);
    };
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let text = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(date / 10),
        digit(date),
    ];
    match std::str::from_utf8(&text) {
        Ok(text) => serializer.serialize_str(text),
        Err(_) => day.serialize(serializer),
    }
}

impl fmt::Display for InputDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hex = [0u8; 64];
        // Two hex digits always fit in twice the bytes.
        if hex::encode_to_slice(self.0, &mut hex).is_err() {
            return Err(fmt::Error);
        }
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for InputDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InputDigest({self})")
    }
}

/// Text that is not an input digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an input digest is a SHA-256: 64 lowercase hex characters")]
pub struct InvalidInputDigest;

impl TryFrom<String> for InputDigest {
    type Error = InvalidInputDigest;

    fn try_from(text: String) -> Result<Self, InvalidInputDigest> {
        let lowercase = text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let mut bytes = [0u8; 32];
        match hex::decode_to_slice(&text, &mut bytes) {
            Ok(()) if lowercase => Ok(InputDigest(bytes)),
            _ => Err(InvalidInputDigest),
        }
    }
}

impl From<InputDigest> for String {
    fn from(digest: InputDigest) -> String {
        digest.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashing the input as it is written must give the digest of its canonical
    /// JSON: recorded decisions are replayed against it.
    #[test]
    fn the_input_digest_is_the_sha256_of_the_canonical_json() {
        // Short, and long enough to span many blocks, with escapes.
        for settings in ["{}".to_owned(), "x".repeat(500), "é\"\\".repeat(700)] {
            // Years chrono writes in four digits, and those it writes otherwise.
            for (y, m, d) in [(2026, 1, 5), (1999, 12, 31), (0, 1, 1), (9999, 12, 31)]
                .into_iter()
                .chain([(10_000, 2, 29), (-1, 6, 30), (-262_143, 1, 1)])
            {
                let as_of = NaiveDate::from_ymd_opt(y, m, d).expect("a date");
                let input = serde_json::json!({ "postcode_district": "ST4", "age": 34 });
                let digest =
                    InputDigest::of(Hook::Plan, &settings, &input, as_of, &Limits::default())
                        .unwrap();
                let whole = format!(
                    r#"{{"hook":"plan","settings":{},"input":{},"as_of":{}}}"#,
                    serde_json::to_string(&settings).unwrap(),
                    serde_json::to_string(&input).unwrap(),
                    serde_json::to_string(&as_of).unwrap(),
                );
                assert_eq!(
                    digest.to_string(),
                    hex::encode(Sha256::digest(&whole)),
                    "{settings:.20} {as_of}"
                );
            }
        }
    }

    #[test]
    fn the_input_digest_depends_on_every_part() {
        let limits = Limits::default();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let base = InputDigest::of(Hook::Plan, "{}", &1, day, &limits).unwrap();
        assert_eq!(
            base,
            InputDigest::of(Hook::Plan, "{}", &1, day, &limits).unwrap()
        );
        assert_ne!(
            base,
            InputDigest::of(Hook::Handover, "{}", &1, day, &limits).unwrap()
        );
        assert_ne!(
            base,
            InputDigest::of(Hook::Plan, "{ }", &1, day, &limits).unwrap()
        );
        assert_ne!(
            base,
            InputDigest::of(Hook::Plan, "{}", &2, day, &limits).unwrap()
        );
        assert_ne!(
            base,
            InputDigest::of(Hook::Plan, "{}", &1, day.succ_opt().unwrap(), &limits).unwrap()
        );
    }

    #[test]
    fn oversize_input_is_refused_before_the_plugin_runs() {
        let limits = Limits {
            max_input_bytes: 100,
            ..Limits::default()
        };
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let settings = "x".repeat(200);
        let err = InputDigest::of(Hook::Plan, &settings, &1, day, &limits).unwrap_err();
        assert!(
            matches!(err, DecisionError::InputTooLarge { limit: 100, .. }),
            "{err:?}"
        );
    }

    /// Written as 64 lowercase hex characters, and read back only from those.
    #[test]
    fn an_input_digest_is_written_and_read_as_hex() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let digest = InputDigest::of(Hook::Plan, "{}", &1, day, &Limits::default()).unwrap();
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json.len(), 66, "{json}");
        assert_eq!(json, format!("\"{}\"", hex::encode(digest.bytes())));
        assert_eq!(serde_json::from_str::<InputDigest>(&json).unwrap(), digest);
        for bad in [
            json.to_uppercase(),
            json.replacen('"', "\"0", 1),
            "\"\"".to_owned(),
        ] {
            let err = serde_json::from_str::<InputDigest>(&bad).unwrap_err();
            assert!(err.to_string().contains("64 lowercase hex"), "{err}");
        }
    }
}
