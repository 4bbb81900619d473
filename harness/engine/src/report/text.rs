//! Plain-text pieces every format shares: failure one-liners, transcripts as text, doc links, durations.
//!
//! Keeping them in one place makes the console, JUnit and Markdown reports say the same thing in the same words.

use std::fmt::Write as _;

use wopi_protocol::transcript::{Exchange, RecordedOutcome, redact_header, redact_url};

use super::model::{CaseResult, DocRef, Failure, Outcome, RootCause, RunReport};

/// Where the public WOPI documentation lives; page paths under `rest/` and `online/` map below it.
pub(crate) const DOCS_BASE: &str = "https://learn.microsoft.com/en-us/microsoft-365/cloud-storage-partner-program/";

/// The longest one-line message; a hostile host can put anything in a header it echoes.
const ONE_LINE_LIMIT: usize = 300;

/// The public URL of a doc page: [`DocRef::url`] when it is an http(s) URL, else the page path mapped onto
/// [`DOCS_BASE`] (`rest/files/Lock.rst#x` becomes `…/rest/files/lock#x`). `None` when the page maps nowhere.
///
/// Only http(s) URLs are returned, so a suite file cannot smuggle a `javascript:` link into the HTML report.
pub(crate) fn doc_url(doc: &DocRef) -> Option<String> {
    if let Some(url) = doc.url.as_deref().filter(|u| is_http_url(u)) {
        return Some(url.to_string());
    }
    let page = doc.page.trim();
    if is_http_url(page) {
        return Some(page.to_string());
    }
    let page = ["../shared/wopi-docs/", "shared/wopi-docs/", "wopi-docs/", "./", "/"]
        .iter()
        .fold(page, |p, prefix| p.strip_prefix(prefix).unwrap_or(p));
    let (path, fragment) = match page.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (page, None),
    };
    if !(path.starts_with("rest/") || path.starts_with("online/")) {
        return None;
    }
    let stem = path
        .strip_suffix(".rst")
        .or_else(|| path.strip_suffix(".md"))
        .unwrap_or(path);
    if stem.contains(['.', ' ', '?', '"', '<', '>']) {
        return None;
    }
    // The published site lower-cases page names and uses hyphens where the sources use underscores.
    let mut slug = stem.to_ascii_lowercase().replace('_', "-");
    if let Some(dir) = slug.strip_suffix("/index") {
        slug = format!("{dir}/");
    }
    let mut url = format!("{DOCS_BASE}{slug}");
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        url.push('#');
        url.push_str(&f.to_ascii_lowercase().replace(['_', ' '], "-"));
    }
    Some(url)
}

fn is_http_url(s: &str) -> bool {
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// `Lock: ResponseCode: expected 200, got 409`, on one bounded line.
pub(crate) fn failure_line(f: &Failure) -> String {
    one_line(&format!(
        "{}: {}: expected {}, got {}",
        f.request, f.check, f.expected, f.actual
    ))
}

/// Why the case ended as it did, on one line: its reason, else its first failure, else nothing.
pub(crate) fn case_reason(case: &CaseResult) -> Option<String> {
    match (&case.reason, case.failures.first()) {
        (Some(r), _) if !r.trim().is_empty() => Some(one_line(r)),
        (_, Some(f)) => Some(failure_line(f)),
        _ => None,
    }
}

/// Collapses whitespace runs (newlines included) to one space, shows other control characters escaped (`\u{1b}`),
/// and bounds the length.
///
/// The escaping matters on a terminal: a host's text with an ANSI sequence in it must not move the cursor or
/// recolour the console.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(ONE_LINE_LIMIT));
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if c.is_control() {
                out.extend(c.escape_unicode());
            } else {
                out.push(c);
            }
        }
    }
    truncate_chars(&out, ONE_LINE_LIMIT)
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

/// Every failure as an indented block: the check, expected, actual, the rule and its page.
pub(crate) fn failures_text(failures: &[Failure]) -> String {
    let mut out = String::new();
    for f in failures {
        let level = if f.should_only { " (SHOULD)" } else { "" };
        let _ = writeln!(out, "{}: {}{level}", f.request, f.check);
        let _ = writeln!(out, "  expected: {}", f.expected);
        let _ = writeln!(out, "  actual:   {}", f.actual);
        if let Some(rule) = &f.rule {
            let _ = writeln!(out, "  rule:     {rule}");
        }
        if let Some(doc) = &f.doc {
            let _ = writeln!(out, "  doc:      {}", doc_url(doc).unwrap_or_else(|| doc.page.clone()));
        }
    }
    out
}

