//! A private, throw-away PostgreSQL cluster: `initdb` into a temporary directory, `pg_ctl start` on a free
//! loopback port, `pg_ctl stop` and delete on drop.
//!
//! Used by the multi-instance tests and by `wopi-conformance run --instances N` (embedded mode), so neither needs
//! a PostgreSQL server running beforehand nor leaves one behind. PostgreSQL refuses to run as root, so when this
//! process is root the cluster runs as `nobody` through `runuser` (the data directory is handed to that user).
//! The binaries are Debian's (`/usr/lib/postgresql/<major>/bin`, newest major first), or the directory in
//! `WOPI_PG_BIN`, or whatever `initdb` is on `PATH`.
//!
//! The cluster trusts every local connection (`-A trust`) and listens only on 127.0.0.1; `fsync` is off, because
//! the cluster never outlives the process (a killed *host instance*, which the durability test is about, does not
//! depend on it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Why a private cluster did not start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No PostgreSQL server binaries were found.
    #[error(
        "PostgreSQL server binaries not found (looked in $WOPI_PG_BIN, /usr/lib/postgresql/*/bin and PATH); \
         install Debian's `postgresql` package (scripts/test.sh does)"
    )]
    NoBinaries,
    /// A file-system step failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// `initdb` or `pg_ctl` failed.
    #[error("{what} failed: {output}")]
    Command {
        /// The command.
        what: String,
        /// Its standard error and output.
        output: String,
    },
}

/// A running private cluster. Stopped (fast shutdown, bounded) and deleted when dropped.
#[derive(Debug)]
pub struct PrivateCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    run_as: Option<String>,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
    let what = what.into();
    move |source| ClusterError::Io { what, source }
}

/// The directory holding `initdb` and `pg_ctl`.
pub fn find_binaries() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WOPI_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").is_file().then_some(dir);
    }
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    majors.sort();
    if let Some((_, bin)) = majors.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    })
}

fn is_root() -> bool {
    // Without libc: the owner of /proc/self is the effective user.
    std::os::unix::fs::MetadataExt::uid(&match std::fs::metadata("/proc/self") {
        Ok(m) => m,
        Err(_) => return false,
    }) == 0
}

fn uid_gid_of(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != user {
            return None;
        }
        let _password = f.next()?;
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

fn free_port() -> Result<u16, ClusterError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("finding a free loopback port"))?;
    Ok(l.local_addr().map_err(io("reading the bound port"))?.port())
}

fn check(what: &str, out: std::io::Result<Output>) -> Result<(), ClusterError> {
    let out = out.map_err(io(format!("running {what}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(ClusterError::Command {
        what: what.to_owned(),
        output: format!(
            "{} {}",
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ),
    })
}

impl PrivateCluster {
    /// Creates and starts a cluster. Blocking (a few seconds); call it from `spawn_blocking` in async code.
    pub fn start() -> Result<Self, ClusterError> {
        let bin = find_binaries().ok_or(ClusterError::NoBinaries)?;
        let dir = tempfile::Builder::new()
            .prefix("wopi-pg-")
            .tempdir()
            .map_err(io("creating the cluster's temporary directory"))?;
        let run_as = if is_root() {
            let user = "nobody";
            let (uid, gid) = uid_gid_of(user).ok_or_else(|| ClusterError::Command {
                what: "looking up the unprivileged user".into(),
                output: format!("no user {user:?} in /etc/passwd (PostgreSQL refuses to run as root)"),
            })?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(io("handing the cluster directory to the unprivileged user"))?;
            Some(user.to_owned())
        } else {
            None
        };
        let mut cluster = Self {
            bin,
            dir,
            port: 0,
            run_as,
        };
        let data = cluster.data_dir();
        check(
            "initdb",
            cluster
                .command("initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--no-instructions",
                ])
                .output(),
        )?;
        // A port found free can be taken before the server binds it; a few attempts cover that race.
        let mut last = None;
        for _ in 0..3 {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(ClusterError::NoBinaries))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn pg_ctl_start(&self) -> Result<(), ClusterError> {
        let options = format!(
            "-p {} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        check(
            "pg_ctl start",
            self.command("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.dir.path().join("server.log"))
                .args(["-o", &options, "-w", "-t", "30", "start"])
                .output(),
        )
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's temporary directory (data in `data/`, log in `server.log`).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A connection URL for `database` as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database `name` (letters, digits and `_` only) and returns its URL.
    pub async fn create_database(&self, name: &str) -> Result<String, ClusterError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ClusterError::Command {
                what: "creating a database".into(),
                output: format!("invalid database name {name:?}"),
            });
        }
        let failed = |e: tokio_postgres::Error| ClusterError::Command {
            what: format!("CREATE DATABASE {name}"),
            output: e.to_string(),
        };
        let mut config: tokio_postgres::Config = self.url("postgres").parse().map_err(failed)?;
        config.connect_timeout(Duration::from_secs(10));
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(failed)?;
        let task = tokio::spawn(connection);
        let result = client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(failed);
        drop(client);
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        result.map(|()| self.url(name))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if self.port == 0 {
            return;
        }
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "-t", "20", "stop"])
            .output();
        if let Err(e) = check("pg_ctl stop", out) {
            tracing::warn!(error = %e, "stopping the private PostgreSQL cluster");
        }
    }
}
