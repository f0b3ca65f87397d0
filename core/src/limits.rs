//! Per-call overrides of a client's timeouts and retry policy.
//!
//! A client carries its limits in [`ClientConfig`](crate::config::ClientConfig); a caller that
//! shares one client between many calls (the PowerShell session's connection) can still give one
//! call a shorter timeout or no retries, through [`CallContext::limits`](crate::call_context::CallContext).
//! Every field is optional: what is absent keeps the client's value. Crosses the C ABI as
//!
//! ```json
//! { "timeouts": { "connectMs": 5000, "totalMs": 30000 },
//!   "retry": { "maxRetries": 0, "maxRetryAfterSeconds": 60, "budgetMs": 10000, "baseDelayMs": 500 } }
//! ```
//!
//! Values are read as signed integers so that a negative or absurd value gets a message naming the
//! field and the allowed range, rather than a bare type error.

use serde::{Deserialize, Serialize};

use crate::config::{RetryPolicy, Timeouts};
use crate::error::{Error, ErrorKind, Result};
use crate::settings::Setting;

/// Allowed range of `timeouts.connectMs`: 1 ms to 5 minutes.
pub const CONNECT_MS_RANGE: (i64, i64) = (1, 300_000);
/// Allowed range of `timeouts.totalMs`: 1 ms to 1 hour.
pub const TOTAL_MS_RANGE: (i64, i64) = (1, 3_600_000);
/// Allowed range of `retry.maxRetries` (0 disables retries).
pub const MAX_RETRIES_RANGE: (i64, i64) = (0, 10);
/// Allowed range of `retry.maxRetryAfterSeconds`: 1 s to 1 hour.
pub const MAX_RETRY_AFTER_SECONDS_RANGE: (i64, i64) = (1, 3_600);
/// Allowed range of `retry.budgetMs` (0: never wait between attempts) up to 1 hour.
pub const BUDGET_MS_RANGE: (i64, i64) = (0, 3_600_000);
/// Allowed range of `retry.baseDelayMs`: 1 ms to 1 minute.
pub const BASE_DELAY_MS_RANGE: (i64, i64) = (1, 60_000);

/// Overrides for one call. `Default` overrides nothing.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct CallLimits {
    /// Timeout overrides.
    pub timeouts: TimeoutLimits,
    /// Retry policy overrides.
    pub retry: RetryLimits,
}

/// Overrides of [`Timeouts`]; `None` keeps the client's value.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TimeoutLimits {
    /// TCP + TLS connect timeout, milliseconds ([`CONNECT_MS_RANGE`]).
    pub connect_ms: Option<i64>,
    /// Whole request timeout per attempt, milliseconds ([`TOTAL_MS_RANGE`]).
    pub total_ms: Option<i64>,
}

/// Overrides of [`RetryPolicy`]; `None` keeps the client's value.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RetryLimits {
    /// Retries after the first attempt ([`MAX_RETRIES_RANGE`]).
    pub max_retries: Option<i64>,
    /// Longest Retry-After honoured, seconds ([`MAX_RETRY_AFTER_SECONDS_RANGE`]).
    pub max_retry_after_seconds: Option<i64>,
    /// Total wait between attempts, milliseconds ([`BUDGET_MS_RANGE`]).
    pub budget_ms: Option<i64>,
    /// First back-off delay, milliseconds ([`BASE_DELAY_MS_RANGE`]).
    pub base_delay_ms: Option<i64>,
}