/// The transcript as text: `>` lines were sent, `<` lines came back.
///
/// URLs and secret headers are redacted again here: the runner already did, and a second pass costs nothing.
pub(crate) fn transcript_text(exchanges: &[Exchange]) -> String {
    let mut out = String::new();
    for ex in exchanges {
        let req = &ex.request;
        let _ = writeln!(out, "--- {} ({})", ex.label, format_ms(ex.elapsed_ms));
        let _ = writeln!(out, "> {} {}", req.method, redact_url(&req.url));
        for (name, value) in &req.headers {
            let (name, value) = redact_header(name, value);
            let _ = writeln!(out, "> {name}: {value}");
        }
        body_lines(&mut out, '>', req.body_size, &req.body_preview);
        match &ex.outcome {
            RecordedOutcome::Response {
                status,
                headers,
                body_size,
                body_preview,
            } => {
                let _ = writeln!(out, "< {} {}", status, status_text(*status));
                for (name, value) in headers {
                    let (name, value) = redact_header(name, value);
                    let _ = writeln!(out, "< {name}: {value}");
                }
                body_lines(&mut out, '<', *body_size, body_preview);
            }
            RecordedOutcome::TransportError { message } => {
                let _ = writeln!(out, "< transport error: {message}");
            }
        }
    }
    out
}

fn body_lines(out: &mut String, dir: char, size: u64, preview: &str) {
    if size == 0 && preview.is_empty() {
        return;
    }
    let _ = writeln!(out, "{dir} [body: {size} bytes]");
    for line in preview.lines() {
        let _ = writeln!(out, "{dir}   {line}");
    }
}

/// The reason phrase of a status code, or `""` for codes without a standard one.
pub(crate) fn status_text(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// `0.4 ms`, `12 ms`, `1.23 s`.
pub(crate) fn format_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "? ms".to_string()
    } else if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Root causes shown in the text formats; the JSON report has them all.
pub(crate) const ROOT_CAUSE_LIMIT: usize = 8;

/// The run's root causes: the ones stored in the report, or computed from its cases (a report saved by an older
/// version has none stored).
pub(crate) fn root_causes(report: &RunReport) -> Vec<RootCause> {
    if report.root_causes.is_empty() {
        report.compute_root_causes()
    } else {
        report.root_causes.clone()
    }
}

/// One line per root cause: `16 cases: PutRelativeFile answers 500 (an HTML page) instead of 200`.
pub(crate) fn root_cause_line(r: &RootCause) -> String {
    one_line(&format!("{}: {} {}", plural(r.count, "case"), r.operation, r.summary))
}

/// What every text format says before its tables: the headlines, then the root causes when more than one case
/// failed. Empty when there is nothing to say.
pub(crate) fn overview_text(report: &RunReport) -> String {
    let mut out = String::new();
    for h in report.headlines() {
        let _ = writeln!(out, "{}", one_line(&h));
    }
    let causes = root_causes(report);
    if report.totals().failed > 1 && !causes.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "Root causes (what to fix first, largest first):");
        for r in causes.iter().take(ROOT_CAUSE_LIMIT) {
            let _ = writeln!(out, "  {}", root_cause_line(r));
        }
        if causes.len() > ROOT_CAUSE_LIMIT {
            let _ = writeln!(
                out,
                "  … and {} more (all in the JSON report)",
                causes.len() - ROOT_CAUSE_LIMIT
            );
        }
    }
    out
}

/// `1 warning`, `2 warnings`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Lower-case outcome name, as the JSON report spells it.
pub(crate) fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Skipped => "skipped",
        Outcome::Warning => "warning",
        Outcome::Blocked => "blocked",
        Outcome::NotRun => "not_run",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(page: &str, url: Option<&str>) -> DocRef {
        DocRef {
            page: page.into(),
            url: url.map(Into::into),
        }
    }

    #[test]
    fn doc_pages_map_to_the_published_site() {
        assert_eq!(
            doc_url(&doc("rest/files/Lock.rst", None)).as_deref(),
            Some(&*format!("{DOCS_BASE}rest/files/lock"))
        );
        assert_eq!(
            doc_url(&doc("online/scenarios/proofkeys.rst#verifying", None)).as_deref(),
            Some(&*format!("{DOCS_BASE}online/scenarios/proofkeys#verifying"))
        );
        assert_eq!(
            doc_url(&doc("../shared/wopi-docs/rest/common_headers.rst", None)).as_deref(),
            Some(&*format!("{DOCS_BASE}rest/common-headers"))
        );
        assert_eq!(doc_url(&doc("notes/x.rst", None)), None);
    }

    #[test]
    fn explicit_url_wins_but_only_http() {
        assert_eq!(
            doc_url(&doc("rest/files/Lock.rst", Some("https://e.test/x"))).as_deref(),
            Some("https://e.test/x")
        );
        assert_eq!(
            doc_url(&doc("rest/files/Lock.rst", Some("javascript:alert(1)"))).as_deref(),
            Some(&*format!("{DOCS_BASE}rest/files/lock"))
        );
        assert_eq!(doc_url(&doc("javascript:alert(1)", None)), None);
    }

    #[test]
    fn one_line_collapses_and_bounds() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        assert_eq!(one_line("red\x1b[31m"), "red\\u{1b}[31m");
        let long = "x".repeat(ONE_LINE_LIMIT + 5);
        assert_eq!(one_line(&long).chars().count(), ONE_LINE_LIMIT + 1);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_ms(0.42), "0.4 ms");
        assert_eq!(format_ms(12.4), "12 ms");
        assert_eq!(format_ms(1234.0), "1.23 s");
        assert_eq!(format_ms(f64::NAN), "? ms");
    }
}
