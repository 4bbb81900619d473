//! The built-in suites, compiled into the binary (by `build.rs`, from the source tree's `suites/`), so the binary
//! needs no file of this project at run time. `--suites-dir` reads a directory from disk instead.

mod table {
    include!(concat!(env!("OUT_DIR"), "/builtin_suites.rs"));
}

use crate::cli::PROFILES_DIR;

/// One embedded file of `suites/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinFile {
    /// Relative to `suites/`, `/`-separated (`locks.xml`, `profiles/collabora.xml`).
    pub name: &'static str,
    pub text: &'static str,
}

/// Every embedded file, sorted by name.
pub fn files() -> impl Iterator<Item = BuiltinFile> {
    table::FILES.iter().map(|&(name, text)| BuiltinFile { name, text })
}

/// The suites a run loads by default: every `*.xml` except the profile suites, sorted by name (as
/// `--suites-dir` sorts a directory).
pub fn suites() -> impl Iterator<Item = BuiltinFile> {
    files().filter(|f| is_xml(f.name) && !f.name.starts_with(&format!("{PROFILES_DIR}/")))
}

/// `profiles/<profile>.xml`, when built in.
pub fn profile_suite(profile: &str) -> Option<BuiltinFile> {
    let name = format!("{PROFILES_DIR}/{profile}.xml");
    files().find(|f| f.name == name)
}

/// How many cases Microsoft's TestCases.xml had on the machine that built this binary (`None` when it was not
/// there). Counted, never embedded: the file is not ours to ship.
pub fn validator_case_count() -> Option<usize> {
    table::VALIDATOR_CASES
}

fn is_xml(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("xml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_xml_file_of_the_source_tree_is_built_in_with_its_text() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
        let mut on_disk = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "xml") {
                on_disk.push(path);
            }
        }
        on_disk.sort();
        let built_in: Vec<BuiltinFile> = suites().collect();
        assert_eq!(built_in.len(), on_disk.len());
        for (file, path) in built_in.iter().zip(&on_disk) {
            assert_eq!(file.name, path.file_name().unwrap().to_str().unwrap());
            assert_eq!(file.text, std::fs::read_to_string(path).unwrap());
        }
        let collabora = profile_suite("collabora").expect("profiles/collabora.xml is built in");
        assert_eq!(
            collabora.text,
            std::fs::read_to_string(dir.join("profiles/collabora.xml")).unwrap()
        );
        assert!(profile_suite("office").is_none());
    }
}
