//! File-level import cycles inside each crate of the workspace.
//!
//! Two files that import each other (directly or through others) cannot be read, tested or
//! moved apart: the invariant is that the graph of `use` paths between the files of a crate
//! has no cycle. An edge goes from a file to the file that defines what it names, following
//! `pub use` re-exports (a name imported through `lib.rs` counts as imported from the file that
//! defines it). Two kinds of edges are not counted:
//!
//! - between a module and its own ancestors (a child using its parent's items, a parent
//!   re-exporting its children's): a module and the tree below it are one facade;
//! - from test code (`#[cfg(test)]` modules, inline or in their own files): tests are not part
//!   of the crate's structure.
//!
//! The source is read with a small lexer (comments, strings, raw strings and char literals are
//! blanked), not a Rust parser, so that the check needs no dependency; the cases it handles are
//! the ones this workspace uses, and the unit tests pin them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One source file of a crate.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in reports (relative to the workspace root).
    pub display: String,
    /// The module path inside its crate (`["agents", "common"]`; empty for the crate root).
    pub module: Vec<String>,
    /// The source text.
    pub source: String,
}

/// One cycle: the files that import each other, and the imports between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The files, sorted.
    pub files: Vec<String>,
    /// `(importer, imported)` pairs inside the cycle, sorted.
    pub edges: Vec<(String, String)>,
}

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "import cycle: {}", self.files.join(" <-> "))?;
        for (from, to) in &self.edges {
            writeln!(f, "    {from} imports {to}")?;
        }
        Ok(())
    }
}

/// The cycles of every crate under `root` (`crates/*/src`, `migration/src`, `xtask/src`).
///
/// # Errors
/// A source directory or file that cannot be read.
pub fn workspace_cycles(root: &Path) -> Result<Vec<Cycle>> {
    let mut sources = Vec::new();
    let crates = root.join("crates");
    for entry in std::fs::read_dir(&crates).with_context(|| format!("read {}", crates.display()))? {
        sources.push(entry?.path().join("src"));
    }
    sources.push(root.join("migration/src"));
    sources.push(root.join("xtask/src"));
    sources.sort();
    let mut cycles = Vec::new();
    for src in sources.into_iter().filter(|src| src.is_dir()) {
        let files = crate_files(root, &src)?;
        cycles.extend(find_cycles(&files));
    }
    Ok(cycles)
}

/// The files of the crate whose sources are in `src`, test files excluded.
fn crate_files(root: &Path, src: &Path) -> Result<Vec<SourceFile>> {
    let mut paths = Vec::new();
    collect_rs(src, &mut paths)?;
    let has_lib = src.join("lib.rs").is_file();
    let mut files = Vec::new();
    let mut test_files = BTreeSet::new();
    for path in paths {
        let relative = path.strip_prefix(src).unwrap_or(&path);
        // A binary next to a library only uses the library by its crate name.
        if has_lib && relative == Path::new("main.rs") {
            continue;
        }
        let source =
            std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        let directory = path.parent().unwrap_or(src);
        for test_file in test_module_files(&path, &source) {
            test_files.insert(normalise(&directory.join(test_file)));
        }
        files.push((path.clone(), module_of(relative), source));
    }
    Ok(files
        .into_iter()
        .filter(|(path, _, _)| !test_files.contains(&normalise(path)))
        .map(|(path, module, source)| SourceFile {
            display: path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string(),
            module,
            source,
        })
        .collect())
}

fn collect_rs(directory: &Path, into: &mut Vec<PathBuf>) -> Result<()> {
    for entry in
        std::fs::read_dir(directory).with_context(|| format!("read {}", directory.display()))?
    {
        let path = entry?.path();
        if path.is_dir() {
            collect_rs(&path, into)?;
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
    into.sort();
    Ok(())
}

fn normalise(path: &Path) -> PathBuf {
    let mut parts = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            other => parts.push(other),
        }
    }
    parts
}

/// `agents/common.rs` → `["agents", "common"]`; `lib.rs`, `main.rs` and `mod.rs` name their
/// directory's module.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|component| component.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|last| matches!(last.as_str(), "lib" | "main" | "mod"))
    {
        parts.pop();
    }
    parts
}

