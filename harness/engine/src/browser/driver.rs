//! A headless Chromium driven over WebDriver: Debian's `chromedriver` started on a free loopback port, one
//! thirtyfour session, and everything torn down again.
//!
//! Nothing is downloaded: the binaries come from the `chromium` and `chromium-driver` packages (or
//! `$WOPI_CHROMEDRIVER` / `$WOPI_CHROMIUM`). The browser runs with the flags that keep it off the network
//! (`shared/notes/crates.md` §9) and a fresh profile in a temporary directory, which is also its `HOME`, so
//! nothing is read from or written to the user's own profile.
//!
//! `chromedriver` starts in a process group of its own; [`Browser::shutdown`] quits the session, then kills
//! that group, which takes the Chromium processes with it (Chromium leaves zygotes behind when the driver
//! dies first). [`Drop`] does the same without waiting, so a panicking test leaves no orphan processes. A
//! watchdog in the same group (`WATCHDOG_SH`) kills the group when the harness dies without either (SIGKILL,
//! or a SIGTERM or SIGHUP the binary does not catch).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Value, json};
use thirtyfour::common::command::FormatRequestData;
use thirtyfour::prelude::*;
use thirtyfour::{CapabilitiesHelper, ChromiumLikeCapabilities, PageLoadStrategy, RequestData, SessionId};
use tokio::process::{Child, Command};

/// Chromium flags: headless, no sandbox (CI runs as root), and no traffic of its own (updates, sync, QUIC,
/// crash uploads, first-run pages).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    // Not `--disable-crashpad-for-testing`: without crashpad, Chromium's network service aborts ("FD ownership
    // violation") and no page loads. Its handlers leave the driver's process group; `kill_group` ends them too.
    "--disable-crash-reporter",
    "--disable-dev-shm-usage",
    "--metrics-recording-only",
    "--password-store=basic",
    // The first tab is chrome://newtab/, which Debian's Chromium fills from its search engine's start page, and
    // the browser's own services call home: both resolve nowhere, so nothing leaves the machine and an offline
    // machine does not wait for DNS (a pending first navigation stalls every WebDriver command).
    "--host-resolver-rules=MAP start.duckduckgo.com ~NOTFOUND, MAP duckduckgo.com ~NOTFOUND, MAP *.duckduckgo.com ~NOTFOUND, \
     MAP clients1.google.com ~NOTFOUND, MAP clients2.google.com ~NOTFOUND, MAP update.googleapis.com ~NOTFOUND, \
     MAP safebrowsing.googleapis.com ~NOTFOUND, MAP accounts.google.com ~NOTFOUND, MAP www.google.com ~NOTFOUND",
];

/// The watchdog: a shell that joins the driver's process group and, once the harness process is gone (exited,
/// killed, or a zombie; a reused pid is told apart by its start time), kills Chromium's crashpad handlers (they
/// leave the group; they name the private directory `$3`) and then the whole group, itself included. A normal
/// shutdown kills the group first, watchdog and all. This is how a SIGKILLed or SIGTERMed harness leaves no
/// browser behind without `unsafe` (no `prctl(PR_SET_PDEATHSIG)` from safe Rust). Written for dash (Debian's
/// `/bin/sh`): its `kill` takes no `--`, and the script skips itself (its own text names the crashpad handler).
const WATCHDOG_SH: &str = r#"p=$1; g=$2; d=$3
look() { read -r s < "/proc/$p/stat" || return 1; r=${s##*) }; set -- $r; state=$1; shift 19; t=$1; }
look 2>/dev/null; t0=$t
while look 2>/dev/null && [ "$t" = "$t0" ] && [ "$state" != Z ] && [ "$state" != X ]; do sleep 0.5; done
for f in /proc/[0-9]*/cmdline; do
  c=$(tr '\0' ' ' < "$f" 2>/dev/null) || continue
  q=${f#/proc/}; q=${q%/cmdline}; [ "$q" = "$$" ] && continue
  case "$c" in *chrome_crashpad_handler*"$d"*) kill -KILL "$q" 2>/dev/null;; esac
done
kill -KILL "-$g" 2>/dev/null
"#;

/// Where the binaries are and how long to wait for them.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// `chromedriver`; `None` looks for `$WOPI_CHROMEDRIVER`, then `chromedriver` on `PATH`.
    pub chromedriver: Option<PathBuf>,
    /// The browser; `None` looks for `$WOPI_CHROMIUM`, then `chromium`, `chromium-browser`, `google-chrome`.
    pub chromium: Option<PathBuf>,
    /// Longest wait for chromedriver to answer and for the session to open.
    pub startup_timeout: Duration,
    /// Longest wait for any one WebDriver command (page loads included).
    pub command_timeout: Duration,
    /// Window size in CSS pixels.
    pub window: (u32, u32),
    /// More Chromium flags.
    pub extra_args: Vec<String>,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            chromedriver: None,
            chromium: None,
            startup_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(30),
            window: (1280, 800),
            extra_args: Vec::new(),
        }
    }
}

