//! `socrates-server healthcheck`: asks the running server's `/health/live` on the configured
//! port, for container health checks in images without a shell or an HTTP client.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::Settings;

/// How long the probe waits for the server, connecting and answering together.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Succeeds when `GET /health/live` answers 200.
pub fn run(settings: &Settings) -> anyhow::Result<()> {
    let address = probe_address(&settings.server.host, settings.server.port)?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .with_context(|| format!("connect to {address}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET /health/live HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .with_context(|| format!("read the answer of {address}"))?;
    let response = String::from_utf8_lossy(&response);
    let status = response.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        bail!("{address}/health/live answered `{status}`")
    }
}

/// The address the server listens on, with an unspecified host (`0.0.0.0`, `::`) probed on
/// loopback.
fn probe_address(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    let ip: IpAddr = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other
            .parse()
            .with_context(|| format!("server.host `{other}` is not an IP address"))?,
    };
    let ip = if ip.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        ip
    };
    Ok(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_hosts_are_probed_on_loopback() {
        assert_eq!(
            probe_address("0.0.0.0", 8080).unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            probe_address("::", 80).unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(
            probe_address("localhost", 1).unwrap(),
            "127.0.0.1:1".parse().unwrap()
        );
        assert_eq!(
            probe_address("10.1.2.3", 9).unwrap(),
            "10.1.2.3:9".parse().unwrap()
        );
        assert!(probe_address("example.com", 9).is_err());
    }
}
