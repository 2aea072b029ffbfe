//! One decision, in a fresh sandbox.
//!
//! Every call gets its own `Store`: its own fuel, memory cap, deadline and log, and
//! an instance nobody else has touched, so no decision can see another's state and
//! the same input always gives the same answer. Instantiating from the plugin's
//! cached `InstancePre` (and a pooled slot) keeps that cheap.
//!
//! Whatever the plugin does (loops, exhausts memory, traps, answers nonsense) the
//! caller gets a [`DecisionError`] saying which, never a panic and never a silent
//! "no". Calls are synchronous and CPU-bound for at most the deadline: from async
//! code, run them on a blocking thread.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wasmtime::{ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap};

use super::answer;
use super::contract::{ContactDecision, Eligibility, Handover, JourneyFacts, Plan, ReferralFacts};
use super::engine::{
    CORE_INSTANCES_PER_COMPONENT, PolicyEngine, TABLE_ELEMENTS, TABLES_PER_COMPONENT, TICK,
};
use super::input_digest::{Hook, InputDigest};
use super::limits::Limits;
use super::load::{Plugin, PluginDigest};
use super::v1::{self, Called, Linked};
use super::wasi::{LazyWasi, WasiSeed};
use crate::schedule::calendar::WorkingCalendar;

/// What a decision runs with: the council's settings, calendar and limits.
#[derive(Clone)]
pub struct CallContext {
    /// The council's settings for this plugin, as JSON matching its settings schema.
    pub settings: String,
    /// Answers the plugin's `is-working-day` questions.
    pub calendar: Arc<dyn WorkingCalendar>,
    pub limits: Limits,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("settings", &self.settings)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// A plugin's answer and what it takes to explain and replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision<T> {
    pub value: T,
    /// The plugin version that decided.
    pub plugin: PluginDigest,
    /// SHA-256 of everything the plugin was given: hook, settings, facts and as-of
    /// date. The same plugin and input digest always give the same decision.
    pub input_digest: InputDigest,
    pub fuel_used: u64,
    /// The most linear memory the plugin had during the decision, in bytes.
    #[serde(default)]
    pub peak_memory_bytes: usize,
    #[serde(rename = "elapsed_us", with = "micros")]
    pub elapsed: Duration,
    /// The plugin's own log lines, capped at the limits' `max_log_bytes`.
    pub log: Vec<String>,
}

/// Why a plugin gave no usable decision. Recorded with the case, which goes to
/// human review.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionError {
    #[error(
        "the plugin used all of its {limit} fuel: it is looping or doing far more work than a \
         decision needs; fix the plugin, or raise the council's `fuel` limit if the work is genuine"
    )]
    OutOfFuel { limit: u64 },
    #[error(
        "the plugin needed more than {limit} bytes of memory; fix the plugin, or raise the \
         council's `memory_bytes` limit if it genuinely needs more"
    )]
    MemoryLimit { limit: usize },
    #[error(
        "the plugin took longer than {deadline_ms} ms; fix the plugin, or raise the council's \
         `deadline_ms` limit if the work is genuine"
    )]
    DeadlineExceeded { deadline_ms: u64 },
    #[error("the plugin crashed: {message}; its log says why, if it says anything")]
    Trap {
        message: String,
        /// The plugin's log up to the crash (a Rust plugin logs its panic message).
        log: Vec<String>,
    },
    #[error("the plugin refused to decide: {message}")]
    PluginRefused { message: String },
    #[error("the plugin's answer is invalid: {what}; fix the plugin")]
    InvalidAnswer { what: String },
    #[error(
        "the plugin's answer is too large: over the {limit}-byte limit on an answer (refusals \
         included), so it was not read; fix the plugin to answer with less, or raise the \
         council's `max_output_bytes` limit if the answer is genuine"
    )]
    AnswerTooLarge { limit: usize },
    #[error(
        "the input is {bytes} bytes, over the {limit}-byte limit; shorten the council's \
         settings or raise its `max_input_bytes` limit"
    )]
    InputTooLarge { bytes: usize, limit: usize },
    #[error(
        "the council has no active policy plugin: upload one with PUT /v1/councils/{{council}}/plugin"
    )]
    NoPlugin,
    #[error("the policy sandbox could not run the plugin ({message}); retry shortly")]
    Unavailable { message: String },
}

