//! Named host configurations (`--configuration NAME`): the few host-wide choices the WOPI docs leave to a host,
//! each both declared in CheckFileInfo and honoured by the handlers.
//!
//! The validator and our suites have groups that run only on a host that made the other choice (a host that
//! refuses PutRelativeFile, one that serves `FileUrl`, one without containers, ...). The default configuration is
//! the full host; each other configuration changes one [`Settings`] field, so a group's verdict names exactly one
//! setting. `wopi-conformance run` starts one in-process host per configuration a selected group needs
//! (`wopi_harness::configurations` holds that table).

use std::fmt;

/// One named set of [`Settings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, clap::ValueEnum)]
pub enum Configuration {
    /// Everything this host implements: PutRelativeFile, containers, file share URLs; no FileUrl, named users.
    #[default]
    Default,
    /// The host does not implement PutRelativeFile: CheckFileInfo says `UserCanNotWriteRelative: true` and every
    /// PutRelativeFile answers 501 (rest/files/PutRelativeFile.rst).
    NoRelative,
    /// CheckFileInfo gives a `FileUrl` (a download URL with its own token, outside `/wopi`, unsigned) that serves
    /// the file's current content; GetFile still works (rest/files/CheckFileInfo.rst, FileUrl).
    FileUrl,
    /// The host has no containers: `SupportsContainers: false`, and every container operation, EnumerateAncestors
    /// and GetRootContainer answer 501.
    NoContainers,
    /// Containers offer share URLs: CheckContainerInfo lists `SupportedShareUrlTypes` (`ReadOnly`, `ReadWrite`) and
    /// GetShareUrl on a container answers a page of this host (rest/containers/GetShareUrl.rst).
    ContainerShareUrls,
    /// Every session is anonymous: `IsAnonymousUser: true` in CheckFileInfo and CheckContainerInfo, no
    /// `UserFriendlyName`; `OwnerId` and `UserId` stay (rest/files/CheckFileInfo.rst, IsAnonymousUser).
    Anonymous,
    /// Files take part in a workflow: CheckFileInfo gives `WorkflowUrl` (a page this host serves) and
    /// `WorkflowType: ["Submit"]`.
    Workflow,
}

/// What a configuration turns on or off. The handlers read these, never the configuration's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// PutRelativeFile is implemented (`UserCanNotWriteRelative` is then true only for read-only users).
    pub relative_writes: bool,
    /// Containers exist for clients (`SupportsContainers`, the container endpoints, EnumerateAncestors).
    pub containers: bool,
    /// CheckFileInfo gives a `FileUrl` and the host serves it.
    pub file_url: bool,
    /// Containers declare and answer share URLs.
    pub container_share_urls: bool,
    /// Sessions are anonymous.
    pub anonymous_sessions: bool,
    /// CheckFileInfo gives `WorkflowUrl` and `WorkflowType`, and the host serves the workflow page.
    pub workflow: bool,
}

impl Settings {
    /// The full host.
    pub const DEFAULT: Settings = Settings {
        relative_writes: true,
        containers: true,
        file_url: false,
        container_share_urls: false,
        anonymous_sessions: false,
        workflow: false,
    };
}

impl Default for Settings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Configuration {
    /// Every configuration, default first.
    pub const ALL: &'static [Configuration] = &[
        Configuration::Default,
        Configuration::NoRelative,
        Configuration::FileUrl,
        Configuration::NoContainers,
        Configuration::ContainerShareUrls,
        Configuration::Anonymous,
        Configuration::Workflow,
    ];

    /// The name on the command line and in reports (`no-relative`).
    pub fn name(self) -> &'static str {
        match self {
            Configuration::Default => "default",
            Configuration::NoRelative => "no-relative",
            Configuration::FileUrl => "file-url",
            Configuration::NoContainers => "no-containers",
            Configuration::ContainerShareUrls => "container-share-urls",
            Configuration::Anonymous => "anonymous",
            Configuration::Workflow => "workflow",
        }
    }

    /// The configuration named `name`, if any.
    pub fn from_name(name: &str) -> Option<Configuration> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The settings it stands for: the default with one field changed.
    pub fn settings(self) -> Settings {
        let d = Settings::DEFAULT;
        match self {
            Configuration::Default => d,
            Configuration::NoRelative => Settings {
                relative_writes: false,
                ..d
            },
            Configuration::FileUrl => Settings { file_url: true, ..d },
            Configuration::NoContainers => Settings { containers: false, ..d },
            Configuration::ContainerShareUrls => Settings {
                container_share_urls: true,
                ..d
            },
            Configuration::Anonymous => Settings {
                anonymous_sessions: true,
                ..d
            },
            Configuration::Workflow => Settings { workflow: true, ..d },
        }
    }
}

impl fmt::Display for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn names_round_trip_and_match_the_command_line() {
        for c in Configuration::ALL {
            assert_eq!(Configuration::from_name(c.name()), Some(*c));
            let value = c.to_possible_value().unwrap();
            assert_eq!(value.get_name(), c.name(), "clap spells {c:?} differently");
        }
        assert_eq!(Configuration::ALL.len(), Configuration::value_variants().len());
    }

    #[test]
    fn each_configuration_changes_one_setting_of_the_default() {
        let fields = |s: Settings| {
            [
                s.relative_writes,
                s.containers,
                s.file_url,
                s.container_share_urls,
                s.anonymous_sessions,
                s.workflow,
            ]
        };
        let d = fields(Settings::DEFAULT);
        for c in &Configuration::ALL[1..] {
            let changed = fields(c.settings()).iter().zip(d).filter(|(a, b)| **a != *b).count();
            assert_eq!(changed, 1, "{c} changes {changed} settings");
        }
    }
}
