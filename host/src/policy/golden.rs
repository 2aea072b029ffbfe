//! Golden cases travel inside the plugin and are run in the real sandbox on upload.
//!
//! `waymark plugin build` embeds the crate's `golden.json` in the component as a
//! custom section named [`GOLDEN_SECTION`], so an upload stays one
//! `application/wasm` body and the cases are part of the version's digest: the
//! bytes that were checked are exactly the bytes that run. On upload the host
//! parses the cases with waymark-sdk (the same parser and checks a plugin's own
//! `cargo test` uses), calls each case's hook in a fresh sandbox under the
//! council's limits, and refuses the upload if any case fails, naming the case,
//! what it expected and what the plugin answered.
//!
//! The cases are work done for the plugin, so they are bounded: at most
//! [`MAX_GOLDEN_CASES`] per upload and [`GOLDEN_FUEL_BUDGET`] fuel for all of them
//! together. A case passes or fails on its answer and its fuel, which are the same
//! on every machine; its wall-clock deadline is the council's times
//! [`GOLDEN_DEADLINE_MULTIPLE`], a safety net only, so whether a plugin is accepted
//! does not depend on how busy the machine is ([`GOLDEN_TIME_BUDGET`] for all the
//! cases is a last safety net). A refusal describes at most
//! [`MAX_REPORTED_FAILURES`] failing cases (it counts them all), each cut to
//! [`MAX_QUOTE`] characters per quote.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;
use serde::de::DeserializeOwned;
use waymark_sdk::testing::golden::{self as sdk_golden, Answer, Case, Hook};

use super::call::{CallContext, DecisionError};
use super::contract::{JourneyFacts, ReferralFacts};
use super::limits::Limits;
use super::load::{Plugin, PluginRejected, Policies};
use crate::schedule::calendar::WorkingCalendar;

/// The custom section that carries a plugin's golden cases (the text of `golden.json`).
pub const GOLDEN_SECTION: &str = "waymark:golden";

/// How much of a plugin's answer, a case's name or one problem a failure quotes,
/// in characters.
pub const MAX_QUOTE: usize = 600;

/// The most golden cases one upload may carry.
pub const MAX_GOLDEN_CASES: usize = 1_000;

/// The most fuel one upload's golden cases may burn together: a hundred decisions
/// at the default fuel limit. Each case is charged the fuel it burned, refusals and
/// crashes included.
pub const GOLDEN_FUEL_BUDGET: u64 = 5_000_000_000;

/// A golden case's wall-clock deadline, as a multiple of the council's `deadline_ms`,
/// up to [`GOLDEN_MAX_CASE_DEADLINE`].
pub const GOLDEN_DEADLINE_MULTIPLE: u32 = 10;

/// The longest wall-clock deadline a golden case gets, whatever the council's.
pub const GOLDEN_MAX_CASE_DEADLINE: Duration = Duration::from_secs(20);

/// How long all of an upload's golden cases may take, in wall-clock time: a safety
/// net far past what their fuel budget takes on a working machine, for a plugin that
/// spends its time in host calls rather than fuel.
pub const GOLDEN_TIME_BUDGET: Duration = Duration::from_secs(60);

/// How many failing cases a refusal describes.
pub const MAX_REPORTED_FAILURES: usize = 10;

/// One golden case that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenCaseFailure {
    /// 1-based, as people count cases in a file.
    pub number: usize,
    pub name: String,
    /// What was expected and what differed, one sentence each.
    pub problems: Vec<String>,
    /// What the plugin answered in the sandbox (JSON), or why it gave no answer.
    pub actual: String,
}

impl fmt::Display for GoldenCaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "case {} ({:?}): {}; the plugin answered {}",
            self.number,
            self.name,
            self.problems.join("; "),
            self.actual
        )
    }
}

/// A plugin that passed its golden cases, and how many there were (0 when it ships none).
pub struct Checked {
    pub plugin: Arc<Plugin>,
    pub golden_cases: usize,
}

