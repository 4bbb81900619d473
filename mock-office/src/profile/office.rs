//! Office for the web: the mock's original behaviour. Discovery as `online/discovery.rst` describes it (one
//! net-zone named after the scheme; Word, Excel, PowerPoint and WopiTest with `<name=PLACEHOLDER&>` parameters;
//! a `<proof-key>` with current and old key), every request signed with proof and proof-old, the editing session
//! of [`crate::flows::edit`], and the postMessage dialect of [`crate::frame`].

use url::Url;
use wopi_protocol::discovery::{Action, App, Discovery, NetZone, ProofKeyElement};
use wopi_protocol::proof::ProofKeys;

use super::{Dialect, root};

/// The frame's dialect (`scenarios/postmessage.rst`): `App_LoadingStatus` once loaded, host messages after
/// `Host_PostmessageReady`; a host message is "a string (or JSON object)" (postmessage.rst, `msg`).
pub const DIALECT: Dialect = Dialect {
    loading_statuses: &[],
    silent_without_origin: true,
    waits_for_host_ready: true,
    accepted_before_ready: &[],
    incoming_must_be_string: false,
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

const LOCKS_UPDATE: Option<&str> = Some("locks,update");

/// An Office app: its name, favicon stem, and the extensions it views, edits (the first is its own format, which
/// also gets `editnew`, `embedview` and `mobileView`) and converts to its own format.
struct OfficeApp {
    name: &'static str,
    stem: &'static str,
    view: &'static [&'static str],
    edit: &'static [&'static str],
    convert: &'static [&'static str],
}

const APPS: &[OfficeApp] = &[
    OfficeApp {
        name: "Word",
        stem: "word",
        view: &["docx", "doc", "odt", "rtf"],
        edit: &["docx", "odt"],
        convert: &["doc", "rtf"],
    },
    OfficeApp {
        name: "Excel",
        stem: "excel",
        view: &["xlsx", "xls", "ods", "csv"],
        edit: &["xlsx", "ods"],
        convert: &["xls"],
    },
    OfficeApp {
        name: "PowerPoint",
        stem: "powerpoint",
        view: &["pptx", "ppt", "odp"],
        edit: &["pptx", "odp"],
        convert: &["ppt"],
    },
];

/// One action row: (action, ext, requires, default, targetext).
type ActionRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    Option<&'static str>,
);

impl OfficeApp {
    fn actions(&self) -> Vec<ActionRow> {
        let own = self.edit[0];
        let mut rows: Vec<ActionRow> = self.view.iter().map(|e| ("view", *e, None, true, None)).collect();
        rows.extend(self.edit.iter().map(|e| ("edit", *e, LOCKS_UPDATE, false, None)));
        rows.push(("editnew", own, LOCKS_UPDATE, false, None));
        rows.push(("embedview", own, None, false, None));
        rows.push(("mobileView", own, None, false, None));
        rows.extend(
            self.convert
                .iter()
                .map(|e| ("convert", *e, LOCKS_UPDATE, false, Some(own))),
        );
        rows
    }
}

/// The validator's own app: `getinfo` (containers) besides view and edit.
const WOPITEST: &[ActionRow] = &[
    ("getinfo", "wopitest", Some("containers"), false, None),
    ("view", "wopitest", None, true, None),
    ("edit", "wopitest", LOCKS_UPDATE, false, None),
];

/// The discovery document for a mock at `base` publishing `keys` (`online/discovery.rst`).
pub fn discovery(base: &Url, keys: &ProofKeys) -> Discovery {
    let root = root(base);
    let zone = match base.scheme() {
        "https" => "external-https",
        _ => "internal-http",
    };
    let rows =
        APPS.iter()
            .map(|app| (app.name, app.stem, app.actions()))
            .chain([("WopiTest", "wopitest", WOPITEST.to_vec())]);
    let apps = rows
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
