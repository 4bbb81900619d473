//! Fresh files per case: the [`Provisioner`] trait and the external-command implementation (`--provision CMD`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::Target;

/// Why a file could not be provisioned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionError {
    #[error("the provisioning command could not start: {0}")]
    Spawn(String),
    #[error("the provisioning command did not finish within {0:?}")]
    Timeout(Duration),
    #[error("the provisioning command failed ({status}): {stderr}")]
    Failed { status: String, stderr: String },
    #[error("the provisioning command printed no JSON line {{wopisrc, access_token, access_token_ttl}}: {0}")]
    BadOutput(String),
    #[error("{0}")]
    Other(String),
}

/// The boxed future a provisioner returns (trait objects cannot have `async fn`).
pub type ProvisionFuture<'a> = Pin<Box<dyn Future<Output = Result<Target, ProvisionError>> + Send + 'a>>;

/// Creates a fresh test file on the host for one case.
pub trait Provisioner: Send + Sync {
    /// A new file for the case `case_id` (`suite::Group::Case`, or `prereqs` for the file prereqs run on).
    fn provision<'a>(&'a self, case_id: &'a str) -> ProvisionFuture<'a>;

    /// The host configuration a group with these prereqs runs on, for a provisioner that offers several (the
    /// embedded reference host: `wopi_harness::configurations`); `None`, the default, when it has one. Prereqs,
    /// declarations and files are then kept per configuration, and every report names it.
    fn configuration(&self, prereqs: &[String]) -> Option<String> {
        let _ = prereqs;
        None
    }

    /// A new file for `case_id` on `configuration` (a name [`Provisioner::configuration`] gave).
    fn provision_on<'a>(&'a self, configuration: &'a str, case_id: &'a str) -> ProvisionFuture<'a> {
        let _ = configuration;
        self.provision(case_id)
    }
}

/// Runs a shell command that creates a file and prints one JSON line:
/// `{"wopisrc": "...", "access_token": "...", "access_token_ttl": 0}`. The case id is in `$WOPI_CASE_ID`.
#[derive(Debug, Clone)]
pub struct CommandProvisioner {
    pub command: String,
    pub timeout: Duration,
}

impl CommandProvisioner {
    pub fn new(command: impl Into<String>) -> Self {
        CommandProvisioner {
            command: command.into(),
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Deserialize)]
struct Line {
    wopisrc: String,
    access_token: String,
    #[serde(default)]
    access_token_ttl: u64,
}

/// Parses the provisioning command's output: the last line that is a JSON object.
pub fn parse_output(stdout: &str) -> Result<Target, ProvisionError> {
    let line = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| ProvisionError::BadOutput("no line starting with '{'".into()))?;
    let parsed: Line = serde_json::from_str(line).map_err(|e| ProvisionError::BadOutput(e.to_string()))?;
    let wopisrc = Url::parse(&parsed.wopisrc).map_err(|e| ProvisionError::BadOutput(format!("wopisrc: {e}")))?;
    Ok(Target {
        wopisrc,
        access_token: parsed.access_token,
        access_token_ttl: parsed.access_token_ttl,
        instances: Vec::new(),
    })
}

/// Signals a whole process group by shelling out to `kill` (the crate has no libc binding). Best effort: the group
/// may already be gone, and there is nothing more to do if `kill` itself cannot run.
fn signal_group(pgid: u32, signal: &str) {
    let negative = format!("-{pgid}");
    let _ = std::process::Command::new("kill")
        .args([signal, "--", &negative])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Owns the provisioning command's process group until the command has finished. Dropped while armed (timeout, or
/// the run being cancelled by Ctrl-C dropping the future) it terminates the whole group, not only `sh`, so the
/// command's children are not orphaned: TERM at once, then KILL after a short grace for those that ignore TERM.
struct GroupGuard {
    pgid: Option<u32>,
}

impl GroupGuard {
    /// How long processes get to exit on TERM before the group is sent KILL.
    const GRACE: Duration = Duration::from_millis(500);

    fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let Some(pgid) = self.pgid.take() else { return };
        signal_group(pgid, "-TERM");
        // A detached thread, because Drop cannot await and must not stall the async worker for the grace period.
        let spawned = std::thread::Builder::new()
            .name("provision-kill".into())
            .spawn(move || {
                std::thread::sleep(Self::GRACE);
                signal_group(pgid, "-KILL");
            });
        if spawned.is_err() {
            signal_group(pgid, "-KILL");
        }
    }
}

