//! Framing and decoding of streamed bodies delivered in arbitrary pieces.

use std::convert::Infallible;

use futures_util::StreamExt;
use http_body_util::StreamBody;
use hyper::body::Frame;

use super::*;

/// Payload `end` ends the stream, `tokens I O` reports usage, anything else is text.
struct EchoDecoder;

impl EventDecoder for EchoDecoder {
    fn decode(&mut self, payload: &str, events: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        if payload == "end" {
            events.push(StreamEvent::End);
        } else if let Some(counts) = payload.strip_prefix("tokens ") {
            let mut parts = counts.split(' ').map(|part| part.parse().unwrap());
            events.push(StreamEvent::InputTokens(parts.next().unwrap()));
            events.push(StreamEvent::OutputTokens(parts.next().unwrap()));
        } else if payload == "boom" {
            return Err(LlmError::InvalidResponse(
                "boom from secret-prompt-text".into(),
            ));
        } else {
            events.push(StreamEvent::Text(payload.to_owned()));
        }
        Ok(())
    }
}

fn context(idle_timeout: Duration) -> StreamContext {
    StreamContext {
        provider: LlmProviderKind::Claude,
        model: "claude-test".to_owned(),
        prices: Arc::new(PriceTable::default()),
        started: Instant::now(),
        idle_timeout,
        secrets: vec!["secret-prompt-text".to_owned()].into(),
    }
}

/// Runs `wire` through the decoder delivered `piece` bytes per frame.
async fn run(framing: Framing, wire: &str, piece: usize) -> Vec<Result<StreamChunk, LlmError>> {
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = wire
        .as_bytes()
        .chunks(piece)
        .map(|chunk| Ok(Frame::data(Bytes::copy_from_slice(chunk))))
        .collect();
    let body = StreamBody::new(futures_util::stream::iter(frames));
    let mut stream = ChunkStream::new(body, framing, EchoDecoder, context(Duration::from_secs(5)));
    let mut items = Vec::new();
    while let Some(item) = stream.next_chunk().await {
        items.push(item);
    }
    items
}

fn texts(items: &[Result<StreamChunk, LlmError>]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Ok(StreamChunk::Delta(text)) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn sse_survives_any_split_and_crlf() {
    let wire = ": comment\r\nevent: a\r\ndata: héllo\r\n\r\nevent: b\ndata: two\ndata: lines\n\ndata: tokens 7 3\n\ndata: end\n\ndata: ignored after the end\n\n";
    for piece in [1, 2, 3, 7, wire.len()] {
        let items = run(Framing::ServerSentEvents, wire, piece).await;
        assert_eq!(texts(&items), ["héllo", "two\nlines"], "piece {piece}");
        let Some(Ok(StreamChunk::Finished { usage, .. })) = items.last() else {
            panic!("no end for piece {piece}: {items:?}");
        };
        assert_eq!((usage.input_tokens, usage.output_tokens), (7, 3));
        assert!((usage.cost_usd - (7.0 * 0.003 + 3.0 * 0.015) / 1000.0).abs() < 1e-12);
        assert_eq!(items.len(), 3);
    }
}

#[tokio::test]
async fn ndjson_reads_lines_and_a_last_line_without_newline() {
    let items = run(Framing::NewlineDelimitedJson, "one\n\ntwo\nend", 4).await;
    assert_eq!(texts(&items), ["one", "two"]);
    assert!(matches!(
        items.last(),
        Some(Ok(StreamChunk::Finished { .. }))
    ));
}

#[tokio::test]
async fn a_missing_end_marker_is_an_invalid_response() {
    let items = run(Framing::ServerSentEvents, "data: one\n\ndata: two", 5).await;
    assert_eq!(texts(&items), ["one", "two"]);
    assert!(matches!(
        items.last(),
        Some(Err(LlmError::InvalidResponse(_)))
    ));
}

#[tokio::test]
async fn decoder_errors_end_the_stream_without_secrets() {
    let items = run(Framing::NewlineDelimitedJson, "one\nboom\nthree\nend\n", 64).await;
    assert_eq!(texts(&items), ["one"]);
    assert_eq!(items.len(), 2);
    let Some(Err(error)) = items.last() else {
        panic!("{items:?}");
    };
    assert!(!error.to_string().contains("secret-prompt-text"), "{error}");
}

#[tokio::test]
async fn a_silent_body_times_out() {
    let body = StreamBody::new(futures_util::stream::pending::<
        Result<Frame<Bytes>, Infallible>,
    >());
    let mut stream = ChunkStream::new(
        body,
        Framing::ServerSentEvents,
        EchoDecoder,
        context(Duration::from_millis(30)),
    );
    assert_eq!(stream.next_chunk().await, Some(Err(LlmError::Timeout)));
    assert_eq!(stream.next_chunk().await, None);
}

#[tokio::test]
async fn the_text_stream_starts_with_the_first_chunk() {
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = vec![Ok(Frame::data(Bytes::from_static(
        b"data: b\n\ndata: end\n\n",
    )))];
    let body = StreamBody::new(futures_util::stream::iter(frames));
    let stream = ChunkStream::new(
        body,
        Framing::ServerSentEvents,
        EchoDecoder,
        context(Duration::from_secs(5)),
    );
    let items: Vec<_> = stream
        .into_text_stream(StreamChunk::Delta("a".into()))
        .collect()
        .await;
    assert_eq!(texts(&items), ["a", "b"]);
    assert_eq!(items.len(), 3);
}
