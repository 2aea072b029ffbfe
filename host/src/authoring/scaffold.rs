//! `waymark plugin new`: a plugin crate that lives in its own repository.
//!
//! The template is `examples/plugin-template`, a member of Waymark's workspace so
//! that it always builds and passes its own tests there. Its manifest inherits
//! from that workspace, so it is not copied as it is: the scaffold writes a
//! standalone one, resolving every inherited field and dependency from the
//! workspace manifest (so versions are bumped in one place), with its own
//! `[workspace]` table, waymark-sdk as a versioned dependency, and the
//! `[patch.crates-io]` lines that point it at a local SDK checkout until the SDK
//! is published. The rules (`src/lib.rs`) and `golden.json` are copied, renamed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// The template's files and the workspace it inherits from, as built into this binary.
const TEMPLATE_MANIFEST: &str = include_str!("../../../examples/plugin-template/Cargo.toml");
const TEMPLATE_LIB: &str = include_str!("../../../examples/plugin-template/src/lib.rs");
const TEMPLATE_GOLDEN: &str = include_str!("../../../examples/plugin-template/golden.json");
const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");

/// The SDK of the checkout this binary was built from (it may since have moved).
const BUILT_FROM_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");

const SDK: &str = "waymark-sdk";

/// Why `waymark plugin new` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "`{0}` is not a plugin name: use lower-case letters, digits and hyphens, starting with a \
         letter, e.g. `north-tyneside`"
    )]
    BadName(String),
    #[error("{0} already exists: choose another name or folder, nothing was written")]
    Exists(PathBuf),
    #[error(
        "{0} is not waymark-sdk's folder (it has no Cargo.toml for the package `waymark-sdk`): \
         give the `sdk` folder of a Waymark checkout"
    )]
    NotSdk(PathBuf),
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A bug in this binary's build, not the user's input.
    #[error("the plugin template built into this waymark is inconsistent: {0}")]
    Template(String),
}

/// Where the new crate gets waymark-sdk from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkSource {
    /// A Waymark checkout's `sdk` folder, by a `[patch.crates-io]` entry.
    Checkout(PathBuf),
    /// crates.io only; the patch lines are written commented out.
    Registry,
}

impl SdkSource {
    /// `--sdk PATH` if given; else the SDK of the checkout this binary was built
    /// from, if it is still there; else crates.io.
    pub fn choose(given: Option<&Path>) -> Result<SdkSource, ScaffoldError> {
        match given {
            Some(path) => checkout_sdk(path)
                .map(SdkSource::Checkout)
                .ok_or_else(|| ScaffoldError::NotSdk(path.to_owned())),
            None => Ok(checkout_sdk(Path::new(BUILT_FROM_SDK))
                .map_or(SdkSource::Registry, SdkSource::Checkout)),
        }
    }
}

/// `path`, absolute, if it holds the waymark-sdk package.
fn checkout_sdk(path: &Path) -> Option<PathBuf> {
    let manifest = std::fs::read_to_string(path.join("Cargo.toml")).ok()?;
    let doc: Table = manifest.parse().ok()?;
    let name = doc.get("package")?.get("name")?.as_str()?;
    (name == SDK).then(|| std::fs::canonicalize(path).ok())?
}

/// The version of waymark-sdk this Waymark ships (the workspace's version).
pub fn sdk_version() -> Result<String, ScaffoldError> {
    let workspace = workspace()?;
    inherited_package_field(&workspace, "version")?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ScaffoldError::Template("the workspace version is not a string".into()))
}

/// Writes a new plugin crate `dir/name` from the template, with the crate, type
/// and council named after `name`. Returns the crate's folder.
pub fn scaffold(name: &str, dir: &Path, sdk: &SdkSource) -> Result<PathBuf, ScaffoldError> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        return Err(ScaffoldError::BadName(name.to_owned()));
    }
    let root = dir.join(name);
    if root.exists() {
        return Err(ScaffoldError::Exists(root));
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
    let title = words.join(" ");
    let type_name = words.concat();
    let rename = |text: &str| {
        text.replace("waymark-plugin-template", &format!("waymark-plugin-{name}"))
            .replace("TemplateCouncil", &type_name)
            .replace("Template Council", &title)
    };
    let manifest = rename(&standalone_manifest(sdk)?);
    let readme = readme(name, &title);
    for (path, text) in [
        (root.join("Cargo.toml"), manifest.as_str()),
        (root.join("src").join("lib.rs"), &rename(TEMPLATE_LIB)),
        (root.join("golden.json"), TEMPLATE_GOLDEN),
        (root.join("README.md"), &readme),
        (root.join(".gitignore"), "/target\n"),
    ] {
        write(&path, text)?;
    }
    Ok(root)
}

