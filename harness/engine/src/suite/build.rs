//! Builds the typed [`Suite`] from the positioned XML tree, checking the vocabulary as it goes.
//!
//! Unknown elements and attributes are errors (a typo must not silently drop a check), each naming the file,
//! line, column, element path and what was expected there.

use std::collections::HashMap;
use std::path::Path;

use super::SuiteError;
use super::model::*;
use super::xml::{Attr, Node, XmlError};

/// Request elements of the validator vocabulary (plus `CheckFile`, FeatureTestCases' alias of CheckFileInfo).
const REQUEST_ELEMENTS: &[&str] = &[
    "CheckFileInfo",
    "CheckFile",
    "GetFile",
    "PutFile",
    "PutRelativeFile",
    "Lock",
    "Unlock",
    "RefreshLock",
    "UnlockAndRelock",
    "GetLock",
    "PutUserInfo",
    "AddActivities",
    "DeleteFile",
    "RenameFile",
    "GetShareUrl",
    "GetNewAccessToken",
    "CheckContainerInfo",
    "EnumerateChildren",
    "EnumerateAncestors",
    "GetEcosystem",
    "GetRootContainer",
    "CheckEcosystem",
    "CreateChildContainer",
    "CreateChildFile",
    "DeleteContainer",
    "RenameContainer",
    "GetFromFileUrl",
    "PutToFileUrl",
    "GetCoauthLock",
    "RefreshCoauthLock",
    "UnlockCoauthLock",
    "GetCoauthTable",
    "GetChunkedFile",
    "PutChunkedFile",
    "GetSequenceNumber",
    "Delay",
];

const EXT_STEPS: &[&str] = &[
    "ext:Concurrent",
    "ext:RotateKeys",
    "ext:AdvanceClock",
    "ext:ForEach",
    "ext:PostMessage",
    "ext:LockRace",
];

const VALIDATOR_ELEMENTS: &[&str] = &[
    "ResponseCodeValidator",
    "ResponseHeaderValidator",
    "LockMismatchValidator",
    "JsonResponseContentValidator",
    "JsonSchemaValidator",
    "ResponseContentValidator",
    "FramesValidator",
    "Or",
    "And",
];

const PROPERTY_ELEMENTS: &[&str] = &[
    "BooleanProperty",
    "IntegerProperty",
    "LongProperty",
    "StringProperty",
    "StringRegexProperty",
    "AbsoluteUrlProperty",
    "ArrayProperty",
    "ArrayLengthProperty",
    "ResponseBodyProperty",
];

/// Schema ids the engine embeds; any other id is an error at load, as in the engine.
pub const KNOWN_SCHEMAS: &[&str] = &[
    "CsppCheckFileInfoSchema",
    "CsppPlusCheckFileInfoSchema",
    "CoauthTableSchema",
    "GetChunkedFileResponseSchema",
];

pub(crate) struct Builder<'a> {
    file: &'a Path,
    /// Element names from the root to the element being built.
    path: Vec<String>,
}

type R<T> = Result<T, SuiteError>;

impl<'a> Builder<'a> {
    pub(crate) fn new(file: &'a Path) -> Self {
        Builder { file, path: Vec::new() }
    }

    pub(crate) fn xml_error(&self, e: XmlError) -> SuiteError {
        SuiteError::Parse {
            file: self.file.to_path_buf(),
            pos: e.pos,
            element_path: e.path,
            message: e.message,
        }
    }

    fn err(&self, pos: Pos, message: impl Into<String>) -> SuiteError {
        SuiteError::Parse {
            file: self.file.to_path_buf(),
            pos,
            element_path: self.path.join("/"),
            message: message.into(),
        }
    }

    fn enter(&mut self, n: &Node) {
        self.path.push(n.name.clone());
    }

    fn leave(&mut self) {
        self.path.pop();
    }

