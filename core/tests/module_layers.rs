//! The core's modules form layers and a DAG (ARCHITECTURE.md, "Layers of the core").
//!
//! Reads every file under `core/src`, collects the modules each one names through `crate::…`,
//! `super::…`, `self::…` or a child module's name (`use` lines and inline paths alike; comments
//! and `#[cfg(test)]` code do not count) and checks two rules:
//! 1. no module imports a module of a higher layer ([`LAYERS`]);
//! 2. no file-level cycle, inside a folder too: a parent (`auth/mod.rs`) may use its children,
//!    so children build on their siblings (`super::token::AccessToken`), never on the parent.
//!
//! A new top-level module must be added to [`LAYERS`] (and to ARCHITECTURE.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of the core, bottom first. A module may use modules of its own layer (as long as
/// there is no cycle) and of the layers below, never of a layer above.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &["error", "events", "json_input", "settings"],
    ),
    (
        "domain",
        &[
            "cloud", "roles", "model", "plan", "document", "drift", "backup",
        ],
    ),
    (
        "configuration",
        &[
            "config",
            "limits",
            "retry",
            "endpoint",
            "runtime",
            "call_context",
        ],
    ),
    ("wire", &["auth", "graph"]),
    (
        "operations",
        &["write_lock", "client", "export", "fleet", "access"],
    ),
];

type Module = Vec<String>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as (module path, source).
fn modules(dir: &Path) -> BTreeMap<Module, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<Module, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().with_extension("");
                let mut parts: Module = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|p| p == "mod") {
                    parts.pop();
                }
                if parts == ["lib"] {
                    parts.clear();
                }
                out.insert(parts, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The code of a file without comments and without its `#[cfg(test)]` part.
fn code_of(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands one path with `{…}` groups (`a::{b, c::{d}}`) into its paths.
fn expand(path: &str) -> Vec<String> {
    // Drop renames (`x as y`) first, then all whitespace.
    let mut plain = String::new();
    let mut words = path.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if w == "as" {
            // Skip the new name but keep what follows it (`,` or `}`).
            if let Some(next) = words.next() {
                plain.push_str(next.trim_start_matches(is_ident));
            }
        } else {
            plain.push_str(w);
        }
    }
    let path = plain;
    let Some(open) = path.find('{') else {
        return vec![path];
    };
    let prefix = &path[..open];
    let close = path.rfind('}').filter(|&c| c > open).unwrap_or(path.len());
    let inner = &path[open + 1..close];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|i| !i.is_empty())
        .flat_map(|i| expand(&format!("{prefix}{i}")))
        .collect()
}

/// The paths a file names: full `use` trees and inline `crate::a::b` style paths.
fn paths_in(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // `use` statements, whole (they may span lines and hold groups); a statement starts a line.
    for (i, _) in code.match_indices('\n').chain(std::iter::once((0, ""))) {
        let line = code[i..].trim_start();
        let line = line.strip_prefix("pub ").unwrap_or(line);
        let line = match line.strip_prefix("pub(") {
            Some(r) => r.split_once(") ").map(|(_, r)| r).unwrap_or(r),
            None => line,
        };
        if let Some(stmt) = line.strip_prefix("use ") {
            out.extend(expand(stmt.split(';').next().unwrap_or("")));
        }
    }
    // Inline paths: `crate::x::y`, `super::x`, `self::x`.
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start).map(|i| from + i) {
            from = i + start.len();
            let starts_path = code[from..].starts_with(is_ident);
            if !starts_path
                || (i > 0
                    && (is_ident(code[..i].chars().last().unwrap()) || code[..i].ends_with("::")))
            {
                continue;
            }
            let end = code[i..]
                .find(|c: char| !(is_ident(c) || c == ':'))
                .map(|e| i + e)
                .unwrap_or(code.len());
            out.push(code[i..end].trim_end_matches(':').to_string());
        }
    }
    out
}

/// The child modules a file declares (`mod x;`, `pub mod x;`, `pub(crate) mod x;`).
fn children_of(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|l| {
            let t = l.trim();
            let t = t.strip_prefix("pub ").unwrap_or(t);
            let t = match t.strip_prefix("pub(") {
                Some(r) => r.split_once(") ").map(|(_, r)| r).unwrap_or(r),
                None => t,
            };
            let name = t.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_string())
        })
        .collect()
}

