//! Turning a plugin crate into the component a council uploads.
//!
//! Plugins are built as core wasm for `wasm32-unknown-unknown`, a target with no
//! WASI at all, so nothing can sneak in a file, clock or socket import, and are then
//! wrapped into a component by `wit-component` from the WIT world that waymark-sdk
//! embeds in the module. The crate's `golden.json`, if any, rides along in a custom
//! section (see `golden.rs`). `waymark plugin build` and the tests use this.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The only target plugins are built for.
pub const PLUGIN_TARGET: &str = "wasm32-unknown-unknown";

/// The workspace profile plugins are built with (optimised, `panic = "abort"`).
const PLUGIN_PROFILE: &str = "plugin";

/// Names the folder cargo builds Rust plugins in, instead of the workspace's
/// `target/plugin-build`: plugins in several repositories can then share the
/// dependencies they compiled. Not `CARGO_TARGET_DIR`: a build started from inside
/// `cargo test` would wait forever on the lock of the outer cargo's folder.
const PLUGIN_TARGET_DIR_VAR: &str = "WAYMARK_PLUGIN_TARGET_DIR";

/// Why a plugin could not be packaged.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a crate manifest with a package name: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error(
        "could not run `{command}`: {source}; is the Rust toolchain (cargo, rustup) installed and on PATH?"
    )]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error(
        "the `{PLUGIN_TARGET}` target is not installed and `rustup target add {PLUGIN_TARGET}` failed:\n{stderr}"
    )]
    Target { stderr: String },
    #[error("`{command}` failed ({status}):\n{stderr}")]
    Cargo {
        command: String,
        status: String,
        stderr: String,
    },
    #[error(
        "cargo built no {path}: a plugin crate must be a library with `crate-type = [\"cdylib\"]` under `[lib]`"
    )]
    NoWasm { path: PathBuf },
    #[error("{path} is not a valid golden file: {reason}")]
    Golden { path: PathBuf, reason: String },
    #[error(
        "the module could not be made into a component: {0}; a plugin must export its policy with \
         waymark-sdk's export macro and use no WASI"
    )]
    Componentize(String),
    #[error(
        "could not run `{command}`: {source}; install Node.js 20 or later (with npm) and put it on PATH"
    )]
    NodeMissing {
        command: String,
        source: std::io::Error,
    },
    #[error("`npm` failed in {dir}:\n{stderr}")]
    Npm { dir: PathBuf, stderr: String },
    #[error("the JavaScript plugin could not be built:\n{stderr}")]
    JavaScript { stderr: String },
}

/// Wraps a core module built with waymark-sdk into a component.
///
/// The module's `cabi_post_*` exports are dropped first, so its hooks have no
/// post-return. A post-return frees what an answer used once the host has copied
/// it; every decision's instance is thrown away straight after, so it would only
/// cost a call into the plugin per decision, and a lookup per instantiation.
pub fn componentize(core_wasm: &[u8]) -> Result<Vec<u8>, PackageError> {
    let core =
        without_post_returns(core_wasm).map_err(|e| PackageError::Componentize(format!("{e}")))?;
    wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| PackageError::Componentize(format!("{e:#}")))
}

/// The module with its post-return exports left out, every other section as it was.
fn without_post_returns(core: &[u8]) -> Result<Vec<u8>, wasmparser::BinaryReaderError> {
    let mut module = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(core) {
        let payload = payload?;
        if let wasmparser::Payload::ExportSection(exports) = &payload {
            let mut kept = wasm_encoder::ExportSection::new();
            for export in exports.clone() {
                let export = export?;
                if !export.name.starts_with("cabi_post_") {
                    kept.export(export.name, export.kind.into(), export.index);
                }
            }
            module.section(&kept);
        } else if let Some((id, range)) = payload.as_section() {
            module.section(&wasm_encoder::RawSection {
                id,
                data: &core[range],
            });
        }
    }
    Ok(module.finish())
}

/// Heap a plugin starts with, linked into its initial memory after the stack and
/// data. The SDK's arena allocates from it, so a decision normally never grows
/// memory, which would cost two `mprotect` calls per decision. Stack, data and
/// this stay within the pool's resident window (`engine.rs`, `KEEP_RESIDENT`).
pub(crate) const INITIAL_HEAP: usize = 256 << 10;

/// A plugin's stack, below its data (rustc links wasm stack-first, so running out
/// is an out-of-bounds trap, never corrupted data). Rust's default is 1 MiB; an SDK
/// plan uses a few pages of it. Every decision's reset scans the whole memory for
/// the pages it wrote, so a smaller memory is a quicker reset: 128 KiB takes a
/// plan's memory from 1.3 MiB to 448 KiB, and about 0.2 µs off each decision.
pub(crate) const STACK_SIZE: usize = 128 << 10;