/// The files (relative to `path`'s directory) of the `#[cfg(test)] mod name;` declarations of
/// a file: `name.rs` and `name/mod.rs` next to a root file, `<file stem>/name.rs` next to a
/// plain file, or the `#[path]` given.
fn test_module_files(path: &Path, source: &str) -> Vec<PathBuf> {
    let original: Vec<char> = source.chars().collect();
    let blank = blank_literals(source);
    let chars: Vec<char> = blank.chars().collect();
    let is_root = path
        .file_name()
        .is_some_and(|name| matches!(name.to_str(), Some("lib.rs" | "main.rs" | "mod.rs")));
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = find_word(&chars, "mod", at) {
        at = start + 3;
        let Some((name, after)) = identifier_after(&chars, at) else {
            continue;
        };
        let next = skip_whitespace(&chars, after);
        if chars.get(next) != Some(&';') {
            continue;
        }
        let attributes = attributes_before(&chars, start);
        if !chars[attributes..start]
            .iter()
            .collect::<String>()
            .contains("cfg(test)")
        {
            continue;
        }
        let declared: String = original[attributes..start].iter().collect();
        if let Some(explicit) = path_attribute(&declared) {
            found.push(PathBuf::from(explicit));
        } else if is_root {
            found.push(PathBuf::from(format!("{name}.rs")));
            found.push(PathBuf::from(format!("{name}/mod.rs")));
        } else {
            found.push(PathBuf::from(format!("{stem}/{name}.rs")));
        }
    }
    found
}

/// The value of `#[path = "…"]` in an attribute block, if any.
fn path_attribute(attributes: &str) -> Option<String> {
    let start = attributes.find("path")?;
    let rest = &attributes[start..];
    let open = rest.find('"')?;
    let close = rest[open + 1..].find('"')?;
    Some(rest[open + 1..open + 1 + close].to_owned())
}

/// Where the attributes (`#[…]`, `pub`, `pub(crate)`) before the item at `item` begin.
fn attributes_before(chars: &[char], item: usize) -> usize {
    let mut start = item;
    loop {
        let mut at = start;
        while at > 0 && chars[at - 1].is_whitespace() {
            at -= 1;
        }
        if at > 0 && chars[at - 1] == ']' {
            // Walk back to the matching `#[`.
            let mut depth = 0usize;
            let mut scan = at;
            while scan > 0 {
                scan -= 1;
                match chars[scan] {
                    ']' => depth += 1,
                    '[' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if scan > 0 && chars[scan - 1] == '#' {
                start = scan - 1;
                continue;
            }
            return start;
        }
        let word_end = at;
        let mut word_start = at;
        if word_end > 0 && chars[word_end - 1] == ')' {
            // `pub(crate)`: step over the parenthesis.
            while word_start > 0 && chars[word_start - 1] != '(' {
                word_start -= 1;
            }
            word_start = word_start.saturating_sub(1);
        }
        let mut ident_start = word_start;
        while ident_start > 0 && is_ident(chars[ident_start - 1]) {
            ident_start -= 1;
        }
        if chars[ident_start..word_start].iter().collect::<String>() == "pub" {
            start = ident_start;
            continue;
        }
        return start;
    }
}

/// The source with comments, strings, raw strings and char literals blanked (same length in
/// chars, newlines kept), so that what remains is code.
pub fn blank_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out: Vec<char> = chars.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for slot in out.iter_mut().take(to.min(chars.len())).skip(from) {
            if *slot != '\n' {
                *slot = ' ';
            }
        }
    };
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        let after_ident = at > 0 && is_ident(chars[at - 1]);
        if c == '/' && next == Some('/') {
            let end = chars[at..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |offset| at + offset);
            blank(&mut out, at, end);
            at = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            let mut end = at;
            while end < chars.len() {
                if chars[end] == '/' && chars.get(end + 1) == Some(&'*') {
                    depth += 1;
                    end += 2;
                } else if chars[end] == '*' && chars.get(end + 1) == Some(&'/') {
                    depth -= 1;
                    end += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    end += 1;
                }
            }
            blank(&mut out, at, end);
            at = end;
        } else if !after_ident && (c == 'r' || (c == 'b' && next == Some('r'))) && {
            let hashes_from = if c == 'b' { at + 2 } else { at + 1 };
            let mut quote = hashes_from;
            while chars.get(quote) == Some(&'#') {
                quote += 1;
            }
            chars.get(quote) == Some(&'"')
        } {
            let hashes_from = if c == 'b' { at + 2 } else { at + 1 };
            let mut quote = hashes_from;
            while chars.get(quote) == Some(&'#') {
                quote += 1;
            }
            let hashes = quote - hashes_from;
            let mut end = quote + 1;
            while end < chars.len() {
                if chars[end] == '"' && (1..=hashes).all(|k| chars.get(end + k) == Some(&'#')) {
                    break;
                }
                end += 1;
            }
            blank(&mut out, quote + 1, end);
            at = end + 1 + hashes;
        } else if c == '"' {
            let mut end = at + 1;
            while end < chars.len() && chars[end] != '"' {
                end += if chars[end] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, at + 1, end);
            at = end + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            if next == Some('\\') {
                let mut end = at + 2;
                while end < chars.len() && chars[end] != '\'' {
                    end += 1;
                }
                blank(&mut out, at + 1, end);
                at = end + 1;
            } else if chars.get(at + 2) == Some(&'\'') {
                blank(&mut out, at + 1, at + 2);
                at += 3;
            } else {
                at += 1;
            }
        } else {
            at += 1;
        }
    }
    out.into_iter().collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The next occurrence of `word` as a whole word at or after `from`.
