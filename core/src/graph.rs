//! Talking to Microsoft Graph: one request with retries, timeouts and cancellation. Graph's
//! error answers become [`Error`]s in [`errors`] (this file's child module).
//!
//! Every attempt gets a fresh `client-request-id` and emits one verbose line
//! (`GET https://…/photoUpdateSettings → 200 OK in 12 ms`); headers, tokens and bodies are never
//! put in events. What is retried, how long each wait is and when retrying stops is decided by
//! the one retry engine, [`crate::retry`] (its module docs hold the table): in short 429, 500,
//! 502, 503, 504 and dropped connections are retried, caller errors (400/401/403/404) never.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::call_context::CallContext;
use crate::config::{ClientConfig, RetryPolicy, Timeouts};
use crate::endpoint;
use crate::error::{Error, ErrorKind, Result, ServiceErrorDetails};
use crate::settings::Setting;

mod envelope;
mod errors;
mod method;

pub use method::Method;

use crate::events;
use crate::limits::CallLimits;
use crate::retry::{self, human, Decision, Retrier, Stop};
use crate::runtime;
use errors::{header, map_error, service_details, status_text, RawResponse};

/// Path of the policy, relative to the Graph host. Beta only: there is no v1.0 version.
pub const POLICY_PATH: &str = "beta/admin/people/photoUpdateSettings";

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

/// What one request is about: the policy (with its method), or a read of another Graph URL on
/// the same host (the directory reads of [`crate::access`]), with extra headers such as
/// `ConsistencyLevel: eventual`. Both go through the same retry engine, timeouts and cancellation.
enum Target<'a> {
    Policy(Method),
    Read {
        url: &'a Url,
        headers: &'a [(&'a str, &'a str)],
    },
}

