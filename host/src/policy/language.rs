//! The language a plugin is written in, as far as its budget goes.
//!
//! A Rust plugin is a few hundred kilobytes and decides in well under a million
//! instructions. A Python plugin carries CPython (a component of about 20 MB whose
//! memory starts at tens of megabytes), and a JavaScript one a JS engine, and each
//! burns far more fuel for the same rules. So each language has its own defaults
//! for size, memory and fuel ([`Language::defaults`]), all inside the platform's
//! ranges (`Limits::check`). A council that sets a field keeps its value for every
//! language; a field left at the (Rust) default takes the plugin's language's.
//!
//! The language is read from the component: a `waymark:language` section, which
//! `waymark plugin build` writes, else the name of the tool that built it
//! (componentize-py, ComponentizeJS) in the modules' `producers` sections. A plugin that
//! claims a language it is not gets only that language's budget, still inside the
//! council's ranges: the sandbox, not the claim, is what contains it.

use serde::{Deserialize, Serialize};

use super::golden::find_section;
use super::limits::Limits;

/// The custom section naming a plugin's language, written by `waymark plugin build`.
pub const LANGUAGE_SECTION: &str = "waymark:language";

/// What a plugin is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Built with waymark-sdk for `wasm32-unknown-unknown`; no runtime, no WASI.
    Rust,
    /// Built with componentize-py: CPython and the plugin's modules, snapshotted.
    Python,
    /// Built with componentize-js: a JS engine and the plugin's modules.
    JavaScript,
}

impl Language {
    /// The language a component was built from: the `waymark:language` section
    /// `waymark plugin build` writes, else the name of the tool that built it,
    /// which it leaves in the producers sections of the modules inside.
    pub fn of(component: &[u8]) -> Language {
        if let Some(named) = find_section(component, LANGUAGE_SECTION) {
            return match named {
                b"python" => Language::Python,
                b"javascript" => Language::JavaScript,
                _ => Language::Rust,
            };
        }
        let has = |needle: &[u8]| memchr::memmem::find(component, needle).is_some();
        if has(b"componentize-py") {
            Language::Python
        } else if has(b"ComponentizeJS") || has(b"componentize-js") {
            Language::JavaScript
        } else {
            Language::Rust
        }
    }

    /// This language's defaults for the fields that differ by language.
    pub fn defaults(self) -> Limits {
        let rust = Limits::default();
        match self {
            Language::Rust => rust,
            // Measured on Stoke-on-Trent's port (docs/plugins-python.md): an 18 MB
            // component, 12.6 MiB of memory, 4 to 6 million fuel a decision. The
            // defaults leave several times that headroom.
            Language::Python => Limits {
                fuel: 200_000_000,
                memory_bytes: 64 << 20,
                max_plugin_bytes: 48 << 20,
                deadline: std::time::Duration::from_millis(1_000),
                ..rust
            },
            // Measured on Stoke-on-Trent's port (docs/plugins-javascript.md): an
            // 11.7 MiB component (StarlingMonkey), 9.1 MiB of memory a decision,
            // 2.7-3.6 M fuel for eligibility and up to 17 M for a year's plan. About
            // twice the size, seven times the memory and ten times the fuel.
            Language::JavaScript => Limits {
                fuel: 200_000_000,
                memory_bytes: 64 << 20,
                max_plugin_bytes: 24 << 20,
                deadline: std::time::Duration::from_millis(1_000),
                ..rust
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
        }
    }
}

impl Limits {
    /// The limits a plugin in `language` runs under: each of fuel, memory, deadline
    /// and plugin size the council left at its (Rust) default takes the language's
    /// default; whatever the council set stays.
    pub fn for_language(&self, language: Language) -> Limits {
        let rust = Limits::default();
        let lang = language.defaults();
        fn pick<T: PartialEq>(mine: T, default: T, theirs: T) -> T {
            if mine == default { theirs } else { mine }
        }
        Limits {
            fuel: pick(self.fuel, rust.fuel, lang.fuel),
            memory_bytes: pick(self.memory_bytes, rust.memory_bytes, lang.memory_bytes),
            deadline: pick(self.deadline, rust.deadline, lang.deadline),
            max_plugin_bytes: pick(
                self.max_plugin_bytes,
                rust.max_plugin_bytes,
                lang.max_plugin_bytes,
            ),
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_languages_defaults_are_within_the_platforms_ranges() {
        for language in [Language::Rust, Language::Python, Language::JavaScript] {
            let defaults = language.defaults();
            assert_eq!(
                defaults.check(usize::MAX),
                Ok(()),
                "{language:?}: {defaults:?}"
            );
            assert!(
                defaults.memory_bytes
                    <= super::super::EngineSettings::default().memory_ceiling_bytes
            );
        }
    }

    #[test]
    fn a_councils_own_limits_win_over_the_languages_defaults() {
        let council = Limits {
            fuel: 7_000_000,
            ..Limits::default()
        };
        let python = council.for_language(Language::Python);
        assert_eq!(python.fuel, 7_000_000);
        assert_eq!(
            python.memory_bytes,
            Language::Python.defaults().memory_bytes
        );
        assert_eq!(
            Limits::default().for_language(Language::Rust),
            Limits::default()
        );
    }

    #[test]
    fn the_language_is_read_from_the_component() {
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        assert_eq!(Language::of(&component), Language::Rust);
        let mut built = component.clone();
        super::super::golden::embed_section(
            &mut built,
            "producers",
            b"\x01\x0cprocessed-by\x01\x0fcomponentize-py\x060.25.1",
        );
        assert_eq!(Language::of(&built), Language::Python);
        super::super::golden::embed_section(&mut component, LANGUAGE_SECTION, b"javascript");
        assert_eq!(Language::of(&component), Language::JavaScript);
    }
}
