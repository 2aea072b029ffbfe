//! Python plugins: the template, the tools, and `waymark plugin build | test` for a
//! Python project.
//!
//! A Python plugin project is a folder with `app.py` (which exports the policy with
//! `Policy = export(MyPolicy)`), the plugin's package, `tests/` and `golden.json`.
//! The SDK for Python (`sdk/python/waymark_sdk`) and the contract's WIT are built
//! into this binary and written to the cache on use, so a project needs nothing but
//! its own files. The tools, componentize-py (the Bytecode Alliance's) and pytest,
//! are installed on first use into a virtual environment in the cache, pinned
//! ([`COMPONENTIZE_PY`], [`PYTEST`]), and the command says so: no manual setup, no
//! questions asked (CI has no stdin).
//!
//! The cache is `$WAYMARK_CACHE`, else `$XDG_CACHE_HOME/waymark`, else
//! `~/.cache/waymark`. The Python that makes the environment is `$WAYMARK_PYTHON`,
//! else `python3` (3.10 or later).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::policy::LANGUAGE_SECTION;
use crate::policy::golden::{GOLDEN_SECTION, embed_section};

/// The module componentize-py builds from: it defines `Policy`.
pub const ENTRY_POINT: &str = "app.py";

/// The pinned componentize-py (PyPI) every Python plugin is built with.
pub const COMPONENTIZE_PY: &str = "0.25.1";

/// The pinned pytest a project's native tests run with.
pub const PYTEST: &str = "9.2.0";

/// The WIT world a Python plugin is built against.
const WORLD: &str = "council-policy";
const WIT: &str = include_str!("../../../sdk/wit/v1.1.0/policy.wit");

/// waymark-sdk for Python, as built into this binary.
const SDK_FILES: &[(&str, &str)] = &[
    (
        "waymark_sdk/__init__.py",
        include_str!("../../../sdk/python/waymark_sdk/__init__.py"),
    ),
    (
        "waymark_sdk/calendar.py",
        include_str!("../../../sdk/python/waymark_sdk/calendar.py"),
    ),
    (
        "waymark_sdk/contract.py",
        include_str!("../../../sdk/python/waymark_sdk/contract.py"),
    ),
    (
        "waymark_sdk/export.py",
        include_str!("../../../sdk/python/waymark_sdk/export.py"),
    ),
    (
        "waymark_sdk/policy.py",
        include_str!("../../../sdk/python/waymark_sdk/policy.py"),
    ),
    (
        "waymark_sdk/settings.py",
        include_str!("../../../sdk/python/waymark_sdk/settings.py"),
    ),
    (
        "waymark_sdk/testing.py",
        include_str!("../../../sdk/python/waymark_sdk/testing.py"),
    ),
];

/// The Python template (`examples/plugin-template-python`), renamed on the way out.
const TEMPLATE_FILES: &[(&str, &str)] = &[
    (
        "app.py",
        include_str!("../../../examples/plugin-template-python/app.py"),
    ),
    (
        "template_council/__init__.py",
        include_str!("../../../examples/plugin-template-python/template_council/__init__.py"),
    ),
    (
        "tests/test_template_council.py",
        include_str!("../../../examples/plugin-template-python/tests/test_template_council.py"),
    ),
    (
        "golden.json",
        include_str!("../../../examples/plugin-template-python/golden.json"),
    ),
    (
        ".gitignore",
        include_str!("../../../examples/plugin-template-python/.gitignore"),
    ),
];

