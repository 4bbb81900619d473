//! A small positioned XML tree built with quick-xml's streaming reader.
//!
//! The suite builder needs line and column numbers for every element and attribute so that a suite that does not
//! parse gets an error pointing at the exact place; serde deserialisation loses them, so the file is first read
//! into this tree (cheap: TestCases.xml is 400 KB) and the model is built from it.

use std::fmt;

use quick_xml::XmlVersion;
use quick_xml::events::Event;

use super::EXT_NS;

/// A 1-based line and column in a suite file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One element with its attributes, children and text.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Local name for the validator's vocabulary, `ext:Local` for elements in our extension namespace.
    pub(crate) name: String,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) children: Vec<Node>,
    /// Concatenated text and CDATA content, entities resolved.
    pub(crate) text: String,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) struct Attr {
    /// Local name, or `ext:Local` for attributes in the extension namespace.
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) pos: Pos,
}

/// A failure to read the XML itself (not yet the suite vocabulary).
#[derive(Debug, Clone)]
pub(crate) struct XmlError {
    pub(crate) pos: Pos,
    pub(crate) path: String,
    pub(crate) message: String,
}

/// Maps byte offsets to line/column.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts[line];
        // Columns count characters, as editors show them.
        let column = text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        Pos {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// Namespace scope: prefix → URI declarations of one element.
type Scope = Vec<(String, String)>;

fn resolve_prefix<'a>(scopes: &'a [Scope], prefix: &str) -> Option<&'a str> {
    scopes
        .iter()
        .rev()
        .flat_map(|s| s.iter())
        .find(|(p, _)| p == prefix)
        .map(|(_, u)| u.as_str())
}

/// Parses a whole document into its root element.
pub(crate) fn parse_document(text: &str) -> Result<Node, XmlError> {
    // A UTF-8 BOM (FeatureTestCases.xml has one) is not part of the XML.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body.len();
    let lines = Lines::new(text);
    let mut reader = quick_xml::Reader::from_str(body);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;

    let mut stack: Vec<Node> = Vec::new();
    let mut scopes: Vec<Scope> = Vec::new();
    let mut root: Option<Node> = None;
    let path_of = |stack: &[Node]| stack.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join("/");

    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(XmlError {
                    pos: lines.pos(text, bom + at),
                    path: path_of(&stack),
                    message: format!("malformed XML: {e}"),
                });
            }
        };
        let pos = lines.pos(text, bom + before);
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError {
                    pos,
                    path: String::new(),
                    message: "content after the root element".into(),
                });
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                // Attribute positions: the element's position is close enough and always right about the line for
                // attributes on the same line; we refine with the raw attribute offset when we can find it.
                let raw = e.attributes_raw();
                let raw_start = before + 1 + e.name().0.len();
                let mut scope: Scope = Vec::new();
                let mut raw_attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|err| XmlError {
                        pos,
                        path: path_of(&stack),
                        message: format!("malformed attribute: {err}"),
                    })?;
                    let key = a.key.0.to_string();
                    let value = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|err| XmlError {
                            pos,
                            path: path_of(&stack),
                            message: format!("malformed attribute value of {key}: {err}"),
                        })?
                        .into_owned();
                    let offset = attr_offset(raw, &key).map_or(before, |o| raw_start + o);
                    if let Some(prefix) = key.strip_prefix("xmlns:") {
                        scope.push((prefix.to_string(), value.clone()));
                    } else if key == "xmlns" {
                        scope.push((String::new(), value.clone()));
                    }
                    raw_attrs.push((key, value, lines.pos(text, bom + offset)));
                }
                scopes.push(scope);
                let qname = e.name().0.to_string();
                let name = resolve_name(&scopes, &qname, true).map_err(|m| XmlError {
                    pos,
                    path: path_of(&stack),
                    message: m,
                })?;
                let mut attrs = Vec::new();
                for (key, value, apos) in raw_attrs {
                    if key == "xmlns" || key.starts_with("xmlns:") || key.starts_with("xsi:") || key.starts_with("xml:")
                    {
                        continue;
                    }
                    let aname = resolve_name(&scopes, &key, false).map_err(|m| XmlError {
                        pos: apos,
                        path: format!("{}/{}", path_of(&stack), name),
                        message: m,
                    })?;
                    attrs.push(Attr {
                        name: aname,
                        value,
                        pos: apos,
                    });
                }
                let node = Node {
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                    pos,
                };
                if is_empty {
                    scopes.pop();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                scopes.pop();
                let Some(node) = stack.pop() else {
                    return Err(XmlError {
                        pos,
                        path: String::new(),
                        message: "unexpected end tag".into(),
                    });
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(XmlError {
                        pos,
                        path: String::new(),
                        message: "text outside the root element".into(),
                    });
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(String::from)
                } else {
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content()).map(String::from)
                };
                let Some(resolved) = resolved else {
                    return Err(XmlError {
                        pos,
                        path: path_of(&stack),
                        message: format!("unknown entity reference &{};", r.xml10_content()),
                    });
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            pos: open.pos,
            path: path_of(&stack),
            message: format!("element <{}> is never closed", open.name),
        });
    }
    root.ok_or(XmlError {
        pos: Pos { line: 1, column: 1 },
        path: String::new(),
        message: "no root element".into(),
    })
}

