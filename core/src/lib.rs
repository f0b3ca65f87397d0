//! Domain core of PhotoUpdatePolicy.
//!
//! Everything the product knows about the Entra ID photo update settings lives here: the policy
//! model and its wire shapes, the role catalog, change planning, sign-in, and the Graph client with
//! its retries. This crate knows nothing of C, PowerShell or raw pointers; `ffi/` adapts it to a C
//! ABI and `powershell/` to cmdlets.
//!
//! Layout (one job per module):
//! - [`cloud`]: the four national clouds, their Graph hosts and sign-in authorities, endpoint rules.
//! - [`endpoint`]: which Graph and sign-in URLs a token may be sent to.
//! - [`config`]: what a caller configures for a client (cloud, endpoints, auth, timeouts, retries).
//! - [`call_context`]: what one call carries (cancellation, events, per-call limits).
//! - [`error`]: the one error type every operation returns, with Graph's details.
//! - [`events`]: verbose/debug/progress events a caller may observe while a call runs.
//! - [`model`]: the policy as the service sends it, read leniently, written exactly.
//! - [`roles`]: the catalog of directory roles that may appear in `allowedRoles`.
//! - [`plan`]: from the current policy and a requested change, the minimal PATCH and its description.
//! - [`auth`]: token sources (access token, client secret, certificate, managed identity, device code).
//! - [`runtime`]: the process-wide tokio runtime and HTTP client.
//! - [`graph`]: Graph requests and retries; `graph::errors` maps Graph's error answers.
//! - [`json_input`]: checks on JSON from outside (one object, no key given twice).
//! - [`limits`]: per-call overrides of a client's timeouts and retry policy.
//! - [`write_lock`]: writes to one tenant take turns within the process.
//! - [`client`]: the policy operations (get, plan, apply, reset) callers use.
//! - [`access`]: who may change photos under the policy, which apps will break, and the impact
//!   of a change (Get-/Test-PhotoUpdateAccess).
//! - [`document`], [`drift`], [`backup`], [`export`], [`fleet`]: the policy as code (documents,
//!   drift reports, backups before writes, export of a tenant's policy, runs over many tenants).

pub mod access;
pub mod auth;
pub mod backup;
pub mod call_context;
pub mod client;
pub mod cloud;
pub mod config;
pub mod document;
pub mod drift;
pub mod endpoint;
pub mod error;
pub mod events;
pub mod export;
pub mod fleet;
pub mod graph;
pub mod json_input;
pub mod limits;
pub mod model;
pub mod plan;
pub mod retry;
pub mod roles;
pub mod runtime;
pub mod settings;
pub mod write_lock;

pub use error::{Error, ErrorKind, Result};
