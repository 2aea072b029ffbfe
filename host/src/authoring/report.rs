//! The daemon's answers about a council's plugin, as the plain text `waymark
//! plugin upload | versions | activate | rollback` print.
//!
//! An upload's golden cases travel inside the component (`waymark plugin build`
//! embeds `golden.json`), so the command reads them from the file it sent: an
//! accepted upload lists each case that held, and a refusal of failing cases is
//! laid out case by case, with what was expected and what the plugin answered,
//! instead of the one-line problem detail the API gives.

use std::fmt;
use std::path::Path;

use waymark_sdk::testing::golden::{self, Case};

use super::remote::{Activated, Installed, Refusal, Versions};
use crate::council::CouncilId;
use crate::policy::golden::{GOLDEN_SECTION, find_section};

/// The golden cases a built component carries; none if it has none, or if they
/// cannot be read (the daemon then refuses the upload and says why).
pub fn embedded_cases(component: &[u8]) -> Vec<Case> {
    find_section(component, GOLDEN_SECTION)
        .and_then(|text| std::str::from_utf8(text).ok())
        .and_then(|text| golden::parse(text).ok())
        .unwrap_or_default()
}

/// An accepted upload: the version now active and the golden cases that held.
pub struct Accepted<'a> {
    pub file: &'a Path,
    pub council: &'a CouncilId,
    pub installed: &'a Installed,
    /// The cases embedded in the file sent (see [`embedded_cases`]).
    pub cases: &'a [Case],
}

impl fmt::Display for Accepted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Installed {
            digest,
            contract_version,
            golden_cases,
            settings_schema,
        } = self.installed;
        writeln!(
            f,
            "accepted: {} is now council {}'s active plugin",
            self.file.display(),
            self.council
        )?;
        writeln!(f, "  digest    {digest}")?;
        writeln!(f, "  contract  waymark:policy {contract_version}")?;
        let settings = settings_schema
            .get("properties")
            .and_then(|p| p.as_object())
            .map_or(0, |p| p.len());
        writeln!(
            f,
            "  settings  {settings} in its schema; GET /v1/councils/{}/settings shows the \
             council's values",
            self.council
        )?;
        match golden_cases {
            0 => writeln!(
                f,
                "no golden cases: only the contract was checked; add a golden.json beside the \
                 plugin's Cargo.toml and rebuild with `waymark plugin build`"
            ),
            n if *n == self.cases.len() => {
                writeln!(
                    f,
                    "all {n} golden cases held in the sandbox under the council's limits:"
                )?;
                for (i, case) in self.cases.iter().enumerate() {
                    writeln!(
                        f,
                        "  ok   case {} [{}] {}",
                        i + 1,
                        case.hook.as_str(),
                        case.name
                    )?;
                }
                Ok(())
            }
            n => writeln!(
                f,
                "all {n} golden cases held in the sandbox under the council's limits"
            ),
        }
    }
}

/// A refused upload: why, and for failing golden cases each one laid out.
pub struct Refused<'a> {
    pub file: &'a Path,
    pub council: &'a CouncilId,
    pub refusal: &'a Refusal,
    /// The cases embedded in the file sent (see [`embedded_cases`]).
    pub cases: &'a [Case],
}

impl fmt::Display for Refused<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "refused: {} was not uploaded to council {}; its active plugin is unchanged",
            self.file.display(),
            self.council
        )?;
        let Some((header, failed)) = failed_cases(&self.refusal.detail, self.cases) else {
            let r = self.refusal;
            return writeln!(
                f,
                "  {} {} ({}): {}",
                r.status,
                r.title,
                r.short_kind(),
                r.detail
            );
        };
        writeln!(f, "{header} under the council's limits:")?;
        for case in failed {
            writeln!(
                f,
                "  FAIL case {} [{}] {}",
                case.number, case.hook, case.name
            )?;
            for problem in case.problems {
                writeln!(f, "       - {problem}")?;
            }
            if !case.actual.is_empty() {
                writeln!(f, "       the plugin answered: {}", case.actual)?;
            }
        }
        writeln!(
            f,
            "fix the plugin or its golden.json, run `waymark plugin test` on its folder, then \
             build and upload again"
        )
    }
}

