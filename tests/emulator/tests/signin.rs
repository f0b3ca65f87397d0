//! Sign-in routes: client secret, certificate assertions (PS256 and RS256), device code, and the
//! AADSTS errors for each way they go wrong.

mod common;

use base64::Engine as _;
use common::*;
use graph_emulator::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::Digest as _;

const KEY1: &str = include_str!("fixtures/test-only-rsa-key.pem");
const KEY2: &str = include_str!("fixtures/test-only-rsa-key-2.pem");
const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT: &str = "11111111-aaaa-bbbb-cccc-222222222222";
const SCOPE: &str = "https://graph.microsoft.com/.default";

/// A self-signed certificate for a key: (PEM, DER).
fn cert_for(key_pem: &str) -> (String, Vec<u8>) {
    let kp = rcgen::KeyPair::from_pem(key_pem).expect("test key");
    let params = rcgen::CertificateParams::new(vec!["photo-policy-test".to_string()]).unwrap();
    let cert = params.self_signed(&kp).expect("self-signed cert");
    (cert.pem(), cert.der().to_vec())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

struct Assertion {
    alg: Algorithm,
    key: &'static str,
    der: Vec<u8>,
    claims: Value,
}

impl Assertion {
    fn new(emu: &Emulator, der: &[u8]) -> Self {
        Self {
            alg: Algorithm::PS256,
            key: KEY1,
            der: der.to_vec(),
            claims: json!({
                "aud": format!("{}/{TENANT}/oauth2/v2.0/token", emu.url()),
                "iss": CLIENT, "sub": CLIENT,
                "jti": uuid::Uuid::new_v4().to_string(),
                "nbf": now(), "exp": now() + 600,
            }),
        }
    }

    fn sign(&self) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut header = Header::new(self.alg);
        if self.alg == Algorithm::PS256 {
            header.x5t_s256 = Some(b64.encode(sha2::Sha256::digest(&self.der)));
        } else {
            header.x5t = Some(b64.encode(sha1::Sha1::digest(&self.der)));
        }
        let key = EncodingKey::from_rsa_pem(self.key.as_bytes()).expect("test key");
        jsonwebtoken::encode(&header, &self.claims, &key).expect("sign assertion")
    }
}

async fn token_request(emu: &Emulator, tenant: &str, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", emu.url()))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn assert_aadsts(resp: reqwest::Response, status: u16, error: &str, code: u64) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let desc = body["error_description"].as_str().unwrap();
    assert!(desc.starts_with(&format!("AADSTS{code}:")), "{desc}");
    for k in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[k].is_string(), "{k}");
    }
    body
}

/// Uses a sign-in token against Graph and returns the read status.
async fn read_with(emu: &Emulator, body: &Value) -> u16 {
    let token = body["access_token"].as_str().expect("access_token");
    get(emu, token).await.status().as_u16()
}

#[tokio::test]
async fn client_secret_flow_and_its_errors() {
    let emu = Emulator::start(Profile::default()).await;
    emu.register_app(App::with_secret(
        TENANT,
        CLIENT,
        "s3cret-value",
        &[READ_PERMISSION],
    ));
    let ok = token_request(
        &emu,
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "s3cret-value"),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].is_number());
    assert_eq!(read_with(&emu, &body).await, 200);

    let bad = token_request(
        &emu,
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "wrong"),
            ("scope", SCOPE),
        ],
    )
    .await;
    let b = assert_aadsts(bad, 401, "invalid_client", 7000215).await;
    assert!(b["error_description"]
        .as_str()
        .unwrap()
        .contains("Invalid client secret"));

    let unknown_app = token_request(
        &emu,
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "99999999-aaaa-bbbb-cccc-222222222222"),
            ("client_secret", "x"),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_aadsts(unknown_app, 400, "unauthorized_client", 700016).await;

    let unknown_tenant = token_request(
        &emu,
        "fabrikam.onmicrosoft.com",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "s3cret-value"),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_aadsts(unknown_tenant, 400, "invalid_request", 90002).await;

    let bad_scope = token_request(
        &emu,
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "s3cret-value"),
            ("scope", "https://graph.microsoft.com/User.Read"),
        ],
    )
    .await;
    assert_aadsts(bad_scope, 400, "invalid_scope", 1002012).await;

    let no_cred = token_request(
        &emu,
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_aadsts(no_cred, 401, "invalid_client", 7000218).await;

    let bad_grant = token_request(&emu, TENANT, &[("grant_type", "password")]).await;
    assert_aadsts(bad_grant, 400, "unsupported_grant_type", 70003).await;

    // Secrets never reach the request log.
    let logged = emu.requests();
    assert!(logged
        .iter()
        .all(|r| !r.body.clone().unwrap_or_default().contains("s3cret-value")));
    assert!(logged[0]
        .body
        .as_deref()
        .unwrap()
        .contains("client_secret=<redacted>"));
}

