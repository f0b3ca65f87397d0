//! Everything the emulator remembers: per-tenant policies, registered apps and certificates,
//! managed identity, device codes, faults, the request log and the profile. One mutex guards it;
//! no lock is held across an `.await`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha1::Digest as _;

use crate::profile::Profile;
use crate::tokens::{now_epoch, TokenKeys, TokenSpec};

/// The most requests the log keeps; older entries are dropped first so a long run stays bounded.
pub const REQUEST_LOG_CAPACITY: usize = 50_000;

/// An app registration (`POST /_emulator/apps`). `Debug` never prints the secret.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct App {
    /// Tenant the app lives in (the tenant ID or domain clients put in the token URL).
    pub tenant_id: String,
    /// Application (client) ID.
    pub client_id: String,
    /// Client secret, if the app signs in with one.
    #[serde(default)]
    pub secret: Option<String>,
    /// Public certificate (PEM), if the app signs in with a certificate assertion.
    #[serde(default)]
    pub certificate_pem: Option<String>,
    /// Application permissions granted (e.g. `PeopleSettings.ReadWrite.All`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Federated identity credentials: external tokens (GitHub Actions, Kubernetes, …) this app
    /// accepts as its client assertion, by issuer and subject.
    #[serde(default)]
    pub federated_credentials: Vec<crate::federated::FederatedCredential>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("certificate_pem", &self.certificate_pem.is_some())
            .field("roles", &self.roles)
            .field("federated_credentials", &self.federated_credentials)
            .finish()
    }
}

impl App {
    /// An app that signs in with a client secret.
    pub fn with_secret(tenant_id: &str, client_id: &str, secret: &str, roles: &[&str]) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            secret: Some(secret.into()),
            certificate_pem: None,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            federated_credentials: Vec::new(),
        }
    }

    /// An app that signs in with a certificate (public part, PEM).
    pub fn with_certificate(
        tenant_id: &str,
        client_id: &str,
        certificate_pem: &str,
        roles: &[&str],
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            secret: None,
            certificate_pem: Some(certificate_pem.into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            federated_credentials: Vec::new(),
        }
    }

    /// An app that signs in with an external token from `issuer` about `subject` (a federated
    /// identity credential with the default audience `api://AzureADTokenExchange`).
    pub fn with_federated_credential(
        tenant_id: &str,
        client_id: &str,
        issuer: &str,
        subject: &str,
        roles: &[&str],
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            secret: None,
            certificate_pem: None,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            federated_credentials: vec![crate::federated::FederatedCredential::new(
                issuer, subject,
            )],
        }
    }
}

/// A registered certificate: thumbprints and the RSA public key.
#[derive(Debug, Clone)]
pub struct RegisteredCert {
    /// SHA-1 of the DER certificate (`x5t`).
    pub sha1: Vec<u8>,
    /// SHA-256 of the DER certificate (`x5t#S256`).
    pub sha256: Vec<u8>,
    /// RSA modulus, big-endian.
    pub modulus: Vec<u8>,
    /// RSA public exponent, big-endian.
    pub exponent: Vec<u8>,
}

impl RegisteredCert {
    /// Parses a PEM certificate with an RSA key. The error says what is wrong.
    pub fn from_pem(pem_text: &str) -> Result<Self, String> {
        let parsed = pem::parse(pem_text.trim())
            .map_err(|e| format!("certificatePem is not a PEM certificate: {e}"))?;
        if parsed.tag() != "CERTIFICATE" {
            return Err(format!(
                "certificatePem holds a '{}' block; a 'CERTIFICATE' block (public part only) is required.",
                parsed.tag()
            ));
        }
        let der = parsed.contents();
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("certificatePem is not a valid X.509 certificate: {e}"))?;
        let key = cert
            .public_key()
            .parsed()
            .map_err(|e| format!("the certificate's public key cannot be read: {e}"))?;
        let (modulus, exponent) = match key {
            x509_parser::public_key::PublicKey::RSA(rsa) => {
                (rsa.modulus.to_vec(), rsa.exponent.to_vec())
            }
            _ => return Err("the certificate's key is not RSA; Entra ID app certificates for client assertions must be RSA.".into()),
        };
        Ok(Self {
            sha1: sha1::Sha1::digest(der).to_vec(),
            sha256: sha2::Sha256::digest(der).to_vec(),
            modulus,
            exponent,
        })
    }
}

