//! The one retry engine: when a failed request is tried again, how long to wait first, and when
//! to stop. The Graph client ([`crate::graph`]) and every sign-in exchange (`auth::http`) run
//! their attempts through a [`Retrier`], so both follow the same table.
//!
//! | what the attempt ended with | retried? | wait before the next attempt |
//! |---|---|---|
//! | `429 Too Many Requests` | yes | `Retry-After` when sent, else back-off |
//! | `503 Service Unavailable` | yes | `Retry-After` when sent, else back-off |
//! | `500`, `502`, `504` | yes | `Retry-After` when sent, else back-off |
//! | connection failed or dropped before an answer (refused, reset, DNS, body cut off) | yes | back-off |
//! | any other status (`400`, `401`, `403`, `404`, `405`, `409`, `501`, …) | no | — |
//! | the service's validation refusal (PeopleAdmin envelope), whatever its status | no: the caller's values were refused | — |
//! | connect timeout, total timeout | no: the call ends as `Timeout` naming the limit | — |
//! | TLS certificate rejected | no: nothing was sent | — |
//!
//! Every request the product sends is safe to repeat: GET and DELETE are idempotent, a PATCH
//! carries the full target value of each property it names (never a delta), and sign-in POSTs
//! ask for a new token. So a connection that dropped after the request was sent is retried like
//! one that never connected.
//!
//! **Retry-After** is read in every form HTTP allows (RFC 9110 §10.2.3): delta-seconds (`120`;
//! a decimal such as `1.5` is accepted too), and an HTTP-date in IMF-fixdate
//! (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime
//! (`Sun Nov  6 08:49:37 1994`) form; a date in the past means "now". A value that is none of
//! these is ignored (back-off applies).
//!
//! **Back-off** (no Retry-After): `base · 2^(n-1)` for the n-th retry, with equal jitter (half
//! of it fixed, the other half random) so that many clients throttled together do not come back
//! in step; never above `retry.maxRetryAfterSeconds`.
//!
//! **Limits**, from [`RetryPolicy`] (the client's, or the call's own via
//! [`CallLimits`](crate::limits::CallLimits)):
//! - `maxRetries`: attempts after the first; 0 disables retries.
//! - `maxRetryAfterSeconds`: the longest wait the service may ask for. A longer `Retry-After`
//!   ends the call at once (429 → `Throttled`) with the service's wait in the message: retrying
//!   earlier than asked would go against the service's instruction, and waiting longer than the
//!   caller allowed would hold the caller. Raise it to wait (PowerShell: `-MaxRetryAfterSec`).
//! - `budgetMs`, the retry budget: the total time spent *waiting between attempts* (Retry-After
//!   and back-off together; the attempts themselves do not count). A wait that would take the
//!   total past the budget is not started: the call ends with the last failure at once.

use std::time::{Duration, SystemTime};

use chrono::{NaiveDateTime, TimeZone, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::RetryPolicy;
use crate::error::{Error, Result};
use crate::settings::Setting;

/// True for the HTTP statuses that are retried (see the table in the module docs).
pub fn is_retried_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// A failed attempt, as far as retrying is concerned. Timeouts and certificate errors are final
/// and never reach the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The service answered with an error status, and maybe a Retry-After.
    Status {
        /// The HTTP status.
        status: u16,
        /// The parsed `Retry-After` header, if any (see [`parse_retry_after`]).
        retry_after: Option<Duration>,
    },
    /// The connection failed or dropped before a whole answer arrived.
    Connection,
    /// The service validated the request and refused the caller's values (the PeopleAdmin
    /// envelope), whatever status carried it: never retried.
    Refused,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long (cancellably, see [`wait`]), then try again.
    Retry(Duration),
    /// Do not try again; the call ends with the last failure.
    Stop(Stop),
}

/// Why the engine stopped retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The failure is not one that is retried.
    NotRetried,
    /// `maxRetries` is used up.
    Attempts {
        /// Attempts made, the first included.
        attempts: u32,
        /// The `maxRetries` in force.
        max_retries: u32,
    },
    /// The service asked to wait longer than `maxRetryAfterSeconds` allows.
    RetryAfterTooLong {
        /// The wait the service asked for.
        asked: Duration,
        /// The `maxRetryAfterSeconds` in force.
        max_seconds: u64,
    },
    /// The next wait would take the time spent waiting past `budgetMs`.
    Budget {
        /// The wait that was not started.
        delay: Duration,
        /// Time already spent waiting.
        waited: Duration,
        /// The `budgetMs` in force.
        budget_ms: u64,
        /// Attempts made, the first included.
        attempts: u32,
    },
}