/// Where attribute `key` starts in the raw attribute text: a match preceded by whitespace and followed by `=`.
fn attr_offset(raw: &str, key: &str) -> Option<usize> {
    raw.match_indices(key).map(|(i, _)| i).find(|&i| {
        let before_ok = raw[..i].chars().next_back().is_none_or(char::is_whitespace);
        let after_ok = raw[i + key.len()..].trim_start().starts_with('=');
        before_ok && after_ok
    })
}

/// Turns a qualified name into the name the builder matches on: plain for no prefix, `ext:Local` for our namespace.
fn resolve_name(scopes: &[Scope], qname: &str, element: bool) -> Result<String, String> {
    match qname.split_once(':') {
        None => {
            // A default namespace other than none is not the validator's vocabulary, except ours.
            if element && let Some(uri) = resolve_prefix(scopes, "").filter(|u| !u.is_empty()) {
                if uri == EXT_NS {
                    return Ok(format!("ext:{qname}"));
                }
                return Err(format!(
                    "element <{qname}> is in unknown namespace {uri}; expected no namespace or {EXT_NS}"
                ));
            }
            Ok(qname.to_string())
        }
        Some((prefix, local)) => match resolve_prefix(scopes, prefix) {
            Some(uri) if uri == EXT_NS => Ok(format!("ext:{local}")),
            Some(uri) => Err(format!(
                "<{qname}> is in unknown namespace {uri}; expected no namespace or {EXT_NS}"
            )),
            None => Err(format!("namespace prefix '{prefix}' of {qname} is not declared")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_text_are_kept() {
        let doc = "<?xml version=\"1.0\"?>\n<A x=\"1\">\n  <B y=\"a&amp;b\">t&lt;<![CDATA[<raw>]]></B>\n</A>";
        let root = parse_document(doc).unwrap();
        assert_eq!(root.name, "A");
        assert_eq!(root.pos, Pos { line: 2, column: 1 });
        let b = &root.children[0];
        assert_eq!(b.pos, Pos { line: 3, column: 3 });
        assert_eq!(b.attrs[0].value, "a&b");
        assert_eq!(b.attrs[0].pos, Pos { line: 3, column: 6 });
        assert_eq!(b.text, "t<<raw>");
    }

    #[test]
    fn mismatched_end_tag_is_positioned() {
        let err = parse_document("<A>\n  <B></C>\n</A>").unwrap_err();
        assert_eq!(err.pos.line, 2);
        assert!(err.message.contains("malformed"), "{}", err.message);
    }

    #[test]
    fn extension_namespace_is_resolved_and_others_rejected() {
        let doc = format!("<A xmlns:w=\"{EXT_NS}\"><w:RotateKeys w:Note=\"n\"/></A>");
        let root = parse_document(&doc).unwrap();
        assert_eq!(root.children[0].name, "ext:RotateKeys");
        assert_eq!(root.children[0].attrs[0].name, "ext:Note");
        let err = parse_document("<A xmlns:o=\"urn:other\"><o:B/></A>").unwrap_err();
        assert!(err.message.contains("unknown namespace"));
    }
}
