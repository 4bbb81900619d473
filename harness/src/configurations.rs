//! Which reference-host configuration each group runs on in embedded mode.
//!
//! Some groups run only on a host that made a choice the default reference host does not make (a host that
//! refuses PutRelativeFile, one that serves `FileUrl`, one without containers, ...): their prereqs say so. The
//! embedded run starts, next to the default host, one in-process reference host per configuration such a group
//! needs (`wopi-conformance host --configuration NAME` is the same host on its own) and runs the group's prereqs
//! and cases there. Every other group runs on the default host. Every report names the configuration of each case.

use wopi_reference_host::configuration::Configuration;

/// Prereq → the configuration whose CheckFileInfo (or CheckContainerInfo) satisfies it. A group with none of these
/// prereqs runs on [`Configuration::Default`].
pub const BY_PREREQ: &[(&str, Configuration)] = &[
    // Microsoft's validator (TestCases.xml).
    ("UserCanNotWriteRelativePrereq", Configuration::NoRelative),
    ("ContainersUnsupportedPrereq", Configuration::NoContainers),
    ("FileUrlUsagePrereq", Configuration::FileUrl),
    (
        "SupportedShareUrlTypesForContainerPrereq",
        Configuration::ContainerShareUrls,
    ),
    (
        "ShareUrlTypeReadOnlyForContainerPrereq",
        Configuration::ContainerShareUrls,
    ),
    (
        "ShareUrlTypeReadWriteForContainerPrereq",
        Configuration::ContainerShareUrls,
    ),
    // Our suites.
    ("PutRelative.DeclaredUnsupported", Configuration::NoRelative),
    ("Cfi.IsAnonymousUser", Configuration::Anonymous),
    ("Cfi.HasWorkflowUrl", Configuration::Workflow),
];

/// The configuration a group with `prereqs` runs on: that of its first prereq in [`BY_PREREQ`], else the default.
pub fn for_prereqs(prereqs: &[String]) -> Configuration {
    prereqs
        .iter()
        .find_map(|p| BY_PREREQ.iter().find(|(name, _)| name == p).map(|(_, c)| *c))
        .unwrap_or_default()
}

/// Every configuration the prereqs name (a group naming two different ones could run on neither).
pub fn all_for(prereqs: &[String]) -> Vec<Configuration> {
    let mut found: Vec<Configuration> = prereqs
        .iter()
        .filter_map(|p| BY_PREREQ.iter().find(|(name, _)| name == p).map(|(_, c)| *c))
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn groups_without_a_listed_prereq_run_on_the_default() {
        assert_eq!(for_prereqs(&[]), Configuration::Default);
        assert_eq!(
            for_prereqs(&names(&["WopiValidatorPrereq", "LocksPrereq"])),
            Configuration::Default
        );
    }

    #[test]
    fn a_listed_prereq_picks_its_configuration() {
        let group = names(&[
            "WopiValidatorPrereq",
            "FileEditingPrereq",
            "UserCanNotWriteRelativePrereq",
        ]);
        assert_eq!(for_prereqs(&group), Configuration::NoRelative);
        assert_eq!(
            for_prereqs(&names(&[
                "WopiValidatorPrereq",
                "ContainersPrereq",
                "ShareUrlTypeReadOnlyForContainerPrereq"
            ])),
            Configuration::ContainerShareUrls
        );
        assert_eq!(
            all_for(&names(&["Cfi.IsAnonymousUser", "Cfi.HasWorkflowUrl"])),
            vec![Configuration::Anonymous, Configuration::Workflow]
        );
    }

    #[test]
    fn the_table_names_no_prereq_twice() {
        let mut seen: Vec<&str> = BY_PREREQ.iter().map(|(n, _)| *n).collect();
        seen.sort_unstable();
        let before = seen.len();
        seen.dedup();
        assert_eq!(before, seen.len());
    }
}
