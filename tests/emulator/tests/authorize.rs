//! Authorization code + PKCE without a browser (approve or decline through the control API),
//! refresh tokens with rotation, and federated (workload identity) client assertions.

mod common;

use base64::Engine as _;
use common::*;
use graph_emulator::*;
use serde_json::Value;
use sha2::Digest as _;

const TENANT: &str = "contoso.onmicrosoft.com";
const PUBLIC_CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
const REDIRECT: &str = "http://localhost:53117/";
const SCOPE: &str =
    "https://graph.microsoft.com/PeopleSettings.ReadWrite.All openid profile offline_access";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier-of-43-chars";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

fn authorize_url(emu: &Emulator, state: &str) -> String {
    let query = serde_urlencoded::to_string([
        ("client_id", PUBLIC_CLIENT),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPE),
        ("state", state),
        ("code_challenge", &challenge(VERIFIER)),
        ("code_challenge_method", "S256"),
    ])
    .unwrap();
    format!("{}/organizations/oauth2/v2.0/authorize?{query}", emu.url())
}

fn no_redirects() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(q).unwrap()
}

async fn token(emu: &Emulator, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = http()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", emu.url()))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// Opens the authorize URL, approves through the control API, opens it again: the code.
async fn sign_in(emu: &Emulator, state: &str, approval: AuthorizationApproval) -> String {
    let url = authorize_url(emu, state);
    let first = no_redirects().get(&url).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 200, "waiting page");
    assert_eq!(emu.pending_authorizations().len(), 1);
    let redirect = emu
        .approve_authorization(AuthorizationApproval {
            state: Some(state.into()),
            ..approval
        })
        .unwrap();
    let again = no_redirects().get(&url).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 302);
    let location = again.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, redirect);
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = query_of(&location);
    assert_eq!(q["state"], state);
    q["code"].clone()
}

#[tokio::test]
async fn code_flow_with_pkce_gives_a_delegated_token_and_a_rotating_refresh_token() {
    let emu = Emulator::start(Profile::default()).await;
    let code = sign_in(
        &emu,
        "s1",
        AuthorizationApproval {
            tenant_id: Some("t1".into()),
            wids: vec![PEOPLE_ADMINISTRATOR.into()],
            ..Default::default()
        },
    )
    .await;
    let (status, body) = token(
        &emu,
        "organizations",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_CLIENT),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(get(&emu, access).await.status().as_u16(), 200);
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    // The code works once.
    let (status, body) = token(
        &emu,
        "organizations",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_CLIENT),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (400, Some(54005))
    );

    // Refresh: a new access token and a new refresh token; the old one stops working.
    let refresh_form = |rt: &str| {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("client_id", PUBLIC_CLIENT.to_string()),
            ("refresh_token", rt.to_string()),
            ("scope", SCOPE.to_string()),
        ]
    };
    let form = refresh_form(&refresh);
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = token(&emu, "t1", &borrowed).await;
    assert_eq!(status, 200, "{body}");
    let rotated = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rotated, refresh);
    assert_eq!(
        get(&emu, body["access_token"].as_str().unwrap())
            .await
            .status()
            .as_u16(),
        200
    );
    let (status, body) = token(&emu, "t1", &borrowed).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Another tenant's endpoint does not serve this user.
    let form = refresh_form(&rotated);
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = token(&emu, "fabrikam.onmicrosoft.com", &borrowed).await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (400, Some(50020))
    );

    // Revoked sessions refuse the refresh with AADSTS50173.
    assert_eq!(emu.revoke_refresh_tokens(), 1);
    let (status, body) = token(&emu, "t1", &borrowed).await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (400, Some(50173))
    );
}

#[tokio::test]
async fn wrong_verifier_redirect_uri_or_client_are_refused() {
    let emu = Emulator::start(Profile::default()).await;
    let code = sign_in(&emu, "s2", AuthorizationApproval::default()).await;
    let base = |verifier: &'static str, redirect: &'static str, client: &'static str| {
        vec![
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ]
    };
    for (form, want) in [
        (base("not-the-verifier", REDIRECT, PUBLIC_CLIENT), 501481),
        (base("", REDIRECT, PUBLIC_CLIENT), 501481),
        (base(VERIFIER, "http://localhost:1/", PUBLIC_CLIENT), 500112),
        (
            base(VERIFIER, REDIRECT, "22222222-2222-2222-2222-222222222222"),
            70000,
        ),
    ] {
        let mut form = form;
        form.push(("code", &code));
        let (status, body) = token(&emu, "organizations", &form).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error_codes"][0].as_u64(), Some(want), "{body}");
    }
}

