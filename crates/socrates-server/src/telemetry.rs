//! Logging and error reporting: `tracing` with an env filter, human lines locally and JSON in
//! production; Sentry when `SENTRY_DSN` is set.
//!
//! With Sentry on, every `ERROR` event becomes a Sentry event (a 5xx answer logs exactly one,
//! tagged with its request id, route and method by the actix integration) and `WARN` events
//! ride along as breadcrumbs; a panic while a request is handled is such a 5xx (the API
//! catches it), any other panic is reported by the panic integration. Events carry the
//! environment and the release. Nothing personal is sent: no request bodies, cookies or
//! credentials headers, no user, no remote address, and fields whose names suggest secrets or
//! conversation text are dropped before sending.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
use sentry::protocol::{Event, Map, Value};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::settings::{LogFormat, Settings};
use crate::version::VERSION;

/// Keeps error reporting and trace export alive; dropping it flushes the Sentry events (up
/// to 2 s) and the spans still queued.
#[must_use = "error reporting and trace export stop when the guard is dropped"]
pub struct Telemetry {
    _sentry: Option<sentry::ClientInitGuard>,
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.traces.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(error = %error, "could not flush the trace export");
        }
    }
}

/// Installs the global subscriber and, when configured, the Sentry client. `RUST_LOG` wins
/// over the configured level. Calling it twice (as tests do) keeps the first subscriber.
///
/// # Errors
/// A malformed `SENTRY_DSN`: a reporting target that is set but unusable is refused, never
/// silently ignored.
pub fn init(settings: &Settings) -> anyhow::Result<Telemetry> {
    let sentry = match &settings.telemetry.sentry_dsn {
        Some(dsn) => Some(init_sentry(dsn.expose_secret(), settings)?),
        None => None,
    };
    let reporting = sentry.is_some();
    let traces = match &settings.telemetry.otlp_endpoint {
        Some(endpoint) => Some(crate::otlp::provider(endpoint, settings)?),
        None => None,
    };
    if traces.is_some() {
        // A caller's W3C `traceparent` joins its trace (read by the API's root span).
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
    }
    let otel = traces.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(crate::otlp::tracer(provider))
            .with_filter(LevelFilter::INFO)
    });
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.telemetry.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(otel)
        .with(reporting.then(|| ErrorLayer::new().with_filter(LevelFilter::ERROR)))
        .with(reporting.then(|| {
            BreadcrumbLayer::new().with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                *meta.level() == tracing::Level::WARN
            }))
        }));
    let _ = match settings.log_format() {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stdout().is_terminal()),
            )
            .try_init(),
    };
    // After Sentry's own hook is in place: a panic the API catches is reported once, by the
    // request's error log, not also by the hooks.
    socrates_api::install_panic_hook();
    if reporting {
        tracing::info!(
            environment = settings.environment.as_str(),
            release = VERSION,
            "errors and panics are reported to Sentry"
        );
    }
    if let Some(endpoint) = &settings.telemetry.otlp_endpoint {
        tracing::info!(
            endpoint,
            sample_ratio = settings.telemetry.otlp_sample_ratio,
            "traces are exported over OTLP"
        );
    }
    Ok(Telemetry {
        _sentry: sentry,
        traces,
    })
}

fn init_sentry(dsn: &str, settings: &Settings) -> anyhow::Result<sentry::ClientInitGuard> {
    let dsn: sentry::types::Dsn = dsn
        .parse()
        .context("SENTRY_DSN (telemetry.sentry_dsn) is not a valid Sentry DSN")?;
    let rate = settings.telemetry.sentry_sample_rate;
    anyhow::ensure!(
        (0.0..=1.0).contains(&rate),
        "telemetry.sentry_sample_rate must be between 0.0 and 1.0, got {rate}"
    );
    // `sample_rate` is checked above: the builder would panic out of range.
    let mut options = sentry::ClientOptions::new().sample_rate(rate);
    options.dsn = Some(dsn);
    options.release = Some(format!("socrates@{VERSION}").into());
    options.environment = Some(settings.environment.as_str().into());
    options.send_default_pii = false;
    options.before_send = Some(Arc::new(|event| Some(scrub_event(event))));
    options.before_breadcrumb = Some(Arc::new(|mut breadcrumb| {
        scrub_map(&mut breadcrumb.data);
        Some(breadcrumb)
    }));
    options.transport = Some(Arc::new(LoggedTransportFactory));
    Ok(sentry::init(options))
}