impl Policies {
    /// What an upload must pass: the checks of [`Policies::load`], then every golden
    /// case the component carries, each in a fresh sandbox under `limits`. Nothing
    /// is kept: the caller admits the plugin ([`Policies::admit`]) once it has
    /// accepted it, so a refused upload leaves nothing behind.
    pub fn check_upload(&self, bytes: &[u8], limits: &Limits) -> Result<Checked, PluginRejected> {
        let limits = &limits.for_language(super::language::Language::of(bytes));
        if bytes.len() > limits.max_plugin_bytes {
            return Err(PluginRejected::TooLarge {
                bytes: bytes.len(),
                limit: limits.max_plugin_bytes,
            });
        }
        // Counted before anything is compiled or parsed: a set over the cap is
        // refused at once.
        let text = find_section(bytes, GOLDEN_SECTION);
        if let Some(text) = text
            && let Ok(all) = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(text)
            && all.len() > MAX_GOLDEN_CASES
        {
            return Err(PluginRejected::GoldenOverBudget(format!(
                "it carries {} golden cases, more than the {MAX_GOLDEN_CASES} an upload may",
                all.len()
            )));
        }
        let plugin = self.prepare(bytes)?;
        let Some(text) = text else {
            return Ok(Checked {
                plugin,
                golden_cases: 0,
            });
        };
        let text = std::str::from_utf8(text)
            .map_err(|_| PluginRejected::GoldenUnreadable("it is not UTF-8 text".to_owned()))?;
        let cases = sdk_golden::parse(text).map_err(PluginRejected::GoldenUnreadable)?;
        let run = run_cases(&plugin, &cases, limits)?;
        if run.failed == 0 {
            Ok(Checked {
                plugin,
                golden_cases: cases.len(),
            })
        } else {
            Err(PluginRejected::GoldenFailed {
                ran: cases.len(),
                failed: run.failed,
                failures: run.failures,
            })
        }
    }
}

/// What running the golden cases found.
#[derive(Debug)]
pub struct GoldenRun {
    /// How many cases did not hold.
    pub failed: usize,
    /// The first [`MAX_REPORTED_FAILURES`] of them.
    pub failures: Vec<GoldenCaseFailure>,
    /// Fuel charged against [`GOLDEN_FUEL_BUDGET`].
    pub fuel: u64,
}

/// Runs every case within the upload's budgets (see the module doc), returning
/// those that did not hold, or a refusal once the cases are over the fuel budget.
pub fn run_cases(
    plugin: &Plugin,
    cases: &[Case],
    limits: &Limits,
) -> Result<GoldenRun, PluginRejected> {
    run_within(plugin, cases, limits, GOLDEN_FUEL_BUDGET)
}

/// [`run_cases`] with `budget` fuel for all the cases.
pub(crate) fn run_within(
    plugin: &Plugin,
    cases: &[Case],
    limits: &Limits,
    budget: u64,
) -> Result<GoldenRun, PluginRejected> {
    run_timed(plugin, cases, limits, budget, GOLDEN_TIME_BUDGET)
}

/// [`run_within`] with a wall-clock safety net of `time` for all the cases.
pub(crate) fn run_timed(
    plugin: &Plugin,
    cases: &[Case],
    limits: &Limits,
    budget: u64,
    time: Duration,
) -> Result<GoldenRun, PluginRejected> {
    let started = Instant::now();
    if cases.len() > MAX_GOLDEN_CASES {
        return Err(PluginRejected::GoldenOverBudget(format!(
            "it carries {} golden cases, more than the {MAX_GOLDEN_CASES} an upload may",
            cases.len()
        )));
    }
    let mut run = GoldenRun {
        failed: 0,
        failures: Vec::new(),
        fuel: 0,
    };
    for (index, case) in cases.iter().enumerate() {
        let remaining = budget.saturating_sub(run.fuel);
        let case_limits = Limits {
            fuel: limits.fuel.min(remaining),
            deadline: limits
                .deadline
                .saturating_mul(GOLDEN_DEADLINE_MULTIPLE)
                .min(GOLDEN_MAX_CASE_DEADLINE),
            ..*limits
        };
        super::call::take_last_fuel();
        let mut ran = run_case(plugin, case, &case_limits);
        // What the case really burned, refusals and crashes included; a case whose
        // sandbox never ran is charged nothing, one we cannot tell its whole limit.
        if let Some(burned) = super::call::take_last_fuel() {
            ran.fuel = Some(burned);
        }
        // Out of fuel only because the budget clipped its limit: the budget's doing.
        let out_of_budget = case_limits.fuel < limits.fuel
            && matches!(ran.error, Some(DecisionError::OutOfFuel { .. }));
        if !out_of_budget && !ran.problems.is_empty() {
            run.failed += 1;
            if run.failures.len() < MAX_REPORTED_FAILURES {
                run.failures.push(GoldenCaseFailure {
                    number: index + 1,
                    name: quote(&case.name),
                    problems: ran.problems.iter().map(|p| quote(p)).collect(),
                    actual: ran.actual,
                });
            }
        }
        run.fuel = run
            .fuel
            .saturating_add(ran.fuel.unwrap_or(case_limits.fuel));
        let more = index + 1 < cases.len();
        if out_of_budget || (more && run.fuel >= budget) {
            let first = run
                .failures
                .first()
                .map(|f| format!("; the first failure: {f}"))
                .unwrap_or_default();
            return Err(PluginRejected::GoldenOverBudget(format!(
                "they used the {budget} fuel all of an upload's cases may use by case {} of {} \
                 ({} failed by then{first})",
                index + 1,
                cases.len(),
                run.failed,
            )));
        }
        if more && started.elapsed() > time {
            return Err(PluginRejected::GoldenOverBudget(format!(
                "they ran for more than the {} s all of an upload's cases may take (a safety \
                 net: this machine may be very busy) by case {} of {}",
                time.as_secs(),
                index + 1,
                cases.len(),
            )));
        }
    }
    Ok(run)
}

