//! A panic while a request is handled: the client gets a 500 in the one error shape with the
//! request id, and the server goes on serving (the route that panics exists only in test
//! builds, through the api crate's `test-support` feature).

use socrates_api::testing::{PANIC_MESSAGE, PANIC_PATH};

use super::support::{expect_error, json_of, spawn_app};

#[tokio::test]
async fn a_panicking_handler_answers_500_in_the_error_shape_with_the_request_id() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url(PANIC_PATH))
        .header("x-request-id", "panic-check-1")
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(response.headers()["x-request-id"], "panic-check-1");
    assert_eq!(
        response.headers()["x-content-type-options"],
        "nosniff",
        "the security headers of every answer"
    );
    let body = expect_error(response, 500, "INTERNAL_ERROR").await;
    assert_eq!(body["request_id"], "panic-check-1");
    assert!(
        !body["error"].as_str().unwrap().contains(PANIC_MESSAGE),
        "the cause is logged, never sent: {body}"
    );
    // Panics again and again on the one worker, and the worker keeps answering.
    for _ in 0..3 {
        let again = app.get(PANIC_PATH).await;
        expect_error(again, 500, "INTERNAL_ERROR").await;
        json_of(app.get("/health/live").await, 200).await;
    }
    app.stop().await;
}