/// Sentry's own ureq transport, on [`sentry_agent`].
struct LoggedTransportFactory;

impl sentry::TransportFactory for LoggedTransportFactory {
    fn create_transport_with_options(
        &self,
        options: sentry::TransportOptions,
    ) -> Arc<dyn sentry::Transport> {
        Arc::new(
            sentry::transports::UreqHttpTransportOptions::from(options)
                .with_agent(sentry_agent())
                .build(),
        )
    }
}

/// How long one delivery to Sentry may take.
const SENTRY_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP agent of the Sentry transport (rustls, proxies from the environment), which logs
/// every report that does not reach Sentry: the transport itself drops it silently.
fn sentry_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(SENTRY_TIMEOUT))
        .middleware(log_undelivered_reports)
        .build()
        .into()
}

/// Passes a report on and logs a warning when Sentry refused it or could not be reached.
fn log_undelivered_reports(
    request: http::Request<ureq::SendBody<'_>>,
    next: ureq::middleware::MiddlewareNext<'_>,
) -> Result<http::Response<ureq::Body>, ureq::Error> {
    let result = next.handle(request);
    match &result {
        Ok(response)
            if response.status().is_client_error() || response.status().is_server_error() =>
        {
            tracing::warn!(
                status = response.status().as_u16(),
                "Sentry refused an error report; it is lost"
            );
        }
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, "an error report could not be delivered to Sentry; it is lost");
        }
    }
    result
}

/// Names of fields that may hold secrets or what people wrote; their values never leave.
const PRIVATE_FIELDS: &[&str] = &[
    "password",
    "token",
    "secret",
    "authorization",
    "cookie",
    "api_key",
    "dsn",
    "prompt",
    "answer",
    "content",
    "message_text",
    "email",
];

fn private(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    PRIVATE_FIELDS.iter().any(|field| name.contains(field))
}

fn scrub_map(map: &mut Map<String, Value>) {
    map.retain(|name, _| !private(name));
    map.values_mut().for_each(scrub_value);
}

fn scrub_value(value: &mut Value) {
    match value {
        Value::Object(inner) => {
            inner.retain(|name, _| !private(name));
            inner.values_mut().for_each(scrub_value);
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        _ => {}
    }
}

/// Drops everything personal from an event before it is sent.
fn scrub_event(mut event: Event<'static>) -> Event<'static> {
    event.user = None;
    if let Some(request) = event.request.as_mut() {
        request.data = None;
        request.cookies = None;
        request.env.clear();
        request.headers.retain(|name, _| {
            let name = name.to_ascii_lowercase();
            matches!(
                name.as_str(),
                "user-agent" | "content-type" | "accept" | "x-request-id" | "host"
            )
        });
    }
    scrub_map(&mut event.extra);
    for context in event.contexts.values_mut() {
        if let sentry::protocol::Context::Other(map) = context {
            scrub_map(map);
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_dropped_from_events() {
        let mut event = Event {
            user: Some(sentry::User {
                email: Some("someone@example.com".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut request = sentry::protocol::Request {
            data: Some("{\"password\":\"hunter2\"}".to_owned()),
            ..Default::default()
        };
        request
            .headers
            .insert("Authorization".to_owned(), "Bearer abc".to_owned());
        request
            .headers
            .insert("x-request-id".to_owned(), "r-1".to_owned());
        event.request = Some(request);
        event.extra.insert("error_code".to_owned(), "DB".into());
        event.extra.insert("refresh_token".to_owned(), "abc".into());
        event
            .extra
            .insert("answer_text".to_owned(), "our plans".into());
        let event = scrub_event(event);
        assert!(event.user.is_none());
        let request = event.request.unwrap();
        assert!(request.data.is_none());
        assert_eq!(request.headers.len(), 1);
        assert_eq!(
            event.extra.keys().collect::<Vec<_>>(),
            vec![&"error_code".to_owned()]
        );
    }
}
