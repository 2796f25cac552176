//! A panic while a request is handled becomes a 500 in the one error shape, instead of a
//! connection that actix drops without an answer.
//!
//! The middleware polls the rest of the request (the other middleware, the extractors, the
//! handler) inside `catch_unwind` and turns a panic into an internal [`ApiError`], which the
//! request-context middleware around it answers with the request id and logs once, with the
//! panic's message and location, as it logs every 5xx (and so reports it to Sentry once).
//!
//! The process's panic hook would print the same panic to stderr and report it to Sentry a
//! second time; [`install_panic_hook`] keeps it quiet for the panics this middleware catches
//! and only notes their location. Panics anywhere else (a background task, start-up) reach
//! the previous hook as before.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt as _;
use socrates_domain::Code;

use crate::error::ApiError;

thread_local! {
    /// How many request futures this thread is polling under [`catch_panic`] right now.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic caught on this thread happened, noted by the panic hook.
    static CAUGHT_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The middleware function (wrap with `actix_web::middleware::from_fn`, inside the request
/// context so that the error it returns gets the envelope and the request id).
pub async fn catch_panic(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // The service is called inside the guarded future, so a panic in its synchronous part
    // is caught too.
    let handled = Catching(Box::pin(async move { next.call(request).await }));
    match AssertUnwindSafe(handled).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let location = CAUGHT_AT.with(|caught| caught.borrow_mut().take());
            let cause = match location {
                Some(location) => format!("panic at {location}: {}", panic_message(&*payload)),
                None => format!("panic: {}", panic_message(&*payload)),
            };
            Err(ApiError::internal(Code::InternalError, cause).into())
        }
    }
}

/// The text a panic was raised with (`panic!("…")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// Polls the request's future with [`CATCHING`] raised, so the panic hook knows a panic on
/// this thread, during this poll, is caught and answered here.
struct Catching<F>(Pin<Box<F>>);

impl<F: Future> Future for Catching<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<F::Output> {
        /// Lowers the count again when the poll returns or unwinds.
        struct Lowered;
        impl Drop for Lowered {
            fn drop(&mut self) {
                CATCHING.with(|catching| catching.set(catching.get().saturating_sub(1)));
            }
        }
        CATCHING.with(|catching| catching.set(catching.get() + 1));
        let _lowered = Lowered;
        self.0.as_mut().poll(context)
    }
}

/// Wraps the process's panic hook (the default one printing to stderr, and Sentry's when it
/// is on) so that a panic [`catch_panic`] catches is reported once, by the request's error
/// log, not also by the hook. Call it once at start-up, after Sentry is initialised; later
/// calls do nothing.
pub fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) > 0 {
                let location = info.location().map(ToString::to_string);
                CAUGHT_AT.with(|caught| *caught.borrow_mut() = location);
                return;
            }
            previous(info);
        }));
    });
}

/// A route that panics, for the tests of this middleware: built only with the `test-support`
/// feature, never into a release binary.
#[cfg(feature = "test-support")]
pub mod testing {
    /// The path of the route that panics.
    pub const PANIC_PATH: &str = "/__test/panic";

    /// The message it panics with.
    pub const PANIC_MESSAGE: &str = "a deliberate panic of the test route";

    /// Registers [`PANIC_PATH`].
    pub fn configure(config: &mut actix_web::web::ServiceConfig) {
        config.route(PANIC_PATH, actix_web::web::get().to(panic_now));
    }

    #[expect(clippy::panic, reason = "the route exists to panic")]
    async fn panic_now() -> actix_web::HttpResponse {
        panic!("{PANIC_MESSAGE}");
    }
}