/// One failing case, read back from the daemon's problem detail.
#[derive(Debug, PartialEq, Eq)]
struct FailedCase<'d> {
    number: usize,
    hook: &'static str,
    name: &'d str,
    /// What was expected and what differed, one sentence each.
    problems: Vec<&'d str>,
    /// The plugin's answer, as the daemon quoted it.
    actual: &'d str,
}

/// The daemon names each failing case as `case N ("name"): problem; problem; the
/// plugin answered …`, joined by ` | `. The names known from the file sent find
/// where each case starts, so a name or an answer holding `|` or `;` cannot
/// mislead the split. `None` when the detail is not about failing golden cases.
fn failed_cases<'d>(detail: &'d str, cases: &'d [Case]) -> Option<(&'d str, Vec<FailedCase<'d>>)> {
    const HEADER_END: &str = " golden cases failed in the sandbox";
    const ANSWERED: &str = "; the plugin answered ";
    const ADVICE: &str = "; fix the plugin or its `golden.json`";
    let header = &detail[..detail.find(HEADER_END)? + HEADER_END.len()];
    let mut starts: Vec<(usize, usize, usize)> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let marker = format!("case {} ({:?}): ", i + 1, case.name);
            detail.find(&marker).map(|at| (at, at + marker.len(), i))
        })
        .collect();
    if starts.is_empty() {
        return None;
    }
    starts.sort_unstable();
    let failed = starts
        .iter()
        .enumerate()
        .map(|(k, &(_, body, i))| {
            let end = starts.get(k + 1).map_or(detail.len(), |next| next.0);
            let mut text = detail[body..end].trim_end_matches(" | ");
            if k + 1 == starts.len() {
                text = text.rfind(ADVICE).map_or(text, |cut| &text[..cut]);
            }
            let (problems, actual) = match text.find(ANSWERED) {
                Some(cut) => (&text[..cut], &text[cut + ANSWERED.len()..]),
                None => (text, ""),
            };
            FailedCase {
                number: i + 1,
                hook: cases[i].hook.as_str(),
                name: &cases[i].name,
                problems: problems.split("; ").collect(),
                actual,
            }
        })
        .collect();
    Some((header, failed))
}

/// A council's versions, oldest first, the active one starred.
pub struct VersionsTable<'a> {
    pub council: &'a CouncilId,
    pub versions: &'a Versions,
}

/// How many of a digest's hex digits the table shows; `activate` takes them.
const SHORT_DIGEST: usize = 12;

impl fmt::Display for VersionsTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let listed = &self.versions.versions;
        if listed.is_empty() {
            writeln!(
                f,
                "council {} has no plugin versions yet: `waymark plugin upload FILE` uploads one",
                self.council
            )?;
        } else {
            writeln!(
                f,
                "council {}: {} plugin version{}, oldest first (* active)",
                self.council,
                listed.len(),
                if listed.len() == 1 { "" } else { "s" }
            )?;
        }
        for v in listed {
            let digest = v.digest.as_str();
            writeln!(
                f,
                "{} {}  uploaded {}  {:>9}  waymark:policy {}  {} golden case{}",
                if v.active { "  *" } else { "   " },
                &digest[..SHORT_DIGEST.min(digest.len())],
                v.uploaded_at.format("%Y-%m-%d %H:%M UTC"),
                size(v.size_bytes),
                v.contract_version,
                v.golden_cases,
                if v.golden_cases == 1 { "" } else { "s" }
            )?;
        }
        if listed.len() > 1 {
            writeln!(
                f,
                "`waymark plugin activate DIGEST` activates one (the digest's first {} digits \
                 do); `waymark plugin rollback` returns to the one active before",
                super::remote::MIN_PREFIX
            )?;
        }
        for d in &self.versions.damaged {
            writeln!(
                f,
                "damaged record {}: {} (restore it from a backup)",
                d.key, d.reason
            )?;
        }
        Ok(())
    }
}

/// What `activate` and `rollback` changed.
pub struct Switched<'a> {
    pub council: &'a CouncilId,
    pub activated: &'a Activated,
    pub rollback: bool,
}

