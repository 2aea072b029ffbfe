//! Markup that escapes by default.
//!
//! [`html!`] is `format!` for HTML: its format string is trusted markup written in
//! this crate, and every argument is escaped on the way in — a council name, a
//! plugin's reason, a key's label. The only way to put markup into markup is a
//! [`Markup`] value, and the only way to make one is [`html!`] (or [`Markup::new`],
//! empty), so nothing from the store or a plugin can reach a page unescaped.
//!
//! Arguments are always positional (`{}`): an inline `{name}` would be formatted
//! with `Display` and so unescaped; `no_inline_arguments_in_markup` fails on one.

use std::fmt;

/// HTML built by [`html!`]: safe to send as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Markup(String);

impl Markup {
    pub fn new() -> Markup {
        Markup(String::new())
    }

    #[doc(hidden)]
    pub fn from_escaped_args(args: fmt::Arguments<'_>) -> Markup {
        Markup(fmt::format(args))
    }

    pub fn push(&mut self, more: Markup) {
        self.0.push_str(&more.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromIterator<Markup> for Markup {
    fn from_iter<I: IntoIterator<Item = Markup>>(iter: I) -> Markup {
        let mut out = Markup::new();
        for m in iter {
            out.push(m);
        }
        out
    }
}

/// How a value goes into markup: escaped, unless it already is markup.
pub trait Render {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// Escapes the five characters that matter in text and in quoted attributes.
pub fn escape(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            _ => continue,
        };
        f.write_str(&s[last..i])?;
        f.write_str(rep)?;
        last = i + c.len_utf8();
    }
    f.write_str(&s[last..])
}

impl Render for Markup {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Render for str {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape(self, f)
    }
}

impl Render for String {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape(self, f)
    }
}

impl<T: Render + ?Sized> Render for &T {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).render(f)
    }
}

impl<T: Render> Render for Option<T> {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(v) => v.render(f),
            None => Ok(()),
        }
    }
}

/// A JSON value from the API: a string as its text, anything else as JSON; escaped.
impl Render for serde_json::Value {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            serde_json::Value::String(s) => escape(s, f),
            serde_json::Value::Null => Ok(()),
            other => escape(&other.to_string(), f),
        }
    }
}

macro_rules! render_display {
    ($($t:ty),*) => {$(
        impl Render for $t {
            fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                escape(&self.to_string(), f)
            }
        }
    )*};
}
render_display!(
    u8,
    u16,
    u32,
    u64,
    usize,
    i32,
    i64,
    f64,
    bool,
    char,
    chrono::NaiveDate
);

/// The `Display` adapter [`html!`] wraps each argument in.
#[doc(hidden)]
pub struct Escaped<'a, T: ?Sized>(pub &'a T);

impl<T: Render + ?Sized> fmt::Display for Escaped<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.render(f)
    }
}

/// `html!("<td>{}</td>", name)`: markup with every argument escaped.
macro_rules! html {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {
        $crate::console::html::Markup::from_escaped_args(format_args!(
            $fmt $(, $crate::console::html::Escaped(&$arg))*
        ))
    };
}
pub(crate) use html;

#[cfg(test)]
mod tests {
    #[test]
    fn arguments_are_escaped_and_markup_is_not() {
        let name = "<img src=x onerror=alert(1)>";
        let cell = html!("<td title=\"{}\">{}</td>", name, "a & 'b'");
        let row = html!("<tr>{}</tr>", cell);
        assert_eq!(
            row.into_string(),
            "<tr><td title=\"&lt;img src=x onerror=alert(1)&gt;\">a &amp; &#39;b&#39;</td></tr>"
        );
    }

    #[test]
    fn json_strings_are_text_and_other_values_json() {
        let v = serde_json::json!({"a": "<b>"});
        assert_eq!(
            html!("{}|{}", v["a"], v).into_string(),
            "&lt;b&gt;|{&quot;a&quot;:&quot;&lt;b&gt;&quot;}"
        );
    }

    /// An inline `{name}` in a format string would skip escaping: none in the console.
    #[test]
    fn no_inline_arguments_in_markup() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console");
        for entry in std::fs::read_dir(&dir).expect("console folder") {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for (i, piece) in text.split("html!(").enumerate().skip(1) {
                let Some(lit) = piece.trim_start().strip_prefix('"') else {
                    continue;
                };
                let lit = lit.split("\",").next().unwrap_or(lit);
                let bytes = lit.as_bytes();
                for w in bytes.windows(2) {
                    assert!(
                        !(w[0] == b'{' && (w[1].is_ascii_alphabetic() || w[1] == b'_')),
                        "{}: html! number {i} has an inline argument: {}",
                        path.display(),
                        &lit[..lit.len().min(80)]
                    );
                }
            }
        }
    }
}