/// The module files each module file uses.
fn dependencies(files: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let resolve = |segments: &[String]| -> Module {
        (0..=segments.len())
            .rev()
            .map(|n| segments[..n].to_vec())
            .find(|m| files.contains_key(m))
            .unwrap_or_default()
    };
    let mut deps = BTreeMap::new();
    for (module, source) in files {
        let code = code_of(source);
        let children = children_of(&code);
        let mut uses = BTreeSet::new();
        for path in paths_in(&code) {
            let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let base: Module = match segs.first().copied() {
                Some("crate") => {
                    segs.remove(0);
                    Vec::new()
                }
                Some("self") => {
                    segs.remove(0);
                    module.clone()
                }
                Some("super") => {
                    let mut base = module.clone();
                    while segs.first() == Some(&"super") {
                        segs.remove(0);
                        base.pop();
                    }
                    base
                }
                // A path that starts with a declared child module (`sources::build`).
                Some(first) if children.contains(first) => module.clone(),
                _ => continue,
            };
            let full: Module = base
                .iter()
                .cloned()
                .chain(segs.iter().map(|s| s.to_string()))
                .collect();
            let target = resolve(&full);
            if &target != module {
                uses.insert(target);
            }
        }
        // Inline uses of a child by its bare name (`static_token::StaticTokenSource::new`).
        for child in &children {
            let needle = format!("{child}::");
            let named = code.match_indices(&needle).any(|(i, _)| {
                i == 0 || {
                    let prev = code[..i].chars().last().unwrap();
                    !is_ident(prev) && prev != ':'
                }
            });
            if named {
                let mut m = module.clone();
                m.push(child.clone());
                uses.insert(m);
            }
        }
        deps.insert(module.clone(), uses);
    }
    deps
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("::")
    }
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&top))
}

/// A cycle in `deps`, as the list of modules around it, if there is one.
fn find_cycle(deps: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        m: &Module,
        deps: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        marks.insert(m.clone(), Mark::Open);
        stack.push(m.clone());
        for d in deps.get(m).into_iter().flatten() {
            match marks.get(d).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let at = stack.iter().position(|s| s == d).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                Mark::New if deps.contains_key(d) => {
                    if let Some(c) = visit(d, deps, marks, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        marks.insert(m.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in deps.keys() {
        if marks.get(m).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(c) = visit(m, deps, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn every_top_level_module_has_a_layer() {
    let files = modules(&src_dir());
    let missing: Vec<String> = files
        .keys()
        .filter_map(|m| m.first())
        .filter(|top| layer_of(top).is_none())
        .map(|t| t.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a layer: {missing:?}; add them to LAYERS in core/tests/module_layers.rs \
         and to the layer table in ARCHITECTURE.md"
    );
}

#[test]
fn no_module_imports_one_of_a_higher_layer() {
    let files = modules(&src_dir());
    let deps = dependencies(&files);
    let mut wrong = Vec::new();
    for (from, uses) in &deps {
        let (Some(f), Some(lf)) = (from.first(), from.first().and_then(|t| layer_of(t))) else {
            continue;
        };
        for to in uses {
            let Some(t) = to.first() else { continue };
            if let Some(lt) = layer_of(t) {
                if lt > lf && f != t {
                    wrong.push(format!(
                        "{} ({}) uses {} ({})",
                        name(from),
                        LAYERS[lf].0,
                        name(to),
                        LAYERS[lt].0
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{wrong:#?}");
}

#[test]
fn the_module_graph_has_no_cycle() {
    let deps = dependencies(&modules(&src_dir()));
    if let Some(cycle) = find_cycle(&deps) {
        let text: Vec<String> = cycle.iter().map(name).collect();
        panic!(
            "import cycle: {}. Move what both sides need into a module below them both.",
            text.join(" -> ")
        );
    }
}

#[test]
fn the_checker_sees_use_trees_inline_paths_children_and_cycles() {
    let mut files = BTreeMap::new();
    let m = |s: &str| -> Module { s.split("::").map(str::to_string).collect() };
    files.insert(
        m("a"),
        "//! docs mention crate::c\nmod x;\nuse crate::{b, c::{self as k}};\nfn f() { x::go(); }\n"
            .to_string(),
    );
    files.insert(m("a::x"), "use super::Thing;\n".to_string());
    files.insert(m("b"), "fn g() { crate::a::x::go() }\n".to_string());
    files.insert(
        m("c"),
        "#[cfg(test)]\nmod tests { use crate::a; }\n".to_string(),
    );
    let deps = dependencies(&files);
    assert_eq!(deps[&m("a")], [m("a::x"), m("b"), m("c")].into());
    assert_eq!(deps[&m("a::x")], [m("a")].into());
    assert_eq!(deps[&m("b")], [m("a::x")].into());
    assert!(deps[&m("c")].is_empty(), "test code does not count");
    let cycle = find_cycle(&deps).expect("a -> a::x -> a is a cycle");
    assert!(cycle.contains(&m("a")) && cycle.contains(&m("a::x")));
    files.insert(m("a::x"), "use super::y::Thing;\n".to_string());
    files.insert(m("a::y"), String::new());
    assert!(find_cycle(&dependencies(&files)).is_none());
}
