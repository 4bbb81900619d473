//! WOPI discovery: the XML a WOPI client (Office for the web) publishes and hosts read.
//!
//! Discovery tells a host which applications and actions the client offers for which file extensions, the
//! `urlsrc` template of each action, and the public proof keys the client signs requests with
//! (`online/discovery.rst`, `online/scenarios/proofkeys.rst`). This module holds the model ([`Discovery`]), a
//! parser that tolerates elements and attributes it does not know (Office adds them over time and hosts must
//! ignore them) but insists on the ones the protocol needs, a deterministic writer (the mock Office serves its
//! discovery with it), and the action-URL expansion every host has to perform ([`expand_action_url`]).
//!
//! The shape is:
//!
//! ```xml
//! <wopi-discovery>
//!   <net-zone name="external-https">
//!     <app name="Word" favIconUrl="..." checkLicense="true">
//!       <action name="edit" ext="docx" requires="locks,update" urlsrc="https://...?&lt;ui=UI_LLCC&amp;&gt;"/>
//!     </app>
//!   </net-zone>
//!   <proof-key value="..." modulus="..." exponent="..." oldvalue="..." oldmodulus="..." oldexponent="..."/>
//! </wopi-discovery>
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use thiserror::Error;

use crate::proof::{KeyError, ProofKeys, ProofPublicKey};

const ROOT: &str = "wopi-discovery";
const NET_ZONE: &str = "net-zone";
const APP: &str = "app";
const ACTION: &str = "action";
const PROOF_KEY: &str = "proof-key";

/// A parsed discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Discovery {
    /// `<net-zone>` elements in document order.
    pub net_zones: Vec<NetZone>,
    /// The `<proof-key>` element; a client that does not sign requests publishes none.
    pub proof_key: Option<ProofKeyElement>,
}

/// A `<net-zone>`: the applications reachable from one network zone (`internal-https`, `external-https`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetZone {
    /// The `name` attribute (required).
    pub name: String,
    pub apps: Vec<App>,
}

/// An `<app>`: one client application (Word, Excel, the WopiTest validator application, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The `name` attribute (required).
    pub name: String,
    /// `favIconUrl`: the icon hosts should use for the host page.
    pub fav_icon_url: Option<String>,
    /// `checkLicense`: whether the app needs the business-user licence flow.
    pub check_license: Option<bool>,
    pub actions: Vec<Action>,
}

/// An `<action>`: one operation on one file type, with the URL template that invokes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// `name` (required): `view`, `edit`, `editnew`, `convert`, `getinfo`, ...
    pub name: String,
    /// `ext`: the file extension without the dot.
    pub ext: Option<String>,
    /// `progid`: used instead of `ext` for containers such as OneNote notebooks.
    pub progid: Option<String>,
    /// `urlsrc` (required): the action URL template with `<name=PLACEHOLDER&>` parameters.
    pub urlsrc: String,
    /// `requires`: comma-separated requirement groups (`locks`, `update`, ...).
    pub requires: Option<String>,
    /// `default`: whether this is the default action for the extension; absent means `false`.
    pub default: bool,
    /// `newprogid`: the progid of files `editnew` creates.
    pub newprogid: Option<String>,
    /// `newext`: the extension of files `editnew` creates.
    pub newext: Option<String>,
    /// `useParent`: invoke the action on the parent container.
    pub use_parent: Option<bool>,
    /// `targetext`: the extension `convert` produces.
    pub targetext: Option<String>,
}

/// The `<proof-key>` element as written: base64 CSP blobs (`value`, `oldvalue`) and base64 big-endian RSA
/// modulus/exponent pairs. An attribute absent from the XML is an empty string here and is written back empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProofKeyElement {
    pub value: String,
    pub modulus: String,
    pub exponent: String,
    pub oldvalue: String,
    pub oldmodulus: String,
    pub oldexponent: String,
}

/// Why a discovery document could not be read. Positions are byte offsets into the parsed text (after a
/// leading byte-order mark, which is skipped).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DiscoveryError {
    /// The text is not well-formed XML.
    #[error("discovery XML is not well-formed near byte {position}: {message}")]
    Xml { position: u64, message: String },
    /// The document element is not `<wopi-discovery>`.
    #[error("discovery XML root element is <{found}>, expected <wopi-discovery>")]
    WrongRoot { found: String },
    /// There is no document element at all, or it is not closed.
    #[error("discovery XML has no complete <wopi-discovery> element")]
    MissingRoot,
    /// A required attribute is absent.
    #[error("discovery <{element}> at byte {position} lacks the required attribute {attribute:?}")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
        position: u64,
    },
    /// An attribute has a value the protocol does not allow.
    #[error("discovery <{element}> at byte {position}: attribute {attribute:?} = {value:?} is invalid: {reason}")]
    InvalidAttribute {
        element: &'static str,
        attribute: &'static str,
        value: String,
        reason: &'static str,
        position: u64,
    },
    /// More than one `<proof-key>`: which key to trust would be ambiguous.
    #[error("discovery XML has a second <proof-key> element at byte {position}")]
    DuplicateProofKey { position: u64 },
    /// [`Discovery::proof_keys`] on a document without `<proof-key>`.
    #[error("discovery XML has no <proof-key> element")]
    NoProofKey,
    /// `<proof-key>` has neither a modulus/exponent pair nor a CSP blob for the current key.
    #[error("discovery <proof-key> has neither modulus/exponent nor value for the {which} key")]
    NoKeyMaterial { which: &'static str },
    /// The key material is there but does not make a usable RSA public key.
    #[error("discovery <proof-key> attribute {attribute:?} does not hold a usable {which} key: {source}")]
    InvalidKey {
        which: &'static str,
        attribute: &'static str,
        #[source]
        source: KeyError,
    },
}

/// The attributes of one element, with the element name and position for error messages.
struct Attrs {
    element: &'static str,
    position: u64,
    list: Vec<(String, String)>,
}

impl Attrs {
    fn read(e: &BytesStart<'_>, element: &'static str, position: u64) -> Result<Self, DiscoveryError> {
        let mut list = Vec::new();
        for attr in e.attributes() {
            let attr = attr.map_err(|err| DiscoveryError::Xml {
                position,
                message: err.to_string(),
            })?;
            let key = attr.key.local_name().as_ref().to_owned();
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| DiscoveryError::Xml {
                    position,
                    message: err.to_string(),
                })?
                .into_owned();
            list.push((key, value));
        }
        Ok(Self {
            element,
            position,
            list,
        })
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// A required attribute that must not be empty either: an empty name or URL is as useless as none.
    fn required(&self, name: &'static str) -> Result<String, DiscoveryError> {
        match self.optional(name) {
            None => Err(DiscoveryError::MissingAttribute {
                element: self.element,
                attribute: name,
                position: self.position,
            }),
            Some(v) if v.trim().is_empty() => Err(self.invalid(name, v, "must not be empty")),
            Some(v) => Ok(v),
        }
    }

