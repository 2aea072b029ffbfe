//! Reading a list when some of its records are damaged: decode what can be read and
//! name the rest by key, with a short reason and never their contents, so one bad
//! record does not take a whole list (or a worker reading it) down.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// A record a list skipped because it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DamagedRecord {
    /// The record's key in the store: ids only (`council/action id`,
    /// `council/participant id`…), never personal data.
    pub key: String,
    /// Why it could not be read, without its contents. Restore it from a backup.
    pub reason: String,
}

/// One page of a list: the records read, those skipped, and whether more follow.
#[derive(Debug)]
pub struct Listed<T> {
    /// In key order; the page limit counts these only.
    pub items: Vec<T>,
    /// Damaged records met before the last item (or before the end), each once
    /// across a walk page by page.
    pub damaged: Vec<DamagedRecord>,
    /// Something follows the last item: a readable record, or a damaged one the
    /// next page names.
    pub more: bool,
}

impl<T> Listed<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The cursor of the last item (`cursor` of it) when more follow.
    pub fn next_cursor<C>(&self, cursor: impl Fn(&T) -> C) -> Option<C> {
        self.more.then(|| self.items.last().map(cursor)).flatten()
    }
}

/// Why a record did not decode, from serde_json's category and position only: its
/// message can quote the record (a name, a date of birth).
pub(super) fn unreadable_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "cut short",
        Category::Syntax => "not valid JSON",
        Category::Data => "not shaped as this Waymark expects",
        Category::Io => "unreadable",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// Decodes one record of a list; a damaged one is logged at error level by key,
/// noted in `damaged`, and `None` returned.
pub(super) fn decode_or_note<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
    damaged: &mut Vec<DamagedRecord>,
) -> Option<T> {
    note_unless(
        tree,
        key,
        serde_json::from_slice(bytes).map_err(|e| unreadable_reason(&e)),
        damaged,
    )
}

/// `read` if it worked; otherwise the record is logged and noted as damaged, with
/// `read`'s error as the reason.
pub(super) fn note_unless<T>(
    tree: &'static str,
    key: &[u8],
    read: Result<T, String>,
    damaged: &mut Vec<DamagedRecord>,
) -> Option<T> {
    match read {
        Ok(value) => Some(value),
        Err(reason) => {
            let record = DamagedRecord {
                key: String::from_utf8_lossy(key).into_owned(),
                reason,
            };
            tracing::error!(
                tree,
                key = %record.key,
                reason = %record.reason,
                "damaged record skipped; restore it from a backup"
            );
            damaged.push(record);
            None
        }
    }
}

/// Up to `limit` records of `tree` (named `name`) under `prefix`, after the record
/// keyed `after`, that decode and pass `keep`. Damaged records are skipped and named;
/// they pass every filter (what they hold is unknown) and count against no limit.
/// The caller's cursor is its last item's key, so a damaged record met only after
/// the page is full is left for the next page to name.
pub(super) fn read_page<T: DeserializeOwned>(
    tree: &sled::Tree,
    name: &'static str,
    prefix: &[u8],
    after: Option<Vec<u8>>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
) -> Result<Listed<T>, StoreError> {
    read_page_with(tree, name, prefix, after, limit, keep, |_, v| {
        serde_json::from_slice(v).map_err(|e| unreadable_reason(&e))
    })
}