fn workspace() -> Result<Table, ScaffoldError> {
    WORKSPACE_MANIFEST
        .parse()
        .map_err(|e: toml::de::Error| ScaffoldError::Template(format!("workspace manifest: {e}")))
}

fn inherited_package_field(workspace: &Table, field: &str) -> Result<Value, ScaffoldError> {
    workspace
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get(field))
        .cloned()
        .ok_or_else(|| ScaffoldError::Template(format!("no `workspace.package.{field}`")))
}

/// The template's manifest with nothing inherited: what builds on its own.
fn standalone_manifest(sdk: &SdkSource) -> Result<String, ScaffoldError> {
    let workspace = workspace()?;
    let template: Table = TEMPLATE_MANIFEST
        .parse()
        .map_err(|e: toml::de::Error| ScaffoldError::Template(format!("template manifest: {e}")))?;
    let bad = |what: &str| ScaffoldError::Template(format!("the template's {what}"));

    let mut out = String::from("[package]\n");
    let package = template
        .get("package")
        .and_then(Value::as_table)
        .ok_or_else(|| bad("[package]"))?;
    // In the order people read a manifest, then whatever else the template has.
    let first = [
        "name",
        "description",
        "version",
        "edition",
        "rust-version",
        "publish",
    ];
    let ordered = first
        .iter()
        .filter_map(|key| package.get_key_value(*key))
        .chain(
            package
                .iter()
                .filter(|(key, _)| !first.contains(&key.as_str())),
        );
    for (key, value) in ordered {
        let value = match (key.as_str(), inherits(value)) {
            // A council's plugin is its own; it is uploaded, never published.
            ("publish", _) => Value::Boolean(false),
            ("license", _) => continue,
            (_, true) => inherited_package_field(&workspace, key)?,
            (_, false) => value.clone(),
        };
        writeln!(out, "{key} = {value}").map_err(|_| bad("package"))?;
    }

    out.push_str(
        "\n[lib]\n\
         # cdylib: the wasm module `waymark plugin build` wraps into a component;\n\
         # rlib: so `cargo test` runs the rules natively.\n",
    );
    let lib = template
        .get("lib")
        .and_then(Value::as_table)
        .ok_or_else(|| bad("[lib]"))?;
    for (key, value) in lib {
        writeln!(out, "{key} = {value}").map_err(|_| bad("lib"))?;
    }

    out.push_str("\n[dependencies]\n");
    let deps = template
        .get("dependencies")
        .and_then(Value::as_table)
        .ok_or_else(|| bad("[dependencies]"))?;
    for (name, spec) in deps {
        let spec = if name == SDK {
            Value::String(sdk_version()?)
        } else if inherits(spec) {
            resolve_dependency(&workspace, name, spec)?
        } else {
            spec.clone()
        };
        writeln!(out, "{}", dependency_line(name, &spec)).map_err(|_| bad("dependencies"))?;
    }

    out.push_str(
        "\n# Its own workspace: this crate builds wherever it lives, in its own repository\n\
         # or inside another project's folder.\n\
         [workspace]\n",
    );

    if let Some(profile) = workspace
        .get("profile")
        .and_then(|p| p.get("plugin"))
        .and_then(Value::as_table)
    {
        out.push_str(
            "\n# The profile `waymark plugin build` builds with: optimised wasm, `panic = \"abort\"`.\n\
             [profile.plugin]\n",
        );
        for (key, value) in profile {
            writeln!(out, "{key} = {value}").map_err(|_| bad("profile"))?;
        }
    }

    out.push_str(
        "\n# waymark-sdk is not on crates.io yet. Until it is, build against the SDK of a\n\
         # Waymark checkout: the path is its `sdk` folder (`waymark plugin new --sdk PATH`\n\
         # writes these lines). Once the SDK is published, delete them.\n",
    );
    match sdk {
        SdkSource::Checkout(path) => {
            let path = Value::String(path.to_string_lossy().into_owned());
            writeln!(out, "[patch.crates-io]\n{SDK} = {{ path = {path} }}")
                .map_err(|_| bad("patch"))?;
        }
        SdkSource::Registry => {
            writeln!(
                out,
                "# [patch.crates-io]\n# {SDK} = {{ path = \"../waymark/sdk\" }}"
            )
            .map_err(|_| bad("patch"))?;
        }
    }
    Ok(out)
}