    /// `xs:boolean` as Office writes it (`true`/`false`), also accepting `1`/`0` and any letter case.
    fn optional_bool(&self, name: &'static str) -> Result<Option<bool>, DiscoveryError> {
        let Some(v) = self.optional(name) else { return Ok(None) };
        match v.trim() {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(Some(true)),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(Some(false)),
            _ => Err(self.invalid(name, v, "expected true or false")),
        }
    }

    fn invalid(&self, attribute: &'static str, value: String, reason: &'static str) -> DiscoveryError {
        DiscoveryError::InvalidAttribute {
            element: self.element,
            attribute,
            value,
            reason,
            position: self.position,
        }
    }
}

/// Where the parser is: what the innermost open element is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Root,
    NetZone,
    App,
    /// `<action>`, `<proof-key>` with content, or any element the parser does not know: content ignored.
    Ignored,
}

impl Discovery {
    /// Parses a discovery document.
    ///
    /// Unknown elements (with everything inside them) and unknown attributes are ignored. Required are:
    /// the `<wopi-discovery>` root, `name` on `<net-zone>`, `<app>` and `<action>`, and `urlsrc` on `<action>`.
    pub fn parse(xml: &str) -> Result<Discovery, DiscoveryError> {
        let xml = xml.strip_prefix('\u{FEFF}').unwrap_or(xml);
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut discovery = Discovery::default();
        let mut stack: Vec<Open> = Vec::new();
        let mut root_done = false;
        loop {
            let position = reader.buffer_position();
            let event = reader.read_event().map_err(|err| DiscoveryError::Xml {
                position: reader.error_position(),
                message: err.to_string(),
            })?;
            let (start, has_content) = match &event {
                Event::Start(e) => (e, true),
                Event::Empty(e) => (e, false),
                Event::End(_) => {
                    stack.pop();
                    if stack.is_empty() {
                        root_done = true;
                    }
                    continue;
                }
                Event::Eof => break,
                // Text, comments, CDATA, processing instructions, the declaration and DOCTYPE carry nothing.
                _ => continue,
            };
            let name = start.local_name();
            let name = name.as_ref();
            let opened = match stack.last() {
                None if root_done => {
                    return Err(DiscoveryError::Xml {
                        position,
                        message: "a second document element after </wopi-discovery>".to_owned(),
                    });
                }
                None if name == ROOT => Open::Root,
                None => return Err(DiscoveryError::WrongRoot { found: name.to_owned() }),
                Some(Open::Root) if name == NET_ZONE => {
                    let attrs = Attrs::read(start, NET_ZONE, position)?;
                    discovery.net_zones.push(NetZone {
                        name: attrs.required("name")?,
                        apps: Vec::new(),
                    });
                    Open::NetZone
                }
                Some(Open::Root) if name == PROOF_KEY => {
                    if discovery.proof_key.is_some() {
                        return Err(DiscoveryError::DuplicateProofKey { position });
                    }
                    let attrs = Attrs::read(start, PROOF_KEY, position)?;
                    let get = |n: &str| attrs.optional(n).unwrap_or_default();
                    discovery.proof_key = Some(ProofKeyElement {
                        value: get("value"),
                        modulus: get("modulus"),
                        exponent: get("exponent"),
                        oldvalue: get("oldvalue"),
                        oldmodulus: get("oldmodulus"),
                        oldexponent: get("oldexponent"),
                    });
                    Open::Ignored
                }
                Some(Open::NetZone) if name == APP => {
                    let attrs = Attrs::read(start, APP, position)?;
                    let app = App {
                        name: attrs.required("name")?,
                        fav_icon_url: attrs.optional("favIconUrl"),
                        check_license: attrs.optional_bool("checkLicense")?,
                        actions: Vec::new(),
                    };
                    if let Some(zone) = discovery.net_zones.last_mut() {
                        zone.apps.push(app);
                    }
                    Open::App
                }
                Some(Open::App) if name == ACTION => {
                    let attrs = Attrs::read(start, ACTION, position)?;
                    let action = Action {
                        name: attrs.required("name")?,
                        ext: attrs.optional("ext"),
                        progid: attrs.optional("progid"),
                        urlsrc: attrs.required("urlsrc")?,
                        requires: attrs.optional("requires"),
                        default: attrs.optional_bool("default")?.unwrap_or(false),
                        newprogid: attrs.optional("newprogid"),
                        newext: attrs.optional("newext"),
                        use_parent: attrs.optional_bool("useParent")?,
                        targetext: attrs.optional("targetext"),
                    };
                    if let Some(app) = discovery.net_zones.last_mut().and_then(|z| z.apps.last_mut()) {
                        app.actions.push(action);
                    }
                    Open::Ignored
                }
                Some(_) => Open::Ignored,
            };
            if has_content {
                stack.push(opened);
            } else if opened == Open::Root {
                root_done = true;
            }
        }
        if !root_done || !stack.is_empty() {
            return Err(DiscoveryError::MissingRoot);
        }
        Ok(discovery)
    }

