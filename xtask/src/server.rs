//! The release server as a child process of a benchmark: started on a free port in a fresh
//! temporary data directory, waited for until `/health` answers, stopped with SIGTERM on drop.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::{free_port, health_is_ok};

/// A running server.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
    /// Its working and data directory, removed on drop.
    pub directory: PathBuf,
    /// Whether drop leaves the directory in place (a server that will be restarted on it).
    keep_directory: bool,
}

impl Server {
    /// Starts `binary` in a new directory named after `purpose`, with `environment` added to
    /// the process environment (after `SOCRATES_SERVER__PORT` and `RUST_LOG=warn`). Its stdout
    /// is dropped and its stderr goes to the terminal.
    pub fn start(binary: &Path, purpose: &str, environment: &[(&str, String)]) -> Result<Self> {
        Self::spawn(
            binary,
            purpose,
            environment,
            Stdio::null(),
            Stdio::inherit(),
        )
    }

    /// Like [`Server::start`], but the server's stdout and stderr both go to the file `log`
    /// (created, or truncated), which outlives the server.
    pub fn start_logged(
        binary: &Path,
        purpose: &str,
        environment: &[(&str, String)],
        log: &Path,
    ) -> Result<Self> {
        let stdout =
            File::create(log).with_context(|| format!("create the log {}", log.display()))?;
        let stderr = stdout.try_clone()?;
        Self::spawn(binary, purpose, environment, stdout.into(), stderr.into())
    }

    /// Like [`Server::start_logged`], but in `directory` as it is (made if missing), on `port`,
    /// with the log appended to: a server restarted on the data of an earlier one. The
    /// directory is kept on drop.
    pub fn restart_logged(
        binary: &Path,
        directory: &Path,
        port: u16,
        environment: &[(&str, String)],
        log: &Path,
    ) -> Result<Self> {
        std::fs::create_dir_all(directory)?;
        let stdout = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("open the log {}", log.display()))?;
        let stderr = stdout.try_clone()?;
        let mut server = Self::launch(
            binary,
            directory.to_path_buf(),
            port,
            environment,
            stdout.into(),
            stderr.into(),
        )?;
        server.keep_directory = true;
        Ok(server)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server with SIGKILL and waits for it; its directory is kept for a restart.
    pub fn kill_hard(mut self) -> Result<PathBuf> {
        self.child.kill().context("kill -9 the server")?;
        self.child.wait()?;
        self.keep_directory = true;
        Ok(self.directory.clone())
    }

    fn spawn(
        binary: &Path,
        purpose: &str,
        environment: &[(&str, String)],
        stdout: Stdio,
        stderr: Stdio,
    ) -> Result<Self> {
        let directory =
            std::env::temp_dir().join(format!("socrates-{purpose}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory)?;
        let port = free_port()?;
        Self::launch(binary, directory, port, environment, stdout, stderr)
    }

    fn launch(
        binary: &Path,
        directory: PathBuf,
        port: u16,
        environment: &[(&str, String)],
        stdout: Stdio,
        stderr: Stdio,
    ) -> Result<Self> {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        // The child runs in its own directory: a relative `--server-binary` is resolved here.
        let binary =
            std::path::absolute(binary).with_context(|| format!("resolve {}", binary.display()))?;
        let mut command = Command::new(&binary);
        command
            .current_dir(&directory)
            .env("SOCRATES_SERVER__PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(stdout)
            .stderr(stderr);
        for (name, value) in environment {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let mut server = Self {
            child,
            address,
            directory,
            keep_directory: false,
        };
        let started = Instant::now();
        while !health_is_ok(&server.address) {
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited with {status}");
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the server did not answer /health within 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// The resident set size now, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib_of(self.child.id())
    }

    /// The peak resident set size so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        status_field(self.child.id(), "VmHWM:")
    }

    /// The CPU time the server used so far (user + system), from `/proc/PID/stat`.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(ticks / 100.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        if !self.keep_directory {
            let _ = std::fs::remove_dir_all(&self.directory);
        }
    }
}

/// The resident set size of process `pid` now, in KiB (readable from another thread than the
/// one owning the [`Server`]).
pub fn rss_kib_of(pid: u32) -> Option<u64> {
    status_field(pid, "VmRSS:")
}

/// A `kB` field of `/proc/PID/status`.
fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