fn find_word(chars: &[char], word: &str, from: usize) -> Option<usize> {
    let word: Vec<char> = word.chars().collect();
    let mut at = from;
    while at + word.len() <= chars.len() {
        if chars[at..at + word.len()] == word[..]
            && (at == 0 || !is_ident(chars[at - 1]))
            && chars.get(at + word.len()).is_none_or(|&c| !is_ident(c))
        {
            return Some(at);
        }
        at += 1;
    }
    None
}

fn skip_whitespace(chars: &[char], mut at: usize) -> usize {
    while at < chars.len() && chars[at].is_whitespace() {
        at += 1;
    }
    at
}

/// The identifier after whitespace from `at`, and where it ends.
fn identifier_after(chars: &[char], at: usize) -> Option<(String, usize)> {
    let start = skip_whitespace(chars, at);
    let mut end = start;
    while end < chars.len() && is_ident(chars[end]) {
        end += 1;
    }
    (end > start).then(|| (chars[start..end].iter().collect(), end))
}

/// A piece of a file's code and the module it is in (the file's module, or an inline module
/// inside it).
struct Scope {
    module: Vec<String>,
    code: Vec<char>,
}

/// Splits blanked code into the file's own scope and its inline modules (`mod name { … }`),
/// leaving out `#[cfg(test)]` ones.
fn scopes(module: &[String], code: &[char]) -> Vec<Scope> {
    let mut own = code.to_vec();
    let mut inner = Vec::new();
    let mut at = 0;
    while let Some(start) = find_word(code, "mod", at) {
        at = start + 3;
        let Some((name, after)) = identifier_after(code, at) else {
            continue;
        };
        let open = skip_whitespace(code, after);
        if code.get(open) != Some(&'{') {
            continue;
        }
        let mut depth = 0usize;
        let mut close = open;
        while close < code.len() {
            match code[close] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            close += 1;
        }
        let attributes = attributes_before(code, start);
        let is_test = code[attributes..start]
            .iter()
            .collect::<String>()
            .contains("cfg(test)");
        if !is_test {
            let mut child = module.to_vec();
            child.push(name);
            inner.extend(scopes(&child, &code[open + 1..close.min(code.len())]));
        }
        for slot in own.iter_mut().take(close.min(code.len())).skip(open + 1) {
            *slot = ' ';
        }
        at = close;
    }
    let mut all = vec![Scope {
        module: module.to_vec(),
        code: own,
    }];
    all.extend(inner);
    all
}

/// One `use` path: its segments (the last may be `*`), the name it binds, and whether it is
/// `pub` (a re-export).
#[derive(Debug, Clone, PartialEq, Eq)]
struct UsePath {
    segments: Vec<String>,
    binds: String,
    public: bool,
}

/// Every `use` of a scope, brace groups expanded.
fn use_paths(code: &[char]) -> Vec<UsePath> {
    let mut paths = Vec::new();
    let mut at = 0;
    while let Some(start) = find_word(code, "use", at) {
        at = start + 3;
        let Some(end) = code[at..].iter().position(|&c| c == ';') else {
            break;
        };
        let tree: String = code[at..at + end].iter().collect();
        let public = attributes_before(code, start) < start
            && code[attributes_before(code, start)..start]
                .iter()
                .collect::<String>()
                .contains("pub");
        expand(&[], &tree, public, &mut paths);
        at += end;
    }
    paths
}

