//! Sending one sign-in exchange: a verbose event per request line (never bodies or headers),
//! retries through the one retry engine ([`crate::retry`], the same table as Graph's),
//! cancellation at every wait. The call's own limits arrive as a value, in the [`CallContext`].

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::answer::parse_token_answer;
use super::cache::TokenCache;
use super::context::SignInContext;
use super::signin_error::{parse_error_details, signin_error};
use super::token::AccessToken;
use crate::call_context::CallContext;
use crate::error::{Error, ErrorKind, Result, ServiceErrorDetails};
use crate::events;
use crate::retry::{self, Decision, Retrier, Stop};

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
/// secrets. Retried answers and dropped connections are retried as the retry engine decides,
/// under the call's limits when it has its own (else the client's); timeouts and TLS
/// certificate errors end the exchange at once.
///
/// Returns the answer for the caller to interpret, except when retrying stopped on an answer
/// that is retried (429, 5xx): then the error says why retrying stopped (`Throttled` for 429,
/// `ServiceUnavailable` otherwise) and carries the service's details and Retry-After.
pub(crate) async fn send(
    ctx: &SignInContext,
    method: &str,
    shown_url: &str,
    build: &(dyn Fn() -> reqwest::RequestBuilder + Send + Sync),
    call: &CallContext,
) -> Result<Answer> {
    let (timeouts, policy) = match call.limits.as_ref() {
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
    let mut retrier = Retrier::new(policy);
    loop {
        if call.cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        let attempt = retrier.begin_attempt();
        let t0 = Instant::now();
        // build() makes the request on the source's client; a per-call connect timeout sends it
        // through the pooled client for that timeout instead.
        let (own_http, request) = build().timeout(request_timeout).build_split();
        let http = connect_override.as_ref().unwrap_or(&own_http);
        let outcome = tokio::select! {
            biased;
            _ = call.cancel.cancelled() => return Err(Error::cancelled()),
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
        let (failure, last) = match outcome {
            Ok((status, headers, body)) => {
                events::verbose(
                    &call.events,
                    format!("{method} {shown_url} → {status} in {elapsed} ms"),
                );
                let answer = Answer {
                    status: status.as_u16(),
                    headers,
                    body,
                };
                if !retry::is_retried_status(answer.status) {
                    return Ok(answer);
                }
                let failure = retry::Failure::Status {
                    status: answer.status,
                    retry_after: retry::retry_after_header(&answer.headers),
                };
                (failure, Ok(answer))
            }
            Err(e) => {
                events::verbose(
                    &call.events,
                    format!("{method} {shown_url} → failed in {elapsed} ms"),
                );
                // Timeouts and certificate errors are final (see the retry table).
                if e.is_timeout() || crate::runtime::is_certificate_error(&e) {
                    return Err(transport_error(method, shown_url, &e));
                }
                (retry::Failure::Connection, Err(e))
            }
        };
        let delay = match retrier.after_failure(failure) {
            Decision::Retry(delay) => delay,
            Decision::Stop(stop) => {
                return Err(match last {
                    Ok(answer) => gave_up_on_answer(method, shown_url, &answer, failure, &stop),
                    Err(e) => {
                        let err = transport_error(method, shown_url, &e);
                        match stop.note() {
                            Some(note) => {
                                let message = format!(
                                    "{} Retrying stopped: {note}.",
                                    err.message().trim_end()
                                );
                                Error::new(err.kind(), message).with_recommended_action(
                                    err.recommended_action().unwrap_or_default().to_string(),
                                )
                            }
                            None => err,
                        }
                    }
                });
            }
        };
        events::verbose(
            &call.events,
            format!(
                "Retrying sign-in request in {} (attempt {} of {})",
                retry::human(delay),
                attempt + 1,
                retrier.max_attempts()
            ),
        );
        retry::wait(delay, &call.cancel).await?;
    }
}

/// The `client_assertion_type` of a JWT client assertion (a certificate's signed assertion, or a
/// federated credential's external token).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What proves the application in a client credentials token request.
pub(crate) enum ClientCredential<'a> {
    /// The app's client secret (`client_secret`).
    Secret(&'a str),
    /// A JWT sent as `client_assertion` of type jwt-bearer: an assertion signed with the app's
    /// certificate, or an external token of a federated credential.
    Assertion(&'a str),
}

/// The token request every app-only sign-in ends with (OAuth 2.0 client credentials grant): posts
/// the form for a Microsoft Graph token of `client_id`, proven by `credential`, to `token_url`
/// through [`send`] (verbose events, retries, cancellation); a refusal is the sign-in error of
/// `what` (e.g. "Client secret sign-in for application …", with the AADSTS code); a success
/// is parsed into the token, its expiry counted from `cache`'s clock when the answer arrived.
pub(crate) async fn post_for_token(
    ctx: &SignInContext,
    token_url: &str,
    client_id: &str,
    credential: ClientCredential<'_>,
    what: &str,
    cache: &TokenCache,
    call: &CallContext,
) -> Result<AccessToken> {
    let scope = ctx.cloud.graph_scope();
    let mut form = vec![
        ("client_id", client_id),
        ("scope", scope.as_str()),
        ("grant_type", "client_credentials"),
    ];
    match credential {
        ClientCredential::Secret(secret) => form.push(("client_secret", secret)),
        ClientCredential::Assertion(jwt) => form.extend([
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", jwt),
        ]),
    }
    let build = || ctx.http.post(token_url).form(&form);
    let answer = send(ctx, "POST", token_url, &build, call).await?;
    if !answer.is_success() {
        return Err(signin_error(what, answer.status, &answer.body));
    }
    Ok(parse_token_answer(&answer.body, cache.now(), "sign-in service")?.token)
}

/// The error for a sign-in answer that is retried (429, 5xx) when retrying stopped: the kind
/// follows the status, the message says why retrying stopped, and the service's details (AADSTS
/// code, trace and correlation IDs) and Retry-After are kept.
fn gave_up_on_answer(
    method: &str,
    shown_url: &str,
    answer: &Answer,
    failure: retry::Failure,
    stop: &Stop,
) -> Error {
    let kind = if answer.status == 429 {
        ErrorKind::Throttled
    } else {
        ErrorKind::ServiceUnavailable
    };
    let details = parse_error_details(answer.status, &answer.body).unwrap_or(ServiceErrorDetails {
        http_status: answer.status,
        ..Default::default()
    });
    let said = match (details.aadsts.as_deref(), details.code.as_deref()) {
        (Some(code), _) | (None, Some(code)) => format!(" ({code})"),
        (None, None) => String::new(),
    };
    let status = reqwest::StatusCode::from_u16(answer.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!("{} {r}", answer.status))
        .unwrap_or_else(|| answer.status.to_string());
    let note = stop.note().unwrap_or_default();
    let mut err = Error::new(
        kind,
        format!("{method} {shown_url} answered {status}{said}; {note}."),
    )
    .with_service(details)
    .with_recommended_action(stop.recommended_action().unwrap_or_else(|| {
        "Wait a few minutes and try again, or allow more retries (-MaxRetries, -RetryBudgetSec)."
            .to_string()
    }));
    if let retry::Failure::Status {
        retry_after: Some(ra),
        ..
    } = failure
    {
        err = err.with_retry_after(ra);
    }
    err
}