/// Builds the plugin crate at `crate_dir` and writes its component to `out`, or to
/// `<workspace>/target/plugins/<crate>.wasm`. Returns where it was written.
///
/// Cargo runs with its own target directory (`target/plugin-build`, or
/// `$WAYMARK_PLUGIN_TARGET_DIR` if set), so this works while another cargo holds the
/// workspace's main build lock, e.g. inside `cargo test`.
///
/// A folder with a `package.json` and no `Cargo.toml` is a JavaScript plugin, built
/// by [`build_javascript_plugin`](super::javascript::build_javascript_plugin).
pub fn build_plugin(crate_dir: &Path, out: Option<&Path>) -> Result<PathBuf, PackageError> {
    if super::javascript::is_javascript_plugin(crate_dir) {
        return super::javascript::build_javascript_plugin(crate_dir, out);
    }
    let manifest = crate_dir.join("Cargo.toml");
    let name = package_name(&manifest)?;
    let workspace = workspace_root(&manifest)?;
    ensure_target(crate_dir)?;

    let target_dir = std::env::var_os(PLUGIN_TARGET_DIR_VAR)
        .filter(|dir| !dir.is_empty())
        .map_or_else(
            || workspace.join("target").join("plugin-build"),
            PathBuf::from,
        );
    let mut cargo = Command::new(cargo_program());
    cargo
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .args([
            "--target",
            PLUGIN_TARGET,
            "--profile",
            PLUGIN_PROFILE,
            "--target-dir",
        ])
        .arg(&target_dir)
        // Flags meant for the host (say `-C target-cpu=native`) must not leak into
        // a wasm build; plugins are built the same way everywhere.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .arg("--config")
        .arg(format!(
            "target.{PLUGIN_TARGET}.rustflags=[\"-Clink-arg=--initial-heap={INITIAL_HEAP}\", \
             \"-Clink-arg=-zstack-size={STACK_SIZE}\"]"
        ));
    if !defines_plugin_profile(&workspace.join("Cargo.toml")) {
        // A plugin crate outside this workspace (the template, say) gets the same
        // profile from the command line.
        for setting in [
            "profile.plugin.inherits=\"release\"",
            "profile.plugin.opt-level=2",
            "profile.plugin.lto=true",
            "profile.plugin.codegen-units=1",
            "profile.plugin.panic=\"abort\"",
            "profile.plugin.strip=true",
        ] {
            cargo.args(["--config", setting]);
        }
    }
    let output = run(&mut cargo)?;
    if !output.status.success() {
        return Err(PackageError::Cargo {
            command: describe(&cargo),
            status: output.status.to_string(),
            stderr: tail(&output.stderr, 40),
        });
    }

    let built = target_dir
        .join(PLUGIN_TARGET)
        .join(PLUGIN_PROFILE)
        .join(format!("{}.wasm", name.replace('-', "_")));
    if !built.is_file() {
        return Err(PackageError::NoWasm { path: built });
    }
    let core = std::fs::read(&built).map_err(|source| PackageError::Read {
        path: built.clone(),
        source,
    })?;
    let mut component = componentize(&core)?;
    embed_golden(crate_dir, &mut component)?;

    let out = match out {
        Some(out) => out.to_owned(),
        None => workspace
            .join("target")
            .join("plugins")
            .join(format!("{name}.wasm")),
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| PackageError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    std::fs::write(&out, component).map_err(|source| PackageError::Write {
        path: out.clone(),
        source,
    })?;
    Ok(out)
}

/// Embeds the crate's `golden.json`, if it has one, as the `waymark:golden` custom
/// section the host runs on upload. The file is parsed first, so a broken one fails
/// the build here rather than the upload later.
pub(super) fn embed_golden(crate_dir: &Path, component: &mut Vec<u8>) -> Result<(), PackageError> {
    let path = crate_dir.join("golden.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(PackageError::Read { path, source }),
    };
    waymark_sdk::testing::golden::parse(&text)
        .map_err(|reason| PackageError::Golden { path, reason })?;
    super::golden::embed_section(component, super::golden::GOLDEN_SECTION, text.as_bytes());
    Ok(())
}

/// Cargo as the caller runs it: `$CARGO` under cargo (tests, build scripts),
/// otherwise whichever `cargo` is on the path.
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn package_name(manifest: &Path) -> Result<String, PackageError> {
    let text = std::fs::read_to_string(manifest).map_err(|source| PackageError::Read {
        path: manifest.to_owned(),
        source,
    })?;
    let bad = |reason: String| PackageError::Manifest {
        path: manifest.to_owned(),
        reason,
    };
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(e.message().to_owned()))?;
    doc.get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .ok_or_else(|| bad("no `[package] name`".to_owned()))
}

