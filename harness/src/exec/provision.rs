//! Fresh files per case: the [`Provisioner`] trait and the external-command implementation (`--provision CMD`).

use std::future::Future;
use std::pin::Pin;
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
    })
}

impl Provisioner for CommandProvisioner {
    fn provision<'a>(&'a self, case_id: &'a str) -> ProvisionFuture<'a> {
        Box::pin(async move {
            let mut cmd = tokio::process::Command::new("sh");
            cmd.arg("-c")
                .arg(&self.command)
                .env("WOPI_CASE_ID", case_id)
                .kill_on_drop(true);
            cmd.stdin(std::process::Stdio::null());
            let output = match tokio::time::timeout(self.timeout, cmd.output()).await {
                Err(_) => return Err(ProvisionError::Timeout(self.timeout)),
                Ok(Err(e)) => return Err(ProvisionError::Spawn(e.to_string())),
                Ok(Ok(o)) => o,
            };
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
}