/// One case's result: its problems (empty when it holds), what the plugin answered
/// (quoted), the fuel its decision used, and the error if it gave none.
struct CaseRun {
    problems: Vec<String>,
    actual: String,
    fuel: Option<u64>,
    error: Option<DecisionError>,
}

/// Runs one case under `limits`.
fn run_case(plugin: &Plugin, case: &Case, limits: &Limits) -> CaseRun {
    let ctx = CallContext {
        settings: serde_json::Value::Object(case.settings.clone()).to_string(),
        calendar: Arc::new(CaseCalendar(case.bank_holidays.iter().copied().collect())),
        limits: *limits,
    };
    let as_of = case.as_of;
    let answered = match case.hook {
        Hook::Eligibility => input::<ReferralFacts>(case, "a referral")
            .map(|facts| convert(plugin.eligibility(&ctx, &facts, as_of), Answer::Eligibility)),
        Hook::Plan => input::<JourneyFacts>(case, "a journey")
            .map(|facts| convert(plugin.plan(&ctx, &facts, as_of), Answer::Plan)),
        Hook::MissedContact => input::<JourneyFacts>(case, "a journey").map(|facts| {
            convert(
                plugin.missed_contact(&ctx, &facts, as_of),
                Answer::ContactDecision,
            )
        }),
        Hook::Handover => input::<JourneyFacts>(case, "a journey")
            .map(|facts| convert(plugin.handover(&ctx, &facts, as_of), Answer::Handover)),
    };
    match answered {
        Err(bad_input) => CaseRun {
            problems: vec![bad_input],
            actual: "nothing: the case's input was not read".into(),
            fuel: Some(0),
            error: None,
        },
        Ok(Outcome::Failed(error)) => CaseRun {
            problems: vec![format!("the sandbox gave no decision: {error}")],
            actual: quote(&format!("nothing: {error}")),
            fuel: None,
            error: Some(error),
        },
        Ok(Outcome::Answered(answer, json, fuel)) => CaseRun {
            problems: case.check(&answer),
            actual: json,
            fuel,
            error: None,
        },
    }
}

enum Outcome {
    /// The hook answered or refused, as the case's checks see it, the JSON quoted,
    /// and the fuel it used (unknown for a refusal).
    Answered(Result<Answer, String>, String, Option<u64>),
    /// The sandbox stopped it (fuel, memory, deadline, trap, invalid answer).
    Failed(DecisionError),
}

/// The host's decision as the case's answer. The host and the SDK share the
/// contract's types (`waymark-contract`), so the decided value is the answer.
fn convert<T: Serialize>(
    decided: Result<super::call::Decision<T>, DecisionError>,
    wrap: fn(T) -> Answer,
) -> Outcome {
    match decided {
        Ok(decision) => {
            let quoted = quote(&serde_json::to_string(&decision.value).unwrap_or_default());
            Outcome::Answered(Ok(wrap(decision.value)), quoted, Some(decision.fuel_used))
        }
        Err(DecisionError::PluginRefused { message }) => {
            let quoted = format!("the refusal {:?}", quote(&message));
            Outcome::Answered(Err(message), quoted, None)
        }
        Err(other) => Outcome::Failed(other),
    }
}

fn input<T: DeserializeOwned>(case: &Case, what: &str) -> Result<T, String> {
    T::deserialize(&case.input).map_err(|e| {
        format!(
            "the input of a {} case must be {what}: {e}",
            case.hook.as_str()
        )
    })
}

fn quote(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A case's calendar: Monday to Friday less its bank holidays, whatever the
/// council's real calendar, so a case decides the same everywhere.
struct CaseCalendar(BTreeSet<NaiveDate>);

impl WorkingCalendar for CaseCalendar {
    fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.0.contains(&day)
    }
}

/// Appends `payload` to a component (or module) as a custom section named `name`.
/// Custom sections may appear anywhere and are ignored by the runtime.
pub fn embed_section(wasm: &mut Vec<u8>, name: &str, payload: &[u8]) {
    let mut body = Vec::with_capacity(name.len() + payload.len() + 5);
    leb128(&mut body, name.len() as u64);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    wasm.push(0); // custom section id
    leb128(wasm, body.len() as u64);
    wasm.extend_from_slice(&body);
}

