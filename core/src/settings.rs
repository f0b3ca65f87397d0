//! The settings a caller tunes, named for whoever reads the message.
//!
//! A C ABI caller sets them as config keys (`timeouts.totalMs`, milliseconds); a PowerShell user
//! as cmdlet parameters (`-TimeoutSec`, seconds). Messages name a setting only through this one
//! table: [`Setting::key`] and [`Setting::is`] write the config form, and [`for_cmdlets`] rewrites
//! a finished message (notes and all) into the cmdlet form, converting the units. The error JSON
//! of the C ABI carries both (`message`, `cmdletMessage`) and the settings named (`settings`), so
//! the PowerShell layer shows the parameter, never a config key.

use std::borrow::Cow;

/// A setting a caller can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The whole-request timeout of one attempt.
    TotalTimeout,
    /// The TCP + TLS connect timeout.
    ConnectTimeout,
    /// Retries after the first attempt.
    MaxRetries,
    /// Total time spent waiting between retries.
    RetryBudget,
    /// The longest `Retry-After` honoured.
    MaxRetryAfter,
    /// The first back-off delay.
    BaseDelay,
    /// Whether a loopback `http://` endpoint (the Graph emulator) is allowed.
    AllowInsecureLoopback,
}

/// How a setting's value is counted on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Millis,
    Seconds,
    Count,
    Switch,
}

/// One row of the table: the config key and unit, the cmdlet parameter and unit.
struct Row {
    setting: Setting,
    key: &'static str,
    unit: Unit,
    parameter: Option<&'static str>,
    parameter_unit: Unit,
}

/// The one table (keys of docs/c-abi.md; parameters of the Graph cmdlets, SignInCmdlet.cs).
const TABLE: [Row; 7] = [
    Row {
        setting: Setting::TotalTimeout,
        key: "timeouts.totalMs",
        unit: Unit::Millis,
        parameter: Some("-TimeoutSec"),
        parameter_unit: Unit::Seconds,
    },
    Row {
        setting: Setting::ConnectTimeout,
        key: "timeouts.connectMs",
        unit: Unit::Millis,
        parameter: Some("-ConnectTimeoutSec"),
        parameter_unit: Unit::Seconds,
    },
    Row {
        setting: Setting::MaxRetries,
        key: "retry.maxRetries",
        unit: Unit::Count,
        parameter: Some("-MaxRetries"),
        parameter_unit: Unit::Count,
    },
    Row {
        setting: Setting::RetryBudget,
        key: "retry.budgetMs",
        unit: Unit::Millis,
        parameter: Some("-RetryBudgetSec"),
        parameter_unit: Unit::Seconds,
    },
    Row {
        setting: Setting::MaxRetryAfter,
        key: "retry.maxRetryAfterSeconds",
        unit: Unit::Seconds,
        parameter: Some("-MaxRetryAfterSec"),
        parameter_unit: Unit::Seconds,
    },
    Row {
        // Not a cmdlet parameter: PowerShell users never set it, so no message names it to them.
        setting: Setting::BaseDelay,
        key: "retry.baseDelayMs",
        unit: Unit::Millis,
        parameter: None,
        parameter_unit: Unit::Millis,
    },
    Row {
        setting: Setting::AllowInsecureLoopback,
        key: "allowInsecureLoopback",
        unit: Unit::Switch,
        parameter: Some("-AllowInsecureLoopback"),
        parameter_unit: Unit::Switch,
    },
];

impl Setting {
    fn row(self) -> &'static Row {
        TABLE
            .iter()
            .find(|r| r.setting == self)
            .expect("every setting has a row")
    }

    /// The config key (`timeouts.totalMs`), as C ABI callers write it.
    pub fn key(self) -> &'static str {
        self.row().key
    }

    /// The cmdlet parameter (`-TimeoutSec`), when PowerShell users can set it.
    pub fn parameter(self) -> Option<&'static str> {
        self.row().parameter
    }

    /// The setting with its value, in config form: `timeouts.totalMs = 30000`. [`for_cmdlets`]
    /// turns it into `-TimeoutSec 30`.
    pub fn is(self, value: impl std::fmt::Display) -> String {
        format!("{} = {value}", self.key())
    }
}