/// An app as the emulator holds it.
#[derive(Clone)]
pub struct RegisteredApp {
    /// The registration as given.
    pub app: App,
    /// Its certificate, parsed.
    pub cert: Option<RegisteredCert>,
}

/// A user-assigned managed identity.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserAssignedIdentity {
    /// Client ID (`client_id`).
    pub client_id: String,
    /// Object / principal ID (`principal_id`, `object_id`).
    #[serde(default)]
    pub principal_id: Option<String>,
    /// Azure resource ID (`mi_res_id`, `msi_res_id`).
    #[serde(default)]
    pub resource_id: Option<String>,
    /// App roles; defaults to the system-assigned identity's roles.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// Managed identity configuration (`POST /_emulator/managed-identity`). `Debug` hides the header.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedIdentity {
    /// Tenant the identity lives in (`tid` of its tokens).
    pub tenant_id: String,
    /// App roles granted to the system-assigned identity.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The value App Service style callers must send in `X-IDENTITY-HEADER`.
    #[serde(default)]
    pub identity_header: Option<String>,
    /// Folder where Arc style challenges write their `.key` files.
    #[serde(default)]
    pub arc_key_dir: Option<String>,
    /// Client ID of the system-assigned identity (a fixed GUID when omitted).
    #[serde(default)]
    pub client_id: Option<String>,
    /// User-assigned identities, selected by `client_id`, `principal_id`/`object_id` or resource ID.
    #[serde(default)]
    pub user_assigned: Vec<UserAssignedIdentity>,
}

impl std::fmt::Debug for ManagedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedIdentity")
            .field("tenant_id", &self.tenant_id)
            .field("roles", &self.roles)
            .field(
                "identity_header",
                &self.identity_header.as_ref().map(|_| "<redacted>"),
            )
            .field("arc_key_dir", &self.arc_key_dir)
            .field("client_id", &self.client_id)
            .field("user_assigned", &self.user_assigned)
            .finish()
    }
}

/// The default client ID of the system-assigned identity.
pub const SYSTEM_MI_CLIENT_ID: &str = "5b3c0a86-7f0e-4e8e-9d6a-3c2c1b1f0d11";

/// Which routes a fault hits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum FaultRoute {
    /// Graph routes (`/beta/...`, `/v1.0/...`).
    Graph,
    /// Sign-in routes (`/{tenant}/oauth2/...`, OIDC discovery).
    Token,
    /// Managed identity routes (`/msi/token`, `/metadata/...`, `/arc/...`).
    Msi,
    /// All of the above (never the control API).
    Any,
}

/// What a fault does.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// 429 with `Retry-After: retryAfterSeconds` (default 1).
    Throttle,
    /// 429 without `Retry-After`.
    ThrottleNoRetryAfter,
    /// 503 (with `Retry-After` when `retryAfterSeconds` is given).
    Unavailable,
    /// 504.
    GatewayTimeout,
    /// Waits `latencyMs` (default 1000) and then answers normally.
    Latency,
    /// Drops the connection without an answer (TCP reset).
    ConnectionReset,
    /// Answers normally but the body is cut in half (invalid JSON).
    TruncatedJson,
    /// Handles the request (a PATCH changes the policy), then drops the connection without
    /// sending the answer: the write happened, the client never hears of it.
    ResetAfterApply,
    /// 200 `application/json` whose body is not JSON.
    MalformedJson,
    /// Answers normally but the body trickles out over `latencyMs` (default 2000).
    SlowBody,
    /// 404 `ResourceNotFound` (Graph has not been seen to answer this on the policy; clients must
    /// still surface it well).
    NotFound,
    /// 403 `ForbiddenByAdminEditPolicy`, the unconfirmed shape admins report after restricting
    /// `allowedRoles`.
    ForbiddenByPolicy,
    /// The PeopleAdmin refusal of a role (`UnknownError` with the envelope as JSON text, field
    /// `AllowedRoles`) with the profile's `refusalStatus`, `Retry-After` when
    /// `retryAfterSeconds` is given: a refusal a client must never retry, whatever it sent.
    PeopleAdminRefusal,
}