/// `x.workspace = true`, as a table or dotted key.
fn inherits(value: &Value) -> bool {
    value.get("workspace").and_then(Value::as_bool) == Some(true)
}

/// A `{ workspace = true, features = [...] }` dependency as the workspace defines
/// it, with the template's own extra features.
fn resolve_dependency(workspace: &Table, name: &str, spec: &Value) -> Result<Value, ScaffoldError> {
    let defined = workspace
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.get(name))
        .ok_or_else(|| {
            ScaffoldError::Template(format!("`{name}` is not a workspace dependency"))
        })?;
    let extra: Vec<Value> = spec
        .get("features")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut resolved = match defined {
        Value::String(version) => {
            let mut t = Table::new();
            t.insert("version".into(), Value::String(version.clone()));
            t
        }
        Value::Table(t) => t.clone(),
        _ => {
            return Err(ScaffoldError::Template(format!(
                "workspace dependency `{name}` is neither a version nor a table"
            )));
        }
    };
    if resolved.contains_key("path") {
        return Err(ScaffoldError::Template(format!(
            "workspace dependency `{name}` is a path: a standalone crate cannot use it"
        )));
    }
    if !extra.is_empty() {
        let features = resolved
            .entry("features")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = features {
            for f in extra {
                if !list.contains(&f) {
                    list.push(f);
                }
            }
        }
    }
    Ok(Value::Table(resolved))
}

/// A dependency as people write it: `"1.2"`, or `{ version = "1.2", features = [..] }`
/// with the version first.
fn dependency_line(name: &str, spec: &Value) -> String {
    let Some(table) = spec.as_table() else {
        return format!("{name} = {spec}");
    };
    if let (1, Some(version @ Value::String(_))) = (table.len(), table.get("version")) {
        return format!("{name} = {version}");
    }
    let fields: Vec<String> = table
        .get_key_value("version")
        .into_iter()
        .chain(table.iter().filter(|(key, _)| key.as_str() != "version"))
        .map(|(key, value)| format!("{key} = {value}"))
        .collect();
    format!("{name} = {{ {} }}", fields.join(", "))
}

fn readme(name: &str, title: &str) -> String {
    format!(
        "# {title}'s Waymark policy plugin

{title}'s rules (who is eligible, which reviews and contacts a journey needs, what
happens after a missed contact, where people go at the end of support), written in
Rust with waymark-sdk. Its guide (`sdk/README.md` in Waymark) explains the policy,
the types, native tests and golden cases.

    waymark plugin test .     # cargo test, build, then golden.json in the real sandbox
    read -rs WAYMARK_KEY && export WAYMARK_KEY    # a council admin's API key, kept out of history
    waymark plugin upload target/plugins/waymark-plugin-{name}.wasm --url https://waymark.example --council {name}

`waymark plugin versions`, `activate DIGEST` and `rollback` (same `--url` and
`--council`) manage the uploaded versions.
"
    )
}

