//! Graph answers are read up to a cap (`graph::MAX_ANSWER_BYTES`, 1 MiB once decoded): a huge
//! answer, a gzip bomb and an endless stream each end the call at the cap, at once, without a
//! retry; an answer with a key given twice is refused. Served by a scripted loopback server that answers every request the same way.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{block_on, secret};
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::config::{ClientConfig, RetryPolicy};
use photo_policy_core::ErrorKind;

/// How the scripted server answers.
#[derive(Clone)]
enum Answer {
    /// 200 with `Content-Length` and that many bytes of a JSON string.
    Huge(usize),
    /// 200, `Content-Encoding: gzip`, this compressed body.
    Gzip(Arc<Vec<u8>>),
    /// 200, chunked, chunks forever (until the client hangs up).
    Endless,
    /// 200 with this JSON text.
    Text(&'static str),
}

/// Starts the server; returns its port and a count of requests received.
fn serve(answer: Answer) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            let seen = seen.clone();
            std::thread::spawn(move || answer_one(stream, &answer, &seen));
        }
    });
    (port, requests)
}

fn answer_one(mut stream: TcpStream, answer: &Answer, seen: &AtomicUsize) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    seen.fetch_add(1, Ordering::SeqCst);
    let block = vec![b'a'; 64 * 1024];
    let _ = match answer {
        Answer::Huge(len) => (|| {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n\"",
                len + 2
            )?;
            let mut left = *len;
            while left > 0 {
                let n = left.min(block.len());
                stream.write_all(&block[..n])?;
                left -= n;
            }
            stream.write_all(b"\"")
        })(),
        Answer::Gzip(body) => (|| {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )?;
            stream.write_all(body)
        })(),
        Answer::Text(text) => write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        ),
        Answer::Endless => (|| {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            )?;
            loop {
                write!(stream, "{:x}\r\n", block.len())?;
                stream.write_all(&block)?;
                stream.write_all(b"\r\n")?;
            }
        })(),
    };
}

fn client(port: u16) -> PolicyClient {
    let config = ClientConfig {
        graph_endpoint: Some(format!("http://127.0.0.1:{port}")),
        allow_insecure_loopback: true,
        // Retries allowed: a capped answer must still end the call on the first attempt.
        retry: RetryPolicy {
            max_retries: 3,
            base_delay_ms: 10,
            ..RetryPolicy::default()
        },
        ..Default::default()
    };
    PolicyClient::new(config, secret("opaque-test-token")).unwrap()
}

fn assert_capped(answer: Answer, what: &str) {
    let (port, requests) = serve(answer);
    let started = Instant::now();
    let err = block_on(client(port).get(&CallContext::new())).unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidResponse,
        "{what}: {}",
        err.message()
    );
    assert!(
        err.message().contains("larger than 1 MiB"),
        "{what}: {}",
        err.message()
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1, "{what}: no retry");
    assert!(took < Duration::from_secs(10), "{what}: took {took:?}");
}

#[test]
fn a_100_mb_answer_stops_at_the_cap() {
    assert_capped(Answer::Huge(100 << 20), "100 MB");
}

#[test]
fn a_gzip_bomb_stops_at_the_cap_after_decoding() {
    // 64 MiB of zeros compress to about 64 KiB: small on the wire, huge once decoded.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![b' '; 1 << 20];
    gz.write_all(b"{\"a\":\"").unwrap();
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    gz.write_all(b"\"}").unwrap();
    let body = gz.finish().unwrap();
    assert!(body.len() < 1 << 20, "the compressed body is under the cap");
    assert_capped(Answer::Gzip(Arc::new(body)), "gzip bomb");
}

#[test]
fn an_endless_stream_stops_at_the_cap() {
    assert_capped(Answer::Endless, "endless stream");
}

#[test]
fn an_answer_with_a_key_given_twice_is_refused() {
    let (port, requests) = serve(Answer::Text(
        r#"{"source":"cloud","allowedRoles":["62e90394-69f5-4237-9190-012177145e10"],"allowedRoles":[]}"#,
    ));
    let err = block_on(client(port).get(&CallContext::new())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{}", err.message());
    assert!(
        err.message().contains("'allowedRoles' appears twice"),
        "{}",
        err.message()
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[test]
fn a_success_answer_that_shows_nothing_changed_is_not_applied() {
    // Every request (the GET and the PATCH) answers the same unchanged policy.
    let (port, requests) = serve(Answer::Text(r#"{"source":"cloud","allowedRoles":[]}"#));
    let change =
        photo_policy_core::plan::ChangeRequest::from_json(r#"{"source":"onPremises"}"#).unwrap();
    let err = block_on(client(port).apply(&change, &CallContext::new())).unwrap_err();
    assert_eq!(
        err.outcome(),
        Some(photo_policy_core::error::WriteOutcome::NotApplied),
        "{}",
        err.message()
    );
    assert!(err.message().contains("not applied"), "{}", err.message());
    assert_eq!(requests.load(Ordering::SeqCst), 2, "GET, PATCH");
}
