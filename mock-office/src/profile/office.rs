//! Office for the web: the mock's original behaviour. Discovery as `online/discovery.rst` describes it (one
//! net-zone named after the scheme; Word, Excel, PowerPoint and WopiTest with `<name=PLACEHOLDER&>` parameters;
//! a `<proof-key>` with current and old key), every request signed with proof and proof-old, the editing session
//! of [`crate::flows::edit`], and the postMessage dialect of [`crate::frame`].

use url::Url;
use wopi_protocol::discovery::{Action, App, Discovery, NetZone, ProofKeyElement};
use wopi_protocol::proof::ProofKeys;

use super::{Dialect, root};

/// The frame's dialect (`scenarios/postmessage.rst`): `App_LoadingStatus` once loaded, host messages after
/// `Host_PostmessageReady`.
pub const DIALECT: Dialect = Dialect {
    loading_statuses: &[],
    silent_without_origin: true,
    waits_for_host_ready: true,
    accepted_before_ready: &[],
    incoming_must_be_string: true,
    outgoing: &[
        "App_LoadingStatus",
        "UI_Close",
        "UI_Edit",
        "UI_Sharing",
        "UI_FileVersions",
        "File_Rename",
        "Edit_Notification",
    ],
    incoming: &["Host_PostmessageReady", "Blur_Focus", "Grab_Focus"],
};

/// The placeholders Office's urlsrc values carry for an editor frame (`online/discovery.rst`).
const FRAME_PLACEHOLDERS: &str = "<ui=UI_LLCC&><rs=DC_LLCC&><dchat=DISABLE_CHAT&><hid=HOST_SESSION_ID&>\
<sc=SESSION_CONTEXT&><wopisrc=WOPI_SOURCE&><showpagestats=PERFSTATS&><IsLicensedUser=BUSINESS_USER&>";

/// The apps and actions the mock offers: (app name, favicon stem, [(action, ext, requires, default, targetext)]).
type ActionRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    Option<&'static str>,
);
const LOCKS_UPDATE: Option<&str> = Some("locks,update");
const APPS: &[(&str, &str, &[ActionRow])] = &[
    (
        "Word",
        "word",
        &[
            ("view", "docx", None, true, None),
            ("view", "doc", None, true, None),
            ("view", "odt", None, true, None),
            ("view", "rtf", None, true, None),
            ("edit", "docx", LOCKS_UPDATE, false, None),
            ("edit", "odt", LOCKS_UPDATE, false, None),
            ("editnew", "docx", LOCKS_UPDATE, false, None),
            ("embedview", "docx", None, false, None),
            ("mobileView", "docx", None, false, None),
            ("convert", "doc", LOCKS_UPDATE, false, Some("docx")),
            ("convert", "rtf", LOCKS_UPDATE, false, Some("docx")),
        ],
    ),
    (
        "Excel",
        "excel",
        &[
            ("view", "xlsx", None, true, None),
            ("view", "xls", None, true, None),
            ("view", "ods", None, true, None),
            ("view", "csv", None, true, None),
            ("edit", "xlsx", LOCKS_UPDATE, false, None),
            ("edit", "ods", LOCKS_UPDATE, false, None),
            ("editnew", "xlsx", LOCKS_UPDATE, false, None),
            ("embedview", "xlsx", None, false, None),
            ("mobileView", "xlsx", None, false, None),
            ("convert", "xls", LOCKS_UPDATE, false, Some("xlsx")),
        ],
    ),
    (
        "PowerPoint",
        "powerpoint",
        &[
            ("view", "pptx", None, true, None),
            ("view", "ppt", None, true, None),
            ("view", "odp", None, true, None),
            ("edit", "pptx", LOCKS_UPDATE, false, None),
            ("edit", "odp", LOCKS_UPDATE, false, None),
            ("editnew", "pptx", LOCKS_UPDATE, false, None),
            ("embedview", "pptx", None, false, None),
            ("mobileView", "pptx", None, false, None),
            ("convert", "ppt", LOCKS_UPDATE, false, Some("pptx")),
        ],
    ),
    (
        "WopiTest",
        "wopitest",
        &[
            ("getinfo", "wopitest", Some("containers"), false, None),
            ("view", "wopitest", None, true, None),
            ("edit", "wopitest", LOCKS_UPDATE, false, None),
        ],
    ),
];

/// The discovery document for a mock at `base` publishing `keys` (`online/discovery.rst`).
pub fn discovery(base: &Url, keys: &ProofKeys) -> Discovery {
    let root = root(base);
    let zone = match base.scheme() {
        "https" => "external-https",
        _ => "internal-http",
    };
    let apps = APPS
        .iter()
        .map(|(name, stem, actions)| App {
            name: (*name).to_string(),
            fav_icon_url: Some(format!("{root}/favicon/{stem}.ico")),
            check_license: Some(false),
            actions: actions
                .iter()
                .map(|(action, ext, requires, default, targetext)| {
                    let placeholders = if *action == "getinfo" {
                        "<ui=UI_LLCC&><rs=DC_LLCC&><testcategory=VALIDATOR_TEST_CATEGORY&>"
                    } else {
                        FRAME_PLACEHOLDERS
                    };
                    Action {
                        name: (*action).to_string(),
                        ext: Some((*ext).to_string()),
                        progid: None,
                        urlsrc: format!("{root}/office/{stem}/{action}?{placeholders}"),
                        requires: requires.map(str::to_string),
                        default: *default,
                        newprogid: None,
                        newext: None,
                        use_parent: None,
                        targetext: targetext.map(str::to_string),
                    }
                })
                .collect(),
        })
        .collect();
    // Without an old key the current one is published as old too, as Office does when it has nothing older.
    let published = ProofKeys {
        current: keys.current.clone(),
        old: Some(keys.old.clone().unwrap_or_else(|| keys.current.clone())),
    };
    Discovery {
        net_zones: vec![NetZone {
            name: zone.to_string(),
            apps,
        }],
        proof_key: Some(ProofKeyElement::from_keys(&published)),
    }
}
