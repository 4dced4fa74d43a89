//! Tab completion a learner can use: what rust-analyzer offers, cut to what a cell can reach, inserting code that
//! compiles as typed.
//!
//! evcxr asks rust-analyzer with private items of local crates switched on, and the notebook crate is a local
//! (path) crate to it, so `db.` offered the handle's private fields and `dynamo::` the module's own imports; and it
//! fills call arguments with the parameter names (`query(sql)`). Here the kernel reads the notebook crate's
//! public API from its sources ([`Api`], with rust-analyzer's own parser) and:
//!
//! - drops private fields and methods of the notebook crate's types after `.`;
//! - after `module::` or `Type::` of the notebook crate, keeps only what is public there (re-exports included);
//! - inserts the name alone (`query`), or `name()` for a function without arguments;
//! - describes each match with its signature and the first line of its doc comment
//!   (`_jupyter_types_experimental`, which JupyterLab shows beside the match).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ra_ap_syntax::ast::{self, HasDocComments, HasModuleItem, HasName, HasVisibility};
use ra_ap_syntax::{AstNode, Edition, SourceFile};
use serde_json::{Value, json};

/// One public item of the notebook crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub name: String,
    /// `pub fn query(&self, sql: &str) -> Result<Table>`.
    pub signature: String,
    /// The first line of its doc comment.
    pub doc: String,
}

/// The notebook crate's public API, read from its sources.
#[derive(Debug, Default)]
pub(crate) struct Api {
    /// Public items (and re-exported names) of each module, by module name (`""` for the crate root).
    modules: HashMap<String, Vec<Item>>,
    /// Public methods, associated functions and fields of each type, by type name.
    types: HashMap<String, Vec<Item>>,
    /// Names of private fields (`false`) and methods (`true`) of the crate's types.
    private: HashSet<(String, bool)>,
    /// Every public item by name, for the signature of a match.
    by_name: HashMap<String, Item>,
}