/// Why the browser could not start or be driven.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "chromedriver not found ({looked}); install Debian's driver with `apt-get install chromium chromium-driver` \
         or set WOPI_CHROMEDRIVER"
    )]
    NoChromedriver { looked: String },
    #[error(
        "Chromium not found ({looked}); install it with `apt-get install chromium chromium-driver` or set WOPI_CHROMIUM"
    )]
    NoChromium { looked: String },
    #[error("cannot start {}: {source}", path.display())]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot prepare the browser profile: {0}")]
    Profile(#[source] std::io::Error),
    #[error("chromedriver exited before it was ready ({status}); its output: {log}")]
    DriverExited { status: String, log: String },
    #[error("chromedriver did not answer within {0:?}; its output: {1}")]
    DriverTimeout(Duration, String),
    #[error("cannot open a browser session: {0}")]
    Session(String),
    #[error("browser command failed: {0}")]
    Command(String),
}

impl From<WebDriverError> for BrowserError {
    fn from(e: WebDriverError) -> Self {
        BrowserError::Command(e.to_string())
    }
}

/// A running chromedriver with one headless Chromium session.
pub struct Browser {
    driver: Option<WebDriver>,
    child: Option<Child>,
    /// The driver's process group (its own pid), killed as a whole.
    pgid: Option<u32>,
    /// The watchdog in that group ([`WATCHDOG_SH`]), reaped after the group is killed.
    watchdog: Option<Child>,
    /// Profile, `HOME` and driver log; removed when the browser is gone.
    dir: Option<tempfile::TempDir>,
    port: u16,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("port", &self.port)
            .field("pgid", &self.pgid)
            .finish_non_exhaustive()
    }
}

/// `name` as given, or found on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.components().count() > 1 {
        return p.is_file().then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|c| c.is_file())
}

fn find_binary(explicit: Option<&Path>, env: &str, names: &[&str]) -> Result<PathBuf, String> {
    let mut looked = Vec::new();
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        looked.push(p.display().to_string());
    } else if let Some(v) = std::env::var_os(env) {
        let p = PathBuf::from(v);
        if p.is_file() {
            return Ok(p);
        }
        looked.push(format!("${env}={}", p.display()));
    }
    for n in names {
        if let Some(p) = which(n) {
            return Ok(p);
        }
        looked.push(format!("{n} on PATH"));
    }
    Err(looked.join(", "))
}

/// A free loopback port (the listener is closed again; chromedriver binds it right after).
fn free_port() -> Result<u16, std::io::Error> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}

