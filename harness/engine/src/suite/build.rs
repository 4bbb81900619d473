//! Builds the typed [`Suite`] from the positioned XML tree: the document's skeleton (resources, prereq cases,
//! groups, test cases). Each request element, validator and extension step is read by its own module under
//! [`crate::suite::elements`].
//!
//! Unknown elements and attributes are errors (a typo must not silently drop a check), each naming the file,
//! line, column, element path and what was expected there.

use super::builder::{Builder, R};
use super::model::*;
use super::xml::Node;
use crate::suite::elements::{requests, steps};

impl Builder<'_> {
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
            path: self.file().to_path_buf(),
            resources,
            prereqs,
            groups,
        })
    }

    fn group(&mut self, g: &Node, prereqs: &[TestCase], resources: &[Resource]) -> R<TestGroup> {
        self.enter(g);
        self.check_attrs(g, &["Name", "HasDelay", "ext:Profiles", "ext:ProfileReason"])?;
        self.check_children(g, &["PrereqTests", "TestCases"])?;
        let name = self.req(g, "Name")?;
        let has_delay = self.bool_attr(g, "HasDelay")?.unwrap_or(false);
        let group_exclusive = self.bool_attr(g, "ext:Exclusive")?.unwrap_or(false);
        let group_profiles = self.profile_scope(g)?;
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
            if case.profiles.is_none() {
                case.profiles.clone_from(&group_profiles);
            }
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
                "ext:Profiles",
                "ext:ProfileReason",
            ],
        )?;
        self.check_children(c, &["Description", "Requests", "CleanupRequests"])?;
        let name = self.req(c, "Name")?;
        if name.trim().is_empty() {
            return Err(self.err(c.pos, "<TestCase> Name must not be empty"));
        }
        self.qualify(&format!("[@Name='{name}']"));
        let category = self.category(c)?;
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
            steps::parse(self, r, resources, &mut requests)?;
        }
        if requests.is_empty() {
            return Err(self.err(reqs.pos, "<Requests> needs at least one request"));
        }
        self.leave();
        let cleanup = self.cleanup(c, resources)?;
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
            profiles: self.profile_scope(c)?,
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

    /// `ext:Profiles` (client profile names separated by spaces or commas) and its `ext:ProfileReason`.
    fn profile_scope(&self, n: &Node) -> R<Option<ProfileScope>> {
        let reason = self.opt(n, "ext:ProfileReason");
        let Some(list) = self.opt(n, "ext:Profiles") else {
            return match reason {
                Some(_) => Err(self.err(n.pos, "ext:ProfileReason needs ext:Profiles")),
                None => Ok(None),
            };
        };
        let mut profiles = Vec::new();
        for name in list.split([' ', ',']).filter(|s| !s.is_empty()) {
            let p = name
                .parse::<wopi_mock_office::ClientProfile>()
                .map_err(|e| self.err(n.pos, format!("ext:Profiles: {e}")))?;
            profiles.push(p);
        }
        if profiles.is_empty() {
            return Err(self.err(n.pos, "ext:Profiles names no profile (office, collabora, onlyoffice)"));
        }
        Ok(Some(ProfileScope { profiles, reason }))
    }

    /// `Category` (or `TestCategory`), read as the engine does.
    fn category(&self, c: &Node) -> R<Category> {
        let cat_text = self
            .opt(c, "Category")
            .or_else(|| self.opt(c, "TestCategory"))
            .ok_or_else(|| {
                self.err(
                    c.pos,
                    "<TestCase> needs a Category (WopiCore, OfficeOnline, OfficeNativeClient or WopiCoauth)",
                )
            })?;
        Category::parse(&cat_text).ok_or_else(|| {
            self.err(
                c.pos,
                format!("Category=\"{cat_text}\" is unknown; expected WopiCore, OfficeOnline, OfficeNativeClient or WopiCoauth"),
            )
        })
    }

    /// `<CleanupRequests>`: request elements only.
    fn cleanup(&mut self, c: &Node, resources: &[Resource]) -> R<Vec<Request>> {
        let mut cleanup = Vec::new();
        if let Some(cl) = self.child(c, "CleanupRequests") {
            self.enter(cl);
            self.check_attrs(cl, &[])?;
            for r in &cl.children {
                if requests::lookup(&r.name).is_none() {
                    return Err(self.err(
                        r.pos,
                        format!(
                            "unexpected element <{}> in <CleanupRequests>; expected a request element",
                            r.name
                        ),
                    ));
                }
                cleanup.push(requests::parse(self, r, resources)?);
            }
            self.leave();
        }
        Ok(cleanup)
    }
}

/// `CondenseMultiLineString`: the description on one line.
fn condense(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
