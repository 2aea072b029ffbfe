//! Accepting a plugin: validate, compile, link once, and cache by digest.
//!
//! A council uploads bytes; before any journey depends on them we check, in order
//! of cost, that they are small enough, are a WebAssembly *component*, import
//! nothing but the host interface (no WASI: no files, clock, randomness or
//! network), export the policy interface of a 1.x contract, and answer
//! `settings-schema` with a JSON object inside the sandbox. Each refusal says what
//! is wrong and how to fix it. What passes is linked once into an `InstancePre`
//! that every later decision instantiates from.
//!
//! Nothing is kept for a plugin until it is accepted: [`Policies::prepare`] checks
//! without keeping, and only [`Policies::admit`] puts a plugin in the in-memory
//! cache (bounded, least recently used dropped first) and its machine code in the
//! on-disk one. So a refused upload leaves neither memory nor files behind.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use super::call::{self, DecisionError};
use super::compiled_functions::NewFunctions;
use super::engine::{EngineError, EngineSettings, PolicyEngine};
use super::language::Language;
use super::limits::Limits;
use super::v1::{self, Linked, Linkers, Minor};
use super::wasi::{self, WasiSeed};
use crate::schedule::calendar::{Nation, UkCalendar};

/// A plugin version: the SHA-256 of its bytes, in lowercase hex.
// Shared, not copied: every decision carries the digest of the plugin that made it.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct PluginDigest(Arc<str>);

impl PluginDigest {
    pub fn of(bytes: &[u8]) -> PluginDigest {
        PluginDigest(hex::encode(Sha256::digest(bytes)).into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PluginDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string that is not a plugin digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a plugin digest is the SHA-256 of the plugin: 64 lowercase hex characters")]
pub struct InvalidDigest;

impl FromStr for PluginDigest {
    type Err = InvalidDigest;

    fn from_str(s: &str) -> Result<Self, InvalidDigest> {
        let hex = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if hex {
            Ok(PluginDigest(s.into()))
        } else {
            Err(InvalidDigest)
        }
    }
}

impl TryFrom<String> for PluginDigest {
    type Error = InvalidDigest;

    fn try_from(s: String) -> Result<Self, InvalidDigest> {
        s.parse()
    }
}

impl From<PluginDigest> for String {
    fn from(d: PluginDigest) -> String {
        d.0.to_string()
    }
}

/// Why an uploaded plugin was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginRejected {
    #[error(
        "the plugin is {bytes} bytes, over the {limit}-byte limit: build it with `waymark plugin build` \
         (optimised for size and stripped), or ask the platform administrator to raise `max_plugin_bytes`"
    )]
    TooLarge { bytes: usize, limit: usize },
    #[error(
        "not WebAssembly (bad magic): upload the `.wasm` file that `waymark plugin build` writes"
    )]
    NotWasm,
    #[error(
        "this is a core WebAssembly module, not a component: build it with `waymark plugin build`"
    )]
    CoreModule,
    #[error("not a valid WebAssembly component ({0}): rebuild it with `waymark plugin build`")]
    Invalid(String),
    #[error(
        "the plugin needs more than the sandbox allows ({0}): a plugin built with waymark-sdk \
         and `waymark plugin build` stays well inside, so drop whatever adds tables, memories \
         or instances, or shrink its initial memory"
    )]
    OverSandbox(String),
    #[error(
        "the plugin imports {}, but a plugin may import only `waymark:policy/host@1.x` and, for a \
         Python or JavaScript runtime, WASI 0.2's command interfaces (`wasi:cli/imports`, given \
         deterministic and deny-all): build a Rust plugin for `wasm32-unknown-unknown` with \
         waymark-sdk, a Python or JavaScript one with `waymark plugin build`, and drop dependencies \
         that need the network or anything else outside the contract",
        .0.join(", ")
    )]
    ForbiddenImports(Vec<String>),
    #[error(
        "the plugin does not export `waymark:policy/policy@1.x` (it exports: {}): export your policy \
         with waymark-sdk's export macro",
        if .0.is_empty() { "nothing".to_owned() } else { .0.join(", ") }
    )]
    NoPolicy(Vec<String>),
    #[error(
        "the plugin is built against waymark:policy {0}, but this Waymark runs 1.0 and 1.1 plugins: \
         rebuild it against the waymark-sdk this Waymark ships with (contract 1.1)"
    )]
    UnsupportedVersion(String),
    #[error(
        "the plugin has {0} linear memories, but a plugin may have one: build it with `waymark plugin build`"
    )]
    TooManyMemories(u32),
    #[error(
        "the plugin starts with {bytes} bytes of memory, over the {limit}-byte limit: shrink its static \
         data, or raise `memory_bytes`"
    )]
    MemoryTooLarge { bytes: u64, limit: usize },
    #[error(
        "the plugin does not fit this Waymark's waymark:policy 1.x contract ({0}): rebuild it against \
         the waymark-sdk this Waymark ships with"
    )]
    Contract(String),
    #[error("the plugin's settings-schema failed: {0}")]
    SchemaFailed(DecisionError),
    #[error("the plugin's settings schema {0}: settings-schema must return a JSON Schema object")]
    SchemaInvalid(String),
    /// Unusable, or not checkable in bounded time (see `policy::settings`).
    #[error("{0}")]
    SchemaRefused(super::settings::InvalidSettings),
    #[error(
        "the plugin's golden cases (custom section `waymark:golden`) cannot be read: {0}; fix \
         `golden.json` and rebuild with `waymark plugin build`"
    )]
    GoldenUnreadable(String),
    #[error(
        "{failed} of {ran} golden cases failed in the sandbox{}: {}; fix the plugin or its \
         `golden.json`, then rebuild with `waymark plugin build`",
        if *.failed > .failures.len() { format!(" (the first {} shown)", .failures.len()) } else { String::new() },
        .failures.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | ")
    )]
    GoldenFailed {
        ran: usize,
        /// How many failed; `failures` describes at most the first few.
        failed: usize,
        failures: Vec<super::golden::GoldenCaseFailure>,
    },
    #[error(
        "the plugin's golden cases are over an upload's budget: {0}; make `golden.json` fewer \
         or cheaper cases, then rebuild with `waymark plugin build`"
    )]
    GoldenOverBudget(String),
}

