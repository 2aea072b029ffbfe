//! Deterministic, deny-all WASI for plugins whose language runtime needs it.
//!
//! A Rust plugin (`wasm32-unknown-unknown`) imports nothing but the host interface.
//! A Python plugin built by `componentize-py` (and a JavaScript one built by
//! `componentize-js`) carries a language runtime that imports WASI 0.2's command
//! interfaces at start-up: clocks, randomness, stdio, a filesystem, sockets. The
//! sandbox gives it those interfaces, but nothing behind them:
//!
//! - no preopened directories, so there is no file to open;
//! - no network: TCP, UDP and name lookups are all refused;
//! - no environment variables, no arguments, an empty stdin; stdout and stderr
//!   are discarded (the plugin's log is `host.log`);
//! - a wall clock stopped at midnight (UTC) of the decision's as-of date, and a
//!   monotonic clock stopped at zero whose timers are ready at once, so a plugin
//!   can neither read the real time nor sleep (a wait on the clock loops until the
//!   decision's fuel runs out);
//! - randomness, secure and insecure alike, from a generator seeded with the
//!   decision's input digest.
//!
//! So a decision stays a pure function of its input, and replays identically. Only
//! the interfaces in [`INTERFACES`] are linked (WASI 0.2's `wasi:cli/imports`, what
//! those runtimes import); any other import is refused on upload.
//!
//! Plugins that import no WASI never touch any of this: a decision's WASI context
//! is built the first time the plugin calls into WASI, so a Rust plugin pays nothing.

use chrono::NaiveDate;
use rand_wasi::SeedableRng;
use rand_wasi::rngs::StdRng;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::call::Sandbox;
use super::input_digest::InputDigest;

/// The WASI 0.2 interfaces a plugin may import (names without their `@0.2.x`),
/// all deterministic and deny-all as the module describes.
pub(crate) const INTERFACES: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/preopens",
    "wasi:filesystem/types",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/instance-network",
    "wasi:sockets/ip-name-lookup",
    "wasi:sockets/network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
];

/// Whether `name@version` is one of the WASI interfaces the sandbox gives.
pub(crate) fn allowed(name: &str, version: &str) -> bool {
    let mut parts = version.split('.');
    let wasi_0_2 = parts.next() == Some("0") && parts.next() == Some("2");
    wasi_0_2 && INTERFACES.contains(&name)
}

/// Adds [`INTERFACES`] to a plugin linker, the monotonic clock replaced by the
/// stopped one below.
pub(crate) fn add_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::sync;
    use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, random, sockets};
    use wasmtime_wasi::{cli::WasiCli, clocks::WasiClocks, filesystem::WasiFilesystem};
    use wasmtime_wasi::{random::WasiRandom, sockets::WasiSockets};

    let l = linker;
    clocks::wall_clock::add_to_linker::<Sandbox, WasiClocks>(l, |s| {
        wasmtime_wasi::clocks::WasiClocksView::clocks(s)
    })?;
    monotonic_clock::add_to_linker::<Sandbox, StoppedClock>(l, |s| StoppedClockView {
        table: s.ctx().table,
    })?;
    filesystem::preopens::add_to_linker::<Sandbox, WasiFilesystem>(l, |s| {
        wasmtime_wasi::filesystem::WasiFilesystemView::filesystem(s)
    })?;
    random::random::add_to_linker::<Sandbox, WasiRandom>(l, random_view)?;
    random::insecure::add_to_linker::<Sandbox, WasiRandom>(l, random_view)?;
    random::insecure_seed::add_to_linker::<Sandbox, WasiRandom>(l, random_view)?;
    fn cli_view(s: &mut Sandbox) -> wasmtime_wasi::cli::WasiCliCtxView<'_> {
        wasmtime_wasi::cli::WasiCliView::cli(s)
    }
    cli::exit::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::environment::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::stdin::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::stdout::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::stderr::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::terminal_input::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::terminal_output::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::terminal_stdin::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::terminal_stdout::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    cli::terminal_stderr::add_to_linker::<Sandbox, WasiCli>(l, cli_view)?;
    fn sockets_view(s: &mut Sandbox) -> wasmtime_wasi::sockets::WasiSocketsCtxView<'_> {
        wasmtime_wasi::sockets::WasiSocketsView::sockets(s)
    }
    sockets::tcp_create_socket::add_to_linker::<Sandbox, WasiSockets>(l, sockets_view)?;
    sockets::instance_network::add_to_linker::<Sandbox, WasiSockets>(l, sockets_view)?;
    sockets::network::add_to_linker::<Sandbox, WasiSockets>(l, &Default::default(), sockets_view)?;
    sockets::ip_name_lookup::add_to_linker::<Sandbox, WasiSockets>(l, sockets_view)?;

    struct HasTable;
    impl HasData for HasTable {
        type Data<'a> = &'a mut ResourceTable;
    }
    sync::io::error::add_to_linker::<Sandbox, HasTable>(l, |s| s.ctx().table)?;
    sync::io::poll::add_to_linker::<Sandbox, HasTable>(l, |s| s.ctx().table)?;
    sync::io::streams::add_to_linker::<Sandbox, HasTable>(l, |s| s.ctx().table)?;
    sync::filesystem::types::add_to_linker::<Sandbox, WasiFilesystem>(l, |s| {
        wasmtime_wasi::filesystem::WasiFilesystemView::filesystem(s)
    })?;
    sync::sockets::tcp::add_to_linker::<Sandbox, WasiSockets>(l, sockets_view)?;
    sync::sockets::udp::add_to_linker::<Sandbox, WasiSockets>(l, sockets_view)?;
    sync::sockets::udp_create_socket::add_to_linker::<Sandbox, WasiSockets>(l, sockets_view)?;
    Ok(())
}

