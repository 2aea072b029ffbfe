//! Building a JavaScript plugin (a folder with a `package.json` depending on
//! `waymark-sdk` from `sdk/javascript`) into the component a council uploads.
//!
//! The Bytecode Alliance's ComponentizeJS does the work, with rolldown to bundle the
//! plugin's modules into one: both from npm, pinned by
//! `sdk/javascript/tooling/package-lock.json`, which this binary carries. On first
//! use they are installed into the user's cache (`npm ci`, about 400 MB, once per
//! version of the lockfile) and the command says so; later builds reuse them. The
//! build script and the WIT world are carried too, so a plugin builds the same
//! from any folder, inside a Waymark checkout or not.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

use super::golden::embed_section;
use super::language::LANGUAGE_SECTION;
use super::package::{PackageError, embed_golden, tail};

/// What `npm ci` installs: ComponentizeJS 0.23.0 (with jco 1.35.0) and rolldown.
const TOOLING_PACKAGE: &str = include_str!("../../../sdk/javascript/tooling/package.json");
const TOOLING_LOCK: &str = include_str!("../../../sdk/javascript/tooling/package-lock.json");
/// Bundles the plugin and runs ComponentizeJS (see the script's own comment).
const BUILD_SCRIPT: &str = include_str!("../../../sdk/javascript/tooling/build.mjs");
/// The world the component is built against: the SDK's contract.
const WIT: &str = include_str!("../../../sdk/wit/v1.1.0/policy.wit");

/// Whether `dir` holds a JavaScript plugin rather than a crate.
pub fn is_javascript_plugin(dir: &Path) -> bool {
    dir.join("package.json").is_file() && !dir.join("Cargo.toml").is_file()
}

/// Builds the JavaScript plugin at `dir` and writes its component to `out`, or to
/// `<dir>/dist/<package name>.wasm`, with its `golden.json` embedded. Installs the
/// build tools into the cache first if they are not there, and the plugin's own
/// dependencies (`npm install`) if it has none yet, saying so on stderr.
pub fn build_javascript_plugin(dir: &Path, out: Option<&Path>) -> Result<PathBuf, PackageError> {
    let manifest = dir.join("package.json");
    let name = package_name(&manifest)?;
    let tools = ensure_tools()?;
    ensure_dependencies(dir)?;

    let out = match out {
        Some(out) => out.to_owned(),
        None => dir.join("dist").join(format!("{name}.wasm")),
    };
    if let Some(parent) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| PackageError::Write {
            path: parent.to_owned(),
            source,
        })?;
    }
    let absolute = |path: &Path| {
        std::path::absolute(path).map_err(|source| PackageError::Write {
            path: path.to_owned(),
            source,
        })
    };
    // ComponentizeJS reads the WIT from inside its own WebAssembly, which sees only
    // the folder it runs in: run it in the tools' folder, with absolute paths.
    let mut node = Command::new("node");
    node.arg("build.mjs")
        .arg(absolute(dir)?)
        .arg(absolute(&out)?)
        .arg("wit")
        .current_dir(&tools)
        .stdin(Stdio::null());
    let output = run(&mut node)?;
    if !output.status.success() {
        return Err(PackageError::JavaScript {
            stderr: tail(&output.stderr, 40),
        });
    }
    let mut component = std::fs::read(&out).map_err(|source| PackageError::Read {
        path: out.clone(),
        source,
    })?;
    embed_golden(dir, &mut component)?;
    embed_section(&mut component, LANGUAGE_SECTION, b"javascript");
    std::fs::write(&out, component).map_err(|source| PackageError::Write {
        path: out.clone(),
        source,
    })?;
    Ok(out)
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
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let name = doc
        .get("name")
        .and_then(|n| n.as_str())
        .ok_or_else(|| bad("no \"name\"".to_owned()))?;
    // An npm scope (`@council/plugin`) is not part of the file name.
    Ok(name.rsplit('/').next().unwrap_or(name).to_owned())
}

/// The tools' folder in the cache, named for the lockfile's digest so a new
/// lockfile installs beside the old one rather than over it.
fn tools_dir() -> PathBuf {
    let mut digest = Sha256::new();
    for part in [TOOLING_PACKAGE, TOOLING_LOCK, BUILD_SCRIPT, WIT] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    let digest = hex::encode(&digest.finalize()[..6]);
    crate::authoring::python::cache_root()
        .join("javascript")
        .join(format!("componentize-js-0.23.0-{digest}"))
}