/// Why a Python plugin could not be made, built or tested.
#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    #[error(
        "could not run `{python}` to set up the Python tools: {source}; install Python 3.10 or \
         later, or point WAYMARK_PYTHON at one"
    )]
    NoPython {
        python: String,
        source: std::io::Error,
    },
    #[error("installing {what} into {dir} failed:\n{output}")]
    Install {
        what: String,
        dir: PathBuf,
        output: String,
    },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{0} is not a Python plugin project (it has no `app.py`): run `waymark plugin new NAME \
         --lang python` to make one"
    )]
    NotAProject(PathBuf),
    #[error("componentize-py could not build {dir}:\n{output}")]
    Build { dir: PathBuf, output: String },
    #[error("the plugin's own tests failed (pytest in {0}): fix them first")]
    Tests(PathBuf),
    #[error("{path}: {reason}; fix it and build again")]
    Golden { path: PathBuf, reason: String },
    #[error(
        "`{0}` is not a plugin name: use lower-case letters, digits and hyphens, starting with a \
         letter, e.g. `north-tyneside`"
    )]
    BadName(String),
    #[error("{0} already exists: choose another name or folder, nothing was written")]
    Exists(PathBuf),
}

/// Where the tools and the SDK are kept between runs.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("WAYMARK_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("waymark");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("waymark")
}

/// The Python tools, installed, and the SDK and WIT they build against.
pub struct Toolchain {
    /// The virtual environment's interpreter (componentize-py and pytest installed).
    python: PathBuf,
    /// A folder holding `waymark_sdk/`.
    sdk: PathBuf,
    /// A folder holding the contract's WIT.
    wit: PathBuf,
}

impl Toolchain {
    /// The tools from the cache, installing them first if this is their first use
    /// (saying so through `say`).
    pub fn ensure(say: &mut dyn FnMut(&str)) -> Result<Toolchain, PythonError> {
        let root = cache_root().join("python");
        let venv = root.join(format!(
            "tools-componentize-py-{COMPONENTIZE_PY}-pytest-{PYTEST}"
        ));
        if !venv.join(".ready").is_file() {
            say(&format!(
                "installing componentize-py {COMPONENTIZE_PY} and pytest {PYTEST} into {} \
                 (first use; later runs reuse them)",
                venv.display()
            ));
            install_tools(&root, &venv)?;
        }
        let sdk = unpack(&root, "waymark-sdk", SDK_FILES)?;
        let wit = unpack(&root, "wit", &[("policy.wit", WIT)])?;
        Ok(Toolchain {
            python: venv.join("bin").join("python"),
            sdk,
            wit,
        })
    }

    /// Runs the project's native tests with pytest (`tests/`, or the whole folder).
    pub fn test(&self, project: &Path) -> Result<(), PythonError> {
        check_project(project)?;
        let tests = project.join("tests");
        let target = if tests.is_dir() {
            tests
        } else {
            project.to_owned()
        };
        let status = Command::new(&self.python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(&target)
            .current_dir(project)
            .env("PYTHONPATH", self.python_path(project))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .status()
            .map_err(|source| PythonError::NoPython {
                python: self.python.display().to_string(),
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(PythonError::Tests(project.to_owned()))
        }
    }

    /// Builds the project into a component with its `golden.json` embedded, written
    /// to `out` or `<project>/target/<folder name>.wasm`. Returns where.
    pub fn build(&self, project: &Path, out: Option<&Path>) -> Result<PathBuf, PythonError> {
        check_project(project)?;
        let project = std::fs::canonicalize(project).map_err(|source| PythonError::Read {
            path: project.to_owned(),
            source,
        })?;
        let name = project
            .file_name()
            .map_or_else(|| "plugin".to_owned(), |n| n.to_string_lossy().into_owned());
        let out = out.map_or_else(
            || project.join("target").join(format!("{name}.wasm")),
            Path::to_owned,
        );
        // componentize-py runs in the project's folder: a relative `--out` (as
        // `scripts/serve` gives) must name the same file for it as for us.
        let out = std::path::absolute(&out).map_err(|source| PythonError::Write {
            path: out.clone(),
            source,
        })?;
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| PythonError::Write {
                path: dir.to_owned(),
                source,
            })?;
        }
        let staged = out.with_extension("wasm.partial");
        let output = Command::new(&self.python)
            .arg("-c")
            .arg("import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())")
            .arg("-d")
            .arg(&self.wit)
            .args(["-w", WORLD, "componentize", "app", "-p"])
            .arg(&project)
            .arg("-p")
            .arg(&self.sdk)
            .arg("-o")
            .arg(&staged)
            .current_dir(&project)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .output()
            .map_err(|source| PythonError::NoPython {
                python: self.python.display().to_string(),
                source,
            })?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&staged);
            return Err(PythonError::Build {
                dir: project,
                output: tail(&output.stderr, 40),
            });
        }
        let mut component = std::fs::read(&staged).map_err(|source| PythonError::Read {
            path: staged.clone(),
            source,
        })?;
        let _ = std::fs::remove_file(&staged);
        embed_golden(&project, &mut component)?;
        embed_section(&mut component, LANGUAGE_SECTION, b"python");
        std::fs::write(&out, component).map_err(|source| PythonError::Write {
            path: out.clone(),
            source,
        })?;
        Ok(out)
    }

    fn python_path(&self, project: &Path) -> std::ffi::OsString {
        std::env::join_paths([self.sdk.as_path(), project]).unwrap_or_default()
    }
}

