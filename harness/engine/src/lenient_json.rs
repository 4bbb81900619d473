//! JSON as the validator reads it: Newtonsoft's lenient syntax and its `SelectToken` paths.
//!
//! The engine parses response bodies and `ResponseBodyProperty@ExpectedValue` with Newtonsoft, which accepts
//! unquoted property names, single-quoted strings, comments and trailing commas, and ignores anything after the
//! first value (`JObject.Load`). Verdicts depend on that, so [`parse_lenient`] accepts the same; it still never
//! panics and bounds nesting depth, because the text comes from the host under test.

use serde_json::{Map, Number, Value};

/// Deepest nesting accepted (a hostile body must not overflow the stack).
const MAX_DEPTH: usize = 128;

/// A lenient-JSON syntax error with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct JsonError {
    pub message: String,
    pub offset: usize,
}

/// Parses one JSON value in Newtonsoft's lenient syntax; text after it is ignored. A leading BOM is skipped.
pub fn parse_lenient(text: &str) -> Result<Value, JsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    p.ws()?;
    p.value(0)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, JsonError> {
        Err(JsonError {
            message: message.into(),
            offset: self.i,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips whitespace and comments.
    fn ws(&mut self) -> Result<(), JsonError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.i += 1,
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    let Some(end) = self.text[self.i + 2..].find("*/") else {
                        return self.err("unterminated comment");
                    };
                    self.i += 2 + end + 2;
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        match self.peek() {
            None => self.err("unexpected end of input"),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(q @ (b'"' | b'\'')) => Ok(Value::String(self.string(q)?)),
            Some(c) if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                let word = self.ident();
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" | "undefined" => Ok(Value::Null),
                    "" => self.err("expected a value"),
                    w => self.err(format!("unexpected word '{w}'")),
                }
            }
        }
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
                self.i += 1;
            } else {
                break;
            }
        }
        self.text.get(start..self.i).unwrap_or_default().to_string()
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.i += 1;
        let mut map = Map::new();
        loop {
            self.ws()?;
            match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                Some(q @ (b'"' | b'\'')) => {
                    let k = self.string(q)?;
                    self.member(depth, k, &mut map)?;
                }
                Some(_) => {
                    let k = self.ident();
                    if k.is_empty() {
                        return self.err("expected a property name");
                    }
                    self.member(depth, k, &mut map)?;
                }
                None => return self.err("unterminated object"),
            }
            self.ws()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return self.err("expected ',' or '}'"),
            }
        }
    }

    fn member(&mut self, depth: usize, key: String, map: &mut Map<String, Value>) -> Result<(), JsonError> {
        self.ws()?;
        if self.peek() != Some(b':') {
            return self.err("expected ':'");
        }
        self.i += 1;
        self.ws()?;
        let v = self.value(depth + 1)?;
        map.insert(key, v);
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws()?;
            match self.peek() {
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                None => return self.err("unterminated array"),
                _ => items.push(self.value(depth + 1)?),
            }
            self.ws()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return self.err("expected ',' or ']'"),
            }
        }
    }

    fn string(&mut self, quote: u8) -> Result<String, JsonError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let Some(pos) = rest.find(|c: char| c as u32 == u32::from(quote) || c == '\\') else {
                return self.err("unterminated string");
            };
            out.push_str(&rest[..pos]);
            self.i += pos;
            if self.peek() == Some(quote) {
                self.i += 1;
                return Ok(out);
            }
            // Backslash escape.
            self.i += 1;
            let Some(c) = self.peek() else {
                return self.err("unterminated escape");
            };
            self.i += 1;
            match c {
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'u' => {
                    let cp = self.hex4()?;
                    if (0xD800..0xDC00).contains(&cp) && self.text[self.i..].starts_with("\\u") {
                        self.i += 2;
                        let lo = self.hex4()?;
                        let c = 0x10000 + ((cp - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                        out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                    } else {
                        out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                    }
                }
                other => {
                    // `\"`, `\'`, `\\`, `\/` and Newtonsoft's tolerance for other escaped characters.
                    let ch = self.text[self.i - 1..].chars().next().unwrap_or(other as char);
                    self.i += ch.len_utf8() - 1;
                    out.push(ch);
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let Some(h) = self.text.get(self.i..self.i + 4) else {
            return self.err("short \\u escape");
        };
        let v = u32::from_str_radix(h, 16).or_else(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        let t = self.text[start..self.i].trim_start_matches('+');
        if let Ok(n) = t.parse::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        if let Ok(n) = t.parse::<u64>() {
            return Ok(Value::Number(n.into()));
        }
        match t.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => self.err(format!("bad number '{t}'")),
        }
    }
}

/// Why a path could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("invalid JSON path '{0}'")]
    Syntax(String),
    #[error("path '{0}' returned multiple tokens")]
    Multiple(String),
}

#[derive(Debug)]
enum Seg {
    Name(String),
    Index(i64),
    Slice(Option<i64>, Option<i64>),
    Wildcard,
}

fn parse_path(path: &str) -> Result<Vec<Seg>, PathError> {
    let bad = || PathError::Syntax(path.to_string());
    let mut segs = Vec::new();
    let b = path.as_bytes();
    let mut i = 0;
    let p = path.strip_prefix('$').map_or(path, |s| s);
    let offset = path.len() - p.len();
    i += offset;
    while i < b.len() {
        match b[i] {
            b'.' => i += 1,
            b'[' => {
                let end = path[i..].find(']').ok_or_else(bad)? + i;
                let inner = path[i + 1..end].trim();
                if inner == "*" {
                    segs.push(Seg::Wildcard);
                } else if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    segs.push(Seg::Name(q.to_string()));
                } else if let Some((a, z)) = inner.split_once(':') {
                    let num = |s: &str| -> Result<Option<i64>, PathError> {
                        let s = s.trim();
                        if s.is_empty() {
                            Ok(None)
                        } else {
                            s.parse().map(Some).map_err(|_| bad())
                        }
                    };
                    segs.push(Seg::Slice(num(a)?, num(z)?));
                } else {
                    segs.push(Seg::Index(inner.parse().map_err(|_| bad())?));
                }
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                    i += 1;
                }
                let name = &path[start..i];
                segs.push(if name == "*" {
                    Seg::Wildcard
                } else {
                    Seg::Name(name.to_string())
                });
            }
        }
    }
    Ok(segs)
}