impl Stop {
    /// Why retrying stopped, as a clause for an error message (`gave up after 3 attempts
    /// (retry.maxRetries = 2)`); `None` for a failure that is never retried.
    pub fn note(&self) -> Option<String> {
        let plural = |n: u32| if n == 1 { "" } else { "s" };
        match *self {
            Stop::NotRetried => None,
            Stop::Attempts {
                attempts,
                max_retries,
            } => Some(format!(
                "gave up after {attempts} attempt{} ({})",
                plural(attempts),
                Setting::MaxRetries.is(max_retries)
            )),
            Stop::RetryAfterTooLong { asked, max_seconds } => Some(format!(
                "the service asked to wait {} (Retry-After) before trying again, longer than \
                 {} allows, so the call ends now instead of retrying early",
                human(asked),
                Setting::MaxRetryAfter.is(max_seconds)
            )),
            Stop::Budget {
                delay,
                waited,
                budget_ms,
                attempts,
            } => Some(format!(
                "the retry budget ran out: waiting {} more would exceed {} ({} already waited, \
                 {attempts} attempt{} made)",
                human(delay),
                Setting::RetryBudget.is(budget_ms),
                human(waited),
                plural(attempts)
            )),
        }
    }

    /// What the caller can do, for the stops a caller can lift; `None` otherwise.
    pub fn recommended_action(&self) -> Option<String> {
        match *self {
            Stop::RetryAfterTooLong { asked, .. } => Some(format!(
                "Wait {} and try again, or allow longer waits ({}, up to 3600 seconds).",
                human(asked),
                Setting::MaxRetryAfter.key()
            )),
            _ => None,
        }
    }
}

/// Counts the attempts of one call and decides, after each failure, whether to try again.
#[derive(Debug, Clone)]
pub struct Retrier {
    policy: RetryPolicy,
    attempts: u32,
    waited: Duration,
}

impl Retrier {
    /// A fresh call under `policy`.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            attempts: 0,
            waited: Duration::ZERO,
        }
    }

    /// Records that an attempt is being made; returns its number (1 for the first).
    pub fn begin_attempt(&mut self) -> u32 {
        self.attempts += 1;
        self.attempts
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The most attempts the policy allows (`maxRetries + 1`).
    pub fn max_attempts(&self) -> u32 {
        self.policy.max_retries.saturating_add(1)
    }

    /// Time spent waiting between attempts so far.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Decides what follows the failure of the attempt just made. A [`Decision::Retry`] counts
    /// its wait against the budget right away.
    pub fn after_failure(&mut self, failure: Failure) -> Decision {
        let retry_after = match failure {
            Failure::Status { status, .. } if !is_retried_status(status) => {
                return Decision::Stop(Stop::NotRetried)
            }
            Failure::Refused => return Decision::Stop(Stop::NotRetried),
            Failure::Status { retry_after, .. } => retry_after,
            Failure::Connection => None,
        };
        let attempts = self.attempts.max(1);
        if attempts >= self.max_attempts() {
            return Decision::Stop(Stop::Attempts {
                attempts,
                max_retries: self.policy.max_retries,
            });
        }
        let max_seconds = self.policy.max_retry_after_seconds;
        let delay = match retry_after {
            Some(asked) if asked > Duration::from_secs(max_seconds) => {
                return Decision::Stop(Stop::RetryAfterTooLong { asked, max_seconds })
            }
            Some(asked) => asked,
            None => backoff(&self.policy, attempts),
        };
        let budget = Duration::from_millis(self.policy.budget_ms);
        if self.waited + delay > budget {
            return Decision::Stop(Stop::Budget {
                delay,
                waited: self.waited,
                budget_ms: self.policy.budget_ms,
                attempts,
            });
        }
        self.waited += delay;
        Decision::Retry(delay)
    }
}

/// The back-off before the retry that follows attempt `attempt` (1-based): half of
/// `base · 2^(attempt-1)` plus a random part up to the other half, capped at
/// `maxRetryAfterSeconds` (never below the base delay).
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(16);
    let cap_ms = policy.max_retry_after_seconds.saturating_mul(1000);
    let base = policy.base_delay_ms.max(1);
    let full = base.saturating_mul(1u64 << exp).min(cap_ms.max(base));
    let half = full / 2;
    Duration::from_millis(half + fastrand::u64(0..=full - half))
}