/// The daemon's loaded plugins, and the engine they run on. Cheap to share behind
/// an `Arc`; every method takes `&self`.
pub struct Policies {
    engine: Arc<PolicyEngine>,
    /// One linker per contract version the host runs.
    linkers: Linkers,
    limits: Limits,
    loaded: Mutex<Loaded>,
}

/// The plugins kept compiled in memory, each with when it was last used; past the
/// capacity the least recently used is dropped.
struct Loaded {
    plugins: HashMap<PluginDigest, (Arc<Plugin>, u64)>,
    uses: u64,
    capacity: usize,
}

impl Loaded {
    fn get(&mut self, digest: &PluginDigest) -> Option<Arc<Plugin>> {
        let (plugin, used) = self.plugins.get_mut(digest)?;
        self.uses += 1;
        *used = self.uses;
        Some(plugin.clone())
    }

    /// Keeps `plugin` (or returns the one kept from the same bytes), dropping the
    /// least recently used past the capacity.
    fn insert(&mut self, plugin: &Arc<Plugin>) -> Arc<Plugin> {
        if let Some(kept) = self.get(&plugin.digest) {
            return kept;
        }
        while self.plugins.len() >= self.capacity.max(1) {
            let oldest = self
                .plugins
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(digest, _)| digest.clone());
            match oldest {
                Some(digest) => self.plugins.remove(&digest),
                None => break,
            };
        }
        self.uses += 1;
        self.plugins
            .insert(plugin.digest.clone(), (plugin.clone(), self.uses));
        plugin.clone()
    }
}