/// The settings `text` names (config form), in table order.
pub fn mentioned(text: &str) -> Vec<Setting> {
    TABLE
        .iter()
        .filter(|r| text.contains(r.key))
        .map(|r| r.setting)
        .collect()
}

/// `text` with each setting named by its cmdlet parameter instead of its config key, values
/// converted to the parameter's unit (`timeouts.totalMs = 30000` → `-TimeoutSec 30`,
/// `retry.budgetMs` → `-RetryBudgetSec`). Settings without a parameter stay as they are.
pub fn for_cmdlets(text: &str) -> Cow<'_, str> {
    if mentioned(text).is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for row in &TABLE {
        let Some(parameter) = row.parameter else {
            continue;
        };
        out = replace_key(&out, row, parameter);
    }
    Cow::Owned(out)
}

/// Replaces each `key = <integer>` and each bare `key` of `row` in `text`.
fn replace_key(text: &str, row: &Row, parameter: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(row.key) {
        out.push_str(&rest[..at]);
        let after = &rest[at + row.key.len()..];
        match valued(after) {
            Some((value, used)) => {
                out.push_str(parameter);
                out.push(' ');
                out.push_str(&convert(value, row.unit, row.parameter_unit));
                rest = &after[used..];
            }
            None => {
                out.push_str(parameter);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// ` = 123` at the start of `s`: the value and the bytes it takes.
fn valued(s: &str) -> Option<(&str, usize)> {
    let tail = s.strip_prefix(" = ")?;
    let digits = tail
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
        .count();
    if digits == 0 || tail[..digits] == *"-" {
        return None;
    }
    Some((&tail[..digits], 3 + digits))
}

/// A value in `from` units, written in `to` units (milliseconds to seconds keep a fraction
/// when there is one: 1500 → 1.5).
fn convert(value: &str, from: Unit, to: Unit) -> String {
    match (from, to) {
        (Unit::Millis, Unit::Seconds) => match value.parse::<i64>() {
            Ok(ms) if ms % 1000 == 0 => (ms / 1000).to_string(),
            Ok(ms) => format!("{}", ms as f64 / 1000.0),
            Err(_) => value.to_string(),
        },
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_one_row_and_distinct_names() {
        for s in [
            Setting::TotalTimeout,
            Setting::ConnectTimeout,
            Setting::MaxRetries,
            Setting::RetryBudget,
            Setting::MaxRetryAfter,
            Setting::BaseDelay,
            Setting::AllowInsecureLoopback,
        ] {
            assert_eq!(TABLE.iter().filter(|r| r.setting == s).count(), 1, "{s:?}");
        }
        for a in &TABLE {
            for b in &TABLE {
                if a.setting != b.setting {
                    // No key is part of another, so a rewrite never touches the wrong one.
                    assert!(!a.key.contains(b.key), "{} / {}", a.key, b.key);
                }
            }
        }
    }

    #[test]
    fn messages_are_rewritten_with_the_parameter_and_its_unit() {
        let text = format!(
            "GET x did not complete within the total timeout of 30 s ({}). Raise {}; {}; \
             waiting would exceed {} (4 attempts, {}); {} allows; {} is not set; {}.",
            Setting::TotalTimeout.is(30_000),
            Setting::TotalTimeout.key(),
            Setting::ConnectTimeout.is(1_500),
            Setting::RetryBudget.is(5_000),
            Setting::MaxRetries.is(3),
            Setting::MaxRetryAfter.is(60),
            Setting::AllowInsecureLoopback.key(),
            Setting::BaseDelay.is(500),
        );
        assert_eq!(
            for_cmdlets(&text),
            "GET x did not complete within the total timeout of 30 s (-TimeoutSec 30). Raise \
             -TimeoutSec; -ConnectTimeoutSec 1.5; waiting would exceed -RetryBudgetSec 5 (4 \
             attempts, -MaxRetries 3); -MaxRetryAfterSec 60 allows; -AllowInsecureLoopback is \
             not set; retry.baseDelayMs = 500."
        );
        assert_eq!(
            mentioned(&text).len(),
            7,
            "every setting named is listed: {:?}",
            mentioned(&text)
        );
    }

    #[test]
    fn text_without_a_setting_is_left_alone() {
        assert!(matches!(
            for_cmdlets("Microsoft Graph is throttling requests."),
            Cow::Borrowed(_)
        ));
        assert!(mentioned("nothing here").is_empty());
    }
}