    fn check_attrs(&self, n: &Node, allowed: &[&str]) -> R<()> {
        for a in &n.attrs {
            // Our extension attributes are checked by their own readers.
            if a.name.starts_with("ext:") {
                // Element-specific extension attributes are listed in `allowed` with their prefix.
                if a.name == "ext:Severity"
                    || a.name == "ext:Note"
                    || a.name == "ext:Exclusive"
                    || allowed.contains(&a.name.as_str())
                {
                    continue;
                }
                return Err(self.err(a.pos, format!("unknown extension attribute {} on <{}>", a.name, n.name)));
            }
            if !allowed.contains(&a.name.as_str()) {
                return Err(self.err(
                    a.pos,
                    format!(
                        "unknown attribute {} on <{}>; expected one of: {}",
                        a.name,
                        n.name,
                        if allowed.is_empty() {
                            "(none)".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_children(&self, n: &Node, allowed: &[&str]) -> R<()> {
        for c in &n.children {
            if !allowed.contains(&c.name.as_str()) {
                return Err(self.err(
                    c.pos,
                    format!(
                        "unexpected element <{}> in <{}>; expected one of: {}",
                        c.name,
                        n.name,
                        if allowed.is_empty() {
                            "(no child elements)".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    fn attr<'n>(&self, n: &'n Node, name: &str) -> Option<&'n Attr> {
        n.attrs.iter().find(|a| a.name == name)
    }

    fn opt(&self, n: &Node, name: &str) -> Option<String> {
        self.attr(n, name).map(|a| a.value.clone())
    }

    fn req(&self, n: &Node, name: &str) -> R<String> {
        self.opt(n, name)
            .ok_or_else(|| self.err(n.pos, format!("<{}> needs attribute {name}", n.name)))
    }

    /// `xs:boolean` as XmlConvert reads it: `true|false|1|0`, surrounding whitespace allowed.
    fn bool_attr(&self, n: &Node, name: &str) -> R<Option<bool>> {
        let Some(a) = self.attr(n, name) else { return Ok(None) };
        match a.value.trim() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            other => Err(self.err(
                a.pos,
                format!("{name}=\"{other}\" is not a boolean; expected true, false, 1 or 0"),
            )),
        }
    }

    fn parse_attr<T: std::str::FromStr>(&self, n: &Node, name: &str, what: &str) -> R<Option<T>> {
        let Some(a) = self.attr(n, name) else { return Ok(None) };
        a.value
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| self.err(a.pos, format!("{name}=\"{}\" is not {what}", a.value)))
    }

    fn child<'n>(&self, n: &'n Node, name: &str) -> Option<&'n Node> {
        n.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn suite(&mut self, root: &Node, name: String) -> R<Suite> {
        if root.name != "WopiValidation" {
            return Err(self.err(
                root.pos,
                format!("root element is <{}>; expected <WopiValidation>", root.name),
            ));
        }
        self.enter(root);
        self.check_attrs(root, &[])?;
        self.check_children(root, &["Resources", "PrereqCases", "TestGroup"])?;
        let mut resources = Vec::new();
        for r in root.children.iter().filter(|c| c.name == "Resources") {
            self.enter(r);
            self.check_attrs(r, &[])?;
            self.check_children(r, &["File"])?;
            for f in &r.children {
                self.enter(f);
                self.check_attrs(f, &["Id", "Name", "FilePath"])?;
                let res = Resource {
                    id: self.req(f, "Id")?,
                    name: self.req(f, "Name")?,
                    file_path: self.req(f, "FilePath")?,
                };
                if resources.iter().any(|x: &Resource| x.id == res.id) {
                    return Err(self.err(f.pos, format!("duplicate resource Id {}", res.id)));
                }
                resources.push(res);
                self.leave();
            }
            self.leave();
        }
        let mut prereqs: Vec<TestCase> = Vec::new();
        for p in root.children.iter().filter(|c| c.name == "PrereqCases") {
            self.enter(p);
            self.check_attrs(p, &[])?;
            self.check_children(p, &["TestCase"])?;
            for c in &p.children {
                let case = self.test_case(c, &resources)?;
                if prereqs.iter().any(|x| x.name == case.name) {
                    return Err(self.err(c.pos, format!("duplicate prereq case name {}", case.name)));
                }
                prereqs.push(case);
            }
            self.leave();
        }
        let mut groups = Vec::new();
        for g in root.children.iter().filter(|c| c.name == "TestGroup") {
            groups.push(self.group(g, &prereqs, &resources)?);
        }
        self.leave();
        Ok(Suite {
            name,
            path: self.file.to_path_buf(),
            resources,
            prereqs,
            groups,
        })
    }

    fn group(&mut self, g: &Node, prereqs: &[TestCase], resources: &[Resource]) -> R<TestGroup> {
        self.enter(g);
        self.check_attrs(g, &["Name", "HasDelay"])?;
        self.check_children(g, &["PrereqTests", "TestCases"])?;
        let name = self.req(g, "Name")?;
        let has_delay = self.bool_attr(g, "HasDelay")?.unwrap_or(false);
        let group_exclusive = self.bool_attr(g, "ext:Exclusive")?.unwrap_or(false);
        let mut names = Vec::new();
        if let Some(p) = self.child(g, "PrereqTests") {
            self.enter(p);
            self.check_attrs(p, &[])?;
            self.check_children(p, &["PrereqTest"])?;
            for t in &p.children {
                let n = t.text.trim().to_string();
                if !prereqs.iter().any(|c| c.name == n) {
                    // The engine throws "Could not find a prereq test case named {0}" without the name; we name it.
                    return Err(self.err(t.pos, format!("no prereq case named '{n}' in <PrereqCases>")));
                }
                names.push(n);
            }
            self.leave();
        }
        let Some(tc) = self.child(g, "TestCases") else {
            return Err(self.err(g.pos, "<TestGroup> needs a <TestCases> element"));
        };
        self.enter(tc);
        self.check_attrs(tc, &[])?;
        self.check_children(tc, &["TestCase"])?;
        let mut cases: Vec<TestCase> = Vec::new();
        for c in &tc.children {
            let mut case = self.test_case(c, resources)?;
            case.exclusive |= group_exclusive;
            if cases.iter().any(|x| x.name == case.name) {
                return Err(self.err(c.pos, format!("duplicate test case name {} in group {name}", case.name)));
            }
            cases.push(case);
        }
        self.leave();
        self.leave();
        Ok(TestGroup {
            name,
            has_delay,
            prereqs: names,
            cases,
            pos: g.pos,
        })
    }

    fn test_case(&mut self, c: &Node, resources: &[Resource]) -> R<TestCase> {
        self.enter(c);
        self.check_attrs(
            c,
            &[
                "Name",
                "Category",
                "TestCategory",
                "Description",
                "UiScreenshot",
                "DocumentationLink",
                "FailMessage",
                "Document",
                "ResourceId",
                "UploadDocumentOnSetup",
                "DeleteDocumentOnTeardown",
            ],
        )?;
        self.check_children(c, &["Description", "Requests", "CleanupRequests"])?;
        let name = self.req(c, "Name")?;
        if name.trim().is_empty() {
            return Err(self.err(c.pos, "<TestCase> Name must not be empty"));
        }
        if let Some(p) = self.path.last_mut() {
            p.push_str(&format!("[@Name='{name}']"))
        }
        let cat_text = self
            .opt(c, "Category")
            .or_else(|| self.opt(c, "TestCategory"))
            .ok_or_else(|| {
                self.err(
                    c.pos,
                    "<TestCase> needs a Category (WopiCore, OfficeOnline, OfficeNativeClient or WopiCoauth)",
                )
            })?;
        let category = Category::parse(&cat_text).ok_or_else(|| {
            self.err(
                c.pos,
                format!("Category=\"{cat_text}\" is unknown; expected WopiCore, OfficeOnline, OfficeNativeClient or WopiCoauth"),
            )
        })?;
        let description = match (self.child(c, "Description"), self.opt(c, "Description")) {
            (Some(d), _) => condense(&d.text),
            (None, Some(d)) => condense(&d),
            (None, None) => return Err(self.err(c.pos, "<TestCase> needs a <Description>")),
        };
        let resource_id = self.opt(c, "ResourceId").or_else(|| self.opt(c, "Document"));
        let Some(reqs) = self.child(c, "Requests") else {
            return Err(self.err(c.pos, "<TestCase> needs a <Requests> element"));
        };
        self.enter(reqs);
        self.check_attrs(reqs, &[])?;
        let mut requests = Vec::new();
        for r in &reqs.children {
            self.step(r, resources, &mut requests)?;
        }
        if requests.is_empty() {
            return Err(self.err(reqs.pos, "<Requests> needs at least one request"));
        }
        self.leave();
        let mut cleanup = Vec::new();
        if let Some(cl) = self.child(c, "CleanupRequests") {
            self.enter(cl);
            self.check_attrs(cl, &[])?;
            for r in &cl.children {
                if !REQUEST_ELEMENTS.contains(&r.name.as_str()) {
                    return Err(self.err(
                        r.pos,
                        format!(
                            "unexpected element <{}> in <CleanupRequests>; expected a request element",
                            r.name
                        ),
                    ));
                }
                cleanup.push(self.request(r, resources)?);
            }
            self.leave();
        }
        let case = TestCase {
            name,
            category,
            description,
            documentation_link: self.opt(c, "DocumentationLink"),
            ui_screenshot: self.opt(c, "UiScreenshot"),
            fail_message: self.opt(c, "FailMessage"),
            upload_document_on_setup: self.bool_attr(c, "UploadDocumentOnSetup")?.unwrap_or(false),
            delete_document_on_teardown: self.bool_attr(c, "DeleteDocumentOnTeardown")?.unwrap_or(false),
            exclusive: self.bool_attr(c, "ext:Exclusive")?.unwrap_or(false),
            resource_id,
            requests,
            cleanup,
            pos: c.pos,
        };
        if let Some(id) = &case.resource_id
            && (case.upload_document_on_setup)
            && !resources.iter().any(|r| &r.id == id)
        {
            return Err(self.err(c.pos, format!("resource '{id}' is not declared in <Resources>")));
        }
        self.leave();
        Ok(case)
    }

    fn step(&mut self, r: &Node, resources: &[Resource], out: &mut Vec<Step>) -> R<()> {
        let name = r.name.as_str();
        if REQUEST_ELEMENTS.contains(&name) {
            out.push(Step::Request(self.request(r, resources)?));
            return Ok(());
        }
        self.enter(r);
        let step = match name {
            "ext:RotateKeys" => {
                self.check_attrs(r, &[])?;
                self.check_children(r, &[])?;
                Step::RotateKeys { pos: r.pos }
            }
            "ext:LockRace" => {
                self.check_attrs(r, super::race_config::RaceConfig::ATTRIBUTES)?;
                self.check_children(r, &[])?;
                let attrs = r.attrs.iter().map(|a| (a.name.as_str(), a.value.as_str()));
                let config = super::race_config::RaceConfig::from_attributes(attrs).map_err(|m| self.err(r.pos, m))?;
                Step::LockRace { config, pos: r.pos }
            }
            "ext:AdvanceClock" => {
                self.check_attrs(r, &["Seconds", "Purpose"])?;
                self.check_children(r, &[])?;
                let seconds = self
                    .parse_attr::<u64>(r, "Seconds", "a whole number of seconds")?
                    .ok_or_else(|| self.err(r.pos, "<ext:AdvanceClock> needs Seconds"))?;
                let lock_expiry = match self.opt(r, "Purpose").as_deref() {
                    None => false,
                    Some("LockExpiry") => true,
                    Some(other) => {
                        return Err(self.err(
                            r.pos,
                            format!("<ext:AdvanceClock Purpose=\"{other}\">: the only purpose is LockExpiry"),
                        ));
                    }
                };
                Step::AdvanceClock {
                    seconds,
                    lock_expiry,
                    pos: r.pos,
                }
            }
            "ext:PostMessage" => {
                self.check_attrs(r, &["Check", "Action", "Send", "ExpectMessage", "TimeoutSeconds"])?;
                self.check_children(r, &[])?;
                Step::PostMessage(PostMessageStep {
                    check: self.opt(r, "Check"),
                    action: self.opt(r, "Action").unwrap_or_else(|| "edit".into()),
                    send: self.opt(r, "Send"),
                    expect_message: self.opt(r, "ExpectMessage"),
                    timeout_seconds: self.parse_attr(r, "TimeoutSeconds", "a whole number")?.unwrap_or(30),
                    pos: r.pos,
                })
            }
            "ext:Concurrent" => {
                self.check_attrs(r, &["Repeat"])?;
                let repeat = self
                    .parse_attr::<u32>(r, "Repeat", "a positive whole number")?
                    .unwrap_or(1);
                if repeat == 0 || repeat > 64 {
                    return Err(self.err(r.pos, "Repeat must be between 1 and 64"));
                }
                let mut requests = Vec::new();
                let mut expect = Vec::new();
                for c in &r.children {
                    if c.name == "ext:ExpectStatus" {
                        self.enter(c);
                        self.check_attrs(c, &["Code", "Exactly", "AtLeast", "AtMost"])?;
                        let code = self
                            .parse_attr::<u16>(c, "Code", "an HTTP status")?
                            .ok_or_else(|| self.err(c.pos, "<ext:ExpectStatus> needs Code"))?;
                        let count = match (
                            self.parse_attr::<u32>(c, "Exactly", "a count")?,
                            self.parse_attr::<u32>(c, "AtLeast", "a count")?,
                            self.parse_attr::<u32>(c, "AtMost", "a count")?,
                        ) {
                            (Some(n), None, None) => CountRule::Exactly(n),
                            (None, Some(n), None) => CountRule::AtLeast(n),
                            (None, None, Some(n)) => CountRule::AtMost(n),
                            _ => {
                                return Err(self.err(
                                    c.pos,
                                    "<ext:ExpectStatus> needs exactly one of Exactly, AtLeast, AtMost",
                                ));
                            }
                        };
                        expect.push(CombinedExpectation {
                            code,
                            count,
                            pos: c.pos,
                        });
                        self.leave();
                    } else if REQUEST_ELEMENTS.contains(&c.name.as_str()) && c.name != "Delay" {
                        let req = self.request(c, resources)?;
                        if req.token_use.is_some() {
                            return Err(self.err(c.pos, "<ext:AccessToken> is not supported inside <ext:Concurrent>"));
                        }
                        requests.push(req);
                    } else {
                        return Err(self.err(
                            c.pos,
                            format!("unexpected element <{}> in <ext:Concurrent>; expected request elements and <ext:ExpectStatus>", c.name),
                        ));
                    }
                }
                if requests.is_empty() {
                    return Err(self.err(r.pos, "<ext:Concurrent> needs at least one request"));
                }
                Step::Concurrent(Concurrent {
                    requests,
                    repeat,
                    expect,
                    pos: r.pos,
                })
            }
            "ext:ForEach" => {
                self.check_attrs(r, &[])?;
                let rows: Vec<&Node> = r.children.iter().filter(|c| c.name == "ext:Row").collect();
                if rows.is_empty() {
                    return Err(self.err(r.pos, "<ext:ForEach> needs at least one <ext:Row>"));
                }
                for row in rows {
                    let vars: HashMap<&str, &str> =
                        row.attrs.iter().map(|a| (a.name.as_str(), a.value.as_str())).collect();
                    for body in r.children.iter().filter(|c| c.name != "ext:Row") {
                        let expanded = substitute(body, &vars).map_err(|m| self.err(body.pos, m))?;
                        self.step(&expanded, resources, out)?;
                    }
                }
                self.leave();
                return Ok(());
            }
            other => {
                let mut expected: Vec<&str> = REQUEST_ELEMENTS.to_vec();
                expected.extend_from_slice(EXT_STEPS);
                return Err(self.err(
                    r.pos,
                    format!(
                        "unknown request element <{other}>; expected one of: {}",
                        expected.join(", ")
                    ),
                ));
            }
        };
        self.leave();
        out.push(step);
        Ok(())
    }

    pub(crate) fn request(&mut self, r: &Node, resources: &[Resource]) -> R<Request> {
        self.enter(r);
        let check_res = |b: &Self, id: &str| -> R<()> {
            if resources.iter().any(|x| x.id == id) {
                Ok(())
            } else {
                Err(b.err(r.pos, format!("resource '{id}' is not declared in <Resources>")))
            }
        };
        let mode = |b: &Self, attr: &str| -> R<Option<PutRelativeMode>> {
            match b.attr(r, attr) {
                None => Ok(None),
                Some(a) => match a.value.as_str() {
                    "Suggested" => Ok(Some(PutRelativeMode::Suggested)),
                    "ExactName" | "Relative" => Ok(Some(PutRelativeMode::ExactName)),
                    "Conflicting" => Ok(Some(PutRelativeMode::Conflicting)),
                    v => Err(b.err(
                        a.pos,
                        format!("{attr}=\"{v}\" is unknown; expected Suggested, ExactName or Conflicting"),
                    )),
                },
            }
        };
        let common = ["OverrideUrl", "ext:Instance"];
        let mut extra_children: &[&str] = &[];
        let (kind, attrs): (RequestKind, Vec<&str>) = match r.name.as_str() {
            "CheckFileInfo" | "CheckFile" => (RequestKind::CheckFileInfo, vec![]),
            "GetFile" => (
                RequestKind::GetFile {
                    new_lock: self.opt(r, "NewLock"),
                    lock: self.opt(r, "Lock"),
                },
                vec!["Lock", "NewLock"],
            ),
            "PutFile" => {
                let id = self.req(r, "ResourceId")?;
                check_res(self, &id)?;
                (
                    RequestKind::PutFile {
                        lock: self.opt(r, "Lock"),
                        resource_id: id,
                    },
                    vec!["Lock", "ResourceId"],
                )
            }
            "PutRelativeFile" => {
                let id = self.req(r, "ResourceId")?;
                check_res(self, &id)?;
                let m = match mode(self, "PutRelativeFileMode")? {
                    Some(m) => Some(m),
                    None => mode(self, "Type")?,
                };
                let overwrite_relative = self.bool_attr(r, "OverwriteRelative")?;
                let overwrite_in_suggested = self.bool_attr(r, "ext:OverwriteInSuggested")?.unwrap_or(false);
                if overwrite_in_suggested {
                    // The attribute exists to test the suggested-mode rule; elsewhere the header is not ignored.
                    if m != Some(PutRelativeMode::Suggested) {
                        return Err(self.err(
                            r.pos,
                            "ext:OverwriteInSuggested=\"true\" needs PutRelativeFileMode=\"Suggested\"",
                        ));
                    }
                    if overwrite_relative.is_some() {
                        return Err(self.err(
                            r.pos,
                            "give OverwriteRelative (ExactName mode) or ext:OverwriteInSuggested, not both",
                        ));
                    }
                }
                (
                    RequestKind::PutRelativeFile {
                        name: self.req(r, "Name")?,
                        resource_id: id,
                        mode: m,
                        overwrite_relative,
                        overwrite_in_suggested,
                    },
                    vec![
                        "Name",
                        "ResourceId",
                        "PutRelativeFileMode",
                        "Type",
                        "OverwriteRelative",
                        "ext:OverwriteInSuggested",
                    ],
                )
            }
            "Lock" => (
                RequestKind::Lock {
                    lock: self.req(r, "Lock")?,
                    lock_user_visible: self.bool_attr(r, "LockUserVisible")?,
                },
                vec!["Lock", "LockUserVisible"],
            ),
            "Unlock" => (
                RequestKind::Unlock {
                    lock: self.req(r, "Lock")?,
                },
                vec!["Lock"],
            ),
            "RefreshLock" => (
                RequestKind::RefreshLock {
                    lock: self.req(r, "Lock")?,
                },
                vec!["Lock"],
            ),
            "UnlockAndRelock" => (
                RequestKind::UnlockAndRelock {
                    new_lock: self.req(r, "NewLock")?,
                    old_lock: self.req(r, "OldLock")?,
                },
                vec!["NewLock", "OldLock"],
            ),
            "GetLock" => (RequestKind::GetLock, vec!["Lock"]),
            "PutUserInfo" | "AddActivities" => {
                extra_children = &["RequestBody"];
                let body = self
                    .child(r, "RequestBody")
                    .map(|b| b.text.clone())
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| self.err(r.pos, format!("<{}> needs a non-empty <RequestBody>", r.name)))?;
                if r.name == "PutUserInfo" {
                    (RequestKind::PutUserInfo { body }, vec![])
                } else {
                    (RequestKind::AddActivities { body }, vec![])
                }
            }
            "DeleteFile" => (RequestKind::DeleteFile, vec![]),
            "RenameFile" => (
                RequestKind::RenameFile {
                    name: self.req(r, "Name")?,
                    lock: self.opt(r, "Lock"),
                    coauth_lock_id: self.opt(r, "CoauthLockId"),
                },
                vec!["Name", "Lock", "CoauthLockId"],
            ),
            "GetShareUrl" => (
                RequestKind::GetShareUrl {
                    url_type: self.opt(r, "UrlType"),
                },
                vec!["UrlType"],
            ),
            "GetNewAccessToken" => (
                RequestKind::GetNewAccessToken {
                    wopi_src: self.opt(r, "WopiSrc"),
                },
                vec!["WopiSrc"],
            ),
            "CheckContainerInfo" => (RequestKind::CheckContainerInfo, vec![]),
            "EnumerateChildren" => (
                RequestKind::EnumerateChildren {
                    file_extension_filter_list: self.opt(r, "FileExtensionFilterList"),
                },
                vec!["FileExtensionFilterList"],
            ),
            "EnumerateAncestors" => (RequestKind::EnumerateAncestors, vec![]),
            "GetEcosystem" => (RequestKind::GetEcosystem, vec![]),
            "GetRootContainer" => (
                RequestKind::GetRootContainer {
                    wopi_src: self.opt(r, "WopiSrc"),
                },
                vec!["WopiSrc"],
            ),
            "CheckEcosystem" => (
                RequestKind::CheckEcosystem {
                    ecosystem_url: self.opt(r, "EcosystemUrl"),
                },
                vec!["EcosystemUrl"],
            ),
            "CreateChildContainer" => (
                RequestKind::CreateChildContainer {
                    folder_name: self.req(r, "FolderName")?,
                    mode: mode(self, "PutRelativeFileMode")?,
                },
                vec!["FolderName", "PutRelativeFileMode"],
            ),
            "CreateChildFile" => (
                RequestKind::CreateChildFile {
                    name: self.req(r, "Name")?,
                    mode: mode(self, "PutRelativeFileMode")?,
                    overwrite_relative: self.bool_attr(r, "OverwriteRelative")?,
                },
                vec!["Name", "PutRelativeFileMode", "OverwriteRelative"],
            ),
            "DeleteContainer" => (RequestKind::DeleteContainer, vec![]),
            "RenameContainer" => (
                RequestKind::RenameContainer {
                    name: self.req(r, "Name")?,
                },
                vec!["Name"],
            ),
            "GetFromFileUrl" => (RequestKind::GetFromFileUrl, vec![]),
            "PutToFileUrl" => (
                RequestKind::PutToFileUrl {
                    resource_id: self.opt(r, "ResourceId"),
                },
                vec!["ResourceId"],
            ),
            "GetCoauthLock" | "RefreshCoauthLock" => {
                let get = r.name == "GetCoauthLock";
                let lock_type = if get {
                    match self.opt(r, "CoauthLockType").as_deref().map(str::trim) {
                        None | Some("") => None,
                        Some("Coauth") => Some(CoauthLockType::Coauth),
                        Some("CoauthExclusive") => Some(CoauthLockType::CoauthExclusive),
                        Some("None") => Some(CoauthLockType::None),
                        Some(v) => {
                            return Err(self.err(
                                r.pos,
                                format!("CoauthLockType=\"{v}\" is unknown; expected Coauth, CoauthExclusive or None"),
                            ));
                        }
                    }
                } else {
                    None
                };
                let req = CoauthLockRequest {
                    lock_type,
                    coauth_lock_id: self.opt(r, "CoauthLockId").unwrap_or_default(),
                    expiration_timeout: self.parse_attr(
                        r,
                        "CoauthLockExpirationTimeout",
                        "an unsigned 32-bit number",
                    )?,
                    metadata: self.opt(r, "CoauthLockMetadata"),
                    metadata_as_body: self.opt(r, "CoauthLockMetadataAsBody"),
                };
                let mut a = vec![
                    "CoauthLockId",
                    "CoauthLockExpirationTimeout",
                    "CoauthLockMetadata",
                    "CoauthLockMetadataAsBody",
                ];
                if get {
                    a.push("CoauthLockType");
                    (RequestKind::GetCoauthLock(req), a)
                } else {
                    (RequestKind::RefreshCoauthLock(req), a)
                }
            }
            "UnlockCoauthLock" => (
                RequestKind::UnlockCoauthLock {
                    coauth_lock_id: self.opt(r, "CoauthLockId").unwrap_or_default(),
                },
                vec!["CoauthLockId"],
            ),
            "GetCoauthTable" => {
                let version = self.opt(r, "CoauthTableVersion");
                let version_state_key = self.opt(r, "CoauthTableVersionStateKey");
                if version.is_some() && version_state_key.is_some() {
                    return Err(self.err(r.pos, "give CoauthTableVersion or CoauthTableVersionStateKey, not both"));
                }
                (
                    RequestKind::GetCoauthTable {
                        version,
                        version_state_key,
                    },
                    vec!["CoauthTableVersion", "CoauthTableVersionStateKey"],
                )
            }
            "GetChunkedFile" => {
                extra_children = &["ContentPropertiesToReturn", "ContentFilters"];
                let mut props = Vec::new();
                if let Some(p) = self.child(r, "ContentPropertiesToReturn") {
                    self.check_children(p, &["ContentPropertyToReturn"])?;
                    for c in &p.children {
                        self.check_attrs(c, &["Value"])?;
                        props.push(self.req(c, "Value")?);
                    }
                }
                let f = self
                    .child(r, "ContentFilters")
                    .ok_or_else(|| self.err(r.pos, "<GetChunkedFile> needs <ContentFilters>"))?;
                self.check_children(f, &["ContentFilter"])?;
                let mut filters = Vec::new();
                for c in &f.children {
                    self.check_attrs(
                        c,
                        &[
                            "ChunkingScheme",
                            "StreamId",
                            "ChunksToReturn",
                            "AlreadyExistingContent",
                            "AlreadyExistingContentResourceId",
                        ],
                    )?;
                    filters.push(ContentFilter {
                        chunking_scheme: self.req(c, "ChunkingScheme")?,
                        stream_id: self.req(c, "StreamId")?,
                        chunks_to_return: self.req(c, "ChunksToReturn")?,
                        already_existing_content: self.opt(c, "AlreadyExistingContent"),
                        already_existing_content_resource_id: self.opt(c, "AlreadyExistingContentResourceId"),
                    });
                }
                (
                    RequestKind::GetChunkedFile {
                        properties_to_return: props,
                        filters,
                    },
                    vec![],
                )
            }
            "PutChunkedFile" => {
                extra_children = &["ContentProperties", "ContentStreams", "UploadSessionTokenToCommit"];
                let mut properties = Vec::new();
                if let Some(p) = self.child(r, "ContentProperties") {
                    self.check_children(p, &["ContentProperty"])?;
                    for c in &p.children {
                        self.check_attrs(c, &["Name", "Value", "Retention"])?;
                        properties.push(ContentProperty {
                            name: self.req(c, "Name")?,
                            value: self.req(c, "Value")?,
                            retention: self.req(c, "Retention")?,
                        });
                    }
                }
                let s = self
                    .child(r, "ContentStreams")
                    .ok_or_else(|| self.err(r.pos, "<PutChunkedFile> needs <ContentStreams>"))?;
                self.check_children(s, &["ContentStream"])?;
                let mut streams = Vec::new();
                for c in &s.children {
                    self.check_attrs(
                        c,
                        &[
                            "ChunkingScheme",
                            "StreamId",
                            "NewContent",
                            "LastKnownHostContent",
                            "NewContentResourceId",
                            "LastKnownHostContentResourceId",
                        ],
                    )?;
                    streams.push(ContentStream {
                        chunking_scheme: self.req(c, "ChunkingScheme")?,
                        stream_id: self.req(c, "StreamId")?,
                        new_content: self.opt(c, "NewContent"),
                        last_known_host_content: self.opt(c, "LastKnownHostContent"),
                        new_content_resource_id: self.opt(c, "NewContentResourceId"),
                        last_known_host_content_resource_id: self.opt(c, "LastKnownHostContentResourceId"),
                    });
                }
                let upload_session_token = match self.child(r, "UploadSessionTokenToCommit") {
                    Some(u) => Some(self.req(u, "Value")?),
                    None => None,
                };
                let p = PutChunkedFile {
                    sequence_number: self.opt(r, "SequenceNumber"),
                    sequence_number_state_key: self.opt(r, "SequenceNumberStateKey"),
                    lock: self.opt(r, "Lock"),
                    coauth_lock_id: self.opt(r, "CoauthLockId"),
                    editors: self.opt(r, "Editors"),
                    properties,
                    streams,
                    upload_session_token,
                };
                (
                    RequestKind::PutChunkedFile(Box::new(p)),
                    vec![
                        "SequenceNumber",
                        "SequenceNumberStateKey",
                        "Lock",
                        "CoauthLockId",
                        "Editors",
                    ],
                )
            }
            "GetSequenceNumber" => (RequestKind::GetSequenceNumber, vec![]),
            "Delay" => (
                RequestKind::Delay {
                    seconds: self.parse_attr(r, "DelayTimeInSeconds", "an unsigned 32-bit number")?,
                },
                vec!["DelayTimeInSeconds"],
            ),
            other => return Err(self.err(r.pos, format!("unknown request element <{other}>"))),
        };
        let mut allowed = attrs;
        allowed.extend_from_slice(&common);
        self.check_attrs(r, &allowed)?;
        let mut children = vec!["Validators", "SaveState", "Mutators", "ext:Header", "ext:AccessToken"];
        children.extend_from_slice(extra_children);
        self.check_children(r, &children)?;

        let validators = match self.child(r, "Validators") {
            Some(v) => {
                self.enter(v);
                self.check_attrs(v, &[])?;
                let list = self.validators(v, resources)?;
                self.leave();
                Some(list)
            }
            None => None,
        };
        let mut save_state = Vec::new();
        if let Some(s) = self.child(r, "SaveState") {
            self.enter(s);
            self.check_attrs(s, &[])?;
            // The engine does not check the child element names; we only accept <State>.
            self.check_children(s, &["State"])?;
            for st in &s.children {
                self.check_attrs(st, &["Name", "Source", "SourceType"])?;
                let source_type = match self.opt(st, "SourceType") {
                    Some(t) if t.trim().eq_ignore_ascii_case("header") => StateSource::Header,
                    _ => StateSource::JsonBody,
                };
                save_state.push(StateSpec {
                    name: self.req(st, "Name")?,
                    source: self.req(st, "Source")?,
                    source_type,
                });
            }
            self.leave();
        }
        let mutators = match self.child(r, "Mutators") {
            Some(m) => self.mutators(m)?,
            None => Mutators::default(),
        };
        let mut headers = Vec::new();
        for h in r.children.iter().filter(|c| c.name == "ext:Header") {
            self.check_attrs(h, &["Name", "Value"])?;
            self.check_children(h, &[])?;
            let name = self.req(h, "Name")?;
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(self.err(
                    h.pos,
                    format!("<ext:Header> Name=\"{name}\" is not a valid header name"),
                ));
            }
            let value = self.opt(h, "Value").unwrap_or_default();
            if !value.starts_with("$State:") && http::HeaderValue::from_str(&value).is_err() {
                return Err(self.err(
                    h.pos,
                    format!("<ext:Header Name=\"{name}\"> has a value that is not a valid header value"),
                ));
            }
            headers.push(ExtraHeader { name, value });
        }
        let mut token_use = None;
        for t in r.children.iter().filter(|c| c.name == "ext:AccessToken") {
            self.check_attrs(t, &["Use"])?;
            self.check_children(t, &[])?;
            if token_use.is_some() {
                return Err(self.err(t.pos, "only one <ext:AccessToken> per request"));
            }
            token_use = Some(match self.req(t, "Use")?.as_str() {
                "expired" => TokenUse::Expired,
                "other-file" => TokenUse::OtherFile,
                v => {
                    return Err(self.err(
                        t.pos,
                        format!("<ext:AccessToken> Use=\"{v}\" is unknown; expected expired or other-file"),
                    ));
                }
            });
        }
        if token_use.is_some() && mutators.access_token.is_some() {
            return Err(self.err(r.pos, "give <ext:AccessToken> or <Mutators><AccessToken>, not both"));
        }
        let instance = match self.opt(r, "ext:Instance") {
            None => None,
            Some(v) => Some(v.trim().parse::<u16>().map_err(|_| {
                self.err(
                    r.pos,
                    format!("ext:Instance=\"{v}\" is not an instance number (0, 1, 2, ...)"),
                )
            })?),
        };
        let req = Request {
            kind,
            instance,
            override_url: self.opt(r, "OverrideUrl"),
            validators,
            save_state,
            mutators,
            headers,
            token_use,
            pos: r.pos,
        };
        self.leave();
        Ok(req)
    }

    fn mutators(&mut self, m: &Node) -> R<Mutators> {
        self.enter(m);
        self.check_attrs(m, &[])?;
        self.check_children(m, &["AccessToken", "ProofKey"])?;
        let mut out = Mutators::default();
        for c in &m.children {
            match c.name.as_str() {
                "AccessToken" => {
                    self.check_attrs(c, &["Mutation"])?;
                    if out.access_token.is_none() {
                        out.access_token = Some(AccessTokenMutator {
                            mutation: self.opt(c, "Mutation"),
                        });
                    }
                }
                _ => {
                    self.check_attrs(
                        c,
                        &[
                            "MutateCurrent",
                            "MutateOld",
                            "KeyRelation",
                            "Timestamp",
                            "ext:AgeSeconds",
                        ],
                    )?;
                    let timestamp = match (self.opt(c, "Timestamp"), self.attr(c, "ext:AgeSeconds")) {
                        (Some(_), Some(a)) => {
                            return Err(self.err(
                                a.pos,
                                "give Timestamp (an absolute date) or ext:AgeSeconds (an age), not both",
                            ));
                        }
                        (Some(at), None) => Some(ProofTimestamp::At(at)),
                        (None, Some(_)) => self
                            .parse_attr::<i64>(c, "ext:AgeSeconds", "a whole number of seconds")?
                            .map(ProofTimestamp::AgeSeconds),
                        (None, None) => None,
                    };
                    let key_relation = match self.opt(c, "KeyRelation").as_deref() {
                        None | Some("Synced") => KeyRelation::Synced,
                        Some("Ahead") => KeyRelation::Ahead,
                        Some("Behind") => KeyRelation::Behind,
                        Some(_) => KeyRelation::Other,
                    };
                    if out.proof_key.is_none() {
                        out.proof_key = Some(ProofKeyMutator {
                            mutate_current: self.bool_attr(c, "MutateCurrent")?.unwrap_or(false),
                            mutate_old: self.bool_attr(c, "MutateOld")?.unwrap_or(false),
                            key_relation,
                            timestamp,
                        });
                    }
                }
            }
        }
        self.leave();
        Ok(out)
    }

    fn severity(&self, n: &Node) -> R<Severity> {
        match self.attr(n, "ext:Severity") {
            None => Ok(Severity::Must),
            Some(a) if a.value == "Must" => Ok(Severity::Must),
            Some(a) if a.value == "Should" => Ok(Severity::Should),
            Some(a) => Err(self.err(
                a.pos,
                format!("ext:Severity=\"{}\" is unknown; expected Must or Should", a.value),
            )),
        }
    }

    fn validators(&mut self, parent: &Node, resources: &[Resource]) -> R<Vec<Validator>> {
        let mut out = Vec::new();
        for v in &parent.children {
            out.push(self.validator(v, resources)?);
        }
        Ok(out)
    }

    fn validator(&mut self, v: &Node, resources: &[Resource]) -> R<Validator> {
        self.enter(v);
        let base = ["ValidationMessage"];
        let with = |extra: &[&'static str]| -> Vec<&'static str> {
            let mut a = base.to_vec();
            a.extend_from_slice(extra);
            a
        };
        let kind = match v.name.as_str() {
            "ResponseCodeValidator" => {
                self.check_attrs(v, &with(&["ExpectedCode"]))?;
                self.check_children(v, &[])?;
                let expected = self
                    .parse_attr::<i32>(v, "ExpectedCode", "an integer")?
                    .ok_or_else(|| self.err(v.pos, "<ResponseCodeValidator> needs ExpectedCode"))?;
                ValidatorKind::ResponseCode { expected }
            }
            "ResponseHeaderValidator" => {
                self.check_attrs(
                    v,
                    &with(&[
                        "Header",
                        "ExpectedValue",
                        "ExpectedStateKey",
                        "Comparator",
                        "IsRequired",
                        "ShouldMatch",
                        "ext:Absent",
                        "ext:CaseSensitive",
                    ]),
                )?;
                self.check_children(v, &[])?;
                if self.bool_attr(v, "ext:Absent")? == Some(true) {
                    // Every other attribute says something about a present header: together they contradict.
                    if let Some(a) = v.attrs.iter().find(|a| {
                        !matches!(a.name.as_str(), "Header" | "ValidationMessage") && !a.name.starts_with("ext:")
                    }) {
                        return Err(self.err(
                            a.pos,
                            format!(
                                "{} cannot be combined with ext:Absent=\"true\" (the header must be absent)",
                                a.name
                            ),
                        ));
                    }
                    ValidatorKind::ResponseHeaderAbsent {
                        header: self.req(v, "Header")?,
                    }
                } else {
                    let comparator = match self.opt(v, "Comparator").as_deref().map(str::trim) {
                        None | Some("") | Some("=") => Comparator::Eq,
                        Some(">") => Comparator::Gt,
                        Some(">=") => Comparator::Ge,
                        Some("<") => Comparator::Lt,
                        Some("<=") => Comparator::Le,
                        // The engine fails the request at run time; a suite error is more useful.
                        Some(c) => {
                            return Err(self.err(
                                v.pos,
                                format!("Comparator '{c}' is not valid; expected =, >, >=, < or <="),
                            ));
                        }
                    };
                    let case_sensitive = self.bool_attr(v, "ext:CaseSensitive")?.unwrap_or(false);
                    if case_sensitive && comparator != Comparator::Eq {
                        // Numeric comparisons have no case; accepting it would suggest a check that never happens.
                        return Err(self.err(
                            v.pos,
                            format!(
                                "ext:CaseSensitive applies to Comparator '=' only, not '{}'",
                                comparator.symbol()
                            ),
                        ));
                    }
                    ValidatorKind::ResponseHeader {
                        header: self.req(v, "Header")?,
                        expected_value: self.opt(v, "ExpectedValue"),
                        expected_state_key: self.opt(v, "ExpectedStateKey"),
                        comparator,
                        is_required: self.bool_attr(v, "IsRequired")?.unwrap_or(false),
                        should_match: self.bool_attr(v, "ShouldMatch")?.unwrap_or(true),
                        case_sensitive,
                    }
                }
            }
            "LockMismatchValidator" => {
                self.check_attrs(v, &with(&["ExpectedLock"]))?;
                self.check_children(v, &[])?;
                ValidatorKind::LockMismatch {
                    expected_lock: self.opt(v, "ExpectedLock").unwrap_or_default(),
                }
            }
            "JsonSchemaValidator" => {
                self.check_attrs(v, &with(&["Schema", "ShouldExist"]))?;
                self.check_children(v, &[])?;
                let schema = self.req(v, "Schema")?;
                if !KNOWN_SCHEMAS.contains(&schema.as_str()) {
                    return Err(self.err(
                        v.pos,
                        format!(
                            "unknown schema '{schema}'; expected one of: {}",
                            KNOWN_SCHEMAS.join(", ")
                        ),
                    ));
                }
                ValidatorKind::JsonSchema { schema }
            }
            "ResponseContentValidator" => {
                self.check_attrs(v, &with(&["ExpectedResourceId", "ExpectedBodyContent"]))?;
                self.check_children(v, &[])?;
                let expected = match (self.opt(v, "ExpectedResourceId"), self.opt(v, "ExpectedBodyContent")) {
                    (Some(id), None) => {
                        if !resources.iter().any(|r| r.id == id) {
                            return Err(self.err(v.pos, format!("resource '{id}' is not declared in <Resources>")));
                        }
                        ExpectedContent::Resource(id)
                    }
                    (None, Some(t)) => ExpectedContent::Text(t),
                    _ => {
                        return Err(self.err(
                            v.pos,
                            "<ResponseContentValidator> needs exactly one of ExpectedResourceId, ExpectedBodyContent",
                        ));
                    }
                };
                ValidatorKind::ResponseContent { expected }
            }
            "Or" | "And" => {
                self.check_attrs(v, &base)?;
                self.check_children(v, VALIDATOR_ELEMENTS)?;
                let children = self.validators(v, resources)?;
                if children.is_empty() {
                    return Err(self.err(v.pos, format!("<{}> needs at least one validator", v.name)));
                }
                if v.name == "Or" {
                    ValidatorKind::Or(children)
                } else {
                    ValidatorKind::And(children)
                }
            }
            "JsonResponseContentValidator" => {
                self.check_attrs(v, &with(&["ShouldExist", "ext:NoNullProperties"]))?;
                self.check_children(v, PROPERTY_ELEMENTS)?;
                let should_exist = self.bool_attr(v, "ShouldExist")?.unwrap_or(true);
                let no_null_properties = self.bool_attr(v, "ext:NoNullProperties")?.unwrap_or(false);
                let mut properties = Vec::new();
                for p in &v.children {
                    properties.push(self.property(p)?);
                }
                ValidatorKind::JsonContent {
                    should_exist,
                    properties,
                    no_null_properties,
                }
            }
            "FramesValidator" => {
                self.check_attrs(v, &with(&["MessageJsonPayloadSchema", "ExpectedHostBlobsCount"]))?;
                self.check_children(v, &["ContentStreamValidator", "ContentPropertyValidator"])?;
                let mut streams = Vec::new();
                let mut properties = Vec::new();
                for c in &v.children {
                    if c.name == "ContentStreamValidator" {
                        self.check_attrs(
                            c,
                            &[
                                "StreamId",
                                "ExpectedChunkingScheme",
                                "AlreadyExistingContent",
                                "AlreadyExistingContentResourceId",
                                "ExpectedContent",
                                "ExpectedContentResourceId",
                            ],
                        )?;
                        streams.push(ContentStreamCheck {
                            stream_id: self.req(c, "StreamId")?,
                            expected_chunking_scheme: self.req(c, "ExpectedChunkingScheme")?,
                            already_existing_content: self.opt(c, "AlreadyExistingContent"),
                            already_existing_content_resource_id: self.opt(c, "AlreadyExistingContentResourceId"),
                            expected_content: self.opt(c, "ExpectedContent"),
                            expected_content_resource_id: self.opt(c, "ExpectedContentResourceId"),
                        });
                    } else {
                        self.check_attrs(c, &["Name", "ShouldBeReturned", "ExpectedValue", "ExpectedRetention"])?;
                        properties.push(ContentPropertyCheck {
                            name: self.req(c, "Name")?,
                            should_be_returned: self.bool_attr(c, "ShouldBeReturned")?.unwrap_or(true),
                            expected_value: self.opt(c, "ExpectedValue").unwrap_or_default(),
                            expected_retention: self.opt(c, "ExpectedRetention").unwrap_or_default(),
                        });
                    }
                }
                let schema = self.req(v, "MessageJsonPayloadSchema")?;
                if !KNOWN_SCHEMAS.contains(&schema.as_str()) {
                    return Err(self.err(
                        v.pos,
                        format!(
                            "unknown schema '{schema}'; expected one of: {}",
                            KNOWN_SCHEMAS.join(", ")
                        ),
                    ));
                }
                ValidatorKind::Frames(Box::new(FramesValidator {
                    message_json_payload_schema: schema,
                    expected_host_blobs_count: self.parse_attr(v, "ExpectedHostBlobsCount", "an integer")?,
                    streams,
                    properties,
                }))
            }
            other => {
                return Err(self.err(
                    v.pos,
                    format!(
                        "unknown validator <{other}>; expected one of: {}",
                        VALIDATOR_ELEMENTS.join(", ")
                    ),
                ));
            }
        };
        let severity = self.severity(v)?;
        self.leave();
        Ok(Validator {
            kind,
            severity,
            pos: v.pos,
        })
    }

    fn property(&mut self, p: &Node) -> R<JsonProperty> {
        self.enter(p);
        let common = ["Name", "IsRequired", "ExpectedStateKey"];
        let with = |extra: &[&'static str]| -> Vec<&'static str> {
            let mut a = common.to_vec();
            a.extend_from_slice(extra);
            a
        };
        self.check_children(p, &[])?;
        let state_key = self.opt(p, "ExpectedStateKey");
        let kind = match p.name.as_str() {
            "BooleanProperty" => {
                self.check_attrs(p, &with(&["ExpectedValue"]))?;
                JsonPropertyKind::Boolean {
                    expected: self.bool_attr(p, "ExpectedValue")?,
                    state_key,
                }
            }
            "IntegerProperty" => {
                self.check_attrs(p, &with(&["ExpectedValue"]))?;
                JsonPropertyKind::Integer {
                    expected: self.parse_attr(p, "ExpectedValue", "a 32-bit integer")?,
                    state_key,
                }
            }
            "LongProperty" => {
                self.check_attrs(p, &with(&["ExpectedValue"]))?;
                JsonPropertyKind::Long {
                    expected: self.parse_attr(p, "ExpectedValue", "a 64-bit integer")?,
                    state_key,
                }
            }
            "StringProperty" => {
                self.check_attrs(
                    p,
                    &with(&["ExpectedValue", "EndsWith", "IgnoreCase", "ext:DiffersFromState"]),
                )?;
                let differs_from_state = self.opt(p, "ext:DiffersFromState");
                if let Some(key) = &differs_from_state {
                    if key.trim().is_empty() {
                        return Err(self.err(p.pos, "ext:DiffersFromState needs a state name"));
                    }
                    // "Equal to X" and "different from Y" on one element reads as a contradiction; use two elements.
                    if let Some(a) = ["ExpectedValue", "ExpectedStateKey"]
                        .into_iter()
                        .find(|a| self.attr(p, a).is_some())
                    {
                        return Err(self.err(
                            p.pos,
                            format!("{a} cannot be combined with ext:DiffersFromState; use a second StringProperty"),
                        ));
                    }
                }
                JsonPropertyKind::String {
                    expected: self.opt(p, "ExpectedValue"),
                    state_key,
                    ends_with: self.opt(p, "EndsWith").filter(|s| !s.trim().is_empty()),
                    ignore_case: self.bool_attr(p, "IgnoreCase")?.unwrap_or(false),
                    differs_from_state,
                }
            }
            "StringRegexProperty" => {
                self.check_attrs(p, &with(&["ExpectedValue", "ShouldMatch", "IgnoreCase"]))?;
                let pattern = self.req(p, "ExpectedValue")?;
                let ignore_case = self.bool_attr(p, "IgnoreCase")?.unwrap_or(false);
                let regex = regex::RegexBuilder::new(&pattern)
                    .case_insensitive(ignore_case)
                    .build()
                    .map_err(|e| self.err(p.pos, format!("ExpectedValue is not a valid regular expression: {e}")))?;
                JsonPropertyKind::StringRegex {
                    pattern,
                    regex,
                    should_match: self.bool_attr(p, "ShouldMatch")?.unwrap_or(true),
                }
            }
            "AbsoluteUrlProperty" => {
                self.check_attrs(p, &with(&["MustIncludeAccessToken"]))?;
                JsonPropertyKind::AbsoluteUrl {
                    must_include_access_token: self.bool_attr(p, "MustIncludeAccessToken")?.unwrap_or(false),
                }
            }
            "ArrayProperty" => {
                self.check_attrs(p, &with(&["ContainsValue"]))?;
                JsonPropertyKind::Array {
                    contains_value: self.opt(p, "ContainsValue"),
                    state_key,
                }
            }
            "ArrayLengthProperty" => {
                self.check_attrs(p, &with(&["ExpectedValue"]))?;
                JsonPropertyKind::ArrayLength {
                    expected: self.parse_attr(p, "ExpectedValue", "a 32-bit integer")?.unwrap_or(0),
                }
            }
            "ResponseBodyProperty" => {
                self.check_attrs(p, &with(&["ExpectedValue"]))?;
                let text = self.req(p, "ExpectedValue")?;
                let expected = crate::lenient_json::parse_lenient(&text).map_err(|e| {
                    self.err(
                        p.pos,
                        format!("ExpectedValue is not JSON (lenient syntax allowed): {e}"),
                    )
                })?;
                JsonPropertyKind::ResponseBody { expected }
            }
            other => return Err(self.err(p.pos, format!("unknown property check <{other}>"))),
        };
        let prop = JsonProperty {
            name: self.req(p, "Name")?,
            is_required: self.bool_attr(p, "IsRequired")?.unwrap_or(false),
            kind,
            pos: p.pos,
        };
        self.leave();
        Ok(prop)
    }
}

/// `CondenseMultiLineString`: the description on one line.
fn condense(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Copies a node with every `${Var}` in attribute values and text replaced from `vars`.
fn substitute(n: &Node, vars: &HashMap<&str, &str>) -> Result<Node, String> {
    let sub = |s: &str| -> Result<String, String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("unterminated ${{...}} in '{s}'"));
            };
            let key = &after[..end];
            let Some(v) = vars.get(key) else {
                return Err(format!(
                    "${{{key}}} is not a column of the <ext:Row>; columns are: {}",
                    {
                        let mut k: Vec<_> = vars.keys().copied().collect();
                        k.sort_unstable();
                        k.join(", ")
                    }
                ));
            };
            out.push_str(v);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    };
    let mut attrs = Vec::with_capacity(n.attrs.len());
    for a in &n.attrs {
        attrs.push(Attr {
            name: a.name.clone(),
            value: sub(&a.value)?,
            pos: a.pos,
        });
    }
    let mut children = Vec::with_capacity(n.children.len());
    for c in &n.children {
        children.push(substitute(c, vars)?);
    }
    Ok(Node {
        name: n.name.clone(),
        attrs,
        children,
        text: sub(&n.text)?,
        pos: n.pos,
    })
}