impl CallLimits {
    /// Parses and validates the JSON form. A syntax error, a wrong type or an unknown field is
    /// [`ErrorKind::InvalidJson`] (serde's message names the field); a value out of range is
    /// [`ErrorKind::InvalidArgument`] naming the field, the value and the range.
    pub fn from_json(text: &str) -> Result<CallLimits> {
        let checked = crate::json_input::check_object(text).map_err(|e| e.to_string());
        let limits: CallLimits = checked
            .and_then(|()| serde_json::from_str(text).map_err(|e| e.to_string()))
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidJson,
                    format!("The call limits are not a valid JSON document: {e}."),
                )
            })?;
        limits.validate()?;
        Ok(limits)
    }

    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == CallLimits::default()
    }

    /// Checks every present value against its range.
    pub fn validate(&self) -> Result<()> {
        let t = &self.timeouts;
        let r = &self.retry;
        // Config units: the cmdlets check their own parameters' ranges before calling.
        check(
            Setting::ConnectTimeout,
            t.connect_ms,
            CONNECT_MS_RANGE,
            "milliseconds",
        )?;
        check(
            Setting::TotalTimeout,
            t.total_ms,
            TOTAL_MS_RANGE,
            "milliseconds",
        )?;
        check(
            Setting::MaxRetries,
            r.max_retries,
            MAX_RETRIES_RANGE,
            "retries",
        )?;
        check(
            Setting::MaxRetryAfter,
            r.max_retry_after_seconds,
            MAX_RETRY_AFTER_SECONDS_RANGE,
            "seconds",
        )?;
        check(
            Setting::RetryBudget,
            r.budget_ms,
            BUDGET_MS_RANGE,
            "milliseconds",
        )?;
        check(
            Setting::BaseDelay,
            r.base_delay_ms,
            BASE_DELAY_MS_RANGE,
            "milliseconds",
        )
    }

    /// `base` with the overridden timeouts. Values are clamped to their ranges, so an unvalidated
    /// value can never turn into a zero or wrapped timeout.
    pub fn apply_timeouts(&self, base: Timeouts) -> Timeouts {
        Timeouts {
            connect_ms: pick(self.timeouts.connect_ms, CONNECT_MS_RANGE, base.connect_ms),
            total_ms: pick(self.timeouts.total_ms, TOTAL_MS_RANGE, base.total_ms),
        }
    }

    /// `base` with the overridden retry policy (clamped like [`Self::apply_timeouts`]).
    pub fn apply_retry(&self, base: RetryPolicy) -> RetryPolicy {
        let r = &self.retry;
        RetryPolicy {
            max_retries: u32::try_from(pick(
                r.max_retries,
                MAX_RETRIES_RANGE,
                u64::from(base.max_retries),
            ))
            .unwrap_or(base.max_retries),
            max_retry_after_seconds: pick(
                r.max_retry_after_seconds,
                MAX_RETRY_AFTER_SECONDS_RANGE,
                base.max_retry_after_seconds,
            ),
            budget_ms: pick(r.budget_ms, BUDGET_MS_RANGE, base.budget_ms),
            base_delay_ms: pick(r.base_delay_ms, BASE_DELAY_MS_RANGE, base.base_delay_ms),
        }
    }
}

fn check(setting: Setting, value: Option<i64>, (min, max): (i64, i64), unit: &str) -> Result<()> {
    match value {
        Some(v) if v < min || v > max => Err(Error::invalid_argument(format!(
            "{} is out of range: use {min} to {max} {unit}, or leave it out to keep the \
             client's value.",
            setting.is(v)
        ))
        .with_target(setting.key().to_string())),
        _ => Ok(()),
    }
}

fn pick(value: Option<i64>, (min, max): (i64, i64), base: u64) -> u64 {
    match value {
        // The range is non-negative, so the clamped value always fits.
        Some(v) => u64::try_from(v.clamp(min, max)).unwrap_or(base),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_limits_merge_over_the_client_values() {
        let l = CallLimits::from_json(r#"{"timeouts":{"totalMs":1000},"retry":{"maxRetries":0}}"#)
            .unwrap();
        let t = l.apply_timeouts(Timeouts::default());
        assert_eq!(t.total_ms, 1000);
        assert_eq!(t.connect_ms, Timeouts::default().connect_ms);
        let r = l.apply_retry(RetryPolicy::default());
        assert_eq!(r.max_retries, 0);
        assert_eq!(r.budget_ms, RetryPolicy::default().budget_ms);
        assert!(CallLimits::from_json("{}").unwrap().is_empty());
    }

    #[test]
    fn bad_values_name_the_field_and_the_range() {
        for (json, field, range) in [
            (
                r#"{"timeouts":{"totalMs":0}}"#,
                "timeouts.totalMs = 0",
                "1 to 3600000",
            ),
            (
                r#"{"timeouts":{"connectMs":-5}}"#,
                "timeouts.connectMs = -5",
                "1 to 300000",
            ),
            (
                r#"{"retry":{"maxRetries":11}}"#,
                "retry.maxRetries = 11",
                "0 to 10",
            ),
            (
                r#"{"retry":{"budgetMs":-1}}"#,
                "retry.budgetMs = -1",
                "0 to 3600000",
            ),
        ] {
            let e = CallLimits::from_json(json).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{json}");
            assert!(e.message().contains(field), "{}", e.message());
            assert!(e.message().contains(range), "{}", e.message());
        }
        let e = CallLimits::from_json(r#"{"retry":{"maxRetry":1}}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        assert!(e.message().contains("maxRetry"), "{}", e.message());
        let e = CallLimits::from_json(r#"{"timeouts":{"totalMs":1.5}}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
    }
}