impl Plugin {
    /// Whether a referral is accepted, waitlisted or declined, and why.
    pub fn eligibility(
        &self,
        ctx: &CallContext,
        referral: &ReferralFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Eligibility>, DecisionError> {
        self.decide(
            Hook::Eligibility,
            ctx,
            referral,
            as_of,
            |linked, store, settings| {
                linked.eligibility(store, settings, referral, as_of, &*ctx.calendar)
            },
            |answer, _| answer::eligibility(answer),
        )
    }

    /// The timers a journey wants after `as_of`, and why. A plan the plugin's
    /// contract version cannot be asked for (a waitlisted journey, for a 1.0 plugin)
    /// is answered by the host without running the plugin.
    pub fn plan(
        &self,
        ctx: &CallContext,
        journey: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Plan>, DecisionError> {
        if let Some(plan) = v1::answered_by_the_host(self.linked.minor(), journey) {
            let input_digest =
                InputDigest::of(Hook::Plan, &ctx.settings, journey, as_of, &ctx.limits)?;
            return Ok(Decision {
                value: plan,
                plugin: self.digest.clone(),
                input_digest,
                fuel_used: 0,
                peak_memory_bytes: 0,
                elapsed: Duration::ZERO,
                log: Vec::new(),
            });
        }
        self.decide(
            Hook::Plan,
            ctx,
            journey,
            as_of,
            |linked, store, settings| linked.plan(store, settings, journey, as_of, &*ctx.calendar),
            |answer, limits| answer::plan(answer, as_of, limits),
        )
    }

    /// After a missed contact: another outreach attempt, or a disengaged exit.
    pub fn missed_contact(
        &self,
        ctx: &CallContext,
        journey: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<ContactDecision>, DecisionError> {
        self.decide(
            Hook::MissedContact,
            ctx,
            journey,
            as_of,
            |linked, store, settings| {
                linked.missed_contact(store, settings, journey, as_of, &*ctx.calendar)
            },
            |answer, _| answer::contact(answer, as_of),
        )
    }

    /// Where support hands over to at the end, and what goes in the pack.
    pub fn handover(
        &self,
        ctx: &CallContext,
        journey: &JourneyFacts,
        as_of: NaiveDate,
    ) -> Result<Decision<Handover>, DecisionError> {
        self.decide(
            Hook::Handover,
            ctx,
            journey,
            as_of,
            |linked, store, settings| {
                linked.handover(store, settings, journey, as_of, &*ctx.calendar)
            },
            |answer, _| answer::handover(answer),
        )
    }

    /// Runs one hook: checks the input, calls the plugin in a fresh sandbox through
    /// the bindings of its contract version, then checks its answer.
    fn decide<I: Serialize, A: Serialize, T>(
        &self,
        hook: Hook,
        ctx: &CallContext,
        input: &I,
        as_of: NaiveDate,
        call: impl FnOnce(&Linked, &mut Store<Sandbox>, &str) -> Called<A>,
        check: impl FnOnce(A, &Limits) -> Result<T, String>,
    ) -> Result<Decision<T>, DecisionError> {
        let limits = &ctx.limits.for_language(self.language);
        let cap = limits.max_output_bytes;
        let too_large = DecisionError::AnswerTooLarge { limit: cap };
        let input_digest = InputDigest::of(hook, &ctx.settings, input, as_of, limits)?;
        // The answer is measured as it is lifted out of the plugin (`v1/capped.rs`),
        // so an oversize one is refused having copied at most the cap.
        let sandboxed = run(
            &self.engine,
            ctx.calendar.clone(),
            limits,
            WasiSeed::new(as_of, &input_digest),
            |store| {
                let (called, lifted) =
                    v1::within_budget(cap, || call(&self.linked, store, &ctx.settings));
                called.map(|answer| (answer, lifted))
            },
        )?;
        let (answer, lifted) = sandboxed.value;
        let value = match answer {
            Err(message) => {
                if message.len() > cap {
                    return Err(too_large);
                }
                return Err(DecisionError::PluginRefused {
                    message: answer::cut(&message, answer::MAX_REFUSAL),
                });
            }
            Ok(converted) => {
                let answer = converted.map_err(|what| DecisionError::InvalidAnswer { what })?;
                // Size first (the lift measured a lower bound): no contract check may
                // quote an answer over the cap back. Exactly, unless even the most
                // the lifted strings and records could take is within the cap.
                if lifted.json_upper_bound() > cap && answer::json_size(&answer, cap) > cap {
                    return Err(too_large);
                }
                check(answer, limits).map_err(|what| DecisionError::InvalidAnswer { what })?
            }
        };
        Ok(Decision {
            value,
            plugin: self.digest.clone(),
            input_digest,
            fuel_used: sandboxed.fuel_used,
            peak_memory_bytes: sandboxed.peak_memory_bytes,
            elapsed: sandboxed.elapsed,
            log: sandboxed.log,
        })
    }
}

/// What a sandboxed call produced, and what it cost.
pub(crate) struct Sandboxed<R> {
    pub(crate) value: R,
    pub(crate) fuel_used: u64,
    pub(crate) peak_memory_bytes: usize,
    pub(crate) elapsed: Duration,
    pub(crate) log: Vec<String>,
}

/// Makes a fresh store under `limits` and runs `call` in it, which instantiates the
/// plugin (from its `InstancePre`) and calls one export.
pub(crate) fn run<R>(
    engine: &PolicyEngine,
    calendar: Arc<dyn WorkingCalendar>,
    limits: &Limits,
    seed: WasiSeed,
    call: impl FnOnce(&mut Store<Sandbox>) -> wasmtime::Result<R>,
) -> Result<Sandboxed<R>, DecisionError> {
    let started = Instant::now();
    let memory_limit = limits.memory_bytes.min(engine.memory_ceiling());
    let mut store = Store::new(
        engine.engine(),
        Sandbox::new(calendar, memory_limit, limits.max_log_bytes, seed),
    );
    store.limiter(|sandbox| &mut sandbox.limiter);
    store
        .set_fuel(limits.fuel)
        .map_err(|e| DecisionError::Unavailable {
            message: format!("fuel metering is off: {e}"),
        })?;
    store.set_epoch_deadline(deadline_ticks(limits.deadline));
    store.epoch_deadline_trap();

    let result = call(&mut store);
    let elapsed = started.elapsed();
    // `get_fuel` only fails when fuel is off, which `set_fuel` above already ruled out.
    let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
    LAST_FUEL.set(Some(fuel_used));
    match result {
        Ok(value) => {
            let sandbox = store.into_data();
            Ok(Sandboxed {
                value,
                fuel_used,
                peak_memory_bytes: sandbox.limiter.peak_memory,
                elapsed,
                log: sandbox.log.into_lines(),
            })
        }
        Err(error) => Err(classify(&error, store.into_data(), limits, memory_limit)),
    }
}

thread_local! {
    /// The fuel the last sandboxed call on this thread used, whatever its outcome.
    static LAST_FUEL: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// The fuel the last sandboxed call on this thread used, if one ran since the last
/// time this was asked, refusals and crashes included (a [`DecisionError`] has no
/// room for it). Golden cases charge it against their upload's fuel budget.
pub(crate) fn take_last_fuel() -> Option<u64> {
    LAST_FUEL.take()
}

/// Ticks of [`TICK`] that cover `deadline`. One more than the quotient: the first
/// tick comes anywhere within a tick of now, and a deadline must never be cut short.
fn deadline_ticks(deadline: Duration) -> u64 {
    let ticks = deadline.as_nanos().div_ceil(TICK.as_nanos());
    u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(1)
}

/// Names the limit a failed call hit. Fuel and epoch traps are definitive; a refused
/// memory grow usually surfaces later as the plugin's own abort, so the limiter's
/// record of it outranks whatever trap followed.
fn classify(
    error: &wasmtime::Error,
    sandbox: Sandbox,
    limits: &Limits,
    memory_limit: usize,
) -> DecisionError {
    if let Some(over) = error.downcast_ref::<v1::AnswerTooLarge>() {
        return DecisionError::AnswerTooLarge { limit: over.limit };
    }
    let trap = error.downcast_ref::<Trap>();
    match trap {
        Some(Trap::OutOfFuel) => return DecisionError::OutOfFuel { limit: limits.fuel },
        Some(Trap::Interrupt) => {
            let deadline_ms = u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX);
            return DecisionError::DeadlineExceeded { deadline_ms };
        }
        _ => {}
    }
    if sandbox.limiter.memory_refused {
        return DecisionError::MemoryLimit {
            limit: memory_limit,
        };
    }
    // Like memory: a refused `table.grow` returns -1, and the plugin's own trap
    // ("unreachable executed") that follows is not the reason.
    if sandbox.limiter.table_refused {
        return DecisionError::Trap {
            message: format!(
                "it tried to grow a table past the sandbox's limit of {TABLE_ELEMENTS} elements"
            ),
            log: sandbox.log.into_lines(),
        };
    }
    if let Some(fault) = sandbox.fault {
        return DecisionError::Trap {
            message: fault,
            log: sandbox.log.into_lines(),
        };
    }
    if let Some(busy) = error.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
        return DecisionError::Unavailable {
            message: busy.to_string(),
        };
    }
    let message = match trap {
        Some(trap) => trap.to_string(),
        // Not a wasm trap: the canonical ABI refusing what the plugin handed back
        // (a bad string or discriminant), or instantiation failing.
        None => explain(error),
    };
    DecisionError::Trap {
        message,
        log: sandbox.log.into_lines(),
    }
}

/// A wasmtime error as one line: each cause in turn, without the wasm backtrace
/// wasmtime attaches as context (its frames are noise to a council, and a
/// stripped plugin has no names in them anyway).
pub(crate) fn explain(error: &wasmtime::Error) -> String {
    let causes: Vec<String> = error
        .chain()
        .map(|cause| cause.to_string())
        .filter(|text| !text.starts_with("error while executing at wasm backtrace"))
        .filter_map(|text| text.lines().next().map(str::to_owned))
        .collect();
    if causes.is_empty() {
        "unknown error".to_owned()
    } else {
        causes.join(": ")
    }
}

/// The store's data: what the host side of one decision knows.
pub(crate) struct Sandbox {
    calendar: Arc<dyn WorkingCalendar>,
    limiter: SandboxLimiter,
    log: DecisionLog,
    /// A host function refused the plugin's request (and trapped it) because of this.
    fault: Option<String>,
    /// The deterministic WASI a Python or JavaScript runtime gets, built on first use.
    wasi: LazyWasi,
}

impl Sandbox {
    fn new(
        calendar: Arc<dyn WorkingCalendar>,
        memory_bytes: usize,
        max_log_bytes: usize,
        seed: WasiSeed,
    ) -> Sandbox {
        let limits = StoreLimitsBuilder::new()
            .memory_size(memory_bytes)
            // A plugin component is one memory and a few small tables and instances
            // (see engine.rs); anything past these is not a plugin we built.
            .memories(1)
            .tables(TABLES_PER_COMPONENT as usize)
            .instances(CORE_INSTANCES_PER_COMPONENT as usize)
            .table_elements(TABLE_ELEMENTS)
            .build();
        Sandbox {
            calendar,
            limiter: SandboxLimiter {
                limits,
                memory_refused: false,
                table_refused: false,
                peak_memory: 0,
            },
            log: DecisionLog::new(max_log_bytes),
            fault: None,
            wasi: LazyWasi::new(seed),
        }
    }

    pub(crate) fn wasi_mut(&mut self) -> &mut LazyWasi {
        &mut self.wasi
    }
}

/// The host interface, as each contract version's bindings call it.
impl Sandbox {
    /// Answers `is-working-day` for a date the bindings converted (or could not).
    pub(crate) fn answer_is_working_day(
        &mut self,
        day: Result<NaiveDate, String>,
    ) -> wasmtime::Result<bool> {
        let fault = match day {
            Ok(day) => {
                // The calendar is host code fed a plugin-chosen date: catch a panic
                // (say, date arithmetic overflowing at the end of time) so it becomes
                // this plugin's failure, not the daemon's.
                let calendar = &self.calendar;
                match catch_unwind(AssertUnwindSafe(|| calendar.is_working_day(day))) {
                    Ok(working) => return Ok(working),
                    Err(_) => format!("the working-day calendar could not answer for {day}"),
                }
            }
            Err(what) => format!("it asked whether a day is a working day, but {what}"),
        };
        self.fault = Some(fault.clone());
        Err(wasmtime::Error::msg(fault))
    }

    /// Keeps a line of the plugin's decision log.
    pub(crate) fn push_log(&mut self, message: String) {
        self.log.push(message);
    }

    /// Keeps part of a line of the decision log (contract 1.2's `log-part`): the
    /// first `len` bytes of `words`, little-endian.
    pub(crate) fn push_log_part(&mut self, words: [u64; 4], len: u8, ends_line: bool) {
        let mut bytes = [0u8; 32];
        for (eight, word) in bytes.chunks_exact_mut(8).zip(words) {
            eight.copy_from_slice(&word.to_le_bytes());
        }
        self.log
            .push_part(&bytes[..usize::from(len).min(bytes.len())], ends_line);
    }
}

/// StoreLimits, plus a record of whether it refused anything: a refused memory
/// grow returns -1 to the plugin, which then usually aborts with a generic trap.
struct SandboxLimiter {
    limits: StoreLimits,
    memory_refused: bool,
    table_refused: bool,
    /// The largest memory size allowed so far (instantiation asks for the initial one).
    peak_memory: usize,
}

impl ResourceLimiter for SandboxLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        self.memory_refused |= !allowed;
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        }
        Ok(allowed)
    }

    /// The limiter allowed it, but the engine could not (the memory ceiling).
    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory_refused = true;
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.table_growing(current, desired, maximum)?;
        self.table_refused |= !allowed;
        Ok(allowed)
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.table_refused = true;
        Ok(())
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// The plugin's log lines, kept up to a byte budget.
struct DecisionLog {
    lines: Vec<String>,
    room: usize,
    full: bool,
    /// The line `log-part` is building, at most a part past [`MAX_LOG_LINE`].
    partial: Vec<u8>,
}