#[tokio::test]
async fn declined_sign_in_redirects_with_access_denied_and_bad_requests_are_refused() {
    let emu = Emulator::start(Profile::default()).await;
    let url = authorize_url(&emu, "s3");
    no_redirects().get(&url).send().await.unwrap();
    let to = emu.decline_authorization(Some("s3")).unwrap();
    let q = query_of(&to);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "s3");
    assert!(
        emu.decline_authorization(Some("s3")).is_err(),
        "no longer pending"
    );

    // A redirect URI that is not loopback HTTP gets an error page, never a redirect.
    let bad = url.replace(
        "http%3A%2F%2Flocalhost%3A53117%2F",
        "https%3A%2F%2Fevil.example%2F",
    );
    let resp = no_redirects().get(&bad).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().await.unwrap().contains("AADSTS50011"));
    // Without PKCE: redirected with invalid_request.
    let no_pkce = url.replace("code_challenge", "x_challenge");
    let resp = no_redirects().get(&no_pkce).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    assert_eq!(q["error"], "invalid_request");
}

#[tokio::test]
async fn device_code_with_offline_access_returns_a_refresh_token() {
    let emu = Emulator::start(Profile::default()).await;
    let resp: Value = http()
        .post(format!(
            "{}/organizations/oauth2/v2.0/devicecode",
            emu.url()
        ))
        .form(&[("client_id", PUBLIC_CLIENT), ("scope", SCOPE)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    emu.approve_device_code(DeviceCodeApproval {
        user_code: resp["user_code"].as_str().unwrap().into(),
        tenant_id: Some("t1".into()),
        ..Default::default()
    })
    .unwrap();
    let (status, body) = token(
        &emu,
        "organizations",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC_CLIENT),
            ("device_code", resp["device_code"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["refresh_token"]
        .as_str()
        .is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn federated_assertion_signs_in_without_a_secret() {
    let emu = Emulator::start(Profile::default()).await;
    let client = "33333333-aaaa-bbbb-cccc-444444444444";
    let issuer = "https://token.actions.githubusercontent.com";
    let subject = "repo:contoso/photo-policy:ref:refs/heads/main";
    emu.register_app(App::with_federated_credential(
        TENANT,
        client,
        issuer,
        subject,
        &[WRITE_PERMISSION],
    ));
    let assertion = |spec: ExternalTokenSpec| emu.mint_external_token(spec);
    let spec = ExternalTokenSpec {
        issuer: issuer.into(),
        subject: subject.into(),
        ..Default::default()
    };
    let send = |a: String| {
        let emu = &emu;
        async move {
            token(
                emu,
                TENANT,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client),
                    ("scope", "https://graph.microsoft.com/.default"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &a),
                ],
            )
            .await
        }
    };
    let (status, body) = send(assertion(spec.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        get(&emu, body["access_token"].as_str().unwrap())
            .await
            .status()
            .as_u16(),
        200
    );

    // Another subject (another branch), another audience, an expired token, a forged signature.
    let (status, body) = send(assertion(ExternalTokenSpec {
        subject: "repo:contoso/photo-policy:pull_request".into(),
        ..spec.clone()
    }))
    .await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (400, Some(70021))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("pull_request"));
    let (_, body) = send(assertion(ExternalTokenSpec {
        audience: Some("api://other".into()),
        ..spec.clone()
    }))
    .await;
    assert_eq!(body["error_codes"][0].as_u64(), Some(70021));
    let (_, body) = send(assertion(ExternalTokenSpec {
        expires_in_seconds: Some(-60),
        ..spec.clone()
    }))
    .await;
    assert_eq!(body["error_codes"][0].as_u64(), Some(700024));
    let other = Emulator::start(Profile::default()).await;
    let (status, body) = send(other.mint_external_token(spec)).await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (401, Some(700213))
    );
}
