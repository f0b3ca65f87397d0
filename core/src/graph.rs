//! Talking to Microsoft Graph: one request with retries, timeouts and cancellation, and Graph's
//! error answers turned into [`Error`]s that carry what a support case needs.
//!
//! Every attempt gets a fresh `client-request-id` and emits one verbose line
//! (`GET https://…/photoUpdateSettings → 200 OK in 12 ms`); headers, tokens and bodies are never
//! put in events. Throttling (429) waits Retry-After (capped), 503/504 and connection failures
//! back off exponentially with jitter, all inside a total wait budget. Caller errors
//! (400/401/403/404) are never retried.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::call_context::CallContext;
use crate::config::{ClientConfig, RetryPolicy, Timeouts};
use crate::endpoint;
use crate::error::{Error, ErrorKind, Result, ServiceErrorDetails};

mod errors;

use crate::events;
use crate::limits::CallLimits;
use crate::runtime;
use errors::{header, map_error, service_details, status_text, RawResponse};

/// Path of the policy, relative to the Graph host. Beta only: there is no v1.0 version.
pub const POLICY_PATH: &str = "beta/admin/people/photoUpdateSettings";

/// The HTTP methods the policy supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Update (only the properties to change).
    Patch,
    /// Delete (field-reported reset to default; plain path, no `/$ref`).
    Delete,
}

impl Method {
    /// `GET`, `PATCH`, `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// The JSON body; `None` for an empty body (e.g. 204).
    pub body: Option<Value>,
}

/// Counts HTTP requests sent during one operation (retries included).
pub type RequestCounter = AtomicU32;

/// Sends requests for the policy to one Graph base URL.
#[derive(Debug, Clone)]
pub struct GraphClient {
    policy_url: Url,
    http: reqwest::Client,
    timeouts: Timeouts,
    retry: RetryPolicy,
}

impl GraphClient {
    /// Validates the endpoint and timeouts of `config` (no network) and picks the shared HTTP
    /// client for its connect timeout.
    pub fn new(config: &ClientConfig) -> Result<GraphClient> {
        let base = endpoint::graph_base_url(config)?;
        if config.timeouts.connect_ms == 0 || config.timeouts.total_ms == 0 {
            return Err(Error::invalid_argument(format!(
                "Timeouts must be positive: timeouts.connectMs = {}, timeouts.totalMs = {}.",
                config.timeouts.connect_ms, config.timeouts.total_ms
            )));
        }
        let policy_url = base
            .join(POLICY_PATH)
            .map_err(|e| Error::internal(format!("policy URL: {e}")))?;
        let http = runtime::http_client_with_connect_timeout(Duration::from_millis(
            config.timeouts.connect_ms,
        ))?;
        Ok(GraphClient {
            policy_url,
            http,
            timeouts: config.timeouts,
            retry: config.retry,
        })
    }

    /// The full URL of the policy.
    pub fn policy_url(&self) -> &Url {
        &self.policy_url
    }