/// A validated plugin, linked and ready to decide.
pub struct Plugin {
    pub(crate) digest: PluginDigest,
    pub(crate) schema: serde_json::Value,
    pub(crate) contract_version: String,
    /// What it is written in, which picks its default budget (`language.rs`).
    pub(crate) language: Language,
    /// Linked once, with the bindings of the contract version it exports.
    pub(crate) linked: Linked,
    /// Keeps the engine's epoch ticker running while this plugin can be called.
    pub(crate) engine: Arc<PolicyEngine>,
    /// The functions its compile added to no cache yet: written when the plugin is
    /// admitted, dropped with it if it is refused.
    pub(crate) new_functions: Mutex<NewFunctions>,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("digest", &self.digest)
            .field("contract_version", &self.contract_version)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    pub fn digest(&self) -> &PluginDigest {
        &self.digest
    }

    /// The JSON Schema of the plugin's settings (always a JSON object).
    pub fn settings_schema(&self) -> &serde_json::Value {
        &self.schema
    }

    /// The contract version the plugin was built against, e.g. `1.0.0`.
    pub fn contract_version(&self) -> &str {
        &self.contract_version
    }

    /// The language the plugin was built from.
    pub fn language(&self) -> Language {
        self.language
    }
}

impl Policies {
    /// Sets up the engine. `limits` bound what is accepted on upload (the plugin's
    /// size, its initial memory) and the sandboxed `settings-schema` call; each
    /// decision then runs under its council's own limits.
    pub fn new(settings: &EngineSettings, limits: Limits) -> Result<Policies, EngineError> {
        let engine = Arc::new(PolicyEngine::new(settings)?);
        // The host interface and nothing else: whatever else a plugin imports fails
        // to link.
        let linkers =
            Linkers::new(engine.engine()).map_err(|e| EngineError::Config(e.to_string()))?;
        Ok(Policies {
            engine,
            linkers,
            limits,
            loaded: Mutex::new(Loaded {
                plugins: HashMap::new(),
                uses: 0,
                capacity: settings.loaded_plugins,
            }),
        })
    }

    /// Whether plugin instances come from the pre-reserved pool; false if the pool
    /// was turned off or could not be reserved and instances are allocated on demand.
    pub fn pooled(&self) -> bool {
        self.engine.pooled()
    }

    /// How many plugins were compiled, and how many read from the on-disk cache.
    pub fn compilations(&self) -> super::engine::Compilations {
        self.engine.compilations()
    }

    /// The most linear memory any plugin may have, whatever a council's limits say.
    pub fn memory_ceiling(&self) -> usize {
        self.engine.memory_ceiling()
    }

    /// The limits uploads are checked against.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A plugin loaded earlier, by digest, if it is still kept.
    pub fn get(&self, digest: &PluginDigest) -> Option<Arc<Plugin>> {
        self.lock().get(digest)
    }

    /// How many plugins are kept compiled in memory.
    pub fn loaded(&self) -> usize {
        self.lock().plugins.len()
    }

