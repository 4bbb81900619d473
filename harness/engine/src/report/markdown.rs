//! The Markdown report (`--markdown`), shaped for a CI job summary (`$GITHUB_STEP_SUMMARY`).
//!
//! A totals line, a table by group, then each failed and warning case with what was sent, what came back, the rule
//! and a link to its doc page, then the skipped cases with their reasons. Everything a host sent is escaped or
//! fenced, so a hostile body cannot inject Markdown or HTML into the summary page.

use std::fmt::Write as _;

use super::model::{CaseResult, Outcome, RunReport, Verdict};
use super::text::{case_reason, doc_url, format_ms, one_line, plural, transcript_text};

/// Cases after which transcripts are left out: a CI summary page has a size limit (1 MiB on GitHub), and the JSON
/// and HTML reports hold every transcript anyway.
const TRANSCRIPT_CASE_LIMIT: usize = 50;

/// Renders the run as Markdown.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let totals = report.totals();
    let verdict = match totals.verdict() {
        Verdict::Failed => "❌ Failed",
        Verdict::Incomplete => "❌ Incomplete",
        Verdict::Passed => "✅ Passed",
    };
    let _ = writeln!(out, "## WOPI conformance: {verdict}\n");
    for h in report.headlines() {
        let _ = writeln!(out, "> **{}**\n", text(&one_line(&h)));
    }
    let counts: Vec<String> = totals.count_phrases().iter().map(|c| format!("**{c}**")).collect();
    let _ = writeln!(
        out,
        "{} · {} in {}\n",
        counts.join(" · "),
        plural(totals.total(), "case"),
        format_ms(report.duration_ms)
    );
    let causes = super::text::root_causes(report);
    if totals.failed > 1 && !causes.is_empty() {
        let _ = writeln!(out, "### Root causes (what to fix first)\n");
        for r in causes.iter().take(super::text::ROOT_CAUSE_LIMIT) {
            let _ = writeln!(out, "- {}", text(&super::text::root_cause_line(r)));
        }
        out.push('\n');
    }
    let t = &report.target;
    let _ = writeln!(
        out,
        "Target {} ({}, profile {}) · wopi-conformance {} · started {}\n",
        code(&t.wopisrc),
        text(&t.host_kind),
        text(&t.profile),
        text(&report.tool_version),
        text(&report.started_at)
    );

    let wide = totals.blocked + totals.not_run > 0;
    let configurations = report.configurations_by_group();
    // The configuration column only when the target has named configurations (the embedded host).
    let (config_head, config_rule) = if configurations.is_empty() {
        ("", "")
    } else {
        (" Configuration |", ":---|")
    };
    if wide {
        let _ = writeln!(
            out,
            "| Group |{config_head} Passed | Failed | Skipped | Warnings | Blocked | Not run | Total |"
        );
        let _ = writeln!(out, "|:---|{config_rule}---:|---:|---:|---:|---:|---:|---:|");
    } else {
        let _ = writeln!(
            out,
            "| Group |{config_head} Passed | Failed | Skipped | Warnings | Total |"
        );
        let _ = writeln!(out, "|:---|{config_rule}---:|---:|---:|---:|---:|");
    }
    for (group, g) in report.totals_by_group() {
        let configuration = match configurations.get(&group) {
            Some(c) => format!(" {} |", text(c)),
            None if configurations.is_empty() => String::new(),
            None => " |".to_owned(),
        };
        let middle = if wide {
            format!(" {} | {} |", count(g.blocked, "⛔"), g.not_run)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} |{configuration} {} | {} | {} | {} |{middle} {} |",
            text(&group),
            g.passed,
            count(g.failed, "❌"),
            g.skipped,
            count(g.warning, "⚠️"),
            g.total()
        );
    }
    out.push('\n');

    let mut with_transcript = 0usize;
    for (title, outcome) in [("Failed cases", Outcome::Failed), ("Warnings", Outcome::Warning)] {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.outcome == outcome).collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title} ({})\n", cases.len());
        for case in cases {
            let show_transcript = with_transcript < TRANSCRIPT_CASE_LIMIT;
            if show_transcript {
                with_transcript += 1;
            }
            case_section(&mut out, case, show_transcript);
        }
    }
    if with_transcript == TRANSCRIPT_CASE_LIMIT {
        let _ = writeln!(
            out,
            "_Transcripts are shown for the first {TRANSCRIPT_CASE_LIMIT} cases only; the JSON and HTML reports have all._\n"
        );
    }

    for (title, outcome) in [
        ("Blocked", Outcome::Blocked),
        ("Not run", Outcome::NotRun),
        ("Skipped", Outcome::Skipped),
    ] {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.outcome == outcome).collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title} ({})\n", cases.len());
        for case in cases {
            let reason = case_reason(case).unwrap_or_else(|| "no reason given".to_string());
            let _ = writeln!(out, "- {}: {}", code(&case.id), text(&reason));
        }
        out.push('\n');
    }
    out
}

