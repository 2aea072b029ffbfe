//! `waymark plugin new NAME --lang javascript`: a JavaScript plugin project that
//! lives in its own repository, from `examples/plugin-template-javascript` (whose
//! own tests scripts/test runs, so the scaffold passes out of the box).
//!
//! The project depends on `waymark-sdk` for JavaScript. Until that is on npm, the
//! dependency is the `sdk/javascript` folder of a Waymark checkout (`--sdk PATH`,
//! or the checkout this binary was built from): `"file:/…/sdk/javascript"`. Once
//! the SDK is published, that line becomes a version.

use std::path::{Path, PathBuf};

use super::scaffold::ScaffoldError;

const TEMPLATE_PACKAGE: &str =
    include_str!("../../../examples/plugin-template-javascript/package.json");
const TEMPLATE_POLICY: &str =
    include_str!("../../../examples/plugin-template-javascript/src/policy.js");
const TEMPLATE_TEST: &str =
    include_str!("../../../examples/plugin-template-javascript/test/policy.test.js");
const TEMPLATE_GOLDEN: &str =
    include_str!("../../../examples/plugin-template-javascript/golden.json");

/// The JavaScript SDK of the checkout this binary was built from.
const BUILT_FROM_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk/javascript");

/// The JavaScript SDK folder to depend on: `given` (the `sdk` folder of a checkout,
/// or its `sdk/javascript`), else the built-from checkout's if it is still there.
pub fn sdk_folder(given: Option<&Path>) -> Result<PathBuf, ScaffoldError> {
    let is_sdk = |dir: &Path| {
        std::fs::read_to_string(dir.join("package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|doc| doc["name"] == "waymark-sdk")
    };
    let candidates: Vec<PathBuf> = match given {
        Some(path) => vec![path.join("javascript"), path.to_owned()],
        None => vec![PathBuf::from(BUILT_FROM_SDK)],
    };
    candidates
        .into_iter()
        .find(|dir| is_sdk(dir))
        .and_then(|dir| std::fs::canonicalize(dir).ok())
        .ok_or_else(|| {
            ScaffoldError::NotSdk(
                given.map_or_else(|| PathBuf::from(BUILT_FROM_SDK), Path::to_owned),
            )
        })
}

/// Writes a new JavaScript plugin project `dir/name` from the template, named after
/// `name`, depending on the SDK in `sdk`. Returns the project's folder.
pub fn scaffold_javascript(name: &str, dir: &Path, sdk: &Path) -> Result<PathBuf, ScaffoldError> {
    check_name(name)?;
    let root = dir.join(name);
    if root.exists() {
        return Err(ScaffoldError::Exists(root));
    }
    let title = title_of(name);
    let rename = |text: &str| text.replace("Template Council", &title);
    let mut package: serde_json::Value = serde_json::from_str(TEMPLATE_PACKAGE).map_err(|e| {
        ScaffoldError::Template(format!("the JavaScript template's package.json: {e}"))
    })?;
    package["name"] = name.into();
    package["description"] = format!("{title}'s rules, as a Waymark policy plugin").into();
    package["dependencies"]["waymark-sdk"] = format!("file:{}", sdk.display()).into();
    let package = serde_json::to_string_pretty(&package)
        .map_err(|e| ScaffoldError::Template(e.to_string()))?;
    let readme = format!(
        "# {title}'s Waymark policy plugin\n\n\
         The rules are in `src/policy.js`, their tests in `test/`, and the decisions the\n\
         plugin promises in `golden.json` (the daemon checks them again on upload).\n\n\
         ```\n\
         waymark plugin test .          # npm install, node --test, build, golden cases in the sandbox\n\
         waymark plugin upload dist/{name}.wasm --url https://waymark.example.gov.uk --council {name}\n\
         ```\n\n\
         `node --test` runs the rules alone. The guide is `docs/plugins-javascript.md` in Waymark.\n"
    );
    for (path, text) in [
        (root.join("package.json"), format!("{package}\n")),
        (root.join("src").join("policy.js"), rename(TEMPLATE_POLICY)),
        (
            root.join("test").join("policy.test.js"),
            rename(TEMPLATE_TEST),
        ),
        (root.join("golden.json"), TEMPLATE_GOLDEN.to_owned()),
        (root.join("README.md"), readme),
        (root.join(".gitignore"), "node_modules/\ndist/\n".to_owned()),
    ] {
        write(&path, &text)?;
    }
    Ok(root)
}

/// Lower-case letters, digits and single hyphens, starting with a letter: the
/// same names `waymark plugin new` takes for Rust.
fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        Ok(())
    } else {
        Err(ScaffoldError::BadName(name.to_owned()))
    }
}

/// `north-tyneside` as people write it: "North Tyneside".
fn title_of(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
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

    #[test]
    fn the_project_is_named_and_points_at_the_sdk() {
        let dir = tempfile::tempdir().unwrap();
        let sdk = sdk_folder(None).expect("this checkout's JavaScript SDK");
        let root = scaffold_javascript("north-tyneside", dir.path(), &sdk).unwrap();
        let package: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("package.json")).unwrap())
                .unwrap();
        assert_eq!(package["name"], "north-tyneside");
        assert_eq!(
            package["dependencies"]["waymark-sdk"],
            format!("file:{}", sdk.display())
        );
        let policy = std::fs::read_to_string(root.join("src/policy.js")).unwrap();
        assert!(policy.contains("name: \"North Tyneside\""), "{policy}");
        assert!(matches!(
            scaffold_javascript("north-tyneside", dir.path(), &sdk),
            Err(ScaffoldError::Exists(_))
        ));
        assert!(matches!(
            scaffold_javascript("North Tyneside", dir.path(), &sdk),
            Err(ScaffoldError::BadName(_))
        ));
    }

    #[test]
    fn a_folder_that_is_not_the_sdk_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            sdk_folder(Some(dir.path())),
            Err(ScaffoldError::NotSdk(_))
        ));
    }
}