fn read_log(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default();
    let text = text.trim();
    // The tail is where the reason is.
    let start = text.len().saturating_sub(20000);
    let start = (start..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    if text.is_empty() {
        "(none)".to_string()
    } else {
        text[start..].to_string()
    }
}

/// `POST /session/{id}/goog/cdp/execute`: chromedriver's pass-through to the DevTools protocol (thirtyfour's
/// own wrapper needs its `cdp` feature, which the workspace leaves off).
#[derive(Debug)]
struct CdpCommand {
    cmd: &'static str,
    params: Value,
}

impl FormatRequestData for CdpCommand {
    fn format_request(&self, session_id: &SessionId) -> RequestData {
        RequestData::new(Method::POST, format!("session/{session_id}/goog/cdp/execute"))
            .add_body(json!({ "cmd": self.cmd, "params": self.params }))
    }
}

impl Browser {
    /// Starts chromedriver and opens a headless session. Every wait is bounded by `options.startup_timeout`.
    pub async fn start(options: &BrowserOptions) -> Result<Browser, BrowserError> {
        let chromedriver = find_binary(options.chromedriver.as_deref(), "WOPI_CHROMEDRIVER", &["chromedriver"])
            .map_err(|looked| BrowserError::NoChromedriver { looked })?;
        let chromium = find_binary(
            options.chromium.as_deref(),
            "WOPI_CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        )
        .map_err(|looked| BrowserError::NoChromium { looked })?;
        let dir = tempfile::Builder::new()
            .prefix("wopi-browser-")
            .tempdir()
            .map_err(BrowserError::Profile)?;
        let profile = dir.path().join("profile");
        std::fs::create_dir_all(&profile).map_err(BrowserError::Profile)?;
        let port = free_port().map_err(BrowserError::Profile)?;

        let mut cmd = Command::new(&chromedriver);
        cmd.arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .args(match std::env::var_os("WOPI_CHROMEDRIVER_LOG") {
                // A verbose log kept where the user asked, for debugging a host page that will not load.
                Some(path) => vec![
                    format!("--log-path={}", PathBuf::from(path).display()),
                    "--verbose".to_string(),
                ],
                None => vec![format!("--log-path={}", dir.path().join("chromedriver.log").display())],
            })
            // A private HOME keeps Chromium's config, caches and crash database out of the user's.
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_CACHE_HOME", dir.path())
            // Its log goes to --log-path; inherited or shared output descriptors make Chromium's network service
            // abort ("FD ownership violation").
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|source| BrowserError::Spawn {
            path: chromedriver.clone(),
            source,
        })?;
        let pgid = child.id();
        let watchdog = pgid.and_then(|g| spawn_watchdog(g, dir.path()));
        let mut browser = Browser {
            driver: None,
            child: Some(child),
            pgid,
            watchdog,
            dir: Some(dir),
            port,
        };
        let deadline = Instant::now() + options.startup_timeout;
        browser.wait_ready(deadline, options.startup_timeout).await?;

        let mut caps = DesiredCapabilities::chrome();
        let setup = (|| -> WebDriverResult<()> {
            caps.set_binary(&chromium.to_string_lossy())?;
            // chromedriver's own load waiting also waits on the first tab (chrome://newtab/), whose renderer
            // sometimes never answers headless: every command then stalls 30 s. Loads are awaited by
            // [`Browser::goto`] instead, which polls the page with a deadline.
            caps.set_page_load_strategy(PageLoadStrategy::None)?;
            for f in CHROMIUM_FLAGS {
                caps.add_arg(f)?;
            }
            caps.add_arg(&format!("--user-data-dir={}", profile.display()))?;
            caps.add_arg(&format!("--window-size={},{}", options.window.0, options.window.1))?;
            for a in &options.extra_args {
                caps.add_arg(a)?;
            }
            Ok(())
        })();
        setup.map_err(|e| BrowserError::Session(e.to_string()))?;
        let url = format!("http://127.0.0.1:{port}");
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        // Longer than the page-load timeout, so a slow page is reported by chromedriver, not cut by the client.
        let connect = WebDriver::builder(url, caps)
            .request_timeout(options.command_timeout.max(remaining) + Duration::from_secs(10));
        let driver = match tokio::time::timeout(remaining, connect).await {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                let log = browser.log();
                return Err(BrowserError::Session(format!("{e}; chromedriver output: {log}")));
            }
            Err(_) => {
                return Err(BrowserError::Session(format!(
                    "no session within {:?}; chromedriver output: {}",
                    options.startup_timeout,
                    browser.log()
                )));
            }
        };
        browser.driver = Some(driver);
        if let Err(e) = browser.prepare(options).await {
            return Err(BrowserError::Session(format!(
                "{e}; chromedriver output: {}",
                browser.log()
            )));
        }
        tracing::debug!(port, "headless Chromium session open");
        Ok(browser)
    }

    async fn prepare(&self, options: &BrowserOptions) -> Result<(), BrowserError> {
        let d = self.driver()?;
        d.set_page_load_timeout(options.command_timeout).await?;
        d.set_script_timeout(options.command_timeout).await?;
        // Work in a fresh tab (about:blank), away from the first tab's chrome://newtab/.
        let tab = d.new_tab().await?;
        d.switch_to_window(tab).await?;
        self.goto("about:blank", options.command_timeout).await
    }

    /// Navigates the top-level page to `url` and waits (at most `timeout`) until the new document has loaded.
    pub async fn goto(&self, url: &str, timeout: Duration) -> Result<(), BrowserError> {
        let d = self.driver()?;
        d.enter_default_frame().await?;
        // A marker on the old document tells it apart from the new one (about:blank to about:blank included).
        let _ = d.execute("window.__wopiOld = true;", vec![]).await;
        d.goto(url).await?;
        let deadline = Instant::now() + timeout;
        let mut last: String;
        loop {
            // Errors while the page is between documents are expected: keep polling.
            match d
                .execute(
                    "return [!window.__wopiOld, document.readyState, String(location.href)];",
                    vec![],
                )
                .await
            {
                Ok(r) => {
                    let v = r.json();
                    if v[0].as_bool() == Some(true) && v[1].as_str() == Some("complete") {
                        return Ok(());
                    }
                    last = format!("new document: {}, readyState {}, at {}", v[0], v[1], v[2]);
                }
                Err(e) => last = e.to_string(),
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Command(format!(
                    "{url} did not load within {timeout:?} ({last})"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_ready(&mut self, deadline: Instant, total: Duration) -> Result<(), BrowserError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .no_proxy()
            .build()
            .map_err(|e| BrowserError::Session(e.to_string()))?;
        let status_url = format!("http://127.0.0.1:{}/status", self.port);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(BrowserError::DriverExited {
                    status: status.to_string(),
                    log: self.log(),
                });
            }
            if let Ok(resp) = client.get(&status_url).send().await
                && resp.status().is_success()
                && let Ok(v) = resp.json::<Value>().await
                && v.pointer("/value/ready").and_then(Value::as_bool) == Some(true)
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::DriverTimeout(total, self.log()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The private directory (profile, `HOME`, driver log) every process of this browser names on its command line.
    pub fn private_dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(|d| d.path())
    }

    /// chromedriver's output so far (its tail), for error messages.
    pub fn log(&self) -> String {
        self.dir
            .as_ref()
            .map_or_else(|| "(none)".to_string(), |d| read_log(d.path()))
    }

    /// The WebDriver session.
    pub fn driver(&self) -> Result<&WebDriver, BrowserError> {
        self.driver
            .as_ref()
            .ok_or_else(|| BrowserError::Command("the browser session is closed".into()))
    }

    /// Runs a DevTools protocol command in the current page's target.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Result<Value, BrowserError> {
        let d = self.driver()?;
        let resp = d.handle().cmd(CdpCommand { cmd, params }).await?;
        Ok(resp.value_json()?)
    }

    /// Quits the session, stops chromedriver and kills what is left of its process group; waits at most a few
    /// seconds.
    pub async fn shutdown(mut self) {
        if let Some(d) = self.driver.take()
            && tokio::time::timeout(Duration::from_secs(10), d.clone().quit())
                .await
                .map(|r| r.is_err())
                .unwrap_or(true)
        {
            // The session did not end cleanly; the group kill below still ends the processes.
            let _ = d.leak();
        }
        self.kill_group();
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), w.wait()).await;
        }
    }

    fn kill_group(&mut self) {
        self.kill_group_only();
        if let Some(dir) = &self.dir {
            kill_crashpad_handlers(dir.path());
        }
    }

    fn kill_group_only(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            // Negative pid: the whole group we created (chromedriver and the Chromium it started), nothing else.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Chromium's crashpad handlers detach from the driver's process group (they double-fork to init); they are ours
/// when their command line names our private directory (their crash database lives under it).
fn kill_crashpad_handlers(dir: &Path) {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline);
        if cmdline.contains("chrome_crashpad_handler") && cmdline.contains(&needle) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(d) = self.driver.take() {
            // Quitting needs the runtime; dropping without it would block the executor. The processes die below.
            let _ = d.leak();
        }
        self.kill_group();
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        if let Some(w) = self.watchdog.as_mut() {
            let _ = w.start_kill();
        }
    }
}