/// Installs the build tools into the cache unless a complete install is there.
/// Installed into a folder of this process's own, then renamed into place, so
/// two builds at once never see half an install.
fn ensure_tools() -> Result<PathBuf, PackageError> {
    let dir = tools_dir();
    if dir
        .join("node_modules")
        .join(".package-lock.json")
        .is_file()
    {
        return Ok(dir);
    }
    eprintln!(
        "waymark: installing the JavaScript build tools (ComponentizeJS 0.23.0 and rolldown, \
         pinned) into {} with `npm ci`; first use only, about 400 MB",
        dir.display()
    );
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let write = |name: &str, text: &str| {
        let path = partial.join(name);
        std::fs::write(&path, text).map_err(|source| PackageError::Write { path, source })
    };
    std::fs::create_dir_all(partial.join("wit")).map_err(|source| PackageError::Write {
        path: partial.clone(),
        source,
    })?;
    write("package.json", TOOLING_PACKAGE)?;
    write("package-lock.json", TOOLING_LOCK)?;
    write("build.mjs", BUILD_SCRIPT)?;
    write("wit/policy.wit", WIT)?;
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&partial)
        .stdin(Stdio::null());
    let output = run(&mut npm)?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(PackageError::Npm {
            dir: dir.clone(),
            stderr: tail(&output.stderr, 20),
        });
    }
    match std::fs::rename(&partial, &dir) {
        Ok(()) => Ok(dir),
        // Another build finished its install first: use that one.
        Err(_)
            if dir
                .join("node_modules")
                .join(".package-lock.json")
                .is_file() =>
        {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(dir)
        }
        Err(source) => Err(PackageError::Write { path: dir, source }),
    }
}

/// Runs the plugin's own tests natively (`node --test` in its folder, after
/// `npm install` if it has not installed its dependencies), their output shown.
pub fn test_javascript_plugin(dir: &Path) -> Result<(), PackageError> {
    ensure_dependencies(dir)?;
    let mut node = Command::new("node");
    node.arg("--test").current_dir(dir).stdin(Stdio::null());
    let status = node.status().map_err(|source| PackageError::NodeMissing {
        command: "node --test".to_owned(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(PackageError::JavaScript {
            stderr: format!(
                "the plugin's own tests failed (`node --test` in {}): fix them first",
                dir.display()
            ),
        })
    }
}

/// Runs `npm install` in a plugin that has not installed its dependencies (the SDK).
fn ensure_dependencies(dir: &Path) -> Result<(), PackageError> {
    if dir.join("node_modules").join("waymark-sdk").exists() {
        return Ok(());
    }
    eprintln!(
        "waymark: installing {}'s dependencies (`npm install`)",
        dir.display()
    );
    let mut npm = Command::new("npm");
    npm.args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null());
    let output = run(&mut npm)?;
    if !output.status.success() {
        return Err(PackageError::Npm {
            dir: dir.to_owned(),
            stderr: tail(&output.stderr, 20),
        });
    }
    Ok(())
}

/// Runs node or npm, naming Node.js as what to install if it is missing.
fn run(command: &mut Command) -> Result<Output, PackageError> {
    super::package::run(command).map_err(|e| match e {
        PackageError::Spawn { command, source } => PackageError::NodeMissing { command, source },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_with_package_json_and_no_crate_is_javascript() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_javascript_plugin(dir.path()));
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        assert!(is_javascript_plugin(dir.path()));
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        assert!(!is_javascript_plugin(dir.path()));
    }

    #[test]
    fn the_file_is_named_for_the_package_without_its_scope() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("package.json");
        std::fs::write(&manifest, r#"{"name": "@north-tyneside/policy"}"#).unwrap();
        assert_eq!(package_name(&manifest).unwrap(), "policy");
        std::fs::write(&manifest, "{}").unwrap();
        assert!(matches!(
            package_name(&manifest),
            Err(PackageError::Manifest { .. })
        ));
    }

    #[test]
    fn the_tools_live_in_the_cache_named_for_their_lockfile() {
        let dir = tools_dir();
        assert!(dir.starts_with(crate::authoring::python::cache_root().join("javascript")));
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("componentize-js-0.23.0-"), "{name}");
        assert!(TOOLING_LOCK.contains("\"@bytecodealliance/componentize-js\""));
    }
}
