//! Token hygiene (issue 18, item 8): once the last client is freed, nothing in the core keeps its
//! token cache alive, and the shared HTTP pools (whose idle connections keep the last requests'
//! buffers, Authorization header included) are closed.
//!
//! One test in its own binary on purpose: the pools are process-wide, and another test's client
//! alive at the same time would keep them open.

mod auth_support;

use std::sync::Arc;

use auth_support::*;
use graph_emulator::App;
use photo_policy_core::auth::{self, AuthConfig, TokenSource};
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::runtime;
use zeroize::Zeroizing;

#[test]
fn freeing_the_last_client_drops_its_token_cache_and_closes_the_shared_pools() {
    let emu = emulator();
    emu.register_app(App::with_secret(
        TENANT,
        CLIENT_ID,
        SECRET,
        &["PeopleSettings.ReadWrite.All"],
    ));
    let cfg = config(
        &emu,
        Cloud::Global,
        AuthConfig::ClientSecret {
            client_id: CLIENT_ID.into(),
        },
    );
    // The client-secret source holds the token cache; keep only a weak handle on it.
    let source: Arc<dyn TokenSource> =
        auth::token_source(&cfg, Zeroizing::new(SECRET.as_bytes().to_vec())).unwrap();
    let cache = Arc::downgrade(&source);
    let client = PolicyClient::with_token_source(cfg.clone(), source).unwrap();
    // A tenant client of a fleet run shares nothing that outlives it either.
    let other = client.for_tenant(TENANT).unwrap();

    // Sign in (the token is cached) and read the policy over a pooled connection.
    block_on(client.get(&CallContext::new())).unwrap();
    block_on(other.get(&CallContext::new())).unwrap();
    assert!(cache.upgrade().is_some(), "the live client holds its cache");
    assert!(runtime::shared_pools() >= 1, "the read went through a pool");

    drop(other);
    assert!(
        runtime::shared_pools() >= 1,
        "a client still alive keeps the pools"
    );
    drop(client);
    assert!(
        cache.upgrade().is_none(),
        "no clone of the token source (and its cached token) outlives the client"
    );
    assert_eq!(
        runtime::shared_pools(),
        0,
        "the last client's pools are closed with it"
    );

    // A new client opens new pools and works as before.
    let again = PolicyClient::new(cfg, Zeroizing::new(SECRET.as_bytes().to_vec())).unwrap();
    block_on(again.get(&CallContext::new())).unwrap();
    assert!(runtime::shared_pools() >= 1);
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    runtime::block_on(f)
}
