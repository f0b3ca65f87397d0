//! Graph emulator: plays Microsoft Graph's photo update settings and Entra ID sign-in on loopback,
//! as Microsoft's own recorded answers show the service ([`Profile::default`]), with every
//! unconfirmed behaviour and the earlier reading ([`Profile::learn`]) as a switchable [`Profile`],
//! and faults on demand.
//!
//! In Rust tests:
//! ```no_run
//! # async fn demo() {
//! use graph_emulator::{Emulator, Profile, TokenSpec};
//! let emu = Emulator::start(Profile::default()).await;
//! let token = emu.mint_token(TokenSpec::app("tenant-1", &["PeopleSettings.ReadWrite.All"]));
//! emu.set_policy("tenant-1", serde_json::json!({"source": "cloud"}));
//! // ... point the client at emu.url() with `token` ...
//! assert_eq!(emu.policy("tenant-1")["source"], "cloud");
//! # }
//! ```
//! The server runs on its own thread and runtime, so a test may block its own thread (for
//! example in a synchronous FFI call) while the emulator keeps answering. It stops on drop.
//!
//! The `graph-emulator` binary serves the same thing for other processes; see docs/emulator.md.

mod authorize;
mod clouds;
mod control;
mod directory;
mod errors;
mod federated;
mod graph;
mod msi;
mod profile;
mod server;
mod signin;
mod state;
mod tokens;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;

pub use authorize::AuthorizationApproval;
pub use clouds::GRAPH_APP_ID;
pub use directory::{
    DirAppRoleAssignment, DirGroup, DirRoleAssignment, DirRoleDefinition, DirServicePrincipal,
    DirUser, Directory, DIRECTORY_READ_WRITE_ALL, GRAPH_SERVICE_PRINCIPAL_ID,
    PROFILE_PHOTO_READ_WRITE_ALL, USER_READ_WRITE_ALL,
};
pub use federated::{ExternalTokenSpec, FederatedCredential, TOKEN_EXCHANGE_AUDIENCE};
pub use graph::{
    DOCUMENTED_ROLES, GLOBAL_ADMINISTRATOR, GLOBAL_READER, PEOPLE_ADMINISTRATOR, READ_PERMISSION,
    ROLES_ONLY_WITH_CLOUD_MESSAGE, UNCONFIRMED_ROLES, UNSUPPORTED_ROLE_MESSAGE, USER_ADMINISTRATOR,
    WRITE_PERMISSION,
};
pub use profile::{
    AcceptedRoles, DefaultAllowedRoles, DeleteBehavior, EnumCasing, ExpiresOn, NotSetRoles,
    OnPremisesRoles, PatchAnswer, PatchSourceNull, Profile, PropertyCasing, ReadShape, Refusal,
    RolesObject, SourceKey, PROFILE_KEYS,
};
pub use state::{
    App, DeviceCodeApproval, Fault, FaultKind, FaultRoute, ManagedIdentity, RecordedRequest,
    UserAssignedIdentity, SYSTEM_MI_CLIENT_ID,
};
pub use tokens::{Claims, TokenSpec};

/// Serves the emulator on an already bound listener until `shutdown` turns true (or its sender
/// is dropped). Used by the `graph-emulator` binary; tests use [`Emulator`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    profile: Profile,
    shutdown: watch::Receiver<bool>,
) {
    server::serve(listener, Arc::new(state::State::new(profile)), shutdown).await
}

/// A running emulator on `127.0.0.1` and a free port. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<state::State>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url())
            .finish()
    }
}

impl Emulator {
    /// Starts an emulator with this profile. Panics (it is a test double) when no loopback port
    /// can be bound; use [`Emulator::try_start_blocking`] to handle that.
    pub async fn start(profile: Profile) -> Emulator {
        Self::start_blocking(profile)
    }

    /// Like [`Emulator::start`], for tests without an async runtime.
    pub fn start_blocking(profile: Profile) -> Emulator {
        Self::try_start_blocking(profile)
            .unwrap_or_else(|e| panic!("graph emulator could not start on 127.0.0.1: {e}"))
    }