/// [`read_page`] with records read by `read` (key, bytes) rather than as plain JSON.
pub(super) fn read_page_with<T>(
    tree: &sled::Tree,
    name: &'static str,
    prefix: &[u8],
    after: Option<Vec<u8>>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
    read: impl Fn(&[u8], &[u8]) -> Result<T, String>,
) -> Result<Listed<T>, StoreError> {
    let start = match after {
        Some(mut key) => {
            key.push(0);
            key
        }
        None => prefix.to_vec(),
    };
    let mut page = Listed {
        items: Vec::new(),
        damaged: Vec::new(),
        more: false,
    };
    for kv in tree.range(start..) {
        let (k, v) = kv?;
        if !k.starts_with(prefix) {
            break;
        }
        if page.items.len() >= limit {
            match read(&k, &v) {
                Ok(item) if !keep(&item) => continue,
                _ => {
                    page.more = true;
                    break;
                }
            }
        }
        if let Some(item) = note_unless(name, &k, read(&k, &v), &mut page.damaged)
            && keep(&item)
        {
            page.items.push(item);
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(records: &[(&str, &str)]) -> sled::Tree {
        let db = sled::Config::new().temporary(true).open().expect("db");
        let tree = db.open_tree("t").expect("tree");
        for (k, v) in records {
            tree.insert(k, v.as_bytes()).expect("insert");
        }
        tree
    }

    /// Walks every page of `limit` under `prefix`, as a client following cursors.
    fn walk(tree: &sled::Tree, prefix: &str, limit: usize) -> (Vec<u32>, Vec<String>, usize) {
        let (mut items, mut damaged, mut pages) = (Vec::new(), Vec::new(), 0);
        let mut after = None;
        loop {
            let page: Listed<u32> =
                read_page(tree, "t", prefix.as_bytes(), after, limit, |n| n % 10 != 7)
                    .expect("page");
            pages += 1;
            assert!(page.items.len() <= limit);
            items.extend(&page.items);
            damaged.extend(page.damaged.into_iter().map(|d| d.key));
            if !page.more {
                return (items, damaged, pages);
            }
            let last = page.items.last().expect("a page with more has items");
            after = Some(format!("{prefix}{last:02}").into_bytes());
        }
    }

    #[test]
    fn a_walk_page_by_page_skips_and_names_each_damaged_record_once() {
        let tree = tree(&[
            ("a/01", "1"),
            ("a/02", "{\"name\":\"Jane"),
            ("a/03", "3"),
            ("a/04", "\"Jane Smith\""),
            ("a/05", "nonsense"),
            ("a/06", "6"),
            ("a/07", "7"),
            ("a/08", "8"),
            ("a/09", "{"),
            ("b/01", "not this council's"),
        ]);
        for limit in 1..=5 {
            let (items, damaged, _) = walk(&tree, "a/", limit);
            assert_eq!(items, vec![1, 3, 6, 8], "limit {limit}");
            assert_eq!(
                damaged,
                vec!["a/02", "a/04", "a/05", "a/09"],
                "limit {limit}"
            );
        }
        // With a page of 2: [1, 3] naming 02; [6, 8] naming 04, 05; [] naming 09.
        assert_eq!(walk(&tree, "a/", 2).2, 3);
    }

    #[test]
    fn a_damaged_record_is_named_by_key_with_a_reason_that_quotes_nothing_of_it() {
        let tree = tree(&[("a/01", "\"Jane Smith, DE1 1AA\""), ("a/02", "2")]);
        let page: Listed<u32> = read_page(&tree, "t", b"a/", None, 10, |_| true).expect("page");
        assert_eq!(page.items, vec![2]);
        assert!(!page.more);
        let [damaged] = page.damaged.as_slice() else {
            panic!("one damaged record: {:?}", page.damaged);
        };
        assert_eq!(damaged.key, "a/01");
        assert!(
            damaged
                .reason
                .starts_with("not shaped as this Waymark expects"),
            "{}",
            damaged.reason
        );
        assert!(!damaged.reason.contains("Jane"), "{}", damaged.reason);
        assert!(!damaged.reason.contains("DE1"), "{}", damaged.reason);
    }

    #[test]
    fn a_full_page_followed_only_by_a_damaged_record_says_more_follow() {
        let tree = tree(&[("a/01", "1"), ("a/02", "{")]);
        let page: Listed<u32> = read_page(&tree, "t", b"a/", None, 1, |_| true).expect("page");
        assert_eq!(
            (page.items, page.damaged, page.more),
            (vec![1], vec![], true)
        );
        let page: Listed<u32> =
            read_page(&tree, "t", b"a/", Some(b"a/01".to_vec()), 1, |_| true).expect("page");
        assert!(page.items.is_empty());
        assert!(!page.more);
        assert_eq!(page.damaged.len(), 1);
    }
}
