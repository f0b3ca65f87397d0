//! What one call carries besides its arguments: the caller's cancellation token, where events
//! go, and optional per-call limits. Every operation (Graph requests, sign-in, the policy
//! operations in [`crate::client`]) takes one.

use tokio_util::sync::CancellationToken;

use crate::events::{self, Events};
use crate::limits::CallLimits;

/// What one call carries: a cancellation token, where events go, and optional limits.
#[derive(Clone)]
pub struct CallContext {
    /// Cancelling it makes the call return [`ErrorKind::Cancelled`](crate::error::ErrorKind::Cancelled) promptly.
    pub cancel: CancellationToken,
    /// Cancelling it asks the call to start no new work and finish what is in flight: a fleet run
    /// lets the tenants already running finish and starts no more (the rest are reported as not
    /// started). Calls on one tenant ignore it. Nothing half-done, unlike [`Self::cancel`].
    pub stop: CancellationToken,
    /// Receives verbose lines, warnings and progress while the call runs.
    pub events: Events,
    /// Timeouts and retry policy for this call only, merged over the client's config; lets a
    /// caller that shares one client (a session connection) tighten or loosen one call.
    pub limits: Option<CallLimits>,
}

impl CallContext {
    /// A context that is not cancelled and drops events.
    pub fn new() -> Self {
        Self::with_events(events::none())
    }

    /// A context that sends events to `events`.
    pub fn with_events(events: Events) -> Self {
        Self {
            cancel: CancellationToken::new(),
            stop: CancellationToken::new(),
            events,
            limits: None,
        }
    }

    /// This context with `limits` for its calls (`None` or empty: the client's own).
    pub fn with_limits(mut self, limits: Option<CallLimits>) -> Self {
        self.limits = limits;
        self
    }
}

impl Default for CallContext {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("cancelled", &self.cancel.is_cancelled())
            .field("stopping", &self.stop.is_cancelled())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