    /// Sends `method` on the policy with `token`, retrying as the policy allows.
    ///
    /// Every HTTP request is counted in `counter`. PATCH is retried like GET: it always carries the
    /// full target values of the properties it changes (never a delta), so repeating it after a
    /// lost answer leaves the policy in the same state — it is idempotent for this resource.
    ///
    /// The context's [`CallContext::limits`], when set, replace this client's timeouts and retry
    /// policy for this call only.
    pub async fn send(
        &self,
        method: Method,
        token: &str,
        body: Option<&Value>,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<GraphResponse> {
        match ctx.limits.as_ref().filter(|l| !l.is_empty()) {
            Some(limits) => {
                self.with_limits(limits)?
                    .send_limited(method, token, body, ctx, counter)
                    .await
            }
            None => self.send_limited(method, token, body, ctx, counter).await,
        }
    }

    /// A copy of this client with `limits` merged over its timeouts and retry policy. A different
    /// connect timeout picks the shared pooled HTTP client for it (the pool is what holds it).
    pub fn with_limits(&self, limits: &CallLimits) -> Result<GraphClient> {
        limits.validate()?;
        let timeouts = limits.apply_timeouts(self.timeouts);
        let http = if timeouts.connect_ms == self.timeouts.connect_ms {
            self.http.clone()
        } else {
            runtime::http_client_with_connect_timeout(Duration::from_millis(timeouts.connect_ms))?
        };
        Ok(GraphClient {
            policy_url: self.policy_url.clone(),
            http,
            timeouts,
            retry: limits.apply_retry(self.retry),
        })
    }

    /// [`Self::send`] with this client's own limits.
    async fn send_limited(
        &self,
        method: Method,
        token: &str,
        body: Option<&Value>,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<GraphResponse> {
        let max_attempts = self.retry.max_retries.saturating_add(1);
        let budget = Duration::from_millis(self.retry.budget_ms);
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 1;
        loop {
            if ctx.cancel.is_cancelled() {
                return Err(Error::cancelled());
            }
            let client_request_id = uuid::Uuid::new_v4().to_string();
            counter.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => return Err(Error::cancelled()),
                o = self.attempt(method, token, body, &client_request_id) => o,
            };
            let elapsed_ms = started.elapsed().as_millis();

            let (failure, delay) = match outcome {
                Ok(raw) => {
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → {} in {elapsed_ms} ms",
                            method.as_str(),
                            self.policy_url,
                            status_text(raw.status)
                        ),
                    );
                    if raw.status.is_success() {
                        return success(raw, &client_request_id);
                    }
                    let details = service_details(&raw, &client_request_id);
                    let retry_after = parse_retry_after(&raw.headers);
                    let status = raw.status.as_u16();
                    if !matches!(status, 429 | 503 | 504) {
                        return Err(map_error(method, details, retry_after, None));
                    }
                    let delay = match retry_after {
                        Some(d) => d.min(Duration::from_secs(self.retry.max_retry_after_seconds)),
                        None => self.backoff(attempt),
                    };
                    (Failure::Service(details, retry_after), delay)
                }
                Err(AttemptError::Timeout) => {
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → timed out after {elapsed_ms} ms",
                            method.as_str(),
                            self.policy_url
                        ),
                    );
                    return Err(self.total_timeout_error(method));
                }
                Err(AttemptError::Transport(e)) if e.is_timeout() => {
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → connect timed out after {elapsed_ms} ms",
                            method.as_str(),
                            self.policy_url
                        ),
                    );
                    return Err(self.connect_timeout_error());
                }
                Err(AttemptError::Transport(e)) if runtime::is_certificate_error(&e) => {
                    let why = error_chain(&e);
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → TLS certificate rejected after {elapsed_ms} ms",
                            method.as_str(),
                            self.policy_url
                        ),
                    );
                    return Err(Error::new(
                        ErrorKind::Network,
                        format!(
                            "{} {} failed: {why}. The server's TLS certificate is not trusted, so \
                             nothing was sent and no retry was made.",
                            method.as_str(),
                            self.policy_url
                        ),
                    )
                    .with_recommended_action(
                        "Make sure the endpoint is the real Microsoft Graph host. If a TLS-inspecting \
                         proxy sits in between, add its root certificate to this computer's trust \
                         store; certificate validation cannot be turned off.",
                    )
                    .with_target(self.policy_url.to_string()));
                }
                Err(AttemptError::Transport(e)) => {
                    let why = error_chain(&e);
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → failed after {elapsed_ms} ms: {why}",
                            method.as_str(),
                            self.policy_url
                        ),
                    );
                    (Failure::Network(why), self.backoff(attempt))
                }
            };

            if attempt >= max_attempts {
                let note = format!(
                    "gave up after {attempt} attempt{} (retry.maxRetries = {})",
                    if attempt == 1 { "" } else { "s" },
                    self.retry.max_retries
                );
                return Err(failure.into_error(self, method, &note));
            }
            if waited + delay > budget {
                let note = format!(
                    "the retry budget ran out: waiting {} more would exceed retry.budgetMs = {} \
                     ({} already waited, {attempt} attempt{} made)",
                    human(delay),
                    self.retry.budget_ms,
                    human(waited),
                    if attempt == 1 { "" } else { "s" }
                );
                return Err(failure.into_error(self, method, &note));
            }
            events::verbose(
                &ctx.events,
                format!(
                    "{}, retrying in {} (attempt {} of {max_attempts})",
                    failure.short(),
                    human(delay),
                    attempt + 1
                ),
            );
            tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => return Err(Error::cancelled()),
                _ = tokio::time::sleep(delay) => {}
            }
            waited += delay;
            attempt += 1;
        }
    }

    /// One HTTP exchange (send and read the whole body) under the total timeout.
    async fn attempt(
        &self,
        method: Method,
        token: &str,
        body: Option<&Value>,
        client_request_id: &str,
    ) -> std::result::Result<RawResponse, AttemptError> {
        let mut req = self
            .http
            .request(method.reqwest(), self.policy_url.clone())
            .bearer_auth(token)
            .header("client-request-id", client_request_id)
            .header("return-client-request-id", "true")
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let exchange = async {
            let resp = req.send().await.map_err(AttemptError::Transport)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            // Reading the body is inside the timeout and the caller's cancellation race: a slow
            // body cannot hold the call.
            let bytes = resp.bytes().await.map_err(AttemptError::Transport)?;
            Ok(RawResponse {
                status,
                headers,
                body: bytes.to_vec(),
            })
        };
        match tokio::time::timeout(Duration::from_millis(self.timeouts.total_ms), exchange).await {
            Ok(r) => r,
            Err(_) => Err(AttemptError::Timeout),
        }
    }

    /// Exponential back-off with jitter: half of `base·2^(n-1)` plus a random part up to the other
    /// half, so many clients throttled together do not come back in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(16);
        let cap_ms = self.retry.max_retry_after_seconds.saturating_mul(1000);
        let full = self
            .retry
            .base_delay_ms
            .saturating_mul(1u64 << exp)
            .min(cap_ms.max(self.retry.base_delay_ms));
        let half = full / 2;
        Duration::from_millis(half + fastrand::u64(0..=full - half))
    }

    fn total_timeout_error(&self, method: Method) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "{} {} did not complete within the total timeout of {} (timeouts.totalMs = {}).",
                method.as_str(),
                self.policy_url,
                human(Duration::from_millis(self.timeouts.total_ms)),
                self.timeouts.total_ms
            ),
        )
        .with_recommended_action("Try again later, or raise timeouts.totalMs.")
        .with_target(self.policy_url.to_string())
    }

    fn connect_timeout_error(&self) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "Could not connect to {} within the connect timeout of {} (timeouts.connectMs = {}).",
                host_of(&self.policy_url),
                human(Duration::from_millis(self.timeouts.connect_ms)),
                self.timeouts.connect_ms
            ),
        )
        .with_recommended_action(
            "Check the network, proxy (HTTPS_PROXY) and firewall, or raise timeouts.connectMs.",
        )
        .with_target(self.policy_url.to_string())
    }
}

