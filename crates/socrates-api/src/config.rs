//! The perimeter policy of the HTTP surface, given by the server from its settings.

use std::net::IpAddr;

/// What stands between the internet and the handlers.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Origins allowed by CORS (exact matches, e.g. `https://app.example.com`); empty = none.
    pub cors_origins: Vec<String>,
    /// Hosts this server answers for (`example.com`, `*.example.com`); empty = any.
    pub trusted_hosts: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The largest JSON body accepted.
    pub json_limit_bytes: usize,
    /// Send `Strict-Transport-Security`.
    pub hsts: bool,
    /// When set, `GET /metrics` wants `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// The end-to-end deadline of every request (see `deadline`).
    pub request_deadline: std::time::Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            trusted_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            json_limit_bytes: 1024 * 1024,
            hsts: true,
            metrics_token: None,
            request_deadline: std::time::Duration::from_secs(10),
        }
    }
}

impl ApiConfig {
    /// True when `host` (without port) is served: no list, an exact entry, or a `*.` suffix.
    pub fn host_is_trusted(&self, host: &str) -> bool {
        if self.trusted_hosts.is_empty() {
            return true;
        }
        let host = strip_port(host).to_ascii_lowercase();
        self.trusted_hosts.iter().any(|pattern| {
            let pattern = pattern.to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(suffix) => {
                    host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}"))
                }
                None => host == pattern,
            }
        })
    }
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [ipv6]:port
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_hosts_match_exactly_or_by_wildcard_suffix() {
        let config = ApiConfig {
            trusted_hosts: vec!["socrates.app".to_owned(), "*.socrates.app".to_owned()],
            ..ApiConfig::default()
        };
        assert!(config.host_is_trusted("socrates.app"));
        assert!(config.host_is_trusted("api.socrates.app:443"));
        assert!(config.host_is_trusted("API.Socrates.App"));
        assert!(!config.host_is_trusted("evil.com"));
        assert!(!config.host_is_trusted("socrates.app.evil.com"));
        assert!(!config.host_is_trusted("notsocrates.app"));
        assert!(ApiConfig::default().host_is_trusted("anything"));
    }
}
