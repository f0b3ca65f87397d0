//! Sending one sign-in exchange: a verbose event per request line (never bodies or headers),
//! retries for throttled and transient answers, cancellation at every wait.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use super::context::SignInContext;
use crate::config::RetryPolicy;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{self, Events};

/// An HTTP answer from a sign-in endpoint. The body may hold a token: it is zeroized on drop.
pub(crate) struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (used for `WWW-Authenticate` and `Retry-After`).
    pub headers: reqwest::header::HeaderMap,
    /// The body bytes.
    pub body: Zeroizing<Vec<u8>>,
}

impl Answer {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Largest answer read from a sign-in endpoint; token answers are a few KB.
const MAX_BODY: usize = 1 << 20;

/// Sleeps for `d` unless cancelled first.
pub(crate) async fn sleep_cancellable(d: Duration, cancel: &CancellationToken) -> Result<()> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::cancelled()),
        _ = tokio::time::sleep(d) => Ok(()),
    }
}

fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Describes a transport error without its URL (we name the URL ourselves, without query).
fn transport_error(method: &str, shown_url: &str, e: &reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    let mut cause = String::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    let what = if e.is_timeout() {
        "timed out"
    } else {
        "failed"
    };
    let detail = if cause.is_empty() {
        String::new()
    } else {
        format!(": {cause}")
    };
    Error::new(kind, format!("{method} {shown_url} {what}{detail}.")).with_recommended_action(
        "Check the network connection, proxy and firewall, then try again.",
    )
}

/// Sends the request `build` makes (called again for each retry), logging `METHOD url → status in
/// N ms` as a verbose event. `shown_url` is what the event and errors show: it must not contain
/// secrets. Retryable answers (429, 500, 502-504) and transport errors are retried per the
/// context's retry policy; the last answer is returned for the caller to interpret.
pub(crate) async fn send(
    ctx: &SignInContext,
    method: &str,
    shown_url: &str,
    build: &(dyn Fn() -> reqwest::RequestBuilder + Send + Sync),
    cancel: &CancellationToken,
    events: &Events,
) -> Result<Answer> {
    let started = Instant::now();
    // The call's own limits (see crate::limits::scope) win over the client's.
    let (timeouts, retry) = match crate::limits::current() {
        Some(l) => (l.apply_timeouts(ctx.timeouts), l.apply_retry(ctx.retry)),
        None => (ctx.timeouts, ctx.retry),
    };
    let connect_override = if timeouts.connect_ms == ctx.timeouts.connect_ms {
        None
    } else {
        Some(crate::runtime::http_client_with_connect_timeout(
            Duration::from_millis(timeouts.connect_ms),
        )?)
    };
    let request_timeout = Duration::from_millis(timeouts.total_ms.max(1));
    let budget = Duration::from_millis(retry.budget_ms);
    let mut attempt: u32 = 0;
    loop {
        if cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        let t0 = Instant::now();
        // build() makes the request on the source's client; a per-call connect timeout sends it
        // through the pooled client for that timeout instead.
        let (own_http, request) = build().timeout(request_timeout).build_split();
        let http = connect_override.as_ref().unwrap_or(&own_http);
        let outcome = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(Error::cancelled()),
            r = async {
                let resp = http.execute(request?).await?;
                let status = resp.status();
                let headers = resp.headers().clone();
                let mut body = Zeroizing::new(Vec::new());
                let mut resp = resp;
                while let Some(chunk) = resp.chunk().await? {
                    if body.len() + chunk.len() > MAX_BODY {
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok::<_, reqwest::Error>((status, headers, body))
            } => r,
        };
        let elapsed = t0.elapsed().as_millis();
        let delay = match outcome {
            Ok((status, headers, body)) => {
                events::verbose(
                    events,
                    format!("{method} {shown_url} → {status} in {elapsed} ms"),
                );
                let answer = Answer {
                    status: status.as_u16(),
                    headers,
                    body,
                };
                if !is_retryable_status(answer.status) || attempt >= retry.max_retries {
                    return Ok(answer);
                }
                let max = Duration::from_secs(retry.max_retry_after_seconds);
                retry_after(&answer.headers)
                    .map(|d| d.min(max))
                    .unwrap_or_else(|| backoff(&retry, attempt))
            }
            Err(e) => {
                events::verbose(
                    events,
                    format!("{method} {shown_url} → failed in {elapsed} ms"),
                );
                let retryable = (e.is_connect() || e.is_timeout() || e.is_request() || e.is_body())
                    && !crate::runtime::is_certificate_error(&e);
                if !retryable || attempt >= retry.max_retries {
                    return Err(transport_error(method, shown_url, &e));
                }
                backoff(&retry, attempt)
            }
        };
        if started.elapsed() + delay > budget {
            // Out of budget: one more try would only wait longer than the caller allowed.
            return Err(Error::new(
                ErrorKind::ServiceUnavailable,
                format!("{method} {shown_url} kept failing and the retry budget ran out."),
            ));
        }
        attempt += 1;
        events::verbose(
            events,
            format!(
                "Retrying sign-in request in {} ms (attempt {})",
                delay.as_millis(),
                attempt + 1
            ),
        );
        sleep_cancellable(delay, cancel).await?;
    }
}

/// Exponential back-off with jitter: base × 2^attempt, ±25 %.
fn backoff(retry: &RetryPolicy, attempt: u32) -> Duration {
    let base = retry
        .base_delay_ms
        .max(1)
        .saturating_mul(1u64 << attempt.min(16));
    let jitter = fastrand::u64(0..=base / 2);
    Duration::from_millis(base - base / 4 + jitter)
}
