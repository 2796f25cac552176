//! The end-to-end deadline of a request.
//!
//! Everything a handler does — reading the body, waiting for a database connection or a
//! statement, Redis, the reasoner — happens inside the future this middleware runs under a
//! timer. When the deadline passes, the future is dropped (an open transaction rolls back, a
//! connection in the middle of a statement is closed, nothing half-written is committed) and
//! the client gets 503 `DEADLINE_EXCEEDED` with `Retry-After`, in the one error shape. So a
//! hung dependency or a client that sends its body slowly holds a worker for at most the
//! deadline, never indefinitely. A streamed response body (the personal-data export) is not
//! timed once its first bytes are on their way: its reads are paged.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use socrates_domain::Code;

use crate::config::ApiConfig;
use crate::error::ApiError;

/// The middleware function (wrap with `actix_web::middleware::from_fn`, inside the request
/// context so the refusal gets the request id).
pub async fn deadline(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let limit = request
        .app_data::<web::Data<ApiConfig>>()
        .map_or(ApiConfig::default().request_deadline, |config| {
            config.request_deadline
        });
    match actix_web::rt::time::timeout(limit, next.call(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                deadline_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                "request deadline exceeded"
            );
            Err(exceeded(limit).into())
        }
    }
}

/// The refusal of a request that outlived `limit`.
fn exceeded(limit: Duration) -> ApiError {
    ApiError::new(
        Code::DeadlineExceeded,
        format!(
            "the request did not finish within its deadline of {} ms; retry shortly",
            limit.as_millis()
        ),
    )
    .with_retry_after(1)
}