/// The root of the workspace the crate belongs to (the crate itself if none).
fn workspace_root(manifest: &Path) -> Result<PathBuf, PackageError> {
    let mut locate = Command::new(cargo_program());
    locate
        .args([
            "locate-project",
            "--workspace",
            "--message-format",
            "plain",
            "--manifest-path",
        ])
        .arg(manifest);
    let output = run(&mut locate)?;
    if !output.status.success() {
        return Err(PackageError::Cargo {
            command: describe(&locate),
            status: output.status.to_string(),
            stderr: tail(&output.stderr, 20),
        });
    }
    let root_manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    Ok(root_manifest
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default())
}

fn defines_plugin_profile(workspace_manifest: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(workspace_manifest) else {
        return false;
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return false;
    };
    doc.get("profile")
        .and_then(|p| p.get(PLUGIN_PROFILE))
        .is_some()
}

/// Installs the wasm target's standard library if the toolchain that builds
/// `crate_dir` lacks it. Checked once per process: the check is a `rustc` call.
fn ensure_target(crate_dir: &Path) -> Result<(), PackageError> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    // Run from the crate so a `rust-toolchain.toml` there picks the toolchain, as
    // it will for the build itself.
    let mut sysroot = Command::new("rustc");
    sysroot.args(["--print", "sysroot"]).current_dir(crate_dir);
    let output = run(&mut sysroot)?;
    let root = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !root
        .join("lib")
        .join("rustlib")
        .join(PLUGIN_TARGET)
        .is_dir()
    {
        let mut add = Command::new("rustup");
        add.args(["target", "add", PLUGIN_TARGET])
            .current_dir(crate_dir);
        let output = run(&mut add)?;
        if !output.status.success() {
            return Err(PackageError::Target {
                stderr: tail(&output.stderr, 20),
            });
        }
    }
    let _ = INSTALLED.set(());
    Ok(())
}

pub(super) fn run(command: &mut Command) -> Result<Output, PackageError> {
    command.output().map_err(|source| PackageError::Spawn {
        command: describe(command),
        source,
    })
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// The last `lines` lines of a tool's output: where cargo puts the error.
pub(super) fn tail(output: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(output);
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module exporting a hook, its post-return and its memory, with a custom
    /// section (where wit-bindgen keeps the component's types).
    fn module_with_a_post_return() -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, CustomSection, ExportKind, ExportSection, Function, FunctionSection,
            MemorySection, MemoryType, Module, TypeSection,
        };
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut functions = FunctionSection::new();
        functions.function(0);
        functions.function(0);
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut exports = ExportSection::new();
        exports.export("hook", ExportKind::Func, 0);
        exports.export("cabi_post_hook", ExportKind::Func, 1);
        exports.export("memory", ExportKind::Memory, 0);
        let mut code = CodeSection::new();
        for _ in 0..2 {
            let mut body = Function::new([]);
            body.instructions().end();
            code.function(&body);
        }
        let mut module = Module::new();
        module
            .section(&types)
            .section(&functions)
            .section(&memories)
            .section(&exports)
            .section(&code)
            .section(&CustomSection {
                name: "component-type:kept".into(),
                data: b"as it was".as_slice().into(),
            });
        module.finish()
    }

    #[test]
    fn post_return_exports_are_dropped_and_nothing_else_changes() {
        let before = module_with_a_post_return();
        let after = without_post_returns(&before).unwrap();
        wasmparser::Validator::new().validate_all(&after).unwrap();
        let mut exports = Vec::new();
        let mut custom = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&after) {
            match payload.unwrap() {
                wasmparser::Payload::ExportSection(reader) => {
                    for export in reader {
                        exports.push(export.unwrap().name.to_owned());
                    }
                }
                wasmparser::Payload::CustomSection(section) => {
                    custom.push((section.name().to_owned(), section.data().to_vec()));
                }
                _ => {}
            }
        }
        assert_eq!(exports, ["hook", "memory"]);
        assert_eq!(
            custom,
            [("component-type:kept".to_owned(), b"as it was".to_vec())]
        );
        // Only the export section is rewritten: the code is byte for byte the same.
        assert_eq!(before.len() - after.len(), "cabi_post_hook".len() + 3);
    }

    #[test]
    fn a_module_without_a_policy_makes_a_component_that_is_rejected() {
        let component = componentize(b"\0asm\x01\0\0\0").unwrap();
        let err = crate::policy::load::tests::policies()
            .load(&component)
            .unwrap_err();
        assert_eq!(err, crate::policy::PluginRejected::NoPolicy(vec![]));
    }

    #[test]
    fn garbage_cannot_be_componentized() {
        assert!(componentize(b"not wasm").is_err());
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        assert_eq!(tail(b"a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail(b"a", 5), "a");
    }

    #[test]
    fn a_missing_crate_is_a_clear_error() {
        let err = build_plugin(Path::new("/nonexistent/plugin"), None).unwrap_err();
        assert!(matches!(err, PackageError::Read { .. }), "{err:?}");
    }
}