/// A fault to inject (`POST /_emulator/faults`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// Which routes it hits.
    pub route: FaultRoute,
    /// Only requests with this method (case-insensitive); all when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// What it does.
    pub kind: FaultKind,
    /// How many matching requests it hits; every one until cleared when absent.
    #[serde(default)]
    pub count: Option<u32>,
    /// `Retry-After` seconds for `throttle` and `unavailable`.
    #[serde(default)]
    pub retry_after_seconds: Option<u64>,
    /// Milliseconds for `latency` and `slowBody`.
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

impl Fault {
    /// A fault of `kind` on `route`, hitting every matching request until cleared.
    pub fn new(route: FaultRoute, kind: FaultKind) -> Self {
        Self {
            route,
            method: None,
            kind,
            count: None,
            retry_after_seconds: None,
            latency_ms: None,
        }
    }

    /// Hits only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    /// Hits only requests with this HTTP method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_string());
        self
    }

    /// Sets `Retry-After` seconds.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    /// Sets the latency in milliseconds.
    pub fn latency(mut self, ms: u64) -> Self {
        self.latency_ms = Some(ms);
        self
    }
}

/// One request the emulator received, with secrets redacted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    /// Route family: `graph`, `token`, `msi` or `other`.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers, lower-case names; `authorization`, `x-identity-header` and cookies redacted.
    pub headers: BTreeMap<String, String>,
    /// Body as text (secrets redacted), if any.
    pub body: Option<String>,
    /// Status answered; `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// When it arrived (RFC 3339, UTC).
    pub time: String,
}

impl RecordedRequest {
    /// A header's value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        self.body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
    }
}

/// Where a device code stands.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceCodeStatus {
    /// Waiting for the user.
    Pending,
    /// Approved; the token to hand out.
    Approved(Box<TokenSpec>),
    /// The user declined.
    Declined,
    /// A token was already handed out.
    Redeemed,
}

/// A device code in flight.
#[derive(Debug, Clone)]
pub struct DeviceCodeEntry {
    /// The code the user types.
    pub user_code: String,
    /// Tenant in the URL the flow started on.
    pub tenant: String,
    /// Client ID that asked.
    pub client_id: String,
    /// Graph audience of the resulting token.
    pub audience: String,
    /// Scope string as asked.
    pub scope: String,
    /// Expiry, epoch seconds.
    pub expires_at: i64,
    /// Status.
    pub status: DeviceCodeStatus,
}

/// A device code approval (`POST /_emulator/devicecode/approve`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeviceCodeApproval {
    /// The user code shown to the user.
    pub user_code: String,
    /// Directory role template IDs of the signed-in user.
    #[serde(default)]
    pub wids: Vec<String>,
    /// Delegated scopes granted; default `PeopleSettings.ReadWrite.All`.
    #[serde(default)]
    pub scp: Option<String>,
    /// Tenant of the user; defaults to the tenant in the URL the flow started on.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// User principal name.
    #[serde(default)]
    pub upn: Option<String>,
}

/// An active fault and what is left of its count.
#[derive(Debug, Clone)]
pub struct ActiveFault {
    /// The fault as added.
    pub fault: Fault,
    /// Remaining hits; `None` = unlimited.
    pub remaining: Option<u32>,
}