/// The WIT contract promises long lines are cut; this is how long.
const MAX_LOG_LINE: usize = 1024;

impl DecisionLog {
    fn new(max_bytes: usize) -> DecisionLog {
        DecisionLog {
            lines: Vec::new(),
            room: max_bytes,
            full: false,
            partial: Vec::new(),
        }
    }

    /// Adds to the line being built, and keeps it when `ends_line`. Bytes are
    /// joined before they are read as UTF-8, so a character may straddle parts;
    /// past [`MAX_LOG_LINE`] they are dropped, as `push` would cut them.
    fn push_part(&mut self, bytes: &[u8], ends_line: bool) {
        if self.partial.len() <= MAX_LOG_LINE {
            self.partial.extend_from_slice(bytes);
        }
        if ends_line {
            self.end_partial_line();
        }
    }

    fn end_partial_line(&mut self) {
        let line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        self.push(line);
    }

    /// The lines kept, with a line left unfinished (a plugin that trapped part
    /// way through logging) as the last.
    fn into_lines(mut self) -> Vec<String> {
        if !self.partial.is_empty() {
            self.end_partial_line();
        }
        self.lines
    }

    /// Keeps a line, cut to [`MAX_LOG_LINE`]. The first line that does not fit the
    /// budget is dropped with every line after it, and a marker says so.
    fn push(&mut self, mut line: String) {
        if self.full {
            return;
        }
        if line.len() > MAX_LOG_LINE {
            line.truncate(line.floor_char_boundary(MAX_LOG_LINE));
            line.push('…');
        }
        if line.len() > self.room {
            self.full = true;
            self.lines
                .push("[log truncated: later lines dropped]".to_owned());
            return;
        }
        self.room -= line.len();
        self.lines.push(line);
    }
}