#[tokio::test]
async fn cloud_scope_picks_the_token_audience() {
    let emu = Emulator::start(Profile::default()).await;
    emu.register_app(App::with_secret(TENANT, CLIENT, "pw", &[READ_PERMISSION]));
    let resp = token_request(
        &emu,
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "pw"),
            ("scope", "https://microsoftgraph.chinacloudapi.cn/.default"),
        ],
    )
    .await;
    let body: Value = resp.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let china = http()
        .get(format!("{}{POLICY}", emu.url()))
        .header("host", "microsoftgraph.chinacloudapi.cn")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(china.status(), 200);
    let global = http()
        .get(format!("{}{POLICY}", emu.url()))
        .header("host", "graph.microsoft.com")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(global.status(), 401);
}

#[tokio::test]
async fn certificate_assertions_ps256_and_rs256() {
    let emu = Emulator::start(Profile::default()).await;
    let (pem, der) = cert_for(KEY1);
    emu.register_app(App::with_certificate(
        TENANT,
        CLIENT,
        &pem,
        &[WRITE_PERMISSION],
    ));
    for alg in [Algorithm::PS256, Algorithm::RS256] {
        let mut a = Assertion::new(&emu, &der);
        a.alg = alg;
        let jwt = a.sign();
        let resp = token_request(
            &emu,
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("scope", SCOPE),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &jwt),
            ],
        )
        .await;
        assert_eq!(resp.status(), 200, "{alg:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(read_with(&emu, &body).await, 200);
    }
    // The real authority's token URL is accepted as the audience too.
    let mut a = Assertion::new(&emu, &der);
    a.claims["aud"] = json!(format!(
        "https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    ));
    let resp = token_request(
        &emu,
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("scope", SCOPE),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &a.sign()),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let token_calls: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.route == "token")
        .collect();
    assert_eq!(token_calls.len(), 3);
    assert!(token_calls.iter().all(|r| r
        .body
        .as_deref()
        .unwrap()
        .contains("client_assertion=<redacted>")));
}

