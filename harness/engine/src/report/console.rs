//! The console report: a live progress bar while cases run, one line per failed, warning or skipped case with its
//! reason, and a summary table by group at the end.
//!
//! Colour is used only when the output is a terminal (the `console` crate's detection, which also honours
//! `NO_COLOR`, `CLICOLOR` and `CLICOLOR_FORCE`). The bar draws on stderr and hides itself when stderr is not a
//! terminal, so CI logs get plain lines and the summary, nothing else.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use console::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::model::{CaseResult, Outcome, RunReport, Totals, Verdict};
use super::text::{case_reason, format_ms, one_line, plural};

// The runner's progress trait, re-exported so reporters and their callers need only this module.
pub use super::progress::{NoProgress, Progress};

/// Progress bar, per-case lines and the closing summary on a terminal or a CI log.
pub struct ConsoleReporter {
    bar: ProgressBar,
    out: Mutex<Box<dyn Write + Send>>,
    colour: bool,
    /// `-s`: skipped cases get no line of their own (they still advance the bar and count in the summary).
    ignore_skipped: bool,
}

impl std::fmt::Debug for ConsoleReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleReporter")
            .field("colour", &self.colour)
            .field("ignore_skipped", &self.ignore_skipped)
            .finish_non_exhaustive()
    }
}

impl ConsoleReporter {
    /// Lines and summary on stdout, coloured when stdout is a terminal; the bar on stderr when it is a terminal.
    pub fn stdout() -> Self {
        let colour = console::colors_enabled();
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        // The style is set before anything is drawn, so the first frame already has it.
        let template = if colour {
            "{spinner:.cyan} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} {wide_msg}"
        } else {
            "[{elapsed_precise}] {bar:40} {pos}/{len} {wide_msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self {
            bar,
            out: Mutex::new(Box::new(std::io::stdout())),
            colour,
            ignore_skipped: false,
        }
    }

    /// Lines and summary to `out`, with no progress bar and colour only if asked (tests, embedding).
    pub fn to_writer(out: Box<dyn Write + Send>, colour: bool) -> Self {
        Self {
            bar: ProgressBar::hidden(),
            out: Mutex::new(out),
            colour,
            ignore_skipped: false,
        }
    }

    /// Whether skipped cases get no line of their own (`-s`); they still count in the bar and the summary.
    #[must_use]
    pub fn ignore_skipped(mut self, ignore: bool) -> Self {
        self.ignore_skipped = ignore;
        self
    }

    /// Removes the bar and prints the summary of the finished run.
    pub fn finish(&self, report: &RunReport) {
        self.bar.finish_and_clear();
        self.emit(&format!("\n{}", summary_styled(report, self.colour)));
    }

    /// Writes text above the bar. Console output is best effort: a closed stdout must not fail the run.
    fn emit(&self, text: &str) {
        self.bar.suspend(|| {
            let mut out = match self.out.lock() {
                Ok(g) => g,
                // A panic elsewhere while printing leaves the writer usable; keep reporting.
                Err(poisoned) => poisoned.into_inner(),
            };
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        });
    }
}

impl Progress for ConsoleReporter {
    fn started(&self, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(0);
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }

    fn case_finished(&self, case: &CaseResult) {
        self.bar.inc(1);
        self.bar.set_message(one_line(&case.id));
        if self.ignore_skipped && matches!(case.outcome, Outcome::Skipped | Outcome::NotRun) {
            return;
        }
        if let Some(line) = case_line(case, self.colour) {
            self.emit(&format!("{line}\n"));
        }
    }
}

/// The line printed for a finished case, or `None` for a plain pass.
pub fn case_line(case: &CaseResult, colour: bool) -> Option<String> {
    let (tag, style) = match case.outcome {
        Outcome::Passed => return None,
        Outcome::Failed => ("FAIL", Style::new().red().bold()),
        Outcome::Warning => ("WARN", Style::new().yellow().bold()),
        Outcome::Skipped => ("SKIP", Style::new().dim()),
        Outcome::Blocked => ("BLOCKED", Style::new().magenta().bold()),
        Outcome::NotRun => ("NOT RUN", Style::new().dim()),
    };
    let tag = style.force_styling(colour).apply_to(tag);
    let reason = case_reason(case).map(|r| format!(": {r}")).unwrap_or_default();
    Some(format!(
        "{tag} {}{}{reason}",
        one_line(&case.id),
        on_configuration(case)
    ))
}

/// ` [on no-relative]` for a case that ran on a host configuration other than the default (the summary table names
/// every group's configuration).
fn on_configuration(case: &CaseResult) -> String {
    match case.configuration.as_deref() {
        Some(name) if name != "default" => format!(" [on {}]", one_line(name)),
        _ => String::new(),
    }
}