impl Target<'_> {
    fn method(&self) -> Method {
        match self {
            Target::Policy(m) => *m,
            Target::Read { .. } => Method::Get,
        }
    }

    fn url<'u>(&'u self, client: &'u GraphClient) -> &'u Url {
        match self {
            Target::Policy(_) => &client.policy_url,
            Target::Read { url, .. } => url,
        }
    }

    /// Maps an error answer: the policy's own explanations for the policy, plain Graph wording
    /// (the caller adds what the read needed) for other URLs.
    fn error(
        &self,
        details: ServiceErrorDetails,
        retry_after: Option<Duration>,
        note: Option<&str>,
    ) -> Error {
        match self {
            Target::Policy(method) => map_error(*method, details, retry_after, note),
            Target::Read { url, .. } => read_error(url, details, retry_after, note),
        }
    }
}

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
                "Timeouts must be positive: {}, {}.",
                Setting::ConnectTimeout.is(config.timeouts.connect_ms),
                Setting::TotalTimeout.is(config.timeouts.total_ms)
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
                    .send_limited(&Target::Policy(method), token, body, ctx, counter)
                    .await
            }
            None => {
                self.send_limited(&Target::Policy(method), token, body, ctx, counter)
                    .await
            }
        }
    }

    /// The URL of `path_and_query` (e.g. `v1.0/users/…?$select=id`) on this client's Graph host.
    pub fn url_for(&self, path_and_query: &str) -> Result<Url> {
        self.policy_url
            .join(&format!("/{}", path_and_query.trim_start_matches('/')))
            .map_err(|e| Error::internal(format!("Graph URL '{path_and_query}': {e}")))
    }

    /// Whether `url` is on this client's Graph host (same scheme, host and port): the only place
    /// a token may go.
    pub fn is_graph_url(&self, url: &Url) -> bool {
        url.origin() == self.policy_url.origin()
    }

    /// GETs another Graph URL with `token` through the same retry engine, timeouts and
    /// cancellation as the policy (e.g. a page of role assignments, or the `@odata.nextLink` Graph
    /// answered with). A URL on any other host is refused before anything is sent: the token
    /// never leaves the Graph host. `headers` are added (e.g. `ConsistencyLevel: eventual`).
    pub async fn get(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
        token: &str,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<GraphResponse> {
        if !self.is_graph_url(url) {
            return Err(Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "Microsoft Graph pointed to '{}', which is not on the Graph host {}; nothing \
                     was sent there (the access token only goes to the Graph host).",
                    url.origin().ascii_serialization(),
                    self.policy_url.origin().ascii_serialization()
                ),
            )
            .with_target(url.to_string()));
        }
        let target = Target::Read { url, headers };
        match ctx.limits.as_ref().filter(|l| !l.is_empty()) {
            Some(limits) => {
                self.with_limits(limits)?
                    .send_limited(&target, token, None, ctx, counter)
                    .await
            }
            None => self.send_limited(&target, token, None, ctx, counter).await,
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

    /// [`Self::send`] with this client's own limits. Attempts run through the one retry engine
    /// ([`crate::retry`]): it decides what is retried, how long to wait and when to stop.
    async fn send_limited(
        &self,
        target: &Target<'_>,
        token: &str,
        body: Option<&Value>,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<GraphResponse> {
        let method = target.method();
        let url = target.url(self);
        let mut retrier = Retrier::new(self.retry);
        loop {
            if ctx.cancel.is_cancelled() {
                return Err(Error::cancelled());
            }
            let attempt = retrier.begin_attempt();
            let client_request_id = uuid::Uuid::new_v4().to_string();
            counter.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => return Err(Error::cancelled()),
                o = self.attempt(target, token, body, &client_request_id) => o,
            };
            let elapsed_ms = started.elapsed().as_millis();

            let failed = match outcome {
                Ok(raw) => {
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → {} in {elapsed_ms} ms",
                            method.as_str(),
                            url,
                            status_text(raw.status)
                        ),
                    );
                    if raw.status.is_success() {
                        return success(raw, &client_request_id);
                    }
                    let details = service_details(&raw, &client_request_id);
                    Failed::Service(Box::new(details), retry::retry_after_header(&raw.headers))
                }
                Err(AttemptError::Timeout) => {
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → timed out after {elapsed_ms} ms",
                            method.as_str(),
                            url
                        ),
                    );
                    return Err(self.total_timeout_error(method, url));
                }
                Err(AttemptError::TooLarge(status)) => {
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → {} with more than {} KiB, stopped reading after {elapsed_ms} ms",
                            method.as_str(),
                            url,
                            status_text(status),
                            MAX_ANSWER_BYTES / 1024
                        ),
                    );
                    return Err(Error::new(
                        ErrorKind::InvalidResponse,
                        format!(
                            "{} {} answered {} with a body larger than {} MiB (after decoding); \
                             reading stopped there and no retry was made. A photo policy answer \
                             is under 1 KiB.",
                            method.as_str(),
                            url,
                            status_text(status),
                            MAX_ANSWER_BYTES >> 20
                        ),
                    )
                    .with_recommended_action(
                        "Check that the endpoint is Microsoft Graph and that no proxy rewrites its \
                         answers.",
                    )
                    .with_target(url.to_string()));
                }
                // The request could not be built (e.g. a header value it may not hold): sending
                // again would fail the same way.
                Err(AttemptError::Transport(e)) if e.is_builder() => {
                    return Err(Error::invalid_argument(format!(
                        "{} {} could not be sent: {}. Nothing was sent.",
                        method.as_str(),
                        url,
                        error_chain(&e)
                    ))
                    .with_target(url.to_string()));
                }
                Err(AttemptError::Transport(e)) if e.is_timeout() => {
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → connect timed out after {elapsed_ms} ms",
                            method.as_str(),
                            url
                        ),
                    );
                    return Err(self.connect_timeout_error(url));
                }
                Err(AttemptError::Transport(e)) if runtime::is_certificate_error(&e) => {
                    let why = error_chain(&e);
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → TLS certificate rejected after {elapsed_ms} ms",
                            method.as_str(),
                            url
                        ),
                    );
                    return Err(Error::new(
                        ErrorKind::Network,
                        format!(
                            "{} {} failed: {why}. The server's TLS certificate is not trusted, so \
                             nothing was sent and no retry was made.",
                            method.as_str(),
                            url
                        ),
                    )
                    .with_recommended_action(
                        "Make sure the endpoint is the real Microsoft Graph host. If a TLS-inspecting \
                         proxy sits in between, add its root certificate to this computer's trust \
                         store; certificate validation cannot be turned off.",
                    )
                    .with_target(url.to_string()));
                }
                Err(AttemptError::Transport(e)) => {
                    let why = error_chain(&e);
                    events::verbose(
                        &ctx.events,
                        format!(
                            "{} {} → failed after {elapsed_ms} ms: {why}",
                            method.as_str(),
                            url
                        ),
                    );
                    Failed::Network(why)
                }
            };

            let delay = match retrier.after_failure(failed.as_retry_failure()) {
                Decision::Retry(delay) => delay,
                Decision::Stop(stop) => return Err(failed.into_error(target, url, &stop)),
            };
            events::verbose(
                &ctx.events,
                format!(
                    "{}, retrying in {} (attempt {} of {})",
                    failed.short(),
                    human(delay),
                    attempt + 1,
                    retrier.max_attempts()
                ),
            );
            retry::wait(delay, &ctx.cancel).await?;
        }
    }

    /// One HTTP exchange (send and read the whole body) under the total timeout.
    async fn attempt(
        &self,
        target: &Target<'_>,
        token: &str,
        body: Option<&Value>,
        client_request_id: &str,
    ) -> std::result::Result<RawResponse, AttemptError> {
        let mut req = self
            .http
            .request(target.method().reqwest(), target.url(self).clone())
            .bearer_auth(token)
            .header("client-request-id", client_request_id)
            .header("return-client-request-id", "true")
            .header(reqwest::header::ACCEPT, "application/json");
        if let Target::Read { headers, .. } = target {
            for (name, value) in headers.iter() {
                req = req.header(*name, *value);
            }
        }
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
            // Read chunk by chunk up to the cap: chunks are the decoded bytes (after gzip), so
            // neither a huge answer, a compression bomb nor an endless stream can fill memory.
            let mut resp = resp;
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(AttemptError::Transport)? {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(AttemptError::TooLarge(status));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        };
        match tokio::time::timeout(Duration::from_millis(self.timeouts.total_ms), exchange).await {
            Ok(r) => r,
            Err(_) => Err(AttemptError::Timeout),
        }
    }

    fn total_timeout_error(&self, method: Method, url: &Url) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "{} {} did not complete within the total timeout of {} ({}).",
                method.as_str(),
                url,
                human(Duration::from_millis(self.timeouts.total_ms)),
                Setting::TotalTimeout.is(self.timeouts.total_ms)
            ),
        )
        .with_recommended_action(format!(
            "Try again later, or raise {}.",
            Setting::TotalTimeout.key()
        ))
        .with_target(url.to_string())
    }

    fn connect_timeout_error(&self, url: &Url) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "Could not connect to {} within the connect timeout of {} ({}).",
                host_of(url),
                human(Duration::from_millis(self.timeouts.connect_ms)),
                Setting::ConnectTimeout.is(self.timeouts.connect_ms)
            ),
        )
        .with_recommended_action(format!(
            "Check the network, proxy (HTTPS_PROXY) and firewall, or raise {}.",
            Setting::ConnectTimeout.key()
        ))
        .with_target(url.to_string())
    }
}

