//! Device code paths the emulator does not play (slow_down, refresh tokens), against a tiny
//! scripted HTTP server on 127.0.0.1 that answers a fixed sequence and records what it got.

mod auth_support;
mod servers;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use auth_support::*;
use photo_policy_core::auth::context::SignInContext;
use photo_policy_core::auth::device_code::DeviceCodeSource;
use photo_policy_core::cloud::Cloud;
use photo_policy_core::events::EventLevel;
use photo_policy_core::ErrorKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One recorded request: path and body.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Serves `script` (status, JSON body) in order, one answer per request, on a fresh port.
fn scripted(script: Vec<(u16, String)>) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen2 = seen.clone();
    servers::serve_in_background(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (script, seen) = (script.clone(), seen2.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, content_length) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..pos]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (pos + 4, len);
                    }
                };
                while buf.len() < head_end + content_length {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                seen.lock().unwrap().push((path, body));
                let (status, answer) = script
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or((500, r#"{"error":"script_exhausted"}"#.into()));
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = sock.write_all(response.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, seen)
}

fn code_answer(interval: u64) -> (u16, String) {
    (
        200,
        format!(
            r#"{{"device_code":"DC-secret","user_code":"ABCD-EFGH","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":{interval},"message":"Open https://microsoft.com/devicelogin and enter ABCD-EFGH"}}"#
        ),
    )
}

fn error(code: &str, aadsts: u32) -> (u16, String) {
    (
        400,
        format!(
            r#"{{"error":"{code}","error_description":"AADSTS{aadsts}: {code}","error_codes":[{aadsts}]}}"#
        ),
    )
}

fn token_answer(access: &str, refresh: Option<&str>) -> (u16, String) {
    let rt = refresh
        .map(|r| format!(r#","refresh_token":"{r}""#))
        .unwrap_or_default();
    (
        200,
        format!(r#"{{"token_type":"Bearer","expires_in":3600,"access_token":"{access}"{rt}}}"#),
    )
}

fn source(url: &str, clock: Option<Arc<AtomicU64>>) -> DeviceCodeSource {
    let ctx = SignInContext::new(
        photo_policy_core::runtime::http_client().clone(),
        Cloud::China,
        url,
        Some(TENANT),
    )
    .unwrap();
    let s = DeviceCodeSource::new(ctx, None).unwrap();
    match clock {
        Some(offset) => s.with_clock(Arc::new(move || {
            SystemTime::now() + Duration::from_secs(offset.load(Ordering::SeqCst))
        })),
        None => s,
    }
}

#[test]
fn slow_down_adds_five_seconds_then_succeeds() {
    let (url, seen) = scripted(vec![
        code_answer(1),
        error("slow_down", 70016),
        token_answer("access-1", None),
    ]);
    let src = source(&url, None);
    let (rec, events) = recorder();
    let t0 = Instant::now();
    let t = token(&src, &events).unwrap();
    let waited = t0.elapsed();
    assert_eq!(t.token.as_str(), "access-1");
    // 1 s before the first poll, then 1 + 5 = 6 s after slow_down.
    assert!(waited >= Duration::from_secs(7), "{waited:?}");
    assert!(rec
        .messages(EventLevel::Verbose)
        .iter()
        .any(|m| m.contains("polling every 6 s")));
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, format!("/{TENANT}/oauth2/v2.0/devicecode"));
    // The scope follows the cloud (China) even though the authority is this local server.
    assert!(
        seen[0]
            .1
            .contains("microsoftgraph.chinacloudapi.cn%2FPeopleSettings.ReadWrite.All"),
        "{}",
        seen[0].1
    );
    assert!(seen[1]
        .1
        .contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"));
    assert!(seen[1].1.contains("device_code=DC-secret"));
    // The device code is a secret: never in events.
    assert!(!rec.all_text().contains("DC-secret"));
}

#[test]
fn refresh_token_renews_silently_and_a_failed_renewal_asks_to_connect_again() {
    let (url, seen) = scripted(vec![
        code_answer(1),
        token_answer("access-1", Some("refresh-1")),
        token_answer("access-2", Some("refresh-2")),
        error("invalid_grant", 700082),
    ]);
    let offset = Arc::new(AtomicU64::new(0));
    let src = source(&url, Some(offset.clone()));
    let (rec, events) = recorder();
    assert_eq!(token(&src, &events).unwrap().token.as_str(), "access-1");
    assert_eq!(rec.messages(EventLevel::Information).len(), 1);

    // An hour later: renewed with the refresh token, no new code shown to the user.
    offset.store(3600, Ordering::SeqCst);
    assert_eq!(token(&src, &events).unwrap().token.as_str(), "access-2");
    assert_eq!(rec.messages(EventLevel::Information).len(), 1);
    {
        let seen = seen.lock().unwrap();
        assert!(
            seen[2].1.contains("grant_type=refresh_token"),
            "{}",
            seen[2].1
        );
        assert!(
            seen[2].1.contains("refresh_token=refresh-1"),
            "{}",
            seen[2].1
        );
    }

    // Another hour: the refresh token is refused; the user is told to connect again.
    offset.store(7200, Ordering::SeqCst);
    let err = token(&src, &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.message().contains("AADSTS700082"), "{}", err.message());
    assert!(err.recommended_action().unwrap().contains("Connect again"));
    assert!(!rec.all_text().contains("refresh-"));
    assert_eq!(
        seen.lock().unwrap().len(),
        4,
        "no silent restart of the interactive flow"
    );
}

#[test]
fn bad_verification_code_ends_the_flow() {
    let (url, _seen) = scripted(vec![code_answer(1), error("bad_verification_code", 70000)]);
    let (_rec, events) = recorder();
    let err = token(&source(&url, None), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(
        err.message().contains("did not recognise the device code"),
        "{}",
        err.message()
    );
}