    /// Writes the document: an XML declaration, two-space indentation, attributes in a fixed order, optional
    /// attributes only when set (`default` only when `true`), a trailing newline. [`Discovery::parse`] reads it
    /// back to an equal value.
    pub fn to_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        if self.net_zones.is_empty() && self.proof_key.is_none() {
            out.push_str("<wopi-discovery/>\n");
            return out;
        }
        out.push_str("<wopi-discovery>\n");
        for zone in &self.net_zones {
            out.push_str("  <net-zone");
            attr(&mut out, "name", &zone.name);
            if zone.apps.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            for app in &zone.apps {
                out.push_str("    <app");
                attr(&mut out, "name", &app.name);
                opt_attr(&mut out, "favIconUrl", app.fav_icon_url.as_deref());
                opt_attr(&mut out, "checkLicense", app.check_license.map(bool_str));
                if app.actions.is_empty() {
                    out.push_str("/>\n");
                    continue;
                }
                out.push_str(">\n");
                for a in &app.actions {
                    out.push_str("      <action");
                    attr(&mut out, "name", &a.name);
                    opt_attr(&mut out, "ext", a.ext.as_deref());
                    opt_attr(&mut out, "progid", a.progid.as_deref());
                    opt_attr(&mut out, "requires", a.requires.as_deref());
                    opt_attr(&mut out, "default", a.default.then_some("true"));
                    opt_attr(&mut out, "newprogid", a.newprogid.as_deref());
                    opt_attr(&mut out, "newext", a.newext.as_deref());
                    opt_attr(&mut out, "useParent", a.use_parent.map(bool_str));
                    opt_attr(&mut out, "targetext", a.targetext.as_deref());
                    attr(&mut out, "urlsrc", &a.urlsrc);
                    out.push_str("/>\n");
                }
                out.push_str("    </app>\n");
            }
            out.push_str("  </net-zone>\n");
        }
        if let Some(key) = &self.proof_key {
            // Office's own attribute order.
            out.push_str("  <proof-key");
            attr(&mut out, "oldvalue", &key.oldvalue);
            attr(&mut out, "oldmodulus", &key.oldmodulus);
            attr(&mut out, "oldexponent", &key.oldexponent);
            attr(&mut out, "value", &key.value);
            attr(&mut out, "modulus", &key.modulus);
            attr(&mut out, "exponent", &key.exponent);
            out.push_str("/>\n");
        }
        out.push_str("</wopi-discovery>\n");
        out
    }

    /// The public proof keys, as [`crate::proof::verify`] takes them.
    ///
    /// For each key the base64 `modulus`/`exponent` pair is preferred (the form the docs recommend outside
    /// .NET); the CSP blob in `value` is the fallback when the pair is absent or unusable. The old key is `None`
    /// when all three `old*` attributes are empty.
    ///
    /// # Errors
    /// [`DiscoveryError::NoProofKey`] without `<proof-key>`, [`DiscoveryError::NoKeyMaterial`] when the current
    /// key has no attributes, [`DiscoveryError::InvalidKey`] naming the attribute when no form yields a key.
    pub fn proof_keys(&self) -> Result<ProofKeys, DiscoveryError> {
        let key = self.proof_key.as_ref().ok_or(DiscoveryError::NoProofKey)?;
        let current = public_key(
            "current",
            ("modulus", &key.modulus),
            ("exponent", &key.exponent),
            ("value", &key.value),
        )?
        .ok_or(DiscoveryError::NoKeyMaterial { which: "current" })?;
        let old = public_key(
            "old",
            ("oldmodulus", &key.oldmodulus),
            ("oldexponent", &key.oldexponent),
            ("oldvalue", &key.oldvalue),
        )?;
        Ok(ProofKeys { current, old })
    }

    /// All actions with their app, over every net zone in document order.
    pub fn actions(&self) -> impl Iterator<Item = (&App, &Action)> {
        self.net_zones
            .iter()
            .flat_map(|z| z.apps.iter())
            .flat_map(|app| app.actions.iter().map(move |a| (app, a)))
    }

    /// The first action named `action` (exact, as the docs spell action names: `view`, `mobileView`) for the
    /// extension `ext` (ASCII case-insensitive, a leading dot ignored), searching net zones in document order.
    pub fn find_action(&self, ext: &str, action: &str) -> Option<(&App, &Action)> {
        let ext = ext.strip_prefix('.').unwrap_or(ext);
        self.actions()
            .find(|(_, a)| a.name == action && a.ext.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(ext)))
    }

    /// Like [`Discovery::find_action`] but restricted to the net zone named `zone`.
    pub fn find_action_in_zone(&self, zone: &str, ext: &str, action: &str) -> Option<(&App, &Action)> {
        let ext = ext.strip_prefix('.').unwrap_or(ext);
        self.net_zones
            .iter()
            .filter(|z| z.name == zone)
            .flat_map(|z| z.apps.iter())
            .flat_map(|app| app.actions.iter().map(move |a| (app, a)))
            .find(|(_, a)| a.name == action && a.ext.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(ext)))
    }

    /// The first action named `action` for the progid `progid` (exact), for progid-keyed actions.
    pub fn find_action_by_progid(&self, progid: &str, action: &str) -> Option<(&App, &Action)> {
        self.actions()
            .find(|(_, a)| a.name == action && a.progid.as_deref() == Some(progid))
    }
}

