//! The languages a council developer can write a plugin in, and how to tell which
//! one a project folder is.

use std::path::Path;

/// A plugin project's language: picks the template `waymark plugin new` writes and
/// the tools `waymark plugin build | test` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// A Rust crate with waymark-sdk, built for `wasm32-unknown-unknown`.
    Rust,
    /// A Python project with waymark-sdk for Python, built with componentize-py.
    Python,
    /// An npm project with waymark-sdk for JavaScript, built with ComponentizeJS.
    #[value(name = "javascript", alias = "js")]
    JavaScript,
}

impl Lang {
    /// The language of the project in `dir`, by the file that marks it: a Rust
    /// crate's `Cargo.toml`, a Python plugin's `app.py`, a JavaScript plugin's
    /// `package.json`. `None` if none.
    pub fn of_project(dir: &Path) -> Option<Lang> {
        if dir.join("Cargo.toml").is_file() {
            Some(Lang::Rust)
        } else if dir.join(super::python::ENTRY_POINT).is_file() {
            Some(Lang::Python)
        } else if dir.join("package.json").is_file() {
            Some(Lang::JavaScript)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_known_by_its_marker_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Lang::of_project(dir.path()), None);
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        assert_eq!(Lang::of_project(dir.path()), Some(Lang::JavaScript));
        std::fs::write(dir.path().join("app.py"), "").unwrap();
        assert_eq!(Lang::of_project(dir.path()), Some(Lang::Python));
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        assert_eq!(Lang::of_project(dir.path()), Some(Lang::Rust));
    }
}