/// Starts the [`WATCHDOG_SH`] watchdog for the driver's group `pgid`; `None` (with a warning) if it cannot start,
/// as the browser still works and a normal exit still cleans up.
fn spawn_watchdog(pgid: u32, dir: &Path) -> Option<Child> {
    let group = i32::try_from(pgid).ok()?;
    let spawned = Command::new("/bin/sh")
        .arg("-c")
        .arg(WATCHDOG_SH)
        .arg("wopi-browser-watchdog")
        .arg(std::process::id().to_string())
        .arg(pgid.to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(group)
        .spawn();
    match spawned {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the browser watchdog; a killed harness may leave Chromium running");
            None
        }
    }
}

/// Shared between the steps of a run.
pub type SharedBrowser = Arc<tokio::sync::Mutex<Option<Browser>>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_name_the_package() {
        let e = find_binary(
            Some(Path::new("/nonexistent/chromedriver")),
            "X",
            &["no-such-binary-here"],
        )
        .expect_err("not found");
        assert!(e.contains("/nonexistent/chromedriver") && e.contains("no-such-binary-here on PATH"));
        let msg = BrowserError::NoChromedriver { looked: e }.to_string();
        assert!(msg.contains("apt-get install chromium chromium-driver"), "{msg}");
    }

    #[test]
    fn flags_keep_the_browser_headless_and_quiet() {
        for f in [
            "--headless",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-quic",
        ] {
            assert!(CHROMIUM_FLAGS.contains(&f), "{f}");
        }
    }
}