fn check_project(project: &Path) -> Result<(), PythonError> {
    if project.join(ENTRY_POINT).is_file() {
        Ok(())
    } else {
        Err(PythonError::NotAProject(project.to_owned()))
    }
}

/// Makes the tools' virtual environment at `venv`: built beside it and renamed into
/// place only once complete, so a half-finished install (or two at once) never
/// leaves a broken one behind.
fn install_tools(root: &Path, venv: &Path) -> Result<(), PythonError> {
    std::fs::create_dir_all(root).map_err(|source| PythonError::Write {
        path: root.to_owned(),
        source,
    })?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let staging = root.join(format!(".install-{}-{nanos}", std::process::id()));
    let system_python = std::env::var("WAYMARK_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let failed = |what: &str, output: &std::process::Output| PythonError::Install {
        what: what.to_owned(),
        dir: venv.to_owned(),
        output: tail(&[&output.stdout[..], &output.stderr[..]].concat(), 30),
    };
    let run = |command: &mut Command| {
        command
            .stdin(Stdio::null())
            .output()
            .map_err(|source| PythonError::NoPython {
                python: system_python.clone(),
                source,
            })
    };
    let made = run(Command::new(&system_python)
        .args(["-m", "venv"])
        .arg(&staging))?;
    if !made.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(failed("a Python virtual environment", &made));
    }
    let installed = run(Command::new(staging.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
        ])
        .arg(format!("componentize-py=={COMPONENTIZE_PY}"))
        .arg(format!("pytest=={PYTEST}")))?;
    if !installed.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(failed(
            &format!("componentize-py {COMPONENTIZE_PY} and pytest {PYTEST}"),
            &installed,
        ));
    }
    let ready = staging.join(".ready");
    std::fs::write(&ready, "").map_err(|source| PythonError::Write {
        path: ready,
        source,
    })?;
    if std::fs::rename(&staging, venv).is_err() {
        // Another run finished first: use its environment.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if venv.join(".ready").is_file() {
        Ok(())
    } else {
        Err(PythonError::Install {
            what: "the Python tools".to_owned(),
            dir: venv.to_owned(),
            output: "the environment could not be moved into place".to_owned(),
        })
    }
}

