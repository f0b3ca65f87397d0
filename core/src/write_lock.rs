//! Writes to one tenant take turns within this process.
//!
//! A change is a read-modify-write (read the policy, plan, PATCH, read back); two of them
//! interleaved on one tenant lose an update (both read the same roles, each adds its own, the
//! second PATCH drops the first's role). Every write to a tenant (apply, reset) therefore holds
//! that tenant's turn from its read to its read-back. Different tenants never wait for each other.
//!
//! Across processes nothing can be guaranteed: the service offers no ETag or version for this
//! resource, so a writer in another process (or another admin) can still slip between a read and
//! a PATCH. The read-back after a relative role change notices that and re-applies once (see
//! `client.rs`); what remains is documented in docs/hardening.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use once_cell::sync::Lazy;
use tokio::sync::OwnedMutexGuard;

/// One async mutex per (policy URL, tenant). Entries stay (one small mutex per tenant ever
/// written to in this process).
static TURNS: Lazy<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    Lazy::new(|| Mutex::new(HashMap::new()));

/// Waits for the turn to write to `tenant` at `policy_url` and holds it until the guard drops.
/// An unknown tenant (an opaque token without a configured tenant) shares one turn per URL.
pub async fn turn(policy_url: &str, tenant: Option<&str>) -> OwnedMutexGuard<()> {
    let key = format!(
        "{policy_url}\n{}",
        tenant.unwrap_or_default().to_ascii_lowercase()
    );
    let lock = TURNS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .clone();
    lock.lock_owned().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_tenant_waits_another_does_not() {
        crate::runtime::block_on(async {
            let held = turn("https://g/p", Some("T-1")).await;
            // Same tenant in another casing: waits.
            let same =
                tokio::time::timeout(Duration::from_millis(50), turn("https://g/p", Some("t-1")))
                    .await;
            assert!(same.is_err(), "the second writer waited");
            // Another tenant: does not wait.
            let other =
                tokio::time::timeout(Duration::from_millis(50), turn("https://g/p", Some("t-2")))
                    .await;
            assert!(other.is_ok());
            drop(held);
            let after =
                tokio::time::timeout(Duration::from_millis(50), turn("https://g/p", Some("t-1")))
                    .await;
            assert!(after.is_ok(), "free once the first is done");
        });
    }
}