/// Sleeps for `delay` unless `cancel` fires first ([`Error::cancelled`]).
pub async fn wait(delay: Duration, cancel: &CancellationToken) -> Result<()> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::cancelled()),
        _ = tokio::time::sleep(delay) => Ok(()),
    }
}

/// The `Retry-After` header of `headers`, parsed by [`parse_retry_after`] against the clock.
pub fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// Parses a `Retry-After` value (delta-seconds, a decimal, or an HTTP-date in IMF-fixdate,
/// RFC 850 or asctime form) into how long to wait from `now`. `None` for anything else.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long numbers saturate: they are "longer than any cap" either way.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0 && v.starts_with(|c: char| c.is_ascii_digit()))
            .then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = parse_http_date(v)?;
    let now = chrono::DateTime::<Utc>::from(now);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// An HTTP-date in any of its three forms (RFC 9110 §5.6.7), as UTC.
fn parse_http_date(v: &str) -> Option<chrono::DateTime<Utc>> {
    // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    // RFC 850:     `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit year).
    // asctime:     `Sun Nov  6 08:49:37 1994` (day padded with a space).
    const FORMATS: [&str; 3] = [
        "%a, %d %b %Y %H:%M:%S GMT",
        "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y",
    ];
    let collapsed = v.split_whitespace().collect::<Vec<_>>().join(" ");
    FORMATS.iter().find_map(|f| {
        NaiveDateTime::parse_from_str(v, f)
            .or_else(|_| NaiveDateTime::parse_from_str(&collapsed, f))
            .ok()
            .map(|naive| Utc.from_utc_datetime(&naive))
    })
}