/// Writes `files` under `root/<name>-<digest of their contents>` unless already
/// there, and returns that folder: a changed SDK gets a new folder, never a mix.
fn unpack(root: &Path, name: &str, files: &[(&str, &str)]) -> Result<PathBuf, PythonError> {
    let mut hasher = Sha256::new();
    for (path, text) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    let digest = hex::encode(&hasher.finalize()[..8]);
    let dir = root.join(format!("{name}-{digest}"));
    if dir.join(".complete").is_file() {
        return Ok(dir);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let staging = root.join(format!(".{name}-{}-{nanos}", std::process::id()));
    for (path, text) in files {
        write(&staging.join(path), text)?;
    }
    write(&staging.join(".complete"), "")?;
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(dir)
}

fn write(path: &Path, text: &str) -> Result<(), PythonError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| PythonError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| PythonError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Embeds `golden.json` (checked first, so a broken one fails the build, not the
/// upload) as the section the host runs on upload.
fn embed_golden(project: &Path, component: &mut Vec<u8>) -> Result<(), PythonError> {
    let path = project.join("golden.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(PythonError::Read { path, source }),
    };
    waymark_sdk::testing::golden::parse(&text)
        .map_err(|reason| PythonError::Golden { path, reason })?;
    embed_section(component, GOLDEN_SECTION, text.as_bytes());
    Ok(())
}

/// Writes a new Python plugin project `dir/name` from the template, its package,
/// class and council named after `name`. Returns the project's folder.
pub fn scaffold(name: &str, dir: &Path) -> Result<PathBuf, PythonError> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        return Err(PythonError::BadName(name.to_owned()));
    }
    let root = dir.join(name);
    if root.exists() {
        return Err(PythonError::Exists(root));
    }
    let words: Vec<String> = name
        .split('-')
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    let module = name.replace('-', "_");
    let rename = |text: &str| {
        text.replace("template_council", &module)
            .replace("TemplateCouncil", &words.concat())
            .replace("Template Council", &words.join(" "))
    };
    for (path, text) in TEMPLATE_FILES {
        write(&root.join(rename(path)), &rename(text))?;
    }
    write(&root.join("README.md"), &readme(name, &words.join(" ")))?;
    Ok(root)
}

fn readme(name: &str, title: &str) -> String {
    format!(
        "# {title}'s Waymark policy plugin (Python)\n\n\
         The rules are in `{module}/__init__.py`, the promised decisions in `golden.json`,\n\
         native tests in `tests/`. From this folder:\n\n\
         ```sh\n\
         waymark plugin test .      # pytest, then build, then golden.json in the real sandbox\n\
         waymark plugin build .     # writes target/{name}.wasm\n\
         WAYMARK_KEY=... waymark plugin upload target/{name}.wasm --url https://waymark.example --council {name}\n\
         ```\n\n\
         The first `test` or `build` installs componentize-py {COMPONENTIZE_PY} and pytest {PYTEST}\n\
         into Waymark's cache and says so. See Waymark's docs/plugins-python.md.\n",
        module = name.replace('-', "_"),
    )
}

fn tail(output: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(output);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_renamed_throughout() {
        let dir = tempfile::tempdir().unwrap();
        let root = scaffold("north-tyneside", dir.path()).unwrap();
        let rules = std::fs::read_to_string(root.join("north_tyneside/__init__.py")).unwrap();
        assert!(rules.contains("class NorthTyneside(Policy)"), "{rules}");
        assert!(!rules.contains("Template"), "{rules}");
        let app = std::fs::read_to_string(root.join("app.py")).unwrap();
        assert!(
            app.contains("from north_tyneside import NorthTyneside"),
            "{app}"
        );
        assert!(root.join("golden.json").is_file());
        assert!(matches!(
            scaffold("north-tyneside", dir.path()),
            Err(PythonError::Exists(_))
        ));
        assert!(matches!(
            scaffold("North", dir.path()),
            Err(PythonError::BadName(_))
        ));
    }

    #[test]
    fn the_sdk_is_unpacked_once_per_version() {
        let dir = tempfile::tempdir().unwrap();
        let first = unpack(dir.path(), "waymark-sdk", SDK_FILES).unwrap();
        assert!(first.join("waymark_sdk/testing.py").is_file());
        assert_eq!(unpack(dir.path(), "waymark-sdk", SDK_FILES).unwrap(), first);
        let changed = unpack(dir.path(), "waymark-sdk", &[("waymark_sdk/x.py", "")]).unwrap();
        assert_ne!(changed, first);
    }

    #[test]
    fn a_folder_without_app_py_is_not_a_project() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_project(dir.path()).unwrap_err();
        assert!(err.to_string().contains("--lang python"), "{err}");
    }
}