#[tokio::test]
async fn certificate_assertion_errors() {
    let emu = Emulator::start(Profile::default()).await;
    let (pem, der) = cert_for(KEY1);
    let (_, other_der) = cert_for(KEY2);
    emu.register_app(App::with_certificate(
        TENANT,
        CLIENT,
        &pem,
        &[WRITE_PERMISSION],
    ));
    let send = |jwt: String| {
        let emu_url = emu.url();
        async move {
            http()
                .post(format!("{emu_url}/{TENANT}/oauth2/v2.0/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", CLIENT),
                    ("scope", SCOPE),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &jwt),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Unknown certificate (thumbprint of another cert).
    let a = Assertion {
        der: other_der.clone(),
        key: KEY2,
        ..Assertion::new(&emu, &der)
    };
    assert_aadsts(send(a.sign()).await, 401, "invalid_client", 700027).await;
    // Right thumbprint, signed by another key.
    let a = Assertion {
        key: KEY2,
        ..Assertion::new(&emu, &der)
    };
    assert_aadsts(send(a.sign()).await, 401, "invalid_client", 7000274).await;
    // Expired.
    let mut a = Assertion::new(&emu, &der);
    a.claims["nbf"] = json!(now() - 1200);
    a.claims["exp"] = json!(now() - 700);
    assert_aadsts(send(a.sign()).await, 401, "invalid_client", 700024).await;
    // Lifetime longer than 10 minutes.
    let mut a = Assertion::new(&emu, &der);
    a.claims["exp"] = json!(now() + 3600);
    assert_aadsts(send(a.sign()).await, 401, "invalid_client", 700024).await;
    // Wrong audience, wrong issuer, no jti.
    let mut a = Assertion::new(&emu, &der);
    a.claims["aud"] = json!("https://example.com/token");
    assert_aadsts(send(a.sign()).await, 401, "invalid_client", 700212).await;
    let mut a = Assertion::new(&emu, &der);
    a.claims["iss"] = json!("someone-else");
    assert_aadsts(send(a.sign()).await, 401, "invalid_client", 700021).await;
    let mut a = Assertion::new(&emu, &der);
    a.claims.as_object_mut().unwrap().remove("jti");
    assert_aadsts(send(a.sign()).await, 401, "invalid_client", 50027).await;
    // Not a JWT.
    assert_aadsts(send("garbage".into()).await, 401, "invalid_client", 50027).await;
}

#[tokio::test]
async fn device_code_flow_pending_approved_declined_expired() {
    let p = Profile {
        device_code_interval: 1,
        ..Profile::default()
    };
    let emu = Emulator::start(p).await;
    let start = |emu_url: String| async move {
        let r = http()
            .post(format!("{emu_url}/organizations/oauth2/v2.0/devicecode"))
            .form(&[
                ("client_id", "14d82eec-204b-4c2f-b7e8-296a70dab67e"),
                (
                    "scope",
                    "https://graph.microsoft.com/.default offline_access",
                ),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()
    };
    let poll = |emu_url: String, code: String| async move {
        http()
            .post(format!("{emu_url}/organizations/oauth2/v2.0/token"))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", "14d82eec-204b-4c2f-b7e8-296a70dab67e"),
                ("device_code", &code),
            ])
            .send()
            .await
            .unwrap()
    };
    let dc = start(emu.url()).await;
    assert_eq!(dc["expires_in"], 900);
    assert_eq!(dc["interval"], 1);
    assert_eq!(dc["verification_uri"], "https://microsoft.com/devicelogin");
    let user_code = dc["user_code"].as_str().unwrap().to_string();
    assert!(dc["message"].as_str().unwrap().contains(&user_code));
    let device_code = dc["device_code"].as_str().unwrap().to_string();
    assert_eq!(emu.pending_user_codes(), vec![user_code.clone()]);

    assert_aadsts(
        poll(emu.url(), device_code.clone()).await,
        400,
        "authorization_pending",
        70016,
    )
    .await;
    emu.approve_device_code(DeviceCodeApproval {
        user_code: user_code.clone(),
        wids: vec![PEOPLE_ADMINISTRATOR.into()],
        tenant_id: Some("t1".into()),
        ..Default::default()
    })
    .unwrap();
    let ok = poll(emu.url(), device_code.clone()).await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        patch(&emu, token, json!({"source": "cloud"}))
            .await
            .status(),
        200
    );
    assert_eq!(emu.policy("t1")["source"], "cloud");
    // A redeemed code cannot be used again.
    assert_aadsts(
        poll(emu.url(), device_code).await,
        400,
        "invalid_grant",
        54005,
    )
    .await;

    // Declined, through the control API over HTTP.
    let dc = start(emu.url()).await;
    let r = http()
        .post(format!("{}/_emulator/devicecode/decline", emu.url()))
        .json(&json!({"userCode": dc["user_code"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_aadsts(
        poll(emu.url(), dc["device_code"].as_str().unwrap().into()).await,
        400,
        "authorization_declined",
        70000,
    )
    .await;

    // Expired.
    let mut p = emu.profile();
    p.device_code_expires_in = 1;
    emu.set_profile(p);
    let dc = start(emu.url()).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_aadsts(
        poll(emu.url(), dc["device_code"].as_str().unwrap().into()).await,
        400,
        "expired_token",
        70020,
    )
    .await;

    // An unapproved user without a role: the approval's wids decide Graph's answer.
    let dc = start(emu.url()).await;
    let mut p = emu.profile();
    p.device_code_expires_in = 900;
    emu.set_profile(p);
    let dc2 = start(emu.url()).await;
    let _ = dc;
    emu.approve_device_code(DeviceCodeApproval {
        user_code: dc2["user_code"].as_str().unwrap().into(),
        tenant_id: Some("t1".into()),
        ..Default::default()
    })
    .unwrap();
    let body: Value = poll(emu.url(), dc2["device_code"].as_str().unwrap().into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read_with(&emu, &body).await, 403);
}

#[tokio::test]
async fn device_code_needs_a_graph_scope() {
    let emu = Emulator::start(Profile::default()).await;
    let r = http()
        .post(format!("{}/common/oauth2/v2.0/devicecode", emu.url()))
        .form(&[
            ("client_id", "x"),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_aadsts(r, 400, "invalid_scope", 70011).await;
}

#[tokio::test]
async fn discovery_documents_point_at_the_emulator() {
    let emu = Emulator::start(Profile::default()).await;
    let doc: Value = http()
        .get(format!(
            "{}/{TENANT}/v2.0/.well-known/openid-configuration",
            emu.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["token_endpoint"],
        format!("{}/{TENANT}/oauth2/v2.0/token", emu.url())
    );
    let inst: Value = http()
        .get(format!(
            "{}/common/discovery/instance?api-version=1.1",
            emu.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(inst["tenant_discovery_endpoint"]
        .as_str()
        .unwrap()
        .starts_with(&emu.url()));
}
