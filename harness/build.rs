//! Compiles the built-in suites into the binary, so a `wopi-conformance` copied alone to another machine (or
//! installed with `cargo install --path harness`) runs them without the source tree.
//!
//! Emits `$OUT_DIR/builtin_suites.rs`: a table of every file below `../suites` (name relative to that directory,
//! `/`-separated, and its text through `include_str!`), and the number of cases in Microsoft's TestCases.xml when
//! this machine has it, so a run without it can say how many cases it leaves out. That file itself is never
//! embedded: it is not ours to ship.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let suites = manifest.join("..").join("suites");
    // A directory: cargo rescans everything below it, so an added, removed or edited suite rebuilds the table.
    println!("cargo:rerun-if-changed={}", suites.display());
    println!("cargo:rerun-if-env-changed=WOPI_VALIDATOR_DIR");

    let mut files = Vec::new();
    collect(&suites, &suites, &mut files);
    files.sort();

    let mut out = String::from("/// Every file of `suites/` at build time: (name relative to `suites/`, text).\n");
    out.push_str("pub static FILES: &[(&str, &str)] = &[\n");
    for (name, path) in &files {
        let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    out.push_str("];\n");

    let validator = match std::env::var_os("WOPI_VALIDATOR_DIR") {
        Some(d) => PathBuf::from(d).join("TestCases.xml"),
        None => manifest.join("../../shared/validator/TestCases.xml"),
    };
    let count = std::fs::read_to_string(&validator).ok().map(|t| count_cases(&t));
    if count.is_some() {
        println!("cargo:rerun-if-changed={}", validator.display());
    }
    out.push_str(
        "/// How many cases Microsoft's TestCases.xml had where the build found it (`None`: not on the build \
         machine).\n",
    );
    let _ = writeln!(out, "pub const VALIDATOR_CASES: Option<usize> = {count:?};");

    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_suites.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
}

/// Every regular file below `dir` whose name does not start with `.`, as (`/`-separated name relative to `root`,
/// absolute path).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry
            .file_type()
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        if kind.is_dir() {
            collect(root, &path, out);
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).expect("below the suites directory");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let abs = std::fs::canonicalize(&path).unwrap_or(path);
            out.push((rel, abs));
        }
    }
}

/// The `<TestCase>` elements of a validator file outside `<PrereqCases>` and comments: the cases a run reports
/// (what `wopi-conformance list --suite core` lists, delay groups included).
fn count_cases(xml: &str) -> usize {
    let mut text = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<!--") {
        text.push_str(&rest[..start]);
        rest = rest[start..].find("-->").map_or("", |end| &rest[start + end + 3..]);
    }
    text.push_str(rest);
    let is_case = |s: &str| s.starts_with("<TestCase") && s[9..].starts_with(|c: char| c.is_whitespace() || c == '>');
    let mut count = 0;
    let mut in_prereqs = false;
    for (i, _) in text.match_indices('<') {
        let tag = &text[i..];
        if tag.starts_with("<PrereqCases") {
            in_prereqs = true;
        } else if tag.starts_with("</PrereqCases") {
            in_prereqs = false;
        } else if !in_prereqs && is_case(tag) {
            count += 1;
        }
    }
    count
}