/// `Duration` as whole microseconds in recorded decisions.
mod micros {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `log-part` lines are joined before they are read, cut like any other line,
    /// and one left unfinished by a trap is still kept.
    #[test]
    fn log_parts_make_lines() {
        let mut log = DecisionLog::new(10_000);
        // "é" is two bytes, split across parts.
        log.push_part(b"caf\xc3", false);
        log.push_part(b"\xa9 open", true);
        log.push_part(b"", true);
        for _ in 0..100 {
            log.push_part(&[b'x'; 32], false);
        }
        log.push_part(b"end", true);
        log.push_part(b"the plugin panicked: ", false);
        let lines = log.into_lines();
        assert_eq!(lines[0], "café open");
        assert_eq!(lines[1], "");
        assert_eq!(lines[2].len(), MAX_LOG_LINE + '…'.len_utf8());
        assert!(lines[2].ends_with("x…"));
        assert_eq!(lines[3], "the plugin panicked: ");
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn a_deadline_is_never_cut_short() {
        assert_eq!(deadline_ticks(Duration::from_millis(200)), 21);
        assert_eq!(deadline_ticks(Duration::from_millis(1)), 2);
        assert_eq!(deadline_ticks(Duration::ZERO), 1);
        assert_eq!(deadline_ticks(Duration::MAX), u64::MAX);
    }

    #[test]
    fn the_log_keeps_to_its_budget() {
        let mut log = DecisionLog::new(20);
        log.push("first line".to_owned());
        log.push("a second line that is too long".to_owned());
        log.push("dropped".to_owned());
        assert_eq!(log.lines.len(), 2);
        assert_eq!(log.lines[0], "first line");
        assert!(log.lines[1].starts_with("[log truncated"));
    }

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        let mut log = DecisionLog::new(10_000);
        log.push("é".repeat(MAX_LOG_LINE));
        assert!(log.lines[0].len() <= MAX_LOG_LINE + '…'.len_utf8());
        assert!(log.lines[0].ends_with('…'));
    }

    #[test]
    fn a_refused_table_grow_is_named_not_the_trap_after_it() {
        let calendar = Arc::new(crate::schedule::calendar::UkCalendar::new(
            crate::schedule::calendar::Nation::EnglandAndWales,
        ));
        let mut sandbox = Sandbox::new(calendar, 1 << 20, 1024, WasiSeed::fixed());
        let allowed = sandbox
            .limiter
            .table_growing(10, TABLE_ELEMENTS + 1, None)
            .unwrap();
        assert!(!allowed);
        let trap = wasmtime::Error::from(Trap::UnreachableCodeReached);
        let err = classify(&trap, sandbox, &Limits::default(), 1 << 20);
        let DecisionError::Trap { message, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(
            message,
            "it tried to grow a table past the sandbox's limit of 20000 elements"
        );
    }

    #[test]
    fn decision_errors_are_recorded_as_tagged_json() {
        let err = DecisionError::OutOfFuel { limit: 1000 };
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "out_of_fuel", "limit": 1000})
        );
        assert_eq!(serde_json::from_value::<DecisionError>(json).unwrap(), err);
    }
}