/// `12 s`, `250 ms`, `1.5 s`, `2 min 5 s`: durations in messages and verbose lines.
pub fn human(d: Duration) -> String {
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

    fn policy(max_retries: u32, max_retry_after_seconds: u64, budget_ms: u64) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            max_retry_after_seconds,
            budget_ms,
            base_delay_ms: 100,
        }
    }

    fn status(status: u16, retry_after: Option<u64>) -> Failure {
        Failure::Status {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    fn first_decision(failure: Failure) -> Decision {
        let mut r = Retrier::new(policy(5, 120, 300_000));
        r.begin_attempt();
        r.after_failure(failure)
    }

    #[test]
    fn the_table_retries_throttling_server_errors_and_dropped_connections_only() {
        for s in [429, 500, 502, 503, 504] {
            assert!(
                matches!(first_decision(status(s, None)), Decision::Retry(_)),
                "{s} is retried"
            );
        }
        assert!(matches!(
            first_decision(Failure::Connection),
            Decision::Retry(_)
        ));
        for s in [400, 401, 403, 404, 405, 409, 412, 501, 505] {
            assert_eq!(
                first_decision(status(s, Some(1))),
                Decision::Stop(Stop::NotRetried),
                "{s} is not retried"
            );
        }
        // The service's validation refusal, whatever status carried it.
        assert_eq!(
            first_decision(Failure::Refused),
            Decision::Stop(Stop::NotRetried)
        );
    }

    #[test]
    fn retry_after_is_waited_as_asked_for_every_retried_status() {
        for s in [429, 500, 502, 503, 504] {
            assert_eq!(
                first_decision(status(s, Some(7))),
                Decision::Retry(Duration::from_secs(7))
            );
        }
    }

    #[test]
    fn a_retry_after_beyond_the_cap_stops_at_once_naming_the_wait() {
        let mut r = Retrier::new(policy(5, 60, 3_600_000));
        r.begin_attempt();
        let d = r.after_failure(status(429, Some(600)));
        let Decision::Stop(stop) = d else {
            panic!("{d:?}")
        };
        assert_eq!(
            stop,
            Stop::RetryAfterTooLong {
                asked: Duration::from_secs(600),
                max_seconds: 60
            }
        );
        let note = stop.note().unwrap();
        assert!(note.contains("10 min"), "{note}");
        assert!(note.contains("retry.maxRetryAfterSeconds = 60"), "{note}");
        let action = stop.recommended_action().unwrap();
        assert!(action.contains("retry.maxRetryAfterSeconds"), "{action}");
        // Cmdlet users read the parameter (crate::settings rewrites the same words).
        assert!(
            crate::settings::for_cmdlets(&action).contains("-MaxRetryAfterSec"),
            "{action}"
        );
        // Exactly at the cap is still waited.
        assert_eq!(
            r.after_failure(status(429, Some(60))),
            Decision::Retry(Duration::from_secs(60))
        );
    }

    #[test]
    fn max_retries_counts_attempts_after_the_first() {
        let mut r = Retrier::new(policy(2, 120, 300_000));
        for _ in 0..2 {
            r.begin_attempt();
            assert!(matches!(
                r.after_failure(Failure::Connection),
                Decision::Retry(_)
            ));
        }
        r.begin_attempt();
        let stop = r.after_failure(Failure::Connection);
        assert_eq!(
            stop,
            Decision::Stop(Stop::Attempts {
                attempts: 3,
                max_retries: 2
            })
        );
        let Decision::Stop(stop) = stop else {
            unreachable!()
        };
        assert_eq!(
            stop.note().unwrap(),
            "gave up after 3 attempts (retry.maxRetries = 2)"
        );
        let mut none = Retrier::new(policy(0, 120, 300_000));
        none.begin_attempt();
        assert_eq!(
            none.after_failure(status(503, None)),
            Decision::Stop(Stop::Attempts {
                attempts: 1,
                max_retries: 0
            })
        );
    }

    #[test]
    fn the_budget_counts_only_the_waits_and_stops_before_a_wait_that_would_exceed_it() {
        let mut r = Retrier::new(policy(10, 120, 5_000));
        r.begin_attempt();
        assert_eq!(
            r.after_failure(status(429, Some(3))),
            Decision::Retry(Duration::from_secs(3))
        );
        r.begin_attempt();
        assert_eq!(
            r.after_failure(status(429, Some(2))),
            Decision::Retry(Duration::from_secs(2))
        );
        assert_eq!(r.waited(), Duration::from_secs(5));
        r.begin_attempt();
        let d = r.after_failure(status(429, Some(1)));
        assert_eq!(
            d,
            Decision::Stop(Stop::Budget {
                delay: Duration::from_secs(1),
                waited: Duration::from_secs(5),
                budget_ms: 5_000,
                attempts: 3
            })
        );
        let Decision::Stop(stop) = d else {
            unreachable!()
        };
        assert_eq!(
            stop.note().unwrap(),
            "the retry budget ran out: waiting 1 s more would exceed retry.budgetMs = 5000 \
             (5 s already waited, 3 attempts made)"
        );
        // A zero budget never waits.
        let mut zero = Retrier::new(policy(5, 120, 0));
        zero.begin_attempt();
        assert!(matches!(
            zero.after_failure(Failure::Connection),
            Decision::Stop(Stop::Budget { .. })
        ));
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        let p = RetryPolicy {
            base_delay_ms: 100,
            max_retry_after_seconds: 1,
            ..Default::default()
        };
        for attempt in 1..=10 {
            let d = backoff(&p, attempt).as_millis() as u64;
            let full = (100u64 << (attempt - 1)).min(1000);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
        }
        // Jitter: 50 draws of the same attempt are not all equal.
        let p = RetryPolicy {
            base_delay_ms: 1000,
            ..Default::default()
        };
        let draws: std::collections::HashSet<_> = (0..50).map(|_| backoff(&p, 3)).collect();
        assert!(draws.len() > 1);
    }

    #[test]
    fn retry_after_reads_seconds_decimals_and_all_three_date_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let p = |v: &str| parse_retry_after(v, now);
        assert_eq!(p("12"), Some(Duration::from_secs(12)));
        assert_eq!(p(" 0 "), Some(Duration::ZERO));
        assert_eq!(p("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(
            p("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        // The same instant, 2 minutes after `now`, in each form.
        for date in [
            "Sun, 06 Nov 1994 08:51:37 GMT",
            "Sunday, 06-Nov-94 08:51:37 GMT",
            "Sun Nov  6 08:51:37 1994",
        ] {
            assert_eq!(p(date), Some(Duration::from_secs(120)), "{date}");
        }
        // A date in the past means now.
        assert_eq!(p("Sat, 01 Jan 1994 00:00:00 GMT"), Some(Duration::ZERO));
        for bad in ["soon", "", "-5", "NaN", "inf", "12 s", "Sun, 06 Nov 1994"] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_header_uses_the_clock() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after_header(&h), None);
        h.insert(
            reqwest::header::RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("Sat, 01 Jan 2000 00:00:00 GMT"),
        );
        assert_eq!(retry_after_header(&h), Some(Duration::ZERO));
        h.insert(
            reqwest::header::RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("3"),
        );
        assert_eq!(retry_after_header(&h), Some(Duration::from_secs(3)));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_secs(12)), "12 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(human(Duration::from_secs(600)), "10 min");
    }
}