impl Api {
    /// Reads `notebook/src/*.rs` in the kernel's folder ([`super::kernel_dir`]); what cannot be read is left out.
    pub(crate) fn read(kernel: &Path) -> Api {
        let mut api = Api::default();
        let dir = kernel.join("notebook").join("src");
        let Ok(entries) = std::fs::read_dir(&dir) else { return api };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let module = if stem == "lib" { String::new() } else { stem };
            let file = SourceFile::parse(&text, Edition::Edition2024).tree();
            api.read_items(&module, file.items(), &text);
        }
        // A re-export names an item defined elsewhere: give it that item's signature and doc.
        for items in api.modules.values_mut().chain(api.types.values_mut()) {
            for item in items.iter_mut().filter(|i| i.signature.is_empty()) {
                if let Some(found) = api.by_name.get(&item.name) {
                    *item = found.clone();
                }
            }
        }
        api
    }

    fn read_items(&mut self, module: &str, items: ast::AstChildren<ast::Item>, text: &str) {
        for item in items {
            let public = |v: Option<ast::Visibility>| v.is_some_and(|v| v.syntax().text() == "pub");
            match &item {
                ast::Item::Fn(f) if public(f.visibility()) => self.add_module_item(module, f, text),
                ast::Item::Struct(s) => {
                    if public(s.visibility()) {
                        self.add_module_item(module, s, text);
                    }
                    let type_name = s.name().map(|n| n.text().to_string()).unwrap_or_default();
                    if let Some(ast::FieldList::RecordFieldList(fields)) = s.field_list() {
                        for field in fields.fields() {
                            let name = field.name().map(|n| n.text().to_string()).unwrap_or_default();
                            if public(field.visibility()) {
                                let item = describe(&name, &field, field.syntax().text().to_string().as_str(), text);
                                self.types.entry(type_name.clone()).or_default().push(item);
                            } else {
                                self.private.insert((name, false));
                            }
                        }
                    }
                }
                ast::Item::Enum(e) if public(e.visibility()) => self.add_module_item(module, e, text),
                ast::Item::Trait(t) if public(t.visibility()) => self.add_module_item(module, t, text),
                ast::Item::TypeAlias(t) if public(t.visibility()) => self.add_module_item(module, t, text),
                ast::Item::Const(c) if public(c.visibility()) => self.add_module_item(module, c, text),
                ast::Item::Static(s) if public(s.visibility()) => self.add_module_item(module, s, text),
                ast::Item::Module(m) => {
                    let name = m.name().map(|n| n.text().to_string()).unwrap_or_default();
                    if public(m.visibility()) {
                        self.add_module_item(module, m, text);
                    }
                    if let Some(list) = m.item_list() {
                        self.read_items(&name, list.items(), text);
                    }
                }
                ast::Item::Use(u) if public(u.visibility()) => {
                    if let Some(tree) = u.use_tree() {
                        let mut names = Vec::new();
                        use_names(&tree, &mut names);
                        let items = self.modules.entry(module.to_string()).or_default();
                        for name in names {
                            items.push(Item { name, signature: String::new(), doc: String::new() });
                        }
                    }
                }
                ast::Item::Impl(i) if i.trait_().is_none() => {
                    let type_name = i
                        .self_ty()
                        .map(|t| t.syntax().text().to_string())
                        .map(|t| t.rsplit("::").next().unwrap_or_default().to_string())
                        .unwrap_or_default();
                    for assoc in i.assoc_item_list().into_iter().flat_map(|l| l.assoc_items()) {
                        if let ast::AssocItem::Fn(f) = assoc {
                            let name = f.name().map(|n| n.text().to_string()).unwrap_or_default();
                            if public(f.visibility()) {
                                let item = describe(&name, &f, &signature(&f, text), text);
                                self.by_name.entry(name.clone()).or_insert_with(|| item.clone());
                                self.types.entry(type_name.clone()).or_default().push(item);
                            } else {
                                self.private.insert((name, true));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn add_module_item(&mut self, module: &str, node: &(impl HasName + HasDocComments), text: &str) {
        let name = node.name().map(|n| n.text().to_string()).unwrap_or_default();
        let sig = match ast::Fn::cast(node.syntax().clone()) {
            Some(f) => signature(&f, text),
            None => header(node.syntax()),
        };
        let item = describe(&name, node, &sig, text);
        self.by_name.insert(name, item.clone());
        self.modules.entry(module.to_string()).or_default().push(item);
    }

    /// The public item called `name` that a completion's code (`query(sql)`) means: several types have a `query`
    /// (Db's takes `sql`, Dynamo's `table, params`), so the one whose parameter names are the code's, types in
    /// name order; any item of that name otherwise.
    fn named_like(&self, name: &str, code: &str) -> Option<&Item> {
        let params = |text: &str| -> Option<Vec<String>> {
            let inner = text.split_once('(')?.1.split_once(')')?.0;
            let names = inner.split(',').map(|p| p.split(':').next().unwrap_or_default().trim().to_string());
            Some(names.filter(|n| !n.is_empty() && n != "&self" && n != "self" && n != "&mut self").collect())
        };
        let wanted = params(code);
        let mut types: Vec<(&String, &Vec<Item>)> = self.types.iter().collect();
        types.sort_by_key(|(ty, _)| *ty);
        let same = types
            .into_iter()
            .flat_map(|(_, items)| items)
            .find(|i| i.name == name && wanted.is_some() && params(&i.signature) == wanted);
        same.or_else(|| self.by_name.get(name))
    }

    /// The public items a path names: `dynamo`, `sourcelab_notebook::dynamo`, `Db`; `None` when the path is not
    /// one of the notebook crate's modules or types.
    fn members_of(&self, path: &str) -> Option<&[Item]> {
        let last = path.rsplit("::").next().unwrap_or_default();
        if path == "sourcelab_notebook" {
            return self.modules.get("").map(Vec::as_slice);
        }
        self.types.get(last).or_else(|| self.modules.get(last)).map(Vec::as_slice)
    }
}

/// The names a `pub use` tree brings in (`a::{B, c::D as E}` → `B`, `E`).
fn use_names(tree: &ast::UseTree, out: &mut Vec<String>) {
    if let Some(list) = tree.use_tree_list() {
        for sub in list.use_trees() {
            use_names(&sub, out);
        }
        return;
    }
    if let Some(rename) = tree.rename().and_then(|r| r.name()) {
        out.push(rename.text().to_string());
    } else if let Some(segment) = tree.path().and_then(|p| p.segment()) {
        out.push(segment.syntax().text().to_string());
    }
}

/// A function's text from its visibility (or `fn`) to its body, on one line.
fn signature(f: &ast::Fn, text: &str) -> String {
    let start = f
        .visibility()
        .map(|v| v.syntax().text_range().start())
        .or_else(|| f.fn_token().map(|t| t.text_range().start()));
    let end = f.body().map(|b| b.syntax().text_range().start()).unwrap_or_else(|| f.syntax().text_range().end());
    match start {
        Some(start) if start <= end => one_line(&text[usize::from(start)..usize::from(end)]),
        _ => String::new(),
    }
}

/// An item's first line without doc comments and attributes (`pub struct Db`).
fn header(node: &ra_ap_syntax::SyntaxNode) -> String {
    let text = node.text().to_string();
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("#["))
        .unwrap_or_default();
    one_line(line.trim_end_matches(['{', ';', ' ']))
}

fn describe(name: &str, node: &impl HasDocComments, signature: &str, _text: &str) -> Item {
    let doc = node
        .doc_comments()
        .filter_map(|c| c.doc_comment().map(|(d, _)| d.trim().to_string()))
        .find(|d| !d.is_empty())
        .unwrap_or_default();
    Item { name: name.to_string(), signature: one_line(signature.trim_end_matches(',')), doc }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `complete_reply`'s content: matches, where they go, and what each is.
#[derive(Debug, PartialEq)]
pub(crate) struct Reply {
    pub matches: Vec<String>,
    pub start: usize,
    pub end: usize,
    /// `_jupyter_types_experimental`.
    pub types: Vec<Value>,
}

/// Names that evcxr and the kernel use inside cells, never offered.
fn internal(name: &str) -> bool {
    name.starts_with("evcxr_") || name.starts_with("Evcxr") || name.starts_with("__")
}

/// One of rust-analyzer's completions, as evcxr gives it: the text it would insert, its kind (`function`,
/// `instance`, `class`, …) and its label.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub code: String,
    pub kind: String,
    pub label: String,
}

/// rust-analyzer's completions: what replaces the text between `start` and `end` (byte offsets).
#[derive(Debug, Clone)]
pub(crate) struct Completions {
    pub items: Vec<Found>,
    pub start: usize,
    pub end: usize,
}

impl From<evcxr::Completions> for Completions {
    fn from(c: evcxr::Completions) -> Self {
        let items = c
            .completions
            .into_iter()
            .map(|c| Found { code: c.code, kind: c.kind.to_string(), label: c.label })
            .collect();
        Completions { items, start: c.start_offset, end: c.end_offset }
    }
}

/// Turns rust-analyzer's completions of `code` (byte offsets) into what a learner can use.
pub(crate) fn refine(api: &Api, code: &str, found: &Completions) -> Reply {
    let before = code.get(..found.start).unwrap_or_default();
    let member = before.trim_end().ends_with('.');
    let path = before.strip_suffix("::").map(|p| {
        let start = p.rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).map_or(0, |i| i + 1);
        &p[start..]
    });
    let allowed = path.and_then(|p| api.members_of(p));
    let mut seen = HashSet::new();
    let mut reply = Reply { matches: Vec::new(), start: found.start, end: found.end, types: Vec::new() };
    for c in &found.items {
        let is_fn = c.kind == "function";
        let (name, text) = insert_text(&c.code, is_fn);
        if name.is_empty() || internal(&name) {
            continue;
        }
        if member && api.private.contains(&(name.clone(), is_fn)) {
            continue;
        }
        let item = match allowed {
            Some(items) => match items.iter().find(|i| i.name == name) {
                Some(item) => Some(item),
                None => continue,
            },
            None => api.named_like(&name, &c.code),
        };
        if !seen.insert(text.clone()) {
            continue;
        }
        let signature = match item {
            Some(i) if i.doc.is_empty() => i.signature.clone(),
            Some(i) => format!("{} — {}", i.signature, i.doc),
            None => c.label.clone(),
        };
        let ours = item.is_some();
        let entry = json!({
            "start": char_offset(code, reply.start),
            "end": char_offset(code, reply.end),
            "text": text,
            "type": c.kind,
            "signature": signature,
        });
        // The notebook crate's own items first (`query` before `clone()`), in rust-analyzer's order otherwise.
        let at = if ours { reply.matches.iter().take_while(|m| is_ours(api, m)).count() } else { reply.matches.len() };
        reply.types.insert(at, entry);
        reply.matches.insert(at, text);
    }
    reply
}

/// Whether a match already placed is one of the notebook crate's items (they stay in front).
fn is_ours(api: &Api, text: &str) -> bool {
    api.by_name.contains_key(text.trim_end_matches("()"))
}

/// The name a completion inserts, and the text: `query(sql)` → `query`; `tables()` stays (no arguments to fill).
fn insert_text(code: &str, is_fn: bool) -> (String, String) {
    match code.find('(') {
        Some(open) if is_fn => {
            let name = code[..open].to_string();
            let text = if code[open..] == *"()" { code.to_string() } else { name.clone() };
            (name, text)
        }
        _ => (code.to_string(), code.to_string()),
    }
}

/// A byte offset of `code` as a count of characters (Jupyter counts unicode characters).
pub(crate) fn char_offset(code: &str, byte: usize) -> usize {
    code.get(..byte).map_or_else(|| code.chars().count(), |s| s.chars().count())
}

/// A character offset as a byte offset of `code`.
pub(crate) fn byte_offset(code: &str, chars: usize) -> usize {
    code.char_indices().nth(chars).map_or(code.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        Api::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("kernel"))
    }

    #[test]
    fn reads_the_public_api_of_the_notebook_crate() {
        let api = api();
        let db = api.types.get("Db").expect("Db's methods");
        let query = db.iter().find(|i| i.name == "query").expect("Db::query");
        assert_eq!(query.signature, "pub fn query(&self, sql: &str) -> Result<Table>");
        assert!(query.doc.starts_with("Runs one statement that returns rows"), "{}", query.doc);
        assert!(api.private.contains(&("h".to_string(), false)), "Db's private field h");
        let dynamo = api.modules.get("dynamo").expect("module dynamo");
        assert!(dynamo.iter().any(|i| i.name == "Dynamo"));
        assert!(!dynamo.iter().any(|i| ["Shared", "Path", "Result"].contains(&i.name.as_str())));
    }

    #[test]
    fn offers_public_members_and_inserts_names_only() {
        let api = api();
        let completion = |code: &str, kind: &str| Found { code: code.into(), kind: kind.into(), label: code.into() };
        let code = "db.qu";
        let found = Completions {
            items: vec![
                completion("h", "instance"),
                completion("text", "instance"),
                completion("query(sql)", "function"),
                completion("tables()", "function"),
                completion("clone()", "function"),
            ],
            start: 3,
            end: 5,
        };
        let reply = refine(&api, code, &found);
        assert_eq!(reply.matches, vec!["query", "tables()", "clone()"]);
        let ours_first = Completions {
            items: vec![completion("clone()", "function"), completion("execute(sql)", "function")],
            start: 3,
            end: 3,
        };
        assert_eq!(refine(&api, "db.", &ours_first).matches, vec!["execute", "clone()"]);
        assert_eq!(
            reply.types[0]["signature"].as_str().map(|s| s.starts_with("pub fn query(&self, sql: &str)")),
            Some(true)
        );
        let path = Completions {
            items: vec![completion("Shared", "class"), completion("Dynamo", "class"), completion("Path", "class")],
            start: 8,
            end: 8,
        };
        assert_eq!(refine(&api, "dynamo::", &path).matches, vec!["Dynamo"]);
    }

    #[test]
    fn converts_offsets_between_characters_and_bytes() {
        let code = "let é = 1; é.";
        assert_eq!(byte_offset(code, char_offset(code, code.len())), code.len());
        assert_eq!(char_offset(code, 6), 5);
    }
}