enum AttemptError {
    /// The total (per attempt) timeout elapsed.
    Timeout,
    /// reqwest failed: connect (possibly its connect timeout), reset, body read.
    Transport(reqwest::Error),
}

/// A retryable failure, kept until we know whether to retry it.
enum Failure {
    Service(ServiceErrorDetails, Option<Duration>),
    Network(String),
}

impl Failure {
    /// For the retry line: `429 Too Many Requests`, `connection failed`.
    fn short(&self) -> String {
        match self {
            Failure::Service(d, _) => status_text(
                StatusCode::from_u16(d.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ),
            Failure::Network(_) => "Connection failed".to_string(),
        }
    }

    fn into_error(self, client: &GraphClient, method: Method, note: &str) -> Error {
        match self {
            Failure::Service(details, retry_after) => {
                map_error(method, details, retry_after, Some(note))
            }
            Failure::Network(why) => Error::new(
                ErrorKind::Network,
                format!(
                    "{} {} failed: {why}; {note}.",
                    method.as_str(),
                    client.policy_url
                ),
            )
            .with_recommended_action(
                "Check the network connection, DNS, proxy (HTTPS_PROXY) and firewall, then try again.",
            )
            .with_target(client.policy_url.to_string()),
        }
    }
}

fn success(raw: RawResponse, client_request_id: &str) -> Result<GraphResponse> {
    let status = raw.status.as_u16();
    if raw.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(GraphResponse { status, body: None });
    }
    match serde_json::from_slice::<Value>(&raw.body) {
        Ok(v) => Ok(GraphResponse {
            status,
            body: Some(v),
        }),
        Err(e) => {
            let details = ServiceErrorDetails {
                http_status: status,
                request_id: header(&raw.headers, "request-id"),
                client_request_id: Some(client_request_id.to_string()),
                date: header(&raw.headers, "date"),
                ..Default::default()
            };
            Err(Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "Microsoft Graph answered {} with a body that is not valid JSON ({e}).",
                    status_text(raw.status)
                ),
            )
            .with_service(details))
        }
    }
}

/// `Retry-After` as seconds (integer or decimal) or an HTTP date.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = header(headers, RETRY_AFTER.as_str())?;
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
    }
    let at = chrono::DateTime::parse_from_rfc2822(&v).ok()?;
    let secs = (at.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(secs as u64))
}

/// An error and its sources on one line (reqwest's top-level text alone says little).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(src) = cur {
        let t = src.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = src.source();
    }
    s
}

fn host_of(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    }
}

/// `12 s`, `250 ms`, `2 min 5 s`.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        if ms % 1000 == 0 {
            format!("{} s", ms / 1000)
        } else {
            format!("{:.1} s", ms as f64 / 1000.0)
        }
    } else {
        let s = ms / 1000;
        if s % 60 == 0 {
            format!("{} min", s / 60)
        } else {
            format!("{} min {} s", s / 60, s % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_decimals_and_dates() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            m
        };
        assert_eq!(parse_retry_after(&h("12")), Some(Duration::from_secs(12)));
        assert_eq!(
            parse_retry_after(&h("1.5")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after(&h("Sat, 01 Jan 2000 00:00:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&h("soon")), None);
        assert_eq!(parse_retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        let config = ClientConfig {
            retry: RetryPolicy {
                base_delay_ms: 100,
                max_retry_after_seconds: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        let c = GraphClient::new(&config).unwrap();
        for attempt in 1..=10 {
            let d = c.backoff(attempt).as_millis() as u64;
            let full = (100u64 << (attempt - 1)).min(1000);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
        }
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_secs(12)), "12 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_secs(125)), "2 min 5 s");
    }
}