/// Expands one use tree (`a::{b, c::{d as e, *}}`) into paths.
fn expand(prefix: &[String], tree: &str, public: bool, into: &mut Vec<UsePath>) {
    for part in split_top_level(tree) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if let Some(open) = part.find('{') {
            let head = part[..open].trim().trim_end_matches("::");
            let mut nested = prefix.to_vec();
            nested.extend(segments(head));
            let inside = &part[open + 1..part.rfind('}').unwrap_or(part.len())];
            expand(&nested, inside, public, into);
            continue;
        }
        let (path, alias) = match part.split_once(" as ") {
            Some((path, alias)) => (path.trim(), Some(alias.trim().to_owned())),
            None => (part, None),
        };
        let mut full = prefix.to_vec();
        full.extend(segments(path));
        let Some(last) = full.last().cloned() else {
            continue;
        };
        // `use a::b::{self}` binds `b`.
        if last == "self" {
            full.pop();
        }
        let binds = alias.unwrap_or_else(|| full.last().cloned().unwrap_or_default());
        into.push(UsePath {
            segments: full,
            binds,
            public,
        });
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(|segment| segment.trim().trim_start_matches("::").to_owned())
        .filter(|segment| !segment.is_empty())
        .collect()
}

fn split_top_level(tree: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in tree.chars() {
        match c {
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
}

/// Paths written in code outside `use` (`crate::agents::common::place(…)`).
fn inline_paths(code: &[char]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for start_word in ["crate", "super", "self"] {
        let mut at = 0;
        while let Some(start) = find_word(code, start_word, at) {
            at = start + start_word.len();
            let mut segments = vec![start_word.to_owned()];
            let mut end = at;
            while code.get(end) == Some(&':') && code.get(end + 1) == Some(&':') {
                let Some((segment, after)) = identifier_after(code, end + 2) else {
                    break;
                };
                segments.push(segment);
                end = after;
            }
            if segments.len() > 1 {
                paths.push(segments);
            }
            at = end.max(at);
        }
    }
    paths
}

/// What one file says, once parsed.
struct Parsed {
    /// Every path it uses, with the module it is used from.
    uses: Vec<(Vec<String>, Vec<String>)>,
    /// Its re-exports by the name they bind (`*` for globs).
    reexports: HashMap<String, Vec<Vec<String>>>,
    /// Its blanked code, to tell whether it defines a name.
    code: String,
}

fn parse(file: &SourceFile) -> Parsed {
    let code = blank_literals(&file.source);
    let mut uses = Vec::new();
    let mut reexports: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    let chars: Vec<char> = code.chars().collect();
    for scope in scopes(&file.module, &chars) {
        for path in use_paths(&scope.code) {
            if path.public && scope.module == file.module {
                reexports
                    .entry(path.binds.clone())
                    .or_default()
                    .push(path.segments.clone());
            }
            uses.push((scope.module.clone(), path.segments));
        }
        for path in inline_paths(&scope.code) {
            uses.push((scope.module.clone(), path));
        }
    }
    Parsed {
        uses,
        reexports,
        code,
    }
}

/// Whether blanked `code` defines `name` as an item.
fn defines(code: &str, name: &str) -> bool {
    let chars: Vec<char> = code.chars().collect();
    let mut at = 0;
    while let Some(found) = find_word(&chars, name, at) {
        at = found + name.len();
        let mut before = found;
        while before > 0 && chars[before - 1].is_whitespace() {
            before -= 1;
        }
        let mut word_start = before;
        while word_start > 0 && (is_ident(chars[word_start - 1]) || chars[word_start - 1] == '!') {
            word_start -= 1;
        }
        let keyword: String = chars[word_start..before].iter().collect();
        if matches!(
            keyword.as_str(),
            "struct"
                | "enum"
                | "fn"
                | "trait"
                | "type"
                | "const"
                | "static"
                | "mod"
                | "union"
                | "macro_rules!"
        ) {
            return true;
        }
    }
    false
}

struct Resolver<'a> {
    files: &'a [SourceFile],
    parsed: &'a [Parsed],
    by_module: HashMap<&'a [String], usize>,
}

impl Resolver<'_> {
    /// `path` as used from module `from` → the absolute module path it names, or `None` for
    /// another crate.
    fn absolute(&self, from: &[String], path: &[String]) -> Option<Vec<String>> {
        let (first, rest) = path.split_first()?;
        match first.as_str() {
            "crate" => Some(rest.to_vec()),
            "super" => {
                let mut base = from.to_vec();
                let mut rest = rest;
                base.pop();
                while let Some(("super", tail)) =
                    rest.split_first().map(|(head, tail)| (head.as_str(), tail))
                {
                    base.pop();
                    rest = tail;
                }
                base.extend(rest.iter().cloned());
                Some(base)
            }
            "self" => {
                let mut base = from.to_vec();
                base.extend(rest.iter().cloned());
                Some(base)
            }
            _ => {
                let mut child = from.to_vec();
                child.push(first.clone());
                self.by_module.contains_key(child.as_slice()).then(|| {
                    child.extend(rest.iter().cloned());
                    child
                })
            }
        }
    }

    /// The file that defines what `absolute` names, following re-exports.
    fn file_of(&self, absolute: &[String], depth: usize) -> Option<usize> {
        let (index, consumed) = (0..=absolute.len())
            .rev()
            .find_map(|k| self.by_module.get(&absolute[..k]).map(|&index| (index, k)))?;
        let rest = &absolute[consumed..];
        let Some(name) = rest.first() else {
            return Some(index);
        };
        if depth > 8 {
            return Some(index);
        }
        let parsed = &self.parsed[index];
        let module = &self.files[index].module;
        if let Some(targets) = parsed.reexports.get(name) {
            for target in targets {
                if let Some(target) = self.absolute(module, target) {
                    let mut path = target;
                    path.extend(rest[1..].iter().cloned());
                    if let Some(found) = self.file_of(&path, depth + 1) {
                        return Some(found);
                    }
                }
            }
        }
        if !defines(&parsed.code, name)
            && let Some(globs) = parsed.reexports.get("*")
        {
            for glob in globs {
                let Some(mut path) = self.absolute(module, &glob[..glob.len().saturating_sub(1)])
                else {
                    continue;
                };
                path.extend(rest.iter().cloned());
                if let Some(found) = self.file_of(&path, depth + 1)
                    && found != index
                    && (defines(&self.parsed[found].code, name)
                        || self.parsed[found].reexports.contains_key(name))
                {
                    return Some(found);
                }
            }
        }
        Some(index)
    }
}