fn case_section(out: &mut String, case: &CaseResult, show_transcript: bool) {
    let icon = if case.outcome == Outcome::Failed {
        "❌"
    } else {
        "⚠️"
    };
    let _ = writeln!(out, "#### {icon} {}\n", code(&case.id));
    if !case.description.trim().is_empty() {
        let _ = writeln!(out, "{}\n", text(&case.description));
    }
    if let Some(doc) = &case.doc {
        let _ = writeln!(out, "Documentation: {}\n", doc_link(doc));
    }
    if let Some(configuration) = &case.configuration {
        let _ = writeln!(out, "Host configuration: {}\n", code(configuration));
    }
    if case.failures.is_empty() {
        let reason = case_reason(case).unwrap_or_else(|| "no details recorded".to_string());
        let _ = writeln!(out, "- {}", text(&reason));
    }
    for f in &case.failures {
        let _ = write!(
            out,
            "- **{}** {}: expected {}, got {}",
            text(&f.request),
            text(&f.check),
            code(&one_line(&f.expected)),
            code(&one_line(&f.actual))
        );
        if f.should_only {
            out.push_str(" (SHOULD)");
        }
        out.push('\n');
        if let Some(rule) = &f.rule {
            let _ = write!(out, "  - Rule: {}", text(rule));
            if let Some(doc) = &f.doc {
                let _ = write!(out, " ({})", doc_link(doc));
            }
            out.push('\n');
        } else if let Some(doc) = &f.doc {
            let _ = writeln!(out, "  - Documentation: {}", doc_link(doc));
        }
    }
    out.push('\n');
    if show_transcript && !case.transcript.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>What was sent and what came back ({})</summary>\n",
            plural(case.transcript.len(), "request")
        );
        out.push_str(&fenced(&transcript_text(&case.transcript)));
        let _ = writeln!(out, "\n</details>\n");
    }
}

fn doc_link(doc: &super::model::DocRef) -> String {
    match doc_url(doc) {
        Some(url) => format!("[{}](<{}>)", text(&doc.page), url.replace(['<', '>', ' '], "")),
        None => code(&doc.page),
    }
}

fn count(n: usize, icon: &str) -> String {
    if n > 0 { format!("{n} {icon}") } else { n.to_string() }
}

/// Inline text with every character that Markdown or HTML would interpret escaped, on one line.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An inline code span that survives backticks and pipes in its content.
fn code(s: &str) -> String {
    let s = one_line(s).replace('|', "\\|");
    if s.is_empty() {
        return "` `".to_string();
    }
    let ticks = "`".repeat(longest_backtick_run(&s) + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// A fenced code block longer than any backtick run inside it.
fn fenced(s: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(s).max(2) + 1);
    let body = s.strip_suffix('\n').unwrap_or(s);
    format!("{fence}text\n{body}\n{fence}\n")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_cannot_inject_markup() {
        assert_eq!(text("<script>a|b</script>"), "&lt;script&gt;a\\|b&lt;/script&gt;");
        assert_eq!(text("[x](javascript:1)"), "\\[x\\](javascript:1)");
    }

    #[test]
    fn code_spans_and_fences_outgrow_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert!(fenced("x\n````\n").starts_with("`````text\n"));
    }
}