/// The mutable part of the state.
#[derive(Default)]
pub struct Inner {
    /// The profile in force.
    pub profile: Profile,
    /// Stored policy per tenant ID (raw JSON object).
    pub policies: HashMap<String, Map<String, Value>>,
    /// Apps by (tenant as given, lower-case client ID).
    pub apps: HashMap<(String, String), RegisteredApp>,
    /// Managed identity, if configured.
    pub managed_identity: Option<ManagedIdentity>,
    /// Arc challenge secrets handed out (file contents).
    pub arc_secrets: Vec<String>,
    /// Device codes by device code.
    pub device_codes: HashMap<String, DeviceCodeEntry>,
    /// Authorization code flow: requests, codes and refresh tokens.
    pub authorize: crate::authorize::AuthorizeState,
    /// Active faults, in the order added.
    pub faults: Vec<ActiveFault>,
    /// Request log, oldest first.
    pub requests: VecDeque<RecordedRequest>,
    /// Directory (users, groups, apps, role assignments) per tenant ID.
    pub directories: crate::directory::Directories,
    /// Photo writes accepted, as (tenant, user ID), oldest first.
    pub photo_writes: Vec<(String, String)>,
    /// Verified domains (lower case) → the tenant ID they belong to; the OpenID metadata of a
    /// domain names that tenant in its issuer, as Entra ID's does.
    pub domains: HashMap<String, String>,
}

/// Shared state of one emulator.
pub struct State {
    /// Signing key of emulator tokens.
    pub keys: TokenKeys,
    /// Signing key of the external (OIDC) tokens the emulator mints for federated credentials.
    pub issuer_keys: crate::federated::IssuerKeys,
    /// The profile given at start-up; `reset` returns to it.
    pub startup_profile: Profile,
    inner: Mutex<Inner>,
}

impl State {
    /// Fresh state with this start-up profile.
    pub fn new(profile: Profile) -> Self {
        Self {
            keys: TokenKeys::new(),
            issuer_keys: crate::federated::IssuerKeys::new(),
            startup_profile: profile.clone(),
            inner: Mutex::new(Inner {
                profile,
                ..Inner::default()
            }),
        }
    }

    /// Locks the state. A panic while locked cannot leave it half-updated in a way that matters
    /// to a test double, so a poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `domain` as a verified domain of `tenant_id`.
    pub fn add_domain(&self, domain: &str, tenant_id: &str) {
        self.lock().domains.insert(
            domain.trim().to_ascii_lowercase(),
            tenant_id.trim().to_string(),
        );
    }

    /// The tenant ID a tenant path segment stands for: a registered domain's tenant, else the
    /// segment itself.
    pub fn tenant_id_of(&self, tenant: &str) -> String {
        self.lock()
            .domains
            .get(&tenant.trim().to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| tenant.to_string())
    }

    /// The profile in force.
    pub fn profile(&self) -> Profile {
        self.lock().profile.clone()
    }

    /// Forgets every tenant, app, identity, device code, fault and log entry; restores the
    /// start-up profile. Tokens already minted stay valid (the key is kept).
    pub fn reset(&self) {
        let mut g = self.lock();
        *g = Inner {
            profile: self.startup_profile.clone(),
            ..Inner::default()
        };
    }

    /// Registers (or replaces) an app. The error says what is wrong with it.
    pub fn register_app(&self, app: App) -> Result<(), String> {
        if app.tenant_id.trim().is_empty() || app.client_id.trim().is_empty() {
            return Err("An app needs a tenantId and a clientId.".into());
        }
        if app.secret.is_none()
            && app.certificate_pem.is_none()
            && app.federated_credentials.is_empty()
        {
            return Err(format!(
                "App '{}' needs a secret, a certificatePem or federatedCredentials to sign in with.",
                app.client_id
            ));
        }
        for credential in &app.federated_credentials {
            credential.check()?;
        }
        let cert = match &app.certificate_pem {
            Some(pem_text) => Some(RegisteredCert::from_pem(pem_text)?),
            None => None,
        };
        let key = (
            app.tenant_id.trim().to_ascii_lowercase(),
            app.client_id.trim().to_ascii_lowercase(),
        );
        self.lock().apps.insert(key, RegisteredApp { app, cert });
        Ok(())
    }

    /// Whether sign-in knows this tenant: some app, managed identity or policy names it.
    pub fn tenant_known(&self, tenant: &str) -> bool {
        let t = tenant.trim().to_ascii_lowercase();
        let g = self.lock();
        g.apps.keys().any(|(tid, _)| *tid == t)
            || g.managed_identity
                .as_ref()
                .is_some_and(|m| m.tenant_id.eq_ignore_ascii_case(&t))
            || g.policies.keys().any(|k| k.eq_ignore_ascii_case(&t))
    }

