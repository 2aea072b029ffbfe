//! A cohort: the people a simulation runs through the journey, one per line of a
//! JSON Lines file. Each line is a referral and the later life events a caseworker
//! would record (start, job start, missed contacts, withdrawal…), with dates.

use std::io::BufRead;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::journey::{CaseworkerEvent, Referral};

/// One person in a simulated cohort. Synthetic: a cohort file must never hold a
/// real person's data, and the report names people only by their line's `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortMember {
    /// A label unique within the cohort, e.g. `p00042`.
    pub id: String,
    /// Which key worker (numbered from 0) the person is allocated to when they start.
    pub key_worker: u32,
    pub referred_on: NaiveDate,
    pub referral: Referral,
    /// What happens later, in date order. An event the journey does not allow at the
    /// time (starting after being declined, say) is skipped and counted.
    #[serde(default)]
    pub life: Vec<CaseworkerEvent>,
}

#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    #[error("reading the cohort failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "cohort line {line} is not a cohort member ({reason}); each line is a JSON object with \
         `id`, `key_worker`, `referred_on`, `referral` and `life` (see `waymark simulate generate`)"
    )]
    Line { line: usize, reason: String },
    #[error("cohort line {line} repeats the id `{id}` of line {first}; ids must be unique")]
    DuplicateId {
        line: usize,
        first: usize,
        id: String,
    },
    #[error("the cohort is empty: give at least one member")]
    Empty,
}

/// Reads a JSON Lines cohort; blank lines are ignored.
pub fn read(input: impl BufRead) -> Result<Vec<CohortMember>, CohortError> {
    let mut members = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let member: CohortMember = serde_json::from_str(&line).map_err(|e| CohortError::Line {
            line: line_no,
            reason: e.to_string(),
        })?;
        if let Some(first) = seen.insert(member.id.clone(), line_no) {
            return Err(CohortError::DuplicateId {
                line: line_no,
                first,
                id: member.id,
            });
        }
        members.push(member);
    }
    if members.is_empty() {
        return Err(CohortError::Empty);
    }
    Ok(members)
}

/// Writes a cohort as JSON Lines.
pub fn write(members: &[CohortMember], mut out: impl std::io::Write) -> std::io::Result<()> {
    for m in members {
        serde_json::to_writer(&mut out, m)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let text = "\n{\"id\":\"a\"}\n";
        let err = read(text.as_bytes()).expect_err("refused");
        assert!(matches!(err, CohortError::Line { line: 2, .. }), "{err}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let line = r#"{"id":"a","key_worker":0,"referred_on":"2026-01-05","referral":{"route":"self","date_of_birth":"1990-01-01","postcode":"ST4 1AB"}}"#;
        let text = format!("{line}\n{line}\n");
        let err = read(text.as_bytes()).expect_err("refused");
        assert!(
            matches!(
                err,
                CohortError::DuplicateId {
                    line: 2,
                    first: 1,
                    ..
                }
            ),
            "{err}"
        );
    }
}