    /// Validates, compiles and links a plugin that was accepted before (a stored
    /// version) and keeps it, or returns the one already kept from the same bytes.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Plugin>, PluginRejected> {
        let plugin = self.prepare(bytes)?;
        Ok(self.admit(&plugin))
    }

    /// Keeps an accepted plugin: in memory, and its machine code in the on-disk
    /// cache. Returns the plugin kept from the same bytes, if one already was.
    pub fn admit(&self, plugin: &Arc<Plugin>) -> Arc<Plugin> {
        let functions = std::mem::take(
            &mut *plugin
                .new_functions
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        self.engine
            .keep(plugin.linked.component(), &plugin.digest, functions);
        self.lock().insert(plugin)
    }

    /// Validates, compiles and links a plugin without keeping it anywhere (the one
    /// already kept, if the same bytes were accepted before): what an upload does
    /// before its golden cases and settings are checked.
    pub fn prepare(&self, bytes: &[u8]) -> Result<Arc<Plugin>, PluginRejected> {
        let language = Language::of(bytes);
        let limits = self.limits.for_language(language);
        let limit = limits.max_plugin_bytes;
        if bytes.len() > limit {
            return Err(PluginRejected::TooLarge {
                bytes: bytes.len(),
                limit,
            });
        }
        check_header(bytes)?;
        let digest = PluginDigest::of(bytes);
        if let Some(plugin) = self.get(&digest) {
            return Ok(plugin);
        }

        // Compiling is the expensive part, and it is deliberately outside the lock:
        // two uploads of the same plugin at once compile twice, and `admit` keeps
        // whichever came first.
        let (component, new_functions) = self
            .engine
            .compile(bytes, &digest)
            .map_err(|e| compile_refusal(&e))?;
        let (contract_version, minor) = self.check_world(&component)?;
        self.check_resources(&component, &limits)?;
        let linked = self
            .linkers
            .link(minor, &component)
            .map_err(|e| PluginRejected::Contract(call::explain(&e)))?;
        let schema = self.settings_schema(&linked, &limits)?;

        Ok(Arc::new(Plugin {
            digest,
            schema,
            contract_version,
            language,
            linked,
            engine: self.engine.clone(),
            new_functions: Mutex::new(new_functions),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Loaded> {
        // The map is only ever inserted into whole; a panic elsewhere while it was
        // held cannot have left it half-updated.
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the component's imports and exports against the contract, naming
    /// every offender, and returns the contract version the plugin exports (1.0.x
    /// or 1.1.x), which picks the bindings it runs with.
    fn check_world(&self, component: &Component) -> Result<(String, Minor), PluginRejected> {
        let ty = component.component_type();
        let engine = self.engine.engine();

        let mut forbidden = Vec::new();
        for (name, _) in ty.imports(engine) {
            match Interface::parse(name) {
                Some(i) if i.name == v1::HOST_INTERFACE || i.name == v1::TYPES_INTERFACE => {
                    if i.major() != Some(v1::MAJOR) {
                        return Err(PluginRejected::UnsupportedVersion(i.version.to_owned()));
                    }
                }
                Some(i) if wasi::allowed(i.name, i.version) => {}
                _ => forbidden.push(name.to_owned()),
            }
        }
        if !forbidden.is_empty() {
            return Err(PluginRejected::ForbiddenImports(forbidden));
        }

        let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
        let policy = exports
            .iter()
            .filter_map(|name| Interface::parse(name))
            .find(|i| i.name == v1::POLICY_INTERFACE);
        match policy {
            None => Err(PluginRejected::NoPolicy(
                exports.iter().map(|s| (*s).to_owned()).collect(),
            )),
            Some(i) => match Minor::of(i.version) {
                Some(minor) => Ok((i.version.to_owned(), minor)),
                None => Err(PluginRejected::UnsupportedVersion(i.version.to_owned())),
            },
        }
    }

    /// A plugin whose initial memory is already over the limit could never run.
    fn check_resources(
        &self,
        component: &Component,
        limits: &Limits,
    ) -> Result<(), PluginRejected> {
        // `None` means the component instantiates imported modules, which the
        // import check has already refused.
        let Some(needs) = component.resources_required() else {
            return Ok(());
        };
        if needs.num_memories > 1 {
            return Err(PluginRejected::TooManyMemories(needs.num_memories));
        }
        let limit = limits.memory_bytes.min(self.engine.memory_ceiling());
        let initial = needs
            .max_initial_memory_size
            .unwrap_or(0)
            .saturating_mul(64 << 10);
        if initial > limit as u64 {
            return Err(PluginRejected::MemoryTooLarge {
                bytes: initial,
                limit,
            });
        }
        Ok(())
    }

    /// Asks the plugin for its settings schema, in the sandbox like any decision.
    fn settings_schema(
        &self,
        linked: &Linked,
        limits: &Limits,
    ) -> Result<serde_json::Value, PluginRejected> {
        // settings-schema takes no dates, so which calendar it sees is immaterial.
        let calendar = Arc::new(UkCalendar::new(Nation::default()));
        let sandboxed = call::run(&self.engine, calendar, limits, WasiSeed::fixed(), |store| {
            linked.settings_schema(store)
        })
        .map_err(PluginRejected::SchemaFailed)?;
        let text = sandboxed.value;
        if text.len() > limits.max_output_bytes {
            let (bytes, limit) = (text.len(), limits.max_output_bytes);
            return Err(PluginRejected::SchemaInvalid(format!(
                "is {bytes} bytes, over the {limit}-byte limit"
            )));
        }
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(schema @ serde_json::Value::Object(_)) => {
                super::settings::compile(&schema).map_err(PluginRejected::SchemaRefused)?;
                Ok(schema)
            }
            Ok(other) => Err(PluginRejected::SchemaInvalid(format!(
                "is JSON but not an object (it starts {})",
                excerpt(&other.to_string())
            ))),
            Err(e) => Err(PluginRejected::SchemaInvalid(format!("is not JSON ({e})"))),
        }
    }
}

/// Why a component did not compile: over one of the instance pool's limits (tables,
/// memories, instances, their sizes: wasmtime says which, and that it "exceeds" it),
/// or not valid at all.
fn compile_refusal(error: &wasmtime::Error) -> PluginRejected {
    let why = call::explain(error);
    if why.contains("exceeds the") {
        PluginRejected::OverSandbox(why)
    } else {
        PluginRejected::Invalid(why)
    }
}

/// Tells garbage and core modules from components by the 8-byte preamble: the magic
/// `\0asm`, then a version and a layer (0 for a core module, 1 for a component).
fn check_header(bytes: &[u8]) -> Result<(), PluginRejected> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(PluginRejected::NotWasm);
    }
    match u16::from_le_bytes([bytes[6], bytes[7]]) {
        0 => Err(PluginRejected::CoreModule),
        1 => Ok(()),
        layer => Err(PluginRejected::Invalid(format!(
            "unknown WebAssembly layer {layer}"
        ))),
    }
}

/// A component import or export name: `waymark:policy/host@1.0.0`.
struct Interface<'a> {
    name: &'a str,
    version: &'a str,
}

impl<'a> Interface<'a> {
    fn parse(full: &'a str) -> Option<Interface<'a>> {
        let (name, version) = full.split_once('@')?;
        Some(Interface { name, version })
    }

    fn major(&self) -> Option<u64> {
        self.version.split('.').next()?.parse().ok()
    }
}

fn excerpt(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn policies() -> Policies {
        let settings = EngineSettings {
            pooled_instances: 4,
            ..EngineSettings::default()
        };
        Policies::new(&settings, Limits::default()).unwrap()
    }

    #[test]
    fn garbage_is_not_webassembly() {
        let err = policies().load(b"#!/bin/sh\nrm -rf /\n").unwrap_err();
        assert_eq!(err, PluginRejected::NotWasm);
        assert!(err.to_string().starts_with("not WebAssembly (bad magic)"));
        assert_eq!(policies().load(b"").unwrap_err(), PluginRejected::NotWasm);
    }

    #[test]
    fn a_core_module_is_told_to_use_plugin_build() {
        let err = policies().load(b"\0asm\x01\0\0\0").unwrap_err();
        assert_eq!(err, PluginRejected::CoreModule);
        assert!(err.to_string().contains("`waymark plugin build`"), "{err}");
    }

    #[test]
    fn an_oversize_binary_is_refused_before_anything_else() {
        let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
        bytes.resize(Limits::default().max_plugin_bytes + 1, 0);
        let err = policies().load(&bytes).unwrap_err();
        assert!(matches!(err, PluginRejected::TooLarge { .. }), "{err:?}");
    }

    #[test]
    fn a_broken_component_is_invalid() {
        // A component preamble followed by a section that is cut off.
        let err = policies().load(b"\0asm\x0d\0\x01\0\x07\x10").unwrap_err();
        assert_eq!(
            err,
            PluginRejected::Invalid(
                "failed to parse WebAssembly module: unexpected end-of-file (at offset 0xa)".into()
            )
        );
    }

    #[test]
    fn a_component_over_the_pools_limits_is_refused_by_the_limit_it_breaks() {
        // A core module with five tables (the pool allows four per module)...
        let mut tables = b"\0asm\x01\0\0\0\x04\x10\x05".to_vec();
        tables.extend([0x70, 0x00, 0x01].repeat(5));
        // ... and one whose memory starts at 2000 pages (125 MiB, over the ceiling).
        let memory = b"\0asm\x01\0\0\0\x05\x04\x01\x00\xd0\x0f".to_vec();
        for (module, broken) in [
            (
                tables,
                "tables count of 5 exceeds the per-instance limit of 4",
            ),
            (memory, "exceeds the limit of"),
        ] {
            let component = crate::policy::componentize(&module).unwrap();
            let err = policies().load(&component).unwrap_err();
            let PluginRejected::OverSandbox(why) = &err else {
                panic!("{err:?}");
            };
            assert!(why.contains(broken), "{why}");
            assert!(err.to_string().contains("more than the sandbox allows"));
        }
    }

    #[test]
    fn an_empty_component_is_told_to_export_a_policy() {
        let err = policies().load(b"\0asm\x0d\0\x01\0").unwrap_err();
        assert_eq!(err, PluginRejected::NoPolicy(vec![]));
        assert!(err.to_string().contains("it exports: nothing"), "{err}");
    }

    /// A component that imports an empty instance under each of `names`.
    fn component_importing(names: &[&str]) -> Vec<u8> {
        let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
        // Type section: one instance type with no declarations.
        bytes.extend([0x07, 0x03, 0x01, 0x42, 0x00]);
        // Import section: each name (kind 0x00) as an instance (0x05) of type 0.
        let mut imports = vec![names.len() as u8];
        for name in names {
            imports.extend([0x00, name.len() as u8]);
            imports.extend(name.as_bytes());
            imports.extend([0x05, 0x00]);
        }
        bytes.extend([0x0a, imports.len() as u8]);
        bytes.extend(imports);
        bytes
    }

    #[test]
    fn imports_outside_the_contract_and_wasi_0_2_are_named_in_the_rejection() {
        let bytes = component_importing(&[
            "waymark:policy/host@1.0.0",
            "wasi:cli/environment@0.2.0",
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:random/random@0.3.0",
        ]);
        let err = policies().load(&bytes).unwrap_err();
        assert_eq!(
            err,
            PluginRejected::ForbiddenImports(vec![
                "wasi:http/outgoing-handler@0.2.0".into(),
                "wasi:random/random@0.3.0".into()
            ])
        );
        assert!(
            err.to_string().starts_with(
                "the plugin imports wasi:http/outgoing-handler@0.2.0, wasi:random/random@0.3.0, but"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_plugin_for_another_major_version_is_told_so() {
        let err = policies()
            .load(&component_importing(&["waymark:policy/host@2.0.0"]))
            .unwrap_err();
        assert_eq!(err, PluginRejected::UnsupportedVersion("2.0.0".into()));
    }

    #[test]
    fn digests_parse_only_from_sha256_hex() {
        let digest = PluginDigest::of(b"plugin");
        assert_eq!(digest.as_str().parse::<PluginDigest>(), Ok(digest.clone()));
        assert!("ABC".parse::<PluginDigest>().is_err());
        assert!(
            digest
                .as_str()
                .to_uppercase()
                .parse::<PluginDigest>()
                .is_err()
        );
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(serde_json::from_str::<PluginDigest>(&json).unwrap(), digest);
        assert!(serde_json::from_str::<PluginDigest>(r#""nope""#).is_err());
    }
}