    /// The stored policy of a tenant (raw), `{}` when never set.
    pub fn policy(&self, tenant: &str) -> Value {
        Value::Object(
            self.lock()
                .policies
                .get(tenant)
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// Stores a tenant's policy verbatim. It must be a JSON object.
    pub fn set_policy(&self, tenant: &str, policy: Value) -> Result<(), String> {
        match policy {
            Value::Object(map) => {
                if tenant.trim().is_empty() {
                    return Err("The tenant ID must not be empty.".into());
                }
                self.lock().policies.insert(tenant.to_string(), map);
                Ok(())
            }
            other => Err(format!(
                "A stored policy must be a JSON object, not {}.",
                json_kind(&other)
            )),
        }
    }

    /// Adds a fault.
    pub fn add_fault(&self, fault: Fault) {
        let remaining = fault.count;
        self.lock().faults.push(ActiveFault { fault, remaining });
    }

    /// Takes the first fault matching a request, counting it down.
    pub fn take_fault(&self, route: FaultRoute, method: &str) -> Option<Fault> {
        let mut g = self.lock();
        let idx = g.faults.iter().position(|f| {
            (f.fault.route == FaultRoute::Any || f.fault.route == route)
                && f.fault
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.remaining != Some(0)
        })?;
        let entry = &mut g.faults[idx];
        let fault = entry.fault.clone();
        if let Some(n) = entry.remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                g.faults.remove(idx);
            }
        }
        Some(fault)
    }

    /// Appends to the request log, dropping the oldest entry when full.
    pub fn record(&self, req: RecordedRequest) {
        let mut g = self.lock();
        if g.requests.len() >= REQUEST_LOG_CAPACITY {
            g.requests.pop_front();
        }
        g.requests.push_back(req);
    }

    /// Approves or declines a pending device code by user code.
    pub fn decide_device_code(
        &self,
        approval: Option<DeviceCodeApproval>,
        user_code: &str,
    ) -> Result<(), String> {
        let mut g = self.lock();
        let entry = g
            .device_codes
            .values_mut()
            .find(|e| e.user_code.eq_ignore_ascii_case(user_code.trim()))
            .ok_or_else(|| format!("No device code with user code '{user_code}' is known."))?;
        if entry.status != DeviceCodeStatus::Pending {
            return Err(format!(
                "The device code with user code '{user_code}' is no longer pending."
            ));
        }
        if entry.expires_at <= now_epoch() {
            return Err(format!(
                "The device code with user code '{user_code}' has expired."
            ));
        }
        entry.status = match approval {
            None => DeviceCodeStatus::Declined,
            Some(a) => {
                let tenant = a.tenant_id.clone().unwrap_or_else(|| entry.tenant.clone());
                DeviceCodeStatus::Approved(Box::new(TokenSpec {
                    tenant_id: tenant.clone(),
                    scp: Some(
                        a.scp
                            .clone()
                            .unwrap_or_else(|| "PeopleSettings.ReadWrite.All".to_string()),
                    ),
                    roles: None,
                    wids: a.wids.clone(),
                    aud: Some(entry.audience.clone()),
                    expires_in_seconds: Some(3600),
                    cloud: None,
                    app_id: Some(entry.client_id.clone()),
                    upn: Some(a.upn.clone().unwrap_or_else(|| format!("admin@{tenant}"))),
                    object_id: None,
                    omit_wids: false,
                }))
            }
        };
        Ok(())
    }

    /// User codes of device codes still waiting for the user, oldest first.
    pub fn pending_user_codes(&self) -> Vec<String> {
        let g = self.lock();
        let mut v: Vec<&DeviceCodeEntry> = g
            .device_codes
            .values()
            .filter(|e| e.status == DeviceCodeStatus::Pending && e.expires_at > now_epoch())
            .collect();
        v.sort_by_key(|e| e.expires_at);
        v.into_iter().map(|e| e.user_code.clone()).collect()
    }
}

/// A short name of a JSON value's kind, for error messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