/// One key from its `(attribute name, value)` pairs: `Ok(None)` when all are empty.
fn public_key(
    which: &'static str,
    modulus: (&'static str, &str),
    exponent: (&'static str, &str),
    blob: (&'static str, &str),
) -> Result<Option<ProofPublicKey>, DiscoveryError> {
    let has_pair = !modulus.1.trim().is_empty() || !exponent.1.trim().is_empty();
    let has_blob = !blob.1.trim().is_empty();
    let pair = has_pair.then(|| {
        ProofPublicKey::from_modulus_exponent(modulus.1.trim(), exponent.1.trim()).map_err(|source| {
            // Name the attribute the key error is about.
            let attribute = match &source {
                KeyError::NotBase64 { field, .. } | KeyError::Empty { field } if *field == "exponent" => exponent.0,
                KeyError::BadExponent(_) => exponent.0,
                _ => modulus.0,
            };
            DiscoveryError::InvalidKey {
                which,
                attribute,
                source,
            }
        })
    });
    let pair_error = match pair {
        Some(Ok(key)) => return Ok(Some(key)),
        Some(Err(e)) => Some(e),
        None => None,
    };
    if !has_blob {
        return pair_error.map_or(Ok(None), Err);
    }
    match ProofPublicKey::from_csp_blob(blob.1.trim()) {
        Ok(key) => Ok(Some(key)),
        // When the pair was present but bad too, its error is the more useful one.
        Err(source) => Err(pair_error.unwrap_or(DiscoveryError::InvalidKey {
            which,
            attribute: blob.0,
            source,
        })),
    }
}

impl ProofKeyElement {
    /// The element a client publishes for `keys`: CSP blob, modulus and exponent of each key. Without an old key
    /// the `old*` attributes are empty, which [`Discovery::proof_keys`] reads back as `None`.
    pub fn from_keys(keys: &ProofKeys) -> ProofKeyElement {
        let (oldvalue, oldmodulus, oldexponent) = match &keys.old {
            Some(old) => (old.to_csp_blob(), old.modulus_b64(), old.exponent_b64()),
            None => (String::new(), String::new(), String::new()),
        };
        ProofKeyElement {
            value: keys.current.to_csp_blob(),
            modulus: keys.current.modulus_b64(),
            exponent: keys.current.exponent_b64(),
            oldvalue,
            oldmodulus,
            oldexponent,
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn opt_attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        attr(out, name, v);
    }
}

/// Writes ` name="value"` with the value escaped for a double-quoted attribute. Tab, CR and LF become
/// character references because a parser would otherwise normalise them to spaces; characters XML 1.0 cannot
/// carry at all (other C0 controls, U+FFFE, U+FFFF) become U+FFFD.
fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Values for the placeholders of an action URL (`online/discovery.rst`, "Placeholder values"). `None` drops
/// the placeholder from the URL, as the docs require for values a host does not want to set. `WOPI_SOURCE` is not
/// here: it is the `wopisrc` argument of [`expand_action_url`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionUrlParams {
    /// `UI_LLCC`: UI language, e.g. `en-US`.
    pub ui_llcc: Option<String>,
    /// `DC_LLCC`: data-calculation language (usually the `rs` parameter).
    pub dc_llcc: Option<String>,
    /// `EMBEDDED`: `true` when the output is embedded in a page (broadcast actions).
    pub embedded: Option<String>,
    /// `DISABLE_ASYNC`: `true` stops a broadcast attendee navigating independently.
    pub disable_async: Option<String>,
    /// `DISABLE_BROADCAST`: `true` loads a view that does not start or join a broadcast.
    pub disable_broadcast: Option<String>,
    /// `DISABLE_CHAT`: `1` disables in-document chat.
    pub disable_chat: Option<String>,
    /// `FULLSCREEN`: `true` loads full-screen (broadcast actions).
    pub fullscreen: Option<String>,
    /// `HOST_SESSION_ID`: the host's session id, for the client's logs.
    pub host_session_id: Option<String>,
    /// `RECORDING`: `true` loads a minimal UI (broadcast actions).
    pub recording: Option<String>,
    /// `THEME_ID`: `1` light, `2` dark (broadcast actions).
    pub theme_id: Option<String>,
    /// `PERFSTATS`: undocumented in detail.
    pub perfstats: Option<String>,
    /// `BUSINESS_USER`: `1` for business users.
    pub business_user: Option<String>,
    /// `VALIDATOR_TEST_CATEGORY`: `All`, `OfficeOnline` or `OfficeNativeClient`.
    pub validator_test_category: Option<String>,
    /// `SESSION_CONTEXT`: any string, echoed back in `X-WOPI-SessionContext`.
    pub session_context: Option<String>,
    /// Placeholders the docs do not list (Office adds new ones), keyed by placeholder value, e.g.
    /// `ACTIVITY_NAVIGATION_ID`.
    pub other: BTreeMap<String, String>,
}

impl ActionUrlParams {
    /// The value for a placeholder, if the caller supplied one.
    pub fn value_for(&self, placeholder: &str) -> Option<&str> {
        let known = match placeholder {
            "UI_LLCC" => &self.ui_llcc,
            "DC_LLCC" => &self.dc_llcc,
            "EMBEDDED" => &self.embedded,
            "DISABLE_ASYNC" => &self.disable_async,
            "DISABLE_BROADCAST" => &self.disable_broadcast,
            "DISABLE_CHAT" => &self.disable_chat,
            "FULLSCREEN" => &self.fullscreen,
            "HOST_SESSION_ID" => &self.host_session_id,
            "RECORDING" => &self.recording,
            "THEME_ID" => &self.theme_id,
            "PERFSTATS" => &self.perfstats,
            "BUSINESS_USER" => &self.business_user,
            "VALIDATOR_TEST_CATEGORY" => &self.validator_test_category,
            "SESSION_CONTEXT" => &self.session_context,
            _ => return self.other.get(placeholder).map(String::as_str),
        };
        known.as_deref()
    }
}

/// The placeholder that carries the WOPISrc (`online/discovery.rst`: replacing it is required).
const WOPI_SOURCE: &str = "WOPI_SOURCE";

/// Turns an action's `urlsrc` into a URL a browser can open (`online/discovery.rst`, "Action URLs").
///
/// Each `<name=PLACEHOLDER&>` (the `&` is optional) becomes `name=value&` when `params` (or, for `WOPI_SOURCE`,
/// `wopisrc`) supplies a value, and disappears entirely otherwise, unknown placeholders included. Values are
/// URL-encoded. The query is then tidied: no empty parameters, no `?&`, no trailing `&` or `?`. When the
/// template has no `WOPI_SOURCE` placeholder, `WOPISrc=<wopisrc>` is appended, as hosts did before that
/// placeholder existed; an empty `wopisrc` adds nothing (the preload actions take none). ASCII whitespace in the
/// template is removed first: the docs' own example wraps the attribute over lines, which XML turns into spaces.
///
/// ```
/// use wopi_protocol::discovery::{ActionUrlParams, expand_action_url};
/// let params = ActionUrlParams { ui_llcc: Some("en-US".into()), ..Default::default() };
/// assert_eq!(
///     expand_action_url("https://c.test/we/edit.aspx?<ui=UI_LLCC&><rs=DC_LLCC&>", "https://h.test/wopi/files/1", &params),
///     "https://c.test/we/edit.aspx?ui=en-US&WOPISrc=https%3A%2F%2Fh.test%2Fwopi%2Ffiles%2F1",
/// );
/// ```
pub fn expand_action_url(urlsrc: &str, wopisrc: &str, params: &ActionUrlParams) -> String {
    let template: String = urlsrc.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut filled = String::with_capacity(template.len() + wopisrc.len() * 3);
    let mut placed_wopisrc = false;
    let mut rest = template.as_str();
    while let Some(open) = rest.find('<') {
        filled.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            // An unterminated `<` is not a placeholder; keep it as text.
            filled.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = &after[..close];
        rest = &after[close + 1..];
        let (body, amp) = match inner.strip_suffix('&') {
            Some(body) => (body, true),
            None => (inner, false),
        };
        let Some((name, placeholder)) = body.split_once('=') else {
            continue;
        };
        let value = if placeholder == WOPI_SOURCE {
            placed_wopisrc = true;
            Some(wopisrc).filter(|w| !w.is_empty())
        } else {
            params.value_for(placeholder)
        };
        if let Some(value) = value {
            filled.push_str(name);
            filled.push('=');
            filled.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
            if amp {
                filled.push('&');
            }
        }
    }
    filled.push_str(rest);

    let (without_fragment, fragment) = match filled.find('#') {
        Some(i) => filled.split_at(i),
        None => (filled.as_str(), ""),
    };
    let (base, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
    let mut parts: Vec<String> = query.split('&').filter(|p| !p.is_empty()).map(str::to_owned).collect();
    if !placed_wopisrc && !wopisrc.is_empty() {
        parts.push(format!(
            "WOPISrc={}",
            url::form_urlencoded::byte_serialize(wopisrc.as_bytes()).collect::<String>()
        ));
    }
    let mut url = base.to_owned();
    if !parts.is_empty() {
        url.push('?');
        url.push_str(&parts.join("&"));
    }
    url.push_str(fragment);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/discovery-office.xml"));
    const WOPISRC: &str = "https://host.test/wopi/files/abc";
    const WOPISRC_ENC: &str = "https%3A%2F%2Fhost.test%2Fwopi%2Ffiles%2Fabc";

    fn fixture() -> Discovery {
        Discovery::parse(FIXTURE).expect("the fixture parses")
    }

    #[test]
    fn parses_realistic_discovery() {
        let d = fixture();
        let zones: Vec<&str> = d.net_zones.iter().map(|z| z.name.as_str()).collect();
        assert_eq!(zones, ["external-https", "internal-https"]);
        let apps: Vec<&str> = d.net_zones[0].apps.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(apps, ["Word", "Excel", "PowerPoint", "OneNote", "WopiTest"]);

        let word = &d.net_zones[0].apps[0];
        assert_eq!(
            word.fav_icon_url.as_deref(),
            Some("https://word.example.test/favicons/word.ico")
        );
        assert_eq!(word.check_license, Some(true));
        assert_eq!(word.actions.len(), 6);
        let view = &word.actions[0];
        assert_eq!(
            (view.name.as_str(), view.ext.as_deref(), view.default),
            ("view", Some("docx"), true)
        );
        assert!(
            view.urlsrc
                .starts_with("https://word-view.example.test/wv/viewerframe.aspx?<ui=UI_LLCC&><rs=DC_LLCC&>")
        );
        // The element wraps over lines in the fixture; the value itself holds no whitespace.
        assert!(!view.urlsrc.contains(char::is_whitespace));
        let edit = &word.actions[1];
        assert_eq!((edit.requires.as_deref(), edit.default), (Some("locks,update"), false));
        let convert = &word.actions[3];
        assert_eq!(
            (convert.ext.as_deref(), convert.targetext.as_deref()),
            (Some("doc"), Some("docx"))
        );
        assert_eq!(word.actions[5].ext, None);

        let onenote = &d.net_zones[0].apps[3];
        assert_eq!(onenote.check_license, Some(false));
        assert_eq!(onenote.actions[0].progid.as_deref(), Some("OneNote.Notebook"));
        assert_eq!(onenote.actions[0].use_parent, Some(true));
        assert_eq!(onenote.actions[1].newprogid.as_deref(), Some("OneNote.Notebook"));
        assert_eq!(onenote.actions[1].newext.as_deref(), Some("onetoc2"));
        assert_eq!(d.net_zones[0].apps[4].check_license, Some(true));
        assert_eq!(d.net_zones[0].apps[4].fav_icon_url, None);

        let key = d.proof_key.as_ref().expect("proof key");
        assert_eq!(key.exponent, "AQAB");
        assert_eq!(key.oldexponent, "AQAB");
        assert!(key.value.starts_with("BgIAAACkAABSU0Ex"));
        assert!(key.modulus.starts_with("jFb+Inh7"));
        assert!(key.oldmodulus.starts_with("rKWKpGaz"));
    }

    #[test]
    fn finds_actions() {
        let d = fixture();
        let (app, action) = d.find_action("DOCX", "edit").expect("word edit");
        assert_eq!((app.name.as_str(), action.name.as_str()), ("Word", "edit"));
        let (app, _) = d.find_action(".xlsx", "view").expect("excel view");
        assert_eq!(app.name, "Excel");
        assert!(d.find_action("txt", "view").is_none());
        assert!(d.find_action("docx", "View").is_none(), "action names are exact");
        let (_, action) = d
            .find_action_in_zone("internal-https", "docx", "view")
            .expect("internal view");
        assert!(action.urlsrc.contains("internal.example.test"));
        assert!(d.find_action_in_zone("internal-https", "docx", "edit").is_none());
        let (app, _) = d
            .find_action_by_progid("OneNote.Notebook", "view")
            .expect("progid view");
        assert_eq!(app.name, "OneNote");
        assert_eq!(d.actions().count(), 18);
    }

    #[test]
    fn written_xml_parses_back_equal() {
        let d = fixture();
        let xml = d.to_xml();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<wopi-discovery>\n"));
        assert_eq!(Discovery::parse(&xml), Ok(d));
        assert_eq!(
            Discovery::parse(&Discovery::default().to_xml()),
            Ok(Discovery::default())
        );
    }

    fn small_model() -> Discovery {
        Discovery {
            net_zones: vec![NetZone {
                name: "external-http".to_owned(),
                apps: vec![
                    App {
                        name: "WopiTest".to_owned(),
                        fav_icon_url: Some("http://127.0.0.1:8080/favicon.ico".to_owned()),
                        check_license: Some(true),
                        actions: vec![
                            Action {
                                name: "view".to_owned(),
                                ext: Some("wopitest".to_owned()),
                                progid: None,
                                urlsrc: "http://127.0.0.1:8080/frame?<ui=UI_LLCC&><wopisrc=WOPI_SOURCE&>".to_owned(),
                                requires: None,
                                default: true,
                                newprogid: None,
                                newext: None,
                                use_parent: None,
                                targetext: None,
                            },
                            Action {
                                name: "edit".to_owned(),
                                ext: Some("wopitest".to_owned()),
                                progid: Some("Test.\"Quoted\"".to_owned()),
                                urlsrc: "http://127.0.0.1:8080/edit?a=1&b=2".to_owned(),
                                requires: Some("locks,update".to_owned()),
                                default: false,
                                newprogid: Some("Test.New".to_owned()),
                                newext: Some("wopitestx".to_owned()),
                                use_parent: Some(false),
                                targetext: Some("tab\there".to_owned()),
                            },
                        ],
                    },
                    App {
                        name: "Empty".to_owned(),
                        fav_icon_url: None,
                        check_license: None,
                        actions: vec![],
                    },
                ],
            }],
            proof_key: Some(ProofKeyElement {
                value: "VALUE".to_owned(),
                modulus: "MODULUS".to_owned(),
                exponent: "AQAB".to_owned(),
                oldvalue: "OLDVALUE".to_owned(),
                oldmodulus: "OLDMODULUS".to_owned(),
                oldexponent: "AQAB".to_owned(),
            }),
        }
    }

    #[test]
    fn writes_small_model_snapshot() {
        let d = small_model();
        let xml = d.to_xml();
        insta::assert_snapshot!("discovery_small_model", xml);
        assert_eq!(Discovery::parse(&xml), Ok(d));
    }

    #[test]
    fn tolerates_bom_namespaces_comments_and_unknown_content() {
        let xml = "\u{FEFF}<?xml version=\"1.0\"?><!DOCTYPE wopi-discovery><wopi-discovery xmlns:x=\"urn:x\" x:extra=\"1\">\
                   <!-- comment --><x:net-zone name=\"z\"><app name=\"A\" newAttr=\"?\">text<![CDATA[ignored]]>\
                   <action name=\"view\" ext=\"e\" urlsrc=\"u\" brandNew=\"x\"><child/></action><unknown/></app></x:net-zone>\
                   <proof-key value=\"v\"/></wopi-discovery>";
        let d = Discovery::parse(xml).expect("parses");
        assert_eq!(d.net_zones[0].apps[0].actions[0].urlsrc, "u");
        let key = d.proof_key.expect("proof key");
        assert_eq!((key.value.as_str(), key.modulus.as_str()), ("v", ""));
    }

    #[test]
    fn rejects_what_the_protocol_needs() {
        let cases: [(&str, DiscoveryError); 9] = [
            (
                "<discovery/>",
                DiscoveryError::WrongRoot {
                    found: "discovery".to_owned(),
                },
            ),
            ("", DiscoveryError::MissingRoot),
            ("<wopi-discovery>", DiscoveryError::MissingRoot),
            (
                "<wopi-discovery><net-zone/></wopi-discovery>",
                DiscoveryError::MissingAttribute {
                    element: "net-zone",
                    attribute: "name",
                    position: 16,
                },
            ),
            (
                "<wopi-discovery><net-zone name=\"z\"><app/></net-zone></wopi-discovery>",
                DiscoveryError::MissingAttribute {
                    element: "app",
                    attribute: "name",
                    position: 35,
                },
            ),
            (
                "<wopi-discovery><net-zone name=\"z\"><app name=\"a\"><action name=\"view\"/></app></net-zone></wopi-discovery>",
                DiscoveryError::MissingAttribute {
                    element: "action",
                    attribute: "urlsrc",
                    position: 49,
                },
            ),
            (
                "<wopi-discovery><net-zone name=\"z\"><app name=\"a\"><action name=\"v\" urlsrc=\" \"/></app></net-zone></wopi-discovery>",
                DiscoveryError::InvalidAttribute {
                    element: "action",
                    attribute: "urlsrc",
                    value: " ".to_owned(),
                    reason: "must not be empty",
                    position: 49,
                },
            ),
            (
                "<wopi-discovery><net-zone name=\"z\"><app name=\"a\" checkLicense=\"yes\"/></net-zone></wopi-discovery>",
                DiscoveryError::InvalidAttribute {
                    element: "app",
                    attribute: "checkLicense",
                    value: "yes".to_owned(),
                    reason: "expected true or false",
                    position: 35,
                },
            ),
            (
                "<wopi-discovery><proof-key value=\"a\"/><proof-key value=\"b\"/></wopi-discovery>",
                DiscoveryError::DuplicateProofKey { position: 38 },
            ),
        ];
        for (xml, expected) in cases {
            assert_eq!(Discovery::parse(xml), Err(expected), "{xml}");
        }
        let message = Discovery::parse("<wopi-discovery><net-zone/></wopi-discovery>")
            .expect_err("invalid")
            .to_string();
        assert!(
            message.contains("<net-zone>") && message.contains("\"name\""),
            "{message}"
        );
    }

    #[test]
    fn rejects_malformed_xml() {
        for xml in [
            "<wopi-discovery><net-zone name=\"z\"></app></wopi-discovery>",
            "<wopi-discovery><net-zone name=\"z></wopi-discovery>",
            "<wopi-discovery><net-zone name=\"a&bogus;\"/></wopi-discovery>",
            "<wopi-discovery/><wopi-discovery/>",
            "<wopi-discovery><net-zone name=\"a\" name=\"b\"/></wopi-discovery>",
        ] {
            let err = Discovery::parse(xml).expect_err(xml);
            assert!(matches!(err, DiscoveryError::Xml { .. }), "{xml}: {err:?}");
        }
    }

    #[test]
    fn bool_attributes_accept_xsd_forms() {
        let xml = "<wopi-discovery><net-zone name=\"z\"><app name=\"a\" checkLicense=\"0\">\
                   <action name=\"v\" urlsrc=\"u\" default=\"TRUE\" useParent=\"1\"/></app></net-zone></wopi-discovery>";
        let d = Discovery::parse(xml).expect("parses");
        let app = &d.net_zones[0].apps[0];
        assert_eq!(app.check_license, Some(false));
        assert!(app.actions[0].default);
        assert_eq!(app.actions[0].use_parent, Some(true));
    }

    #[test]
    fn expands_each_placeholder() {
        let cases = [
            (
                "UI_LLCC",
                ActionUrlParams {
                    ui_llcc: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "DC_LLCC",
                ActionUrlParams {
                    dc_llcc: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "EMBEDDED",
                ActionUrlParams {
                    embedded: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "DISABLE_ASYNC",
                ActionUrlParams {
                    disable_async: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "DISABLE_BROADCAST",
                ActionUrlParams {
                    disable_broadcast: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "DISABLE_CHAT",
                ActionUrlParams {
                    disable_chat: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "FULLSCREEN",
                ActionUrlParams {
                    fullscreen: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "HOST_SESSION_ID",
                ActionUrlParams {
                    host_session_id: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "RECORDING",
                ActionUrlParams {
                    recording: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "THEME_ID",
                ActionUrlParams {
                    theme_id: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "PERFSTATS",
                ActionUrlParams {
                    perfstats: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "BUSINESS_USER",
                ActionUrlParams {
                    business_user: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "VALIDATOR_TEST_CATEGORY",
                ActionUrlParams {
                    validator_test_category: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "SESSION_CONTEXT",
                ActionUrlParams {
                    session_context: Some("de-DE".into()),
                    ..Default::default()
                },
            ),
            (
                "ACTIVITY_NAVIGATION_ID",
                ActionUrlParams {
                    other: BTreeMap::from([("ACTIVITY_NAVIGATION_ID".into(), "de-DE".into())]),
                    ..Default::default()
                },
            ),
        ];
        for (placeholder, params) in cases {
            let urlsrc = format!("https://c.test/a?<x=OTHER_THING&><p={placeholder}&><y=UNKNOWN>");
            assert_eq!(
                expand_action_url(&urlsrc, WOPISRC, &params),
                format!("https://c.test/a?p=de-DE&WOPISrc={WOPISRC_ENC}"),
                "{placeholder}"
            );
            // Supplied for one placeholder only: every other known placeholder is dropped.
            assert_eq!(
                expand_action_url(&urlsrc, WOPISRC, &ActionUrlParams::default()),
                format!("https://c.test/a?WOPISrc={WOPISRC_ENC}"),
                "{placeholder} unsupplied"
            );
        }
    }

    #[test]
    fn expansion_fills_wopi_source_placeholder_in_place() {
        let params = ActionUrlParams {
            ui_llcc: Some("en-US".into()),
            dc_llcc: Some("fr-FR".into()),
            ..Default::default()
        };
        assert_eq!(
            expand_action_url(
                "https://c.test/v?<ui=UI_LLCC&><wopisrc=WOPI_SOURCE&><rs=DC_LLCC&>",
                WOPISRC,
                &params
            ),
            format!("https://c.test/v?ui=en-US&wopisrc={WOPISRC_ENC}&rs=fr-FR")
        );
        // An empty WOPISrc (preload actions) drops the placeholder and appends nothing.
        assert_eq!(
            expand_action_url("https://c.test/v?<ui=UI_LLCC&><wopisrc=WOPI_SOURCE&>", "", &params),
            "https://c.test/v?ui=en-US"
        );
    }

    #[test]
    fn expansion_fixes_separators() {
        let none = ActionUrlParams::default();
        let ui = ActionUrlParams {
            ui_llcc: Some("en-US".into()),
            ..Default::default()
        };
        let cases = [
            // All dropped: no `?` left.
            (
                "https://c.test/p.aspx?<ui=UI_LLCC&><rs=DC_LLCC&>",
                "",
                &none,
                "https://c.test/p.aspx",
            ),
            // Last placeholder without `&`, and a supplied one before it: no trailing `&`.
            (
                "https://c.test/p?<ui=UI_LLCC&><rs=DC_LLCC>",
                "",
                &ui,
                "https://c.test/p?ui=en-US",
            ),
            // A literal parameter before placeholders.
            (
                "https://c.test/p?new=1&<ui=UI_LLCC&><rs=DC_LLCC&>",
                "",
                &ui,
                "https://c.test/p?new=1&ui=en-US",
            ),
            (
                "https://c.test/p?new=1&<rs=DC_LLCC&>",
                "",
                &ui,
                "https://c.test/p?new=1",
            ),
            // Dropped placeholder first: no `?&`.
            ("https://c.test/p?<rs=DC_LLCC&>new=1", "", &ui, "https://c.test/p?new=1"),
            // No query at all, and a template without placeholders (as Collabora writes: ends in `?`).
            (
                "https://c.test/p",
                WOPISRC,
                &ui,
                "https://c.test/p?WOPISrc=https%3A%2F%2Fhost.test%2Fwopi%2Ffiles%2Fabc",
            ),
            (
                "https://c.test/p?",
                WOPISRC,
                &ui,
                "https://c.test/p?WOPISrc=https%3A%2F%2Fhost.test%2Fwopi%2Ffiles%2Fabc",
            ),
            // The docs' example wraps the attribute; the whitespace goes.
            (
                "https://word-edit.officeapps.live.com/we/wordeditorframe.aspx?\n            <ui=UI_LLCC&><rs=DC_LLCC&><showpagestats=PERFSTATS&>",
                "",
                &ui,
                "https://word-edit.officeapps.live.com/we/wordeditorframe.aspx?ui=en-US",
            ),
            // A fragment stays last.
            (
                "https://c.test/p?<ui=UI_LLCC&>#frag",
                "w",
                &ui,
                "https://c.test/p?ui=en-US&WOPISrc=w#frag",
            ),
            // Not placeholders: an unterminated `<` stays, one without `=` goes.
            ("https://c.test/p?a=<b", "", &none, "https://c.test/p?a=<b"),
            ("https://c.test/p?<JUNK>a=1", "", &none, "https://c.test/p?a=1"),
        ];
        for (urlsrc, wopisrc, params, expected) in cases {
            assert_eq!(expand_action_url(urlsrc, wopisrc, params), expected, "{urlsrc}");
        }
    }

    #[test]
    fn expansion_url_encodes_values() {
        let params = ActionUrlParams {
            session_context: Some("a b&c=d/é".into()),
            ..Default::default()
        };
        assert_eq!(
            expand_action_url(
                "https://c.test/p?<sc=SESSION_CONTEXT&>",
                "https://h.test/wopi/files/a b?x=1",
                &params
            ),
            "https://c.test/p?sc=a+b%26c%3Dd%2F%C3%A9&WOPISrc=https%3A%2F%2Fh.test%2Fwopi%2Ffiles%2Fa+b%3Fx%3D1"
        );
    }

    #[test]
    fn expands_fixture_actions() {
        let d = fixture();
        let params = ActionUrlParams {
            ui_llcc: Some("en-US".into()),
            dc_llcc: Some("en-US".into()),
            ..Default::default()
        };
        let (_, view) = d.find_action("docx", "view").expect("view");
        assert_eq!(
            expand_action_url(&view.urlsrc, WOPISRC, &params),
            format!("https://word-view.example.test/wv/viewerframe.aspx?ui=en-US&rs=en-US&wopisrc={WOPISRC_ENC}")
        );
        let (_, view) = d.find_action("wopitest", "view").expect("wopitest view");
        assert_eq!(
            expand_action_url(&view.urlsrc, WOPISRC, &params),
            format!("https://onenote.example.test/hosting/WopiTestFrame.aspx?WOPISrc={WOPISRC_ENC}")
        );
    }

    fn fixture_pair(name: &str) -> crate::proof::ProofKeyPair {
        let path = format!("{}/../fixtures/proof-keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
        let pem = std::fs::read_to_string(&path).expect("fixture key present");
        crate::proof::ProofKeyPair::from_pkcs8_pem(&pem).expect("fixture key parses")
    }

    #[test]
    fn proof_keys_come_from_the_proof_key_element() {
        let d = fixture();
        let keys = d.proof_keys().expect("keys");
        assert_eq!(keys.current, fixture_pair("current").public());
        assert_eq!(keys.old, Some(fixture_pair("old").public()));
        // Writing the element back from the keys reproduces the fixture's attributes byte for byte.
        assert_eq!(ProofKeyElement::from_keys(&keys), d.proof_key.clone().expect("element"));
    }

    #[test]
    fn proof_keys_fall_back_and_report() {
        let full = fixture().proof_key.expect("element");
        let current = fixture_pair("current").public();
        let with = |f: &dyn Fn(&mut ProofKeyElement)| {
            let mut key = full.clone();
            f(&mut key);
            Discovery {
                net_zones: vec![],
                proof_key: Some(key),
            }
            .proof_keys()
        };
        // Only the CSP blob, only the pair, a broken pair with a good blob: all give the same key.
        let only_blob = with(&|k| {
            k.modulus.clear();
            k.exponent.clear();
        });
        assert_eq!(only_blob.map(|k| k.current), Ok(current.clone()));
        assert_eq!(with(&|k| k.value.clear()).map(|k| k.current), Ok(current.clone()));
        assert_eq!(with(&|k| k.modulus = "AQAB".into()).map(|k| k.current), Ok(current));
        // No old key at all.
        let no_old = with(&|k| {
            k.oldvalue.clear();
            k.oldmodulus.clear();
            k.oldexponent.clear();
        });
        assert_eq!(no_old.map(|k| k.old), Ok(None));

        let both_bad = with(&|k| {
            k.modulus = "AQAB".into();
            k.value = "AAAA".into();
        });
        assert!(
            matches!(
                &both_bad,
                Err(DiscoveryError::InvalidKey {
                    which: "current",
                    attribute: "modulus",
                    ..
                })
            ),
            "{both_bad:?}"
        );
        let bad_exponent = with(&|k| {
            k.exponent = "!!".into();
            k.value.clear();
        });
        assert!(
            matches!(
                &bad_exponent,
                Err(DiscoveryError::InvalidKey {
                    attribute: "exponent",
                    ..
                })
            ),
            "{bad_exponent:?}"
        );
        let bad_old_blob = with(&|k| {
            k.oldmodulus.clear();
            k.oldexponent.clear();
            k.oldvalue = "AAAA".into();
        });
        assert!(
            matches!(
                &bad_old_blob,
                Err(DiscoveryError::InvalidKey {
                    which: "old",
                    attribute: "oldvalue",
                    ..
                })
            ),
            "{bad_old_blob:?}"
        );
        let err = bad_old_blob.expect_err("invalid").to_string();
        assert!(err.contains("oldvalue") && err.contains("old key"), "{err}");
        assert_eq!(
            Discovery {
                net_zones: vec![],
                proof_key: Some(ProofKeyElement::default())
            }
            .proof_keys(),
            Err(DiscoveryError::NoKeyMaterial { which: "current" })
        );
        assert_eq!(Discovery::default().proof_keys(), Err(DiscoveryError::NoProofKey));
    }

    #[test]
    fn from_keys_without_old_key_round_trips() {
        let keys = ProofKeys {
            current: fixture_pair("current").public(),
            old: None,
        };
        let element = ProofKeyElement::from_keys(&keys);
        assert!(element.oldvalue.is_empty() && element.oldmodulus.is_empty() && element.oldexponent.is_empty());
        let d = Discovery {
            net_zones: vec![],
            proof_key: Some(element),
        };
        let parsed = Discovery::parse(&d.to_xml()).expect("parses");
        assert_eq!(parsed.proof_keys(), Ok(keys));
    }

    /// Strings XML can carry in attributes, including the characters that need escaping or character references.
    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 <>&\"'=?/:.\t\r\n\u{a0}-\u{d7ff}\u{e000}-\u{fffd}\u{10000}-\u{10ffff}]{0,12}"
    }

    fn non_empty() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9<>&\"'\u{e9}\u{1F600}][a-zA-Z0-9 <>&\"'=?/:.\t\r\n\u{e9}]{0,10}"
    }

    fn action() -> impl Strategy<Value = Action> {
        (
            (
                non_empty(),
                proptest::option::of(text()),
                proptest::option::of(text()),
                non_empty(),
                proptest::option::of(text()),
            ),
            (
                any::<bool>(),
                proptest::option::of(text()),
                proptest::option::of(text()),
                proptest::option::of(any::<bool>()),
            ),
            proptest::option::of(text()),
        )
            .prop_map(
                |((name, ext, progid, urlsrc, requires), (default, newprogid, newext, use_parent), targetext)| Action {
                    name,
                    ext,
                    progid,
                    urlsrc,
                    requires,
                    default,
                    newprogid,
                    newext,
                    use_parent,
                    targetext,
                },
            )
    }

    fn app() -> impl Strategy<Value = App> {
        (
            non_empty(),
            proptest::option::of(text()),
            proptest::option::of(any::<bool>()),
            proptest::collection::vec(action(), 0..4),
        )
            .prop_map(|(name, fav_icon_url, check_license, actions)| App {
                name,
                fav_icon_url,
                check_license,
                actions,
            })
    }

    fn discovery() -> impl Strategy<Value = Discovery> {
        let zone =
            (non_empty(), proptest::collection::vec(app(), 0..3)).prop_map(|(name, apps)| NetZone { name, apps });
        let key = (text(), text(), text(), text(), text(), text()).prop_map(
            |(value, modulus, exponent, oldvalue, oldmodulus, oldexponent)| ProofKeyElement {
                value,
                modulus,
                exponent,
                oldvalue,
                oldmodulus,
                oldexponent,
            },
        );
        (proptest::collection::vec(zone, 0..3), proptest::option::of(key))
            .prop_map(|(net_zones, proof_key)| Discovery { net_zones, proof_key })
    }

    proptest! {
        #[test]
        fn generated_models_round_trip(d in discovery()) {
            prop_assert_eq!(Discovery::parse(&d.to_xml()), Ok(d));
        }

        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = Discovery::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_xmlish_input(s in "[<>/=\"a-z -]{0,60}") {
            let _ = Discovery::parse(&format!("<wopi-discovery>{s}</wopi-discovery>"));
        }

        #[test]
        fn expansion_never_leaves_bad_separators(
            urlsrc in "https://c\\.test/p\\?[a-z=&<>_A-Z]{0,30}",
            ui in proptest::option::of("[a-z &=?]{0,5}"),
        ) {
            let params = ActionUrlParams { ui_llcc: ui, ..Default::default() };
            let url = expand_action_url(&urlsrc, WOPISRC, &params);
            prop_assert!(!url.contains("?&") && !url.contains("&&") && !url.ends_with('&') && !url.ends_with('?'), "{}", url);
            prop_assert!(url.ends_with(&format!("WOPISrc={WOPISRC_ENC}")) || urlsrc.contains("=WOPI_SOURCE"), "{}", url);
        }
    }
}
