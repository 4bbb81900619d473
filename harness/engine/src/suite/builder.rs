//! The parse context every element module calls: where in which file the parser is, and the attribute and child
//! helpers that turn a [`Node`] into typed values or a [`SuiteError`] naming file, line, column and element path.

use std::path::Path;

use super::SuiteError;
use super::model::Pos;
use super::xml::{Attr, Node, XmlError};

pub(crate) struct Builder<'a> {
    file: &'a Path,
    /// Element names from the root to the element being built.
    path: Vec<String>,
}

pub(crate) type R<T> = Result<T, SuiteError>;

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

    pub(crate) fn err(&self, pos: Pos, message: impl Into<String>) -> SuiteError {
        SuiteError::Parse {
            file: self.file.to_path_buf(),
            pos,
            element_path: self.path.join("/"),
            message: message.into(),
        }
    }

    pub(crate) fn file(&self) -> &Path {
        self.file
    }

    /// Adds a qualifier (`[@Name='x']`) to the innermost element of the path.
    pub(crate) fn qualify(&mut self, q: &str) {
        if let Some(p) = self.path.last_mut() {
            p.push_str(q);
        }
    }

    pub(crate) fn enter(&mut self, n: &Node) {
        self.path.push(n.name.clone());
    }

    pub(crate) fn leave(&mut self) {
        self.path.pop();
    }

    pub(crate) fn check_attrs(&self, n: &Node, allowed: &[&str]) -> R<()> {
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

    pub(crate) fn check_children(&self, n: &Node, allowed: &[&str]) -> R<()> {
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

    pub(crate) fn attr<'n>(&self, n: &'n Node, name: &str) -> Option<&'n Attr> {
        n.attrs.iter().find(|a| a.name == name)
    }

    pub(crate) fn opt(&self, n: &Node, name: &str) -> Option<String> {
        self.attr(n, name).map(|a| a.value.clone())
    }

    pub(crate) fn req(&self, n: &Node, name: &str) -> R<String> {
        self.opt(n, name)
            .ok_or_else(|| self.err(n.pos, format!("<{}> needs attribute {name}", n.name)))
    }

    /// `xs:boolean` as XmlConvert reads it: `true|false|1|0`, surrounding whitespace allowed.
    pub(crate) fn bool_attr(&self, n: &Node, name: &str) -> R<Option<bool>> {
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

    pub(crate) fn parse_attr<T: std::str::FromStr>(&self, n: &Node, name: &str, what: &str) -> R<Option<T>> {
        let Some(a) = self.attr(n, name) else { return Ok(None) };
        a.value
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| self.err(a.pos, format!("{name}=\"{}\" is not {what}", a.value)))
    }

    /// A required attribute whose value is one of the names of a protocol enum (`ChunkingScheme`,
    /// `ChunksToReturn`), spelled exactly as on the wire.
    pub(crate) fn enum_attr<T: serde::de::DeserializeOwned>(&self, n: &Node, name: &str, choices: &str) -> R<T> {
        let value = self.req(n, name)?;
        serde_json::from_value(serde_json::Value::String(value.clone())).map_err(|_| {
            let pos = self.attr(n, name).map_or(n.pos, |a| a.pos);
            self.err(pos, format!("{name}=\"{value}\" is not one of {choices}"))
        })
    }

    pub(crate) fn child<'n>(&self, n: &'n Node, name: &str) -> Option<&'n Node> {
        n.children.iter().find(|c| c.name == name)
    }
}
