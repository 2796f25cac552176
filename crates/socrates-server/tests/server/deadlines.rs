//! Every request has an end-to-end deadline: a client that sends its body slowly, or a
//! dependency that hangs, holds a worker for at most the deadline and gets 503
//! `DEADLINE_EXCEEDED` in the one error shape, never an open connection forever.

use std::sync::Arc;
use std::time::{Duration, Instant};

use socrates_infra::SystemClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::support::{json_of, spawn_app_with};

#[tokio::test]
async fn a_body_sent_slowly_is_cut_off_at_the_deadline() {
    let app = spawn_app_with(
        |settings| settings.http.request_deadline_seconds = Some(1),
        Arc::new(SystemClock),
    )
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    // Headers announcing 100 bytes, then 4 of them, then nothing.
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"em",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0_u8; 4096];
        loop {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            if String::from_utf8_lossy(&answer).contains("\"request_id\"") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s");
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.contains("\"error_code\":\"DEADLINE_EXCEEDED\""),
        "{text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("retry-after: 1"),
        "{text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("x-request-id:"),
        "{text}"
    );
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "answered after {elapsed:?}"
    );
    // The server is unharmed.
    json_of(app.get("/health/live").await, 200).await;
}