impl Provisioner for CommandProvisioner {
    fn provision<'a>(&'a self, case_id: &'a str) -> ProvisionFuture<'a> {
        Box::pin(async move {
            let mut cmd = tokio::process::Command::new("sh");
            cmd.arg("-c")
                .arg(&self.command)
                .env("WOPI_CASE_ID", case_id)
                // Its own process group, so a timeout or Ctrl-C can end the command's children too; it also keeps
                // the terminal's Ctrl-C away from the command, which the guard handles instead.
                .process_group(0)
                .kill_on_drop(true)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let child = cmd.spawn().map_err(|e| ProvisionError::Spawn(e.to_string()))?;
            // With process_group(0) the group id is the child's pid.
            let mut guard = GroupGuard { pgid: child.id() };
            let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
                Err(_) => return Err(ProvisionError::Timeout(self.timeout)),
                Ok(Err(e)) => return Err(ProvisionError::Spawn(e.to_string())),
                Ok(Ok(o)) => o,
            };
            // Finished on its own (stdout closed, sh exited): anything it left in the background is its business.
            guard.disarm();
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                return Err(ProvisionError::Failed {
                    status: output.status.to_string(),
                    stderr: stderr.chars().take(500).collect(),
                });
            }
            parse_output(&String::from_utf8_lossy(&output.stdout))
        })
    }
}

/// Adds the instance list to every target a provisioner hands out.
pub struct WithInstances {
    inner: Arc<dyn Provisioner>,
    others: Vec<Url>,
}

impl WithInstances {
    /// Wraps `inner`; `others` are the `--instance` URLs (see [`crate::instances`]).
    pub fn new(inner: Arc<dyn Provisioner>, others: Vec<Url>) -> Self {
        Self { inner, others }
    }
}

impl Provisioner for WithInstances {
    fn provision<'a>(&'a self, case_id: &'a str) -> ProvisionFuture<'a> {
        Box::pin(async move {
            let mut target: Target = self.inner.provision(case_id).await?;
            target.instances = crate::instances::for_wopisrc(&target.wopisrc, &self.others);
            Ok(target)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_the_last_json_line() {
        let t = parse_output(
            "creating...\n{\"wopisrc\":\"http://h/wopi/files/7\",\"access_token\":\"t\",\"access_token_ttl\":5}\n",
        )
        .unwrap();
        assert_eq!(t.wopisrc.as_str(), "http://h/wopi/files/7");
        assert_eq!((t.access_token.as_str(), t.access_token_ttl), ("t", 5));
        assert!(matches!(parse_output("nothing"), Err(ProvisionError::BadOutput(_))));
        assert!(matches!(
            parse_output("{\"wopisrc\":\"nope\",\"access_token\":\"t\"}"),
            Err(ProvisionError::BadOutput(_))
        ));
    }

    #[tokio::test]
    async fn command_provisioner_runs_the_command_with_the_case_id() {
        let p = CommandProvisioner::new(
            r#"printf '{"wopisrc":"http://h/wopi/files/%s","access_token":"tok","access_token_ttl":0}\n' "$WOPI_CASE_ID""#,
        );
        let t = p.provision("abc").await.unwrap();
        assert_eq!(t.wopisrc.as_str(), "http://h/wopi/files/abc");
        let failing = CommandProvisioner::new("echo oops >&2; exit 3");
        assert!(matches!(
            failing.provision("x").await,
            Err(ProvisionError::Failed { .. })
        ));
        let slow = CommandProvisioner {
            command: "sleep 5".into(),
            timeout: Duration::from_millis(100),
        };
        assert!(matches!(slow.provision("x").await, Err(ProvisionError::Timeout(_))));
    }

    /// True while `pid` is a live process (a zombie awaiting its reaper counts as gone).
    fn alive(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => false,
            // The state is the first field after the parenthesised command name.
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        }
    }

    /// Waits up to 3 s for the processes to go, since the kill is asynchronous.
    async fn all_gone(pids: &[u32]) -> bool {
        for _ in 0..60 {
            if !pids.iter().any(|p| alive(*p)) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    fn read_pid(path: &std::path::Path) -> u32 {
        std::fs::read_to_string(path).unwrap().trim().parse().unwrap()
    }

    /// `sh` and its background child write their pids, then the command outlives the provisioner.
    fn pid_writing_command(dir: &std::path::Path) -> (String, std::path::PathBuf, std::path::PathBuf) {
        let sh = dir.join("sh.pid");
        let bg = dir.join("bg.pid");
        let cmd = format!(
            "echo $$ > '{}'; sleep 30 & echo $! > '{}'; sleep 30",
            sh.display(),
            bg.display()
        );
        (cmd, sh, bg)
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let (command, sh, bg) = pid_writing_command(dir.path());
        let p = CommandProvisioner {
            command,
            timeout: Duration::from_millis(500),
        };
        assert!(matches!(p.provision("x").await, Err(ProvisionError::Timeout(_))));
        let pids = [read_pid(&sh), read_pid(&bg)];
        assert!(all_gone(&pids).await, "still running: {pids:?}");
    }

    #[tokio::test]
    async fn dropping_the_future_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let (command, sh, bg) = pid_writing_command(dir.path());
        let p = CommandProvisioner {
            command,
            timeout: Duration::from_secs(60),
        };
        // What Ctrl-C does: the run's future, and with it the provisioning, is dropped mid-command.
        assert!(
            tokio::time::timeout(Duration::from_millis(500), p.provision("x"))
                .await
                .is_err()
        );
        let pids = [read_pid(&sh), read_pid(&bg)];
        assert!(all_gone(&pids).await, "still running: {pids:?}");
    }
}
