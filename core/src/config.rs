//! What a caller configures for a client. Crosses the C ABI as a JSON document (camelCase);
//! secrets never travel in this document: they cross separately as bytes (see [`crate::auth`]).
//!
//! ```json
//! {
//!   "cloud": "Global",
//!   "tenantId": "contoso.onmicrosoft.com",
//!   "graphEndpoint": "http://127.0.0.1:5099",
//!   "authorityEndpoint": "http://127.0.0.1:5099",
//!   "allowInsecureLoopback": true,
//!   "auth": { "mode": "accessToken" },
//!   "timeouts": { "connectMs": 10000, "totalMs": 100000 },
//!   "retry": { "maxRetries": 5, "maxRetryAfterSeconds": 120, "budgetMs": 300000 }
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::cloud::Cloud;

pub mod auth;

pub use auth::{AuthConfig, ManagedIdentityStyle};

/// Client configuration. Every field has a sane default except what the auth mode needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ClientConfig {
    /// National cloud; picks the Graph host and sign-in authority together.
    pub cloud: Cloud,
    /// Tenant ID or verified domain. Required for app sign-in; for an access token it is read from
    /// the token's `tid` claim when absent.
    pub tenant_id: Option<String>,
    /// Overrides the cloud's Graph base URL (scheme + host [+ port]). Must be one of the cloud's
    /// hosts over HTTPS, or a loopback `http://` URL when [`Self::allow_insecure_loopback`] is set.
    pub graph_endpoint: Option<String>,
    /// Overrides the sign-in authority, under the same rules as `graph_endpoint`.
    pub authority_endpoint: Option<String>,
    /// Allows `http://` endpoints on loopback (127.0.0.0/8, ::1, localhost) such as the emulator.
    pub allow_insecure_loopback: bool,
    /// How to get a token.
    pub auth: AuthConfig,
    /// Connect and total timeouts.
    pub timeouts: Timeouts,
    /// Retry policy for throttling and transient failures.
    pub retry: RetryPolicy,
}

/// Timeouts for one HTTP exchange.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Timeouts {
    /// TCP + TLS connect timeout, milliseconds.
    pub connect_ms: u64,
    /// Whole request timeout (send, wait, read body), milliseconds, per attempt.
    pub total_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect_ms: 10_000,
            total_ms: 100_000,
        }
    }
}

/// When and how long to retry.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// The longest Retry-After honoured; longer asks are capped to this, seconds.
    pub max_retry_after_seconds: u64,
    /// Total time a call may spend waiting between attempts, milliseconds.
    pub budget_ms: u64,
    /// First exponential back-off delay (no Retry-After), milliseconds; doubles with jitter.
    pub base_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            max_retry_after_seconds: 120,
            budget_ms: 300_000,
            base_delay_ms: 500,
        }
    }
}