/// The most a Graph answer may hold once decoded. A photo policy answer is well under 1 KiB and
/// an error page a few KiB; sign-in answers have the same cap (`auth::http`).
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

enum AttemptError {
    /// The total (per attempt) timeout elapsed.
    Timeout,
    /// The answer's body (decoded) grew past [`MAX_ANSWER_BYTES`]; reading stopped there.
    TooLarge(StatusCode),
    /// reqwest failed: connect (possibly its connect timeout), reset, body read.
    Transport(reqwest::Error),
}

/// A failed attempt, kept until the retry engine decides whether to try again.
enum Failed {
    // Boxed: the details are large and the network case is common on a bad day.
    Service(Box<ServiceErrorDetails>, Option<Duration>),
    Network(String),
}

impl Failed {
    /// What the retry engine needs to know.
    fn as_retry_failure(&self) -> retry::Failure {
        match self {
            // A validation refusal names the caller's values: sending them again cannot help,
            // whatever status carried it.
            Failed::Service(d, _) if d.is_validation_failure() => retry::Failure::Refused,
            Failed::Service(d, retry_after) => retry::Failure::Status {
                status: d.http_status,
                retry_after: *retry_after,
            },
            Failed::Network(_) => retry::Failure::Connection,
        }
    }

    /// For the retry line: `429 Too Many Requests`, `Connection failed`.
    fn short(&self) -> String {
        match self {
            Failed::Service(d, _) => status_text(
                StatusCode::from_u16(d.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ),
            Failed::Network(_) => "Connection failed".to_string(),
        }
    }

    /// The error the call ends with, saying why retrying stopped.
    fn into_error(self, target: &Target<'_>, url: &Url, stop: &Stop) -> Error {
        let note = stop.note();
        let method = target.method();
        let err = match self {
            Failed::Service(details, retry_after) => {
                target.error(*details, retry_after, note.as_deref())
            }
            Failed::Network(why) => Error::new(
                ErrorKind::Network,
                match note {
                    Some(note) => format!("{} {url} failed: {why}; {note}.", method.as_str()),
                    None => format!("{} {url} failed: {why}.", method.as_str()),
                },
            )
            .with_recommended_action(
                "Check the network connection, DNS, proxy (HTTPS_PROXY) and firewall, then try again.",
            )
            .with_target(url.to_string()),
        };
        match stop.recommended_action() {
            Some(action) => err.with_recommended_action(action),
            None => err,
        }
    }
}

/// An error answer to a read of another Graph URL (not the policy). 401, 429 and 5xx read as
/// they do for the policy; a refusal (403), a missing object (404) or a bad request (400) is said
/// in Graph's own words with the path, and the caller (which knows what the read needed) adds
/// the permission.
fn read_error(
    url: &Url,
    details: ServiceErrorDetails,
    retry_after: Option<Duration>,
    note: Option<&str>,
) -> Error {
    let status = details.http_status;
    if !matches!(status, 400 | 403 | 404) {
        return map_error(Method::Get, details, retry_after, note).with_target(url.path());
    }
    let said = match (&details.code, &details.message) {
        (Some(c), Some(m)) => format!(", {c}: {m}"),
        (Some(c), None) => format!(", {c}"),
        (None, Some(m)) => format!(", {m}"),
        (None, None) => String::new(),
    };
    let status_line =
        status_text(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    let kind = match status {
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Service,
    };
    Error::new(
        kind,
        format!(
            "Microsoft Graph answered GET {} with {status_line}{said}.",
            url.path()
        ),
    )
    .with_service(details)
    .with_target(url.path())
}

fn success(raw: RawResponse, client_request_id: &str) -> Result<GraphResponse> {
    let status = raw.status.as_u16();
    if raw.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(GraphResponse { status, body: None });
    }
    // A key given twice would be read as its last value; refused like any unreadable answer.
    let checked =
        crate::json_input::check_no_duplicate_keys_in(&raw.body).map_err(|e| e.to_string());
    match checked
        .and_then(|()| serde_json::from_slice::<Value>(&raw.body).map_err(|e| e.to_string()))
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_only_to_the_graph_host() {
        let config = ClientConfig {
            graph_endpoint: Some("http://127.0.0.1:1".into()),
            allow_insecure_loopback: true,
            ..Default::default()
        };
        let c = GraphClient::new(&config).unwrap();
        let inside = c.url_for("v1.0/users?$top=1").unwrap();
        assert_eq!(inside.as_str(), "http://127.0.0.1:1/v1.0/users?$top=1");
        assert!(c.is_graph_url(&inside));
        for foreign in [
            "https://evil.example/v1.0/users",
            "http://127.0.0.1:2/v1.0/users",
            "https://127.0.0.1:1/v1.0/users",
        ] {
            let url = Url::parse(foreign).unwrap();
            assert!(!c.is_graph_url(&url), "{foreign}");
            let counter = RequestCounter::new(0);
            let err = runtime::block_on(c.get(&url, &[], "tok", &CallContext::new(), &counter))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidResponse);
            assert!(err.message().contains("nothing was sent"));
            assert_eq!(counter.load(Ordering::Relaxed), 0);
        }
    }
}
