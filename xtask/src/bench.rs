//! `cargo xtask bench-startup`: how long the embedded default takes from process start to the
//! first successful `GET /health`, on fresh data directories (so migrations run every time).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process;

/// Options of the benchmark.
#[derive(Debug, clap::Args)]
pub struct StartupOptions {
    /// How many starts to measure (at least 1).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub runs: usize,
}

/// Builds the release binary, then measures `runs` cold starts of the embedded default.
pub fn startup(root: &Path, options: &StartupOptions) -> Result<()> {
    let binary = build_release(root)?;
    let mut samples = Vec::with_capacity(options.runs);
    for run in 1..=options.runs {
        let elapsed = one_start(&binary)?;
        println!("run {run:>2}: {:.1} ms", elapsed.as_secs_f64() * 1000.0);
        samples.push(elapsed);
    }
    samples.sort();
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "start → first 200 from /health over {} runs (fresh SQLite files, migrations included): min {:.1} ms, median {:.1} ms, max {:.1} ms",
        samples.len(),
        millis(samples[0]),
        millis(samples[samples.len() / 2]),
        millis(samples[samples.len() - 1]),
    );
    Ok(())
}

/// Builds the release server and returns its path.
pub fn build_release(root: &Path) -> Result<std::path::PathBuf> {
    process::run(process::cargo(root).args([
        "build",
        "--release",
        "--locked",
        "--package",
        "socrates-server",
    ]))?;
    Ok(root.join("target/release/socrates-server"))
}

fn one_start(binary: &Path) -> Result<Duration> {
    let directory = std::env::temp_dir().join(format!("socrates-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory)?;
    let port = free_port()?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    let mut child = Command::new(binary)
        .current_dir(&directory)
        .env("SOCRATES_SERVER__PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("start {}", binary.display()))?;
    let outcome = wait_for_health(&address, &mut child, started);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&directory);
    outcome
}

fn wait_for_health(address: &SocketAddr, child: &mut Child, started: Instant) -> Result<Duration> {
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited with {status} before answering");
        }
        if health_is_ok(address) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("no 200 from /health within 30 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One plain HTTP/1.1 request, so the benchmark needs no HTTP client crate.
pub fn health_is_ok(address: &SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("find a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use crate::{Command, parse};

    fn runs(args: &[&str]) -> Result<usize, clap::Error> {
        let mut command = vec!["bench-startup"];
        command.extend_from_slice(args);
        match parse(&command)? {
            Command::BenchStartup(options) => Ok(options.runs),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ten_runs_by_default_and_at_least_one() {
        assert_eq!(runs(&[]).unwrap(), 10);
        assert_eq!(runs(&["--runs", "3"]).unwrap(), 3);
        assert_eq!(runs(&["--runs", "3", "--runs", "4"]).unwrap(), 4);
        for bad in [&["--runs", "0"][..], &["--runs", "x"], &["--runs"], &["3"]] {
            assert!(runs(bad).is_err(), "{bad:?}");
        }
    }
}