fn write(path: &Path, text: &str) -> Result<(), ScaffoldError> {
    let fail = |source| ScaffoldError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(root: &Path) -> Table {
        std::fs::read_to_string(root.join("Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn the_scaffold_renames_crate_type_and_council() {
        let dir = tempfile::tempdir().unwrap();
        let root = scaffold("north-tyneside", dir.path(), &SdkSource::Registry).unwrap();
        let doc = manifest(&root);
        assert_eq!(
            doc["package"]["name"].as_str(),
            Some("waymark-plugin-north-tyneside")
        );
        assert_eq!(
            doc["package"]["description"].as_str(),
            Some("North Tyneside's rules, as a Waymark policy plugin")
        );
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        assert!(lib.contains("pub struct NorthTyneside;"), "{lib}");
        assert!(lib.contains("export_policy!(NorthTyneside);"));
        assert!(lib.contains("North Tyneside's rules"));
        assert!(!lib.contains("Template"), "{lib}");
        let golden = std::fs::read_to_string(root.join("golden.json")).unwrap();
        waymark_sdk::testing::golden::parse(&golden).unwrap();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        assert!(readme.contains("target/plugins/waymark-plugin-north-tyneside.wasm"));
    }

    #[test]
    fn the_manifest_inherits_nothing_and_names_the_sdk_by_version() {
        let dir = tempfile::tempdir().unwrap();
        let root = scaffold("wigan", dir.path(), &SdkSource::Registry).unwrap();
        let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(
            !text.contains(".workspace") && !text.contains("workspace = true"),
            "{text}"
        );
        let doc = manifest(&root);
        assert!(
            doc["workspace"].as_table().is_some_and(Table::is_empty),
            "{text}"
        );
        assert_eq!(
            doc["package"]["version"].as_str(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(doc["package"]["edition"].as_str(), Some("2024"));
        assert_eq!(doc["package"]["publish"].as_bool(), Some(false));
        assert_eq!(
            doc["lib"]["crate-type"],
            Value::Array(vec!["cdylib".into(), "rlib".into()])
        );
        let deps = doc["dependencies"].as_table().unwrap();
        assert_eq!(deps[SDK].as_str(), Some(sdk_version().unwrap().as_str()));
        for (name, spec) in deps {
            assert!(spec.get("path").is_none(), "{name} = {spec}");
            assert!(
                spec.as_str()
                    .or(spec.get("version").and_then(Value::as_str))
                    .is_some(),
                "{name} = {spec} has no version"
            );
        }
        assert_eq!(doc["profile"]["plugin"]["panic"].as_str(), Some("abort"));
        // Without a checkout, the documented patch lines are there, commented out.
        assert!(doc.get("patch").is_none(), "{text}");
        assert!(
            text.contains("# [patch.crates-io]\n# waymark-sdk = { path = \"../waymark/sdk\" }"),
            "{text}"
        );
    }

    #[test]
    fn dependencies_are_written_version_first() {
        let spec: Value =
            toml::from_str::<Table>("x = { features = [\"derive\"], version = \"1.0\" }").unwrap()
                ["x"]
                .clone();
        assert_eq!(
            dependency_line("serde", &spec),
            "serde = { version = \"1.0\", features = [\"derive\"] }"
        );
        let bare: Value =
            toml::from_str::<Table>("x = { version = \"2.0\" }").unwrap()["x"].clone();
        assert_eq!(dependency_line("thiserror", &bare), "thiserror = \"2.0\"");
    }

    #[test]
    fn a_checkout_sdk_is_patched_in_by_its_absolute_path() {
        let sdk_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        let sdk = SdkSource::choose(Some(&sdk_dir)).unwrap();
        let absolute = std::fs::canonicalize(&sdk_dir).unwrap();
        assert_eq!(sdk, SdkSource::Checkout(absolute.clone()));
        let dir = tempfile::tempdir().unwrap();
        let root = scaffold("wigan", dir.path(), &sdk).unwrap();
        let doc = manifest(&root);
        assert_eq!(
            doc["patch"]["crates-io"][SDK]["path"].as_str(),
            absolute.to_str()
        );
        // Built from this checkout, `waymark plugin new` finds the SDK by itself.
        assert_eq!(SdkSource::choose(None).unwrap(), sdk);
    }

    #[test]
    fn a_folder_that_is_not_the_sdk_is_refused() {
        let host = Path::new(env!("CARGO_MANIFEST_DIR"));
        let err = SdkSource::choose(Some(host)).unwrap_err();
        assert!(matches!(err, ScaffoldError::NotSdk(_)), "{err}");
        let err = SdkSource::choose(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(matches!(err, ScaffoldError::NotSdk(_)), "{err}");
    }

    #[test]
    fn the_scaffold_refuses_bad_names_and_existing_folders() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["North", "1st-council", "a b", "-x", "x-", "a--b", ""] {
            assert!(
                matches!(
                    scaffold(bad, dir.path(), &SdkSource::Registry),
                    Err(ScaffoldError::BadName(_))
                ),
                "{bad:?}"
            );
        }
        scaffold("wigan", dir.path(), &SdkSource::Registry).unwrap();
        let err = scaffold("wigan", dir.path(), &SdkSource::Registry).unwrap_err();
        assert!(matches!(err, ScaffoldError::Exists(_)), "{err}");
    }
}
