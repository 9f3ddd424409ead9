//! The shape of the core's source, checked: dependencies between its top-level modules run one way (no
//! module reaches, through `crate::` paths, one that reaches it back, directly or through others), and no
//! source file but tests is over 700 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 700;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files declared as `#[cfg(test)] mod name;` by `file`.
fn test_children(file: &Path, text: &str) -> Vec<PathBuf> {
    let dir = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "#[cfg(test)]")
        .filter_map(|w| w[1].strip_prefix("mod ")?.strip_suffix(';'))
        .flat_map(|name| {
            [
                dir.join(format!("{name}.rs")),
                dir.join(name).join("mod.rs"),
            ]
        })
        .collect()
}

/// `text` without its inline test module (by convention, the last item of a file).
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod ") {
        Some(at) if !text[at..].lines().nth(1).unwrap_or("").ends_with(';') => &text[..at],
        _ => text,
    }
}

/// The top-level module a file belongs to (None for the crate root).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(name) => Some(name.to_string()),
        None => Some(first),
    }
}

/// The top-level modules `text` names through `crate::`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // `crate::{a, b}` groups are not used in this crate; a lowercase name is a module.
        if name.chars().next().is_some_and(|c| c.is_lowercase()) {
            out.insert(name);
        }
    }
    out
}

struct Tree {
    /// module -> modules it uses
    edges: BTreeMap<String, BTreeSet<String>>,
    /// (file, lines) of every non-test file
    sizes: Vec<(PathBuf, usize)>,
}

fn tree() -> Tree {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let texts: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).unwrap()))
        .collect();
    let tests: BTreeSet<PathBuf> = texts
        .iter()
        .flat_map(|(f, t)| test_children(f, t))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut sizes = Vec::new();
    for (file, text) in &texts {
        if tests.contains(file) {
            continue;
        }
        sizes.push((file.clone(), text.lines().count()));
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let used = uses(without_tests(text));
        let entry = edges.entry(module.clone()).or_default();
        entry.extend(
            used.into_iter()
                .filter(|m| *m != module && m != "lock" && m != "blocking"),
        );
    }
    Tree { edges, sizes }
}

/// A cycle in `edges`, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn module_dependencies_run_one_way() {
    let tree = tree();
    assert!(
        tree.edges.len() > 5,
        "modules found: {:?}",
        tree.edges.keys()
    );
    for (module, used) in &tree.edges {
        println!("{module} -> {used:?}");
    }
    if let Some(found) = cycle(&tree.edges) {
        panic!("modules in a circle: {}", found.join(" -> "));
    }
    // The facade and the network sit on top; the engine knows no network; the pure layers no engine.
    let uses = |a: &str, b: &str| tree.edges.get(a).is_some_and(|e| e.contains(b));
    assert!(!uses("engine", "net") && !uses("engine", "client"));
    for pure in ["sync", "space", "invite", "log", "store", "chat", "replica"] {
        for above in ["engine", "net", "client"] {
            assert!(!uses(pure, above), "{pure} uses {above}");
        }
    }
    assert!(
        !tree.edges.values().any(|e| e.contains("testing")),
        "nothing uses testing"
    );
}

#[test]
fn the_checker_finds_a_circle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        uses("use crate::store::{self, Meta};\nlet x = crate::ids::Now::read(); crate::Error"),
        ["ids", "store"].into_iter().map(String::from).collect()
    );
}

#[test]
fn no_source_file_is_over_700_lines() {
    let long: Vec<String> = tree()
        .sizes
        .into_iter()
        .filter(|(_, lines)| *lines > MAX_LINES)
        .map(|(f, lines)| format!("{} ({lines} lines)", f.display()))
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}