/// The end-of-run summary without colour: a table by group, the failed cases again, and the totals.
pub fn summary(report: &RunReport) -> String {
    summary_styled(report, false)
}

/// [`summary`] with colour when `colour` is true.
pub fn summary_styled(report: &RunReport, colour: bool) -> String {
    let paint = |s: Style| s.force_styling(colour);
    let groups = report.totals_by_group();
    let configurations = report.configurations_by_group();
    let config_width = configurations
        .values()
        .map(|c| c.chars().count())
        .max()
        .map_or(0, |w| w.max("Configuration".len()));
    let totals = report.totals();
    let width = groups
        .iter()
        .map(|(g, _)| g.chars().count())
        .max()
        .unwrap_or(0)
        .max("Group".len());
    let mut out = String::new();
    // The findings that explain the rest come first: where the host stopped, what blocked what, root causes.
    let overview = super::text::overview_text(report);
    if !overview.is_empty() {
        let mut lines = overview.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(out, "{}", paint(Style::new().bold()).apply_to(first));
        }
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
        out.push('\n');
    }
    let extra = totals.blocked + totals.not_run > 0;
    let middle = if extra {
        format!("  {:>7}  {:>7}", "Blocked", "Not run")
    } else {
        String::new()
    };
    // The configuration column is there only when the target has named configurations (the embedded host).
    let config_cell = |c: &str| {
        if config_width == 0 {
            String::new()
        } else {
            format!("  {c:<config_width$}")
        }
    };
    let header = format!(
        "{:<width$}{}  {:>6}  {:>6}  {:>7}  {:>7}{middle}  {:>5}",
        "Group",
        config_cell("Configuration"),
        "Passed",
        "Failed",
        "Skipped",
        "Warning",
        "Total"
    );
    let _ = writeln!(out, "{}", paint(Style::new().bold()).apply_to(header));
    let row = |name: &str, t: &Totals| {
        let configuration = config_cell(configurations.get(name).map_or("", String::as_str));
        let failed = format!("{:>6}", t.failed);
        let failed = if t.failed > 0 {
            paint(Style::new().red().bold()).apply_to(failed).to_string()
        } else {
            failed
        };
        let warning = format!("{:>7}", t.warning);
        let warning = if t.warning > 0 {
            paint(Style::new().yellow()).apply_to(warning).to_string()
        } else {
            warning
        };
        let middle = if extra {
            format!("  {:>7}  {:>7}", t.blocked, t.not_run)
        } else {
            String::new()
        };
        format!(
            "{name:<width$}{configuration}  {:>6}  {failed}  {:>7}  {warning}{middle}  {:>5}\n",
            t.passed,
            t.skipped,
            t.total()
        )
    };
    for (group, t) in &groups {
        out.push_str(&row(group, t));
    }
    let configuration_columns = if config_width == 0 { 0 } else { config_width + 2 };
    let rule = width + configuration_columns + 2 + 6 + 2 + 6 + 2 + 7 + 2 + 7 + 2 + 5 + if extra { 18 } else { 0 };
    let _ = writeln!(out, "{}", "-".repeat(rule));
    out.push_str(&row("Total", &totals));

    let failed: Vec<&CaseResult> = report.cases.iter().filter(|c| c.outcome == Outcome::Failed).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nFailed cases:");
        for case in failed {
            let reason = case_reason(case).map(|r| format!(": {r}")).unwrap_or_default();
            let _ = writeln!(out, "  {}{reason}", one_line(&case.id));
        }
    }

    let blocked: Vec<&CaseResult> = report.cases.iter().filter(|c| c.outcome == Outcome::Blocked).collect();
    if !blocked.is_empty() {
        let _ = writeln!(out, "\nBlocked cases:");
        for case in blocked {
            let reason = case_reason(case).map(|r| format!(": {r}")).unwrap_or_default();
            let _ = writeln!(out, "  {}{reason}", one_line(&case.id));
        }
    }

    let (word, style) = match totals.verdict() {
        Verdict::Failed => ("FAILED", Style::new().red().bold()),
        Verdict::Incomplete => ("INCOMPLETE", Style::new().red().bold()),
        Verdict::Passed => ("PASSED", Style::new().green().bold()),
    };
    let _ = writeln!(
        out,
        "\n{}: {}; {} in {}",
        paint(style).apply_to(word),
        totals.count_phrases().join(", "),
        plural(totals.total(), "case"),
        format_ms(report.duration_ms)
    );
    out
}