/// The payload of the first top-level custom section named `name`, if the binary
/// has one. Nested modules are inside other sections' payloads and are skipped
/// whole; anything malformed is "not found" (compiling the binary reports it).
pub fn find_section<'a>(wasm: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let mut rest = wasm.get(8..)?;
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = read_leb128(after_id)?;
        let size = usize::try_from(size).ok()?;
        let payload = after_size.get(..size)?;
        rest = &after_size[size..];
        if id != 0 {
            continue;
        }
        let (len, after_len) = read_leb128(payload)?;
        let len = usize::try_from(len).ok()?;
        if after_len.get(..len)? == name.as_bytes() {
            return Some(&after_len[len..]);
        }
    }
    None
}

/// The binary without its top-level custom sections named `name` (e.g. to swap a
/// plugin's golden cases). A binary that does not parse is returned unchanged.
pub fn strip_section(wasm: &[u8], name: &str) -> Vec<u8> {
    let Some(header) = wasm.get(..8) else {
        return wasm.to_vec();
    };
    let mut out = header.to_vec();
    let mut rest = &wasm[8..];
    while let Some((&id, after_id)) = rest.split_first() {
        let Some((size, after_size)) = read_leb128(after_id) else {
            return wasm.to_vec();
        };
        let Some(payload) = usize::try_from(size).ok().and_then(|n| after_size.get(..n)) else {
            return wasm.to_vec();
        };
        let section_len = wasm.len() - rest.len();
        let whole = &wasm
            [section_len..section_len + (after_id.len() - after_size.len()) + 1 + payload.len()];
        rest = &after_size[payload.len()..];
        let named = id == 0
            && read_leb128(payload)
                .and_then(|(len, after)| after.get(..usize::try_from(len).ok()?))
                .is_some_and(|n| n == name.as_bytes());
        if !named {
            out.extend_from_slice(whole);
        }
    }
    out
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb128(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embedded_section_is_found_again_among_others() {
        let mut wasm = b"\0asm\x0d\0\x01\0".to_vec();
        embed_section(&mut wasm, "other", b"x");
        let big = "c".repeat(300); // a size that needs two LEB128 bytes
        embed_section(&mut wasm, GOLDEN_SECTION, big.as_bytes());
        assert_eq!(find_section(&wasm, GOLDEN_SECTION), Some(big.as_bytes()));
        assert_eq!(find_section(&wasm, "other"), Some(&b"x"[..]));
        assert_eq!(find_section(&wasm, "missing"), None);
    }

    #[test]
    fn a_stripped_section_is_gone_and_the_rest_kept() {
        let mut wasm = b"\0asm\x0d\0\x01\0".to_vec();
        embed_section(&mut wasm, GOLDEN_SECTION, b"old");
        embed_section(&mut wasm, "other", b"x");
        let mut stripped = strip_section(&wasm, GOLDEN_SECTION);
        assert_eq!(find_section(&stripped, GOLDEN_SECTION), None);
        assert_eq!(find_section(&stripped, "other"), Some(&b"x"[..]));
        embed_section(&mut stripped, GOLDEN_SECTION, b"new");
        assert_eq!(find_section(&stripped, GOLDEN_SECTION), Some(&b"new"[..]));
    }

    #[test]
    fn a_truncated_binary_has_no_section() {
        let mut wasm = b"\0asm\x0d\0\x01\0".to_vec();
        embed_section(&mut wasm, GOLDEN_SECTION, b"[]");
        wasm.truncate(wasm.len() - 1);
        assert_eq!(find_section(&wasm, GOLDEN_SECTION), None);
        assert_eq!(find_section(b"\0asm", GOLDEN_SECTION), None);
    }

    #[test]
    fn a_component_with_a_golden_section_still_compiles() {
        let mut bytes = crate::policy::componentize(b"\0asm\x01\0\0\0").unwrap();
        embed_section(&mut bytes, GOLDEN_SECTION, b"[]");
        // Rejected for exporting no policy, not for the section.
        let err = crate::policy::load::tests::policies()
            .load(&bytes)
            .unwrap_err();
        assert_eq!(err, PluginRejected::NoPolicy(vec![]));
    }

    #[test]
    fn the_case_calendar_skips_weekends_and_its_holidays() {
        let good_friday = NaiveDate::from_ymd_opt(2026, 4, 3).unwrap();
        let calendar = CaseCalendar([good_friday].into());
        assert!(!calendar.is_working_day(good_friday));
        assert!(calendar.is_working_day(NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()));
        assert!(!calendar.is_working_day(NaiveDate::from_ymd_opt(2026, 4, 4).unwrap()));
    }
}
