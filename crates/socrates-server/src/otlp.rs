//! Trace export over OTLP (HTTP, protobuf) when `telemetry.otlp_endpoint` is set: the request
//! spans and everything under them reach Jaeger, Tempo or any OpenTelemetry collector.
//!
//! The SDK batches spans on a thread of its own and blocks that thread on each export, so the
//! exporter's HTTP client is the blocking `ureq` agent (rustls with the ring provider, the one
//! Sentry uses too) rather than one that needs the Tokio runtime.

use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};

use crate::settings::Settings;
use crate::version::VERSION;

/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The blocking HTTP client the batch thread exports with.
#[derive(Debug, Clone)]
struct BlockingClient {
    agent: ureq::Agent,
}

#[async_trait::async_trait]
impl HttpClient for BlockingClient {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        // Runs on the span processor's own thread, which blocks on this future: a blocking
        // call is what that thread is for.
        let (parts, body) = request.into_parts();
        let mut response = self
            .agent
            .run(http::Request::from_parts(parts, body.to_vec()))?;
        let body = response.body_mut().read_to_vec()?;
        let (parts, _) = response.into_parts();
        Ok(http::Response::from_parts(parts, Bytes::from(body)))
    }
}

/// The endpoint's traces URL: `…/v1/traces` is appended to a collector's base URL.
fn traces_url(endpoint: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    if endpoint.ends_with("/v1/traces") {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/v1/traces")
    }
}

/// The tracer provider exporting to `endpoint`, sampling `ratio` of new traces (a sampled
/// parent is always followed).
pub fn provider(endpoint: &str, settings: &Settings) -> anyhow::Result<SdkTracerProvider> {
    let url = traces_url(endpoint);
    let usable = url.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some()
    });
    anyhow::ensure!(
        usable,
        "telemetry.otlp_endpoint `{endpoint}` must be an http:// or https:// URL"
    );
    let ratio = settings.telemetry.otlp_sample_ratio;
    anyhow::ensure!(
        (0.0..=1.0).contains(&ratio),
        "telemetry.otlp_sample_ratio must be between 0.0 and 1.0, got {ratio}"
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(EXPORT_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(BlockingClient { agent })
        .with_endpoint(url)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .context("build the OTLP span exporter")?;
    let resource = Resource::builder()
        .with_service_name(settings.telemetry.service_name.clone())
        .with_attributes([
            KeyValue::new("service.version", VERSION),
            KeyValue::new("deployment.environment.name", settings.environment.as_str()),
        ])
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .with_resource(resource)
        .build())
}

/// The tracer the `tracing` layer records spans with.
pub fn tracer(provider: &SdkTracerProvider) -> opentelemetry_sdk::trace::Tracer {
    provider.tracer("socrates")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_appended_once() {
        assert_eq!(
            traces_url("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/v1/traces/"),
            "http://collector:4318/v1/traces"
        );
    }
}
