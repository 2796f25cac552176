//! A small blocking HTTP/1.1 client with keep-alive, and a load runner on plain threads: enough
//! to drive the server from many simulated users without an async runtime in xtask.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// One answer of the server.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// How long the request took, reconnecting included.
    pub elapsed: Duration,
}

impl Response {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether the body is the one error shape of every error:
    /// `{"error", "error_code", "details", "request_id"}`.
    pub fn is_error_shape(&self) -> bool {
        let body = self.json();
        body["error"].is_string()
            && body["error_code"].is_string()
            && body["details"].is_object()
            && body["request_id"].is_string()
    }

    /// The `error_code` of an error body (empty when there is none).
    pub fn error_code(&self) -> String {
        self.json()["error_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A keep-alive connection to one server, reopened when the server closes it.
pub struct Client {
    address: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
    timeout: Duration,
    /// Sent as `X-Forwarded-For` (the drills' servers trust 127.0.0.1 as a proxy), so each
    /// simulated user has an address of its own for the per-address limits.
    pub forwarded_for: Option<String>,
    /// Sent as `Authorization: Bearer …`.
    pub token: Option<String>,
}

impl Client {
    /// A client of `address` whose requests give up after `timeout` without an answer.
    pub fn new(address: SocketAddr, timeout: Duration) -> Self {
        Self {
            address,
            stream: None,
            timeout,
            forwarded_for: None,
            token: None,
        }
    }

    /// `GET path`.
    pub fn get(&mut self, path: &str) -> Result<Response> {
        self.request("GET", path, None)
    }

    /// `POST path` with a JSON body.
    pub fn post(&mut self, path: &str, body: &Value) -> Result<Response> {
        self.request("POST", path, Some(body))
    }

    /// One request; a connection the server closed in between is reopened once.
    pub fn request(&mut self, method: &str, path: &str, body: Option<&Value>) -> Result<Response> {
        let started = Instant::now();
        let reused = self.stream.is_some();
        match self.try_request(method, path, body) {
            Ok(mut response) => {
                response.elapsed = started.elapsed();
                Ok(response)
            }
            Err(error) => {
                self.stream = None;
                if !reused || started.elapsed() >= self.timeout {
                    return Err(error);
                }
                let mut response = self.try_request(method, path, body)?;
                response.elapsed = started.elapsed();
                Ok(response)
            }
        }
    }

    fn try_request(&mut self, method: &str, path: &str, body: Option<&Value>) -> Result<Response> {
        if self.stream.is_none() {
            let stream = TcpStream::connect_timeout(&self.address, self.timeout)
                .with_context(|| format!("connect to {}", self.address))?;
            stream.set_read_timeout(Some(self.timeout))?;
            stream.set_write_timeout(Some(self.timeout))?;
            stream.set_nodelay(true)?;
            self.stream = Some(BufReader::new(stream));
        }
        let Some(reader) = self.stream.as_mut() else {
            bail!("no connection");
        };
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if let Some(token) = &self.token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        if let Some(address) = &self.forwarded_for {
            head.push_str(&format!("X-Forwarded-For: {address}\r\n"));
        }
        if method != "GET" {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        reader.get_mut().write_all(head.as_bytes())?;

        let mut status_line = String::new();
        if reader.read_line(&mut status_line)? == 0 {
            bail!("the server closed the connection");
        }
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .with_context(|| format!("not an HTTP status line: {status_line:?}"))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                bail!("the server closed the connection in the headers");
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let body = if header("transfer-encoding").is_some_and(|value| value.contains("chunked")) {
            read_chunked(reader)?
        } else {
            let length: usize = header("content-length")
                .and_then(|value| value.parse().ok())
                .unwrap_or(0);
            let mut bytes = vec![0_u8; length];
            reader.read_exact(&mut bytes)?;
            bytes
        };
        if header("connection").is_some_and(|value| value.eq_ignore_ascii_case("close")) {
            self.stream = None;
        }
        Ok(Response {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            elapsed: Duration::ZERO,
        })
    }
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
            .with_context(|| format!("bad chunk size {size_line:?}"))?;
        let mut chunk = vec![0_u8; size + 2];
        reader.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// What a load produced: answers by status (0 = no answer), and latencies.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Answers per status; 0 counts requests that got no answer (timeout, refused, reset).
    pub statuses: BTreeMap<u16, u64>,
    /// Error answers per `error_code`.
    pub codes: BTreeMap<String, u64>,
    /// Answers with a status of 400 or more whose body was not the one error shape.
    pub unshaped_errors: u64,
    /// Every latency, in microseconds.
    pub latencies_us: Vec<u64>,
    /// The first few surprises, for the report.
    pub samples: Vec<String>,
    /// How long the load ran.
    pub wall: Duration,
}

impl Tally {
    /// Records one outcome.
    pub fn record(&mut self, outcome: &Result<Response>) {
        match outcome {
            Ok(response) => {
                *self.statuses.entry(response.status).or_default() += 1;
                self.latencies_us
                    .push(u64::try_from(response.elapsed.as_micros()).unwrap_or(u64::MAX));
                if response.status >= 400 {
                    *self.codes.entry(response.error_code()).or_default() += 1;
                }
                if response.status >= 400 && !response.is_error_shape() {
                    self.unshaped_errors += 1;
                    self.sample(format!(
                        "{} without the error shape: {:.200}",
                        response.status, response.body
                    ));
                }
            }
            Err(error) => {
                *self.statuses.entry(0).or_default() += 1;
                self.sample(format!("no answer: {error:#}"));
            }
        }
    }

    /// Keeps `text` when fewer than five samples are kept.
    pub fn sample(&mut self, text: String) {
        if self.samples.len() < 5 {
            self.samples.push(text);
        }
    }

    /// Adds another tally's counts.
    pub fn merge(&mut self, other: Tally) {
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        for (code, count) in other.codes {
            *self.codes.entry(code).or_default() += count;
        }
        self.unshaped_errors += other.unshaped_errors;
        self.latencies_us.extend(other.latencies_us);
        for sample in other.samples {
            self.sample(sample);
        }
    }

    /// Every request counted.
    pub fn total(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// Requests answered with a status in `range`.
    pub fn count(&self, range: std::ops::RangeInclusive<u16>) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| range.contains(status))
            .map(|(_, count)| count)
            .sum()
    }

    /// Requests that were not answered 2xx.
    pub fn failures(&self) -> u64 {
        self.total() - self.count(200..=299)
    }

    /// Answers per second over the load's wall time.
    pub fn throughput(&self) -> f64 {
        self.total() as f64 / self.wall.as_secs_f64().max(0.001)
    }

    /// The `q` quantile of the latencies (0.0–1.0).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies_us.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() - 1) as f64 * q).round() as usize;
        Duration::from_micros(sorted[index.min(sorted.len() - 1)])
    }

    /// `200×950 503×12 (DEADLINE_EXCEEDED×12)` and so on.
    pub fn statuses_text(&self) -> String {
        let statuses = self
            .statuses
            .iter()
            .map(|(status, count)| {
                if *status == 0 {
                    format!("none×{count}")
                } else {
                    format!("{status}×{count}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        if self.codes.is_empty() {
            return statuses;
        }
        let codes = self
            .codes
            .iter()
            .map(|(code, count)| format!("{}×{count}", if code.is_empty() { "?" } else { code }))
            .collect::<Vec<_>>()
            .join(" ");
        format!("{statuses} ({codes})")
    }
}

/// Runs `work` on one thread per client until `duration` passes or `stop` is raised, each
/// thread calling it in a loop with its own client and index; returns the merged tally.
pub fn run_load<F>(clients: Vec<Client>, duration: Duration, work: F) -> Result<Tally>
where
    F: Fn(usize, &mut Client, &mut Tally) + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut handles = Vec::new();
    for (index, mut client) in clients.into_iter().enumerate() {
        let work = Arc::clone(&work);
        let stop_flag = Arc::clone(&stop);
        let spawned = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let mut tally = Tally::default();
                while !stop_flag.load(Ordering::Relaxed) && started.elapsed() < duration {
                    work(index, &mut client, &mut tally);
                }
                tally
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(error) => {
                stop.store(true, Ordering::Relaxed);
                for handle in handles {
                    let _ = handle.join();
                }
                return Err(error).context("spawn a load thread");
            }
        }
    }
    let mut total = Tally::default();
    for handle in handles {
        let tally = handle
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))?;
        total.merge(tally);
    }
    total.wall = started.elapsed();
    Ok(total)
}