impl fmt::Display for Switched<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.rollback {
            "rolled back"
        } else {
            "activated"
        };
        writeln!(
            f,
            "{verb}: council {}'s active plugin is now {}",
            self.council, self.activated.active
        )?;
        match &self.activated.previous {
            Some(previous) if *previous == self.activated.active => {
                writeln!(f, "  (it was already active)")
            }
            Some(previous) => writeln!(f, "  it was {previous}"),
            None => writeln!(f, "  it had no active plugin before"),
        }
    }
}

/// `237 KiB`, `12.3 MiB`: sizes people read at a glance.
fn size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases(names: &[&str]) -> Vec<Case> {
        let json: Vec<serde_json::Value> = names
            .iter()
            .map(|name| {
                serde_json::json!({
                    "name": name, "hook": "eligibility", "input": {}, "as_of": "2026-01-05",
                    "expect": {"outcome": "accept"}
                })
            })
            .collect();
        golden::parse(&serde_json::Value::Array(json).to_string()).unwrap()
    }

    fn refused(detail: &str, cases: &[Case]) -> String {
        let council: CouncilId = "stoke-on-trent".parse().unwrap();
        let refusal = Refusal {
            kind: "urn:waymark:problem:plugin-rejected".into(),
            title: "Request cannot be applied".into(),
            status: 422,
            detail: detail.into(),
        };
        Refused {
            file: Path::new("p.wasm"),
            council: &council,
            refusal: &refusal,
            cases,
        }
        .to_string()
    }

    #[test]
    fn each_failing_case_is_laid_out_with_expectations_and_answer() {
        // As the daemon words it (host/src/policy/load.rs, PluginRejected::GoldenFailed).
        let detail = "2 of 3 golden cases failed in the sandbox: \
            case 1 (\"a | tricky; name\"): expected outcome waitlist, got accept; rule `x` missing; \
            the plugin answered {\"outcome\":\"accept\",\"reasons\":[{\"text\":\"a; b | c\"}]} | \
            case 3 (\"third\"): the sandbox gave no decision: out of fuel; the plugin answered \
            nothing: out of fuel; fix the plugin or its `golden.json`, then rebuild with \
            `waymark plugin build`";
        let text = refused(detail, &cases(&["a | tricky; name", "second", "third"]));
        assert_eq!(
            text,
            "refused: p.wasm was not uploaded to council stoke-on-trent; its active plugin is unchanged
2 of 3 golden cases failed in the sandbox under the council's limits:
  FAIL case 1 [eligibility] a | tricky; name
       - expected outcome waitlist, got accept
       - rule `x` missing
       the plugin answered: {\"outcome\":\"accept\",\"reasons\":[{\"text\":\"a; b | c\"}]}
  FAIL case 3 [eligibility] third
       - the sandbox gave no decision: out of fuel
       the plugin answered: nothing: out of fuel
fix the plugin or its golden.json, run `waymark plugin test` on its folder, then build and upload again
"
        );
    }

    #[test]
    fn any_other_refusal_is_given_whole() {
        let detail = "the plugin imports `wasi:filesystem/types`, which the sandbox does not give";
        let text = refused(detail, &cases(&["first"]));
        assert!(
            text.ends_with(&format!(
                "  422 Request cannot be applied (plugin-rejected): {detail}\n"
            )),
            "{text}"
        );
    }

    #[test]
    fn a_component_without_golden_cases_embeds_none() {
        assert!(embedded_cases(b"\0asm\x0d\0\x01\0").is_empty());
        let mut wasm = b"\0asm\x0d\0\x01\0".to_vec();
        let json = serde_json::json!([{
            "name": "one", "hook": "plan", "input": {}, "as_of": "2026-01-05",
            "expect": {"timers": []}
        }]);
        crate::policy::golden::embed_section(
            &mut wasm,
            GOLDEN_SECTION,
            json.to_string().as_bytes(),
        );
        let found = embedded_cases(&wasm);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "one");
    }

    #[test]
    fn sizes_read_at_a_glance() {
        assert_eq!(size(1), "1 KiB");
        assert_eq!(size(242_688), "237 KiB");
        assert_eq!(size(12_897_485), "12.3 MiB");
    }
}