fn random_view(sandbox: &mut Sandbox) -> &mut wasmtime_wasi::random::WasiRandomCtx {
    let WasiCtxView { ctx, .. } = sandbox.ctx();
    ctx.random()
}

/// What a decision's WASI is made from: its as-of date and its input digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WasiSeed {
    pub(crate) as_of: NaiveDate,
    /// SHA-256 of the decision's input (see [`InputDigest`]).
    pub(crate) input_digest: [u8; 32],
}

impl WasiSeed {
    /// For calls with no decision input (`settings-schema`): the Unix epoch and a
    /// fixed seed, so the schema too is the same on every call.
    pub(crate) fn fixed() -> WasiSeed {
        WasiSeed {
            as_of: NaiveDate::default(),
            input_digest: [0; 32],
        }
    }

    /// From a decision's input digest.
    pub(crate) fn new(as_of: NaiveDate, input_digest: &InputDigest) -> WasiSeed {
        WasiSeed {
            as_of,
            input_digest: input_digest.bytes(),
        }
    }

    /// Seconds from the Unix epoch to midnight UTC of the as-of date.
    fn unix_seconds(&self) -> u64 {
        let midnight = self.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
        u64::try_from(midnight.and_utc().timestamp()).unwrap_or(0)
    }

    fn build(&self) -> WasiState {
        let stopped_at = std::time::Duration::from_secs(self.unix_seconds());
        // Distinct streams for secure and insecure randomness, both from the digest.
        let mut insecure_seed = self.input_digest;
        insecure_seed[0] ^= 0x5a;
        let seed_u128 = u128::from_le_bytes(insecure_seed[..16].try_into().unwrap_or([0; 16]));
        let mut builder = WasiCtx::builder();
        builder
            .wall_clock(StoppedWallClock(stopped_at))
            .monotonic_clock(StoppedMonotonicClock)
            .secure_random(StdRng::from_seed(self.input_digest))
            .insecure_random(StdRng::from_seed(insecure_seed))
            .insecure_random_seed(seed_u128)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        // No preopens, env, args or inherited stdio: the builder gives none unless
        // asked, and stdout/stderr default to sinks.
        WasiState {
            ctx: builder.build(),
            table: ResourceTable::new(),
        }
    }
}

/// A decision's WASI context, built on first use.
pub(crate) struct LazyWasi {
    seed: WasiSeed,
    state: Option<WasiState>,
}

struct WasiState {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl LazyWasi {
    pub(crate) fn new(seed: WasiSeed) -> LazyWasi {
        LazyWasi { seed, state: None }
    }

    fn view(&mut self) -> WasiCtxView<'_> {
        let seed = self.seed;
        let state = self.state.get_or_insert_with(|| seed.build());
        WasiCtxView {
            ctx: &mut state.ctx,
            table: &mut state.table,
        }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi_mut().view()
    }
}

struct StoppedWallClock(std::time::Duration);

impl HostWallClock for StoppedWallClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }

    fn now(&self) -> std::time::Duration {
        self.0
    }
}

struct StoppedMonotonicClock;

impl HostMonotonicClock for StoppedMonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        0
    }
}

/// `wasi:clocks/monotonic-clock` with time stopped at zero: every timer is ready
/// at once, so a plugin never blocks the host thread waiting for real time (which
/// no epoch deadline could interrupt) and a sleep takes no time.
struct StoppedClock;

impl HasData for StoppedClock {
    type Data<'a> = StoppedClockView<'a>;
}

struct StoppedClockView<'a> {
    table: &'a mut ResourceTable,
}

/// A timer that has already fired.
struct Fired;

#[wasmtime_wasi::async_trait]
impl Pollable for Fired {
    async fn ready(&mut self) {}
}

impl StoppedClockView<'_> {
    fn fired(&mut self) -> wasmtime::Result<Resource<DynPollable>> {
        let fired = self.table.push(Fired)?;
        subscribe(self.table, fired)
    }
}

impl monotonic_clock::Host for StoppedClockView<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(0)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(1)
    }

    fn subscribe_instant(
        &mut self,
        _when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.fired()
    }

    fn subscribe_duration(
        &mut self,
        _duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.fired()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_wasi_0_2_command_interfaces_are_allowed() {
        assert!(allowed("wasi:random/random", "0.2.0"));
        assert!(allowed("wasi:io/poll", "0.2.9"));
        assert!(!allowed("wasi:random/random", "0.3.0"));
        assert!(!allowed("wasi:http/outgoing-handler", "0.2.0"));
        assert!(!allowed("waymark:policy/host", "0.2.0"));
    }

    fn digest(hex: &str) -> InputDigest {
        InputDigest::try_from(hex.to_owned()).expect("64 lowercase hex characters")
    }

    #[test]
    fn the_wall_clock_is_midnight_of_the_as_of_date() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let seed = WasiSeed::new(day, &digest(&"ab".repeat(32)));
        assert_eq!(seed.unix_seconds(), 1_772_409_600);
        assert_eq!(seed.input_digest, [0xab; 32]);
    }

    #[test]
    fn randomness_is_a_function_of_the_input_digest() {
        use wasmtime_wasi::p2::bindings::random::{insecure, random};
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let draw = |digest: &str| {
            let mut state = WasiSeed::new(day, &self::digest(digest)).build();
            let ctx = state.ctx.random();
            let mut drawn: Vec<u64> = (0..4)
                .map(|_| random::Host::get_random_u64(ctx).unwrap())
                .collect();
            drawn.push(insecure::Host::get_insecure_random_u64(ctx).unwrap());
            drawn
        };
        assert_eq!(draw(&"01".repeat(32)), draw(&"01".repeat(32)));
        assert_ne!(draw(&"01".repeat(32)), draw(&"02".repeat(32)));
    }
}