/// The import cycles among `files` (one crate).
pub fn find_cycles(files: &[SourceFile]) -> Vec<Cycle> {
    let parsed: Vec<Parsed> = files.iter().map(parse).collect();
    let resolver = Resolver {
        files,
        parsed: &parsed,
        by_module: files
            .iter()
            .enumerate()
            .map(|(index, file)| (file.module.as_slice(), index))
            .collect(),
    };
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        for (from, path) in &parsed[index].uses {
            let Some(absolute) = resolver.absolute(from, path) else {
                continue;
            };
            let Some(target) = resolver.file_of(&absolute, 0) else {
                continue;
            };
            let other = &files[target].module;
            if target == index || other.starts_with(&file.module) || file.module.starts_with(other)
            {
                continue;
            }
            edges.entry(index).or_default().insert(target);
        }
    }
    strongly_connected(files.len(), &edges)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let members: BTreeSet<usize> = component.iter().copied().collect();
            let mut files_in: Vec<String> = component
                .iter()
                .map(|&index| files[index].display.clone())
                .collect();
            files_in.sort();
            let mut pairs: Vec<(String, String)> = members
                .iter()
                .flat_map(|&from| {
                    edges
                        .get(&from)
                        .into_iter()
                        .flatten()
                        .filter(|to| members.contains(to))
                        .map(move |&to| (from, to))
                })
                .map(|(from, to)| (files[from].display.clone(), files[to].display.clone()))
                .collect();
            pairs.sort();
            Cycle {
                files: files_in,
                edges: pairs,
            }
        })
        .collect()
}

/// Tarjan's strongly connected components.
fn strongly_connected(nodes: usize, edges: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a BTreeMap<usize, BTreeSet<usize>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    fn visit(state: &mut State<'_>, node: usize) {
        state.index[node] = Some(state.next);
        state.low[node] = state.next;
        state.next += 1;
        state.stack.push(node);
        state.on_stack[node] = true;
        let targets: Vec<usize> = state
            .edges
            .get(&node)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        for target in targets {
            match state.index[target] {
                None => {
                    visit(state, target);
                    state.low[node] = state.low[node].min(state.low[target]);
                }
                Some(index) if state.on_stack[target] => {
                    state.low[node] = state.low[node].min(index);
                }
                Some(_) => {}
            }
        }
        if Some(state.low[node]) == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack[member] = false;
                component.push(member);
                if member == node {
                    break;
                }
            }
            state.components.push(component);
        }
    }
    let mut state = State {
        edges,
        index: vec![None; nodes],
        low: vec![0; nodes],
        on_stack: vec![false; nodes],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for node in 0..nodes {
        if state.index[node].is_none() {
            visit(&mut state, node);
        }
    }
    state.components
}

#[cfg(test)]
mod tests;