/// Newtonsoft `SelectToken(path)`: `Ok(None)` when nothing matches, an error when several tokens match.
pub fn select<'v>(root: &'v Value, path: &str) -> Result<Option<&'v Value>, PathError> {
    let segs = parse_path(path)?;
    let mut cur: Vec<&Value> = vec![root];
    for seg in &segs {
        let mut next = Vec::new();
        for v in cur {
            match (seg, v) {
                (Seg::Name(n), Value::Object(m)) => next.extend(m.get(n)),
                (Seg::Index(i), Value::Array(a)) => {
                    if let Ok(i) = usize::try_from(*i) {
                        next.extend(a.get(i));
                    }
                }
                (Seg::Slice(s, e), Value::Array(a)) => {
                    let len = i64::try_from(a.len()).unwrap_or(i64::MAX);
                    let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                    let s = s.map_or(0, norm);
                    let e = e.map_or(len, norm);
                    let (s, e) = (usize::try_from(s).unwrap_or(0), usize::try_from(e).unwrap_or(0));
                    if s < e {
                        next.extend(a[s..e].iter());
                    }
                }
                (Seg::Wildcard, Value::Array(a)) => next.extend(a.iter()),
                (Seg::Wildcard, Value::Object(m)) => next.extend(m.values()),
                _ => {}
            }
        }
        cur = next;
    }
    match cur.len() {
        0 => Ok(None),
        1 => Ok(cur.pop()),
        _ => Err(PathError::Multiple(path.to_string())),
    }
}

/// The JSON type name as Newtonsoft's `JTokenType` would print it.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_f64() => "Float",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_syntax_is_accepted() {
        let v =
            parse_lenient("\u{feff}{ a: 'x', \"b\": [1, 2.5, true, null,], // c\n /* d */ c: -3 } trailing").unwrap();
        assert_eq!(v, json!({"a": "x", "b": [1, 2.5, true, null], "c": -3}));
        assert_eq!(
            parse_lenient(r#"[{CoauthLockId:'Client1', X:'*'}]"#).unwrap(),
            json!([{"CoauthLockId": "Client1", "X": "*"}])
        );
        assert_eq!(parse_lenient(r#""\u00e9\n\/""#).unwrap(), json!("é\n/"));
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for bad in ["", "{", "{a:}", "[1,", "{'a' 1}", "\"abc", "\"\\u12", "tru", "{a:1,,}"] {
            assert!(parse_lenient(bad).is_err(), "{bad:?} should fail");
        }
        let deep = "[".repeat(10_000);
        assert!(parse_lenient(&deep).is_err());
    }

    #[test]
    fn select_token_paths_behave_like_newtonsoft() {
        let v = json!({"A": [{"Url": "u0"}, {"Url": "u1"}], "B": {"C": 1}, "E": []});
        assert_eq!(select(&v, "A[-1:].Url").unwrap(), Some(&json!("u1")));
        assert_eq!(select(&v, "A[0].Url").unwrap(), Some(&json!("u0")));
        assert_eq!(select(&v, "B.C").unwrap(), Some(&json!(1)));
        assert_eq!(select(&v, "['B']['C']").unwrap(), Some(&json!(1)));
        assert_eq!(select(&v, "Missing").unwrap(), None);
        assert_eq!(select(&v, "A[5].Url").unwrap(), None);
        assert_eq!(select(&v, "E[-1:].Url").unwrap(), None);
        assert!(matches!(select(&v, "A[*].Url"), Err(PathError::Multiple(_))));
        assert!(matches!(select(&v, "A[x]"), Err(PathError::Syntax(_))));
    }
}