    /// Starts an emulator, or says why it could not bind a loopback port or start its thread.
    pub fn try_start_blocking(profile: Profile) -> std::io::Result<Emulator> {
        let listener = StdListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state::State::new(profile));
        let (tx, rx) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("graph-emulator")
            .enable_all()
            .build()?;
        let st = state.clone();
        std::thread::Builder::new()
            .name("graph-emulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => server::serve(l, st, rx).await,
                        Err(e) => eprintln!("graph emulator: cannot use its listener: {e}"),
                    }
                });
            })?;
        Ok(Emulator {
            addr,
            state,
            shutdown: tx,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). Graph, sign-in, managed
    /// identity and the control API all live under it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Mints a token the emulator's Graph side accepts (or refuses, for an expired spec or a
    /// wrong audience). Panics on an invalid spec (empty tenant, unknown cloud).
    pub fn mint_token(&self, spec: TokenSpec) -> String {
        self.state
            .keys
            .mint(&spec)
            .unwrap_or_else(|e| panic!("graph emulator: {e}"))
            .0
    }

    /// Stores a tenant's policy verbatim (raw JSON as the service would hold it). Panics when
    /// `policy` is not a JSON object.
    pub fn set_policy(&self, tenant: &str, policy: Value) {
        self.state
            .set_policy(tenant, policy)
            .unwrap_or_else(|e| panic!("graph emulator: {e}"))
    }

    /// The stored policy of a tenant (raw, without read defaults), `{}` when never set.
    pub fn policy(&self, tenant: &str) -> Value {
        self.state.policy(tenant)
    }

    /// Stores a tenant's directory (users, groups, service principals, role assignments and
    /// eligibilities, Microsoft Graph application permissions, page size), replacing the previous
    /// one. Panics when it is not valid (a test double), with the reason.
    pub fn set_directory(&self, tenant: &str, directory: Value) {
        directory::set_directory(&self.state, tenant, directory)
            .unwrap_or_else(|e| panic!("graph emulator: {e}"))
    }

    /// A tenant's directory as stored (assignment IDs filled in).
    pub fn directory(&self, tenant: &str) -> Value {
        directory::directory_json(&self.state, tenant)
    }

    /// Photo writes the emulator accepted, as (tenant, user ID lower case), oldest first.
    pub fn photo_writes(&self) -> Vec<(String, String)> {
        directory::photo_writes(&self.state)
    }

    /// Every request received (control API excluded), oldest first, secrets redacted.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.iter().cloned().collect()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
    }

    /// Adds a fault.
    pub fn add_fault(&self, fault: Fault) {
        self.state.add_fault(fault);
    }

    /// Registers `domain` as a verified domain of `tenant_id` (its OpenID metadata then names the
    /// tenant ID, as Entra ID's does).
    pub fn add_domain(&self, domain: &str, tenant_id: &str) {
        self.state.add_domain(domain, tenant_id);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.lock().faults.clear();
    }

    /// Replaces the profile in force (until [`Emulator::reset`]).
    pub fn set_profile(&self, profile: Profile) {
        self.state.lock().profile = profile;
    }

    /// The profile in force.
    pub fn profile(&self) -> Profile {
        self.state.profile()
    }

    /// Registers or replaces an app (secret and/or certificate). Panics when the registration is
    /// invalid (e.g. a certificate that does not parse), with the reason.
    pub fn register_app(&self, app: App) {
        self.state
            .register_app(app)
            .unwrap_or_else(|e| panic!("graph emulator: {e}"))
    }

    /// Configures managed identity (all three styles).
    pub fn set_managed_identity(&self, mi: ManagedIdentity) {
        self.state.lock().managed_identity = Some(mi);
    }

    /// User codes of device codes waiting for approval, oldest first.
    pub fn pending_user_codes(&self) -> Vec<String> {
        self.state.pending_user_codes()
    }

    /// Approves a device code; the next poll gets a delegated token with these `scp` and `wids`.
    pub fn approve_device_code(&self, approval: DeviceCodeApproval) -> Result<(), String> {
        let code = approval.user_code.clone();
        self.state.decide_device_code(Some(approval), &code)
    }

    /// Declines a device code; the next poll gets `authorization_declined`.
    pub fn decline_device_code(&self, user_code: &str) -> Result<(), String> {
        self.state.decide_device_code(None, user_code)
    }

    /// Authorization code requests waiting for approval, oldest first, as
    /// `{state, clientId, redirectUri, tenant, scope}`.
    pub fn pending_authorizations(&self) -> Vec<Value> {
        self.state.pending_authorizations()
    }

    /// Approves the authorization request with the approval's `state` (the oldest pending one when
    /// absent); returns the redirect URL (loopback URI with `code` and `state`) the browser goes to.
    pub fn approve_authorization(&self, approval: AuthorizationApproval) -> Result<String, String> {
        let state = approval.state.clone();
        self.state
            .decide_authorization(state.as_deref(), Some(approval))
    }

    /// Declines the authorization request with `state` (the oldest pending one when `None`);
    /// returns the redirect URL carrying `error=access_denied`.
    pub fn decline_authorization(&self, state: Option<&str>) -> Result<String, String> {
        self.state.decide_authorization(state, None)
    }

    /// Revokes every refresh token; the next refresh fails with `invalid_grant` (AADSTS50173).
    pub fn revoke_refresh_tokens(&self) -> usize {
        self.state.revoke_refresh_tokens()
    }

    /// Mints an external (OIDC) token for a federated credential, signed by the key this
    /// emulator's token endpoint trusts. Panics on an empty issuer or subject.
    pub fn mint_external_token(&self, spec: ExternalTokenSpec) -> String {
        self.state
            .issuer_keys
            .mint(&spec)
            .unwrap_or_else(|e| panic!("graph emulator: {e}"))
    }

    /// Forgets every tenant, app, identity, device code, fault and log entry; restores the
    /// start-up profile.
    pub fn reset(&self) {
        self.state.reset();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
