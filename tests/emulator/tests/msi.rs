//! Managed identity: App Service, IMDS and Arc styles, user-assigned selection, profile `expiresOn`.

mod common;

use common::*;
use graph_emulator::*;
use serde_json::Value;

fn configure(emu: &Emulator, arc_dir: Option<&std::path::Path>) {
    emu.set_managed_identity(ManagedIdentity {
        tenant_id: "t1".into(),
        roles: vec![READ_PERMISSION.into()],
        identity_header: Some("hdr-123".into()),
        arc_key_dir: arc_dir.map(|d| d.display().to_string()),
        client_id: None,
        user_assigned: vec![UserAssignedIdentity {
            client_id: "aaaaaaaa-0000-0000-0000-000000000001".into(),
            principal_id: Some("bbbbbbbb-0000-0000-0000-000000000002".into()),
            resource_id: Some("/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami".into()),
            roles: Some(vec![WRITE_PERMISSION.into()]),
        }],
    });
}

async fn msi_get(emu: &Emulator, path_query: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = http().get(format!("{}{path_query}", emu.url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn app_service_style() {
    let emu = Emulator::start(Profile::default()).await;
    let q = "/msi/token?resource=https://graph.microsoft.com&api-version=2019-08-01";
    // Not configured yet.
    assert_eq!(
        msi_get(&emu, q, &[("X-IDENTITY-HEADER", "hdr-123")])
            .await
            .status(),
        400
    );
    configure(&emu, None);
    assert_eq!(msi_get(&emu, q, &[]).await.status(), 400);
    assert_eq!(
        msi_get(&emu, q, &[("X-IDENTITY-HEADER", "wrong")])
            .await
            .status(),
        401
    );

    let resp = msi_get(&emu, q, &[("X-IDENTITY-HEADER", "hdr-123")]).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body["expires_on"].is_string(), "{body}");
    assert!(body.get("expires_in").is_none());
    assert_eq!(body["resource"], "https://graph.microsoft.com");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["client_id"], SYSTEM_MI_CLIENT_ID);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get(&emu, token).await.status(), 200);
    // System-assigned has Read only.
    assert_eq!(
        patch(&emu, token, serde_json::json!({"source":"cloud"}))
            .await
            .status(),
        403
    );

    // Automation style: no api-version, Metadata: True; user-assigned by principal_id has ReadWrite.
    let resp = msi_get(
        &emu,
        "/msi/token?resource=https://graph.microsoft.com/&principal_id=bbbbbbbb-0000-0000-0000-000000000002",
        &[("X-IDENTITY-HEADER", "hdr-123"), ("Metadata", "True")],
    )
    .await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["client_id"], "aaaaaaaa-0000-0000-0000-000000000001");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        patch(&emu, token, serde_json::json!({"source":"cloud"}))
            .await
            .status(),
        200
    );

    for sel in ["client_id=aaaaaaaa-0000-0000-0000-000000000001", "mi_res_id=/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"] {
        let resp = msi_get(&emu, &format!("{q}&{sel}"), &[("X-IDENTITY-HEADER", "hdr-123")]).await;
        assert_eq!(resp.status(), 200, "{sel}");
    }
    let resp = msi_get(
        &emu,
        &format!("{q}&client_id=unknown"),
        &[("X-IDENTITY-HEADER", "hdr-123")],
    )
    .await;
    assert_eq!(resp.status(), 400);
    let resp = msi_get(
        &emu,
        "/msi/token?resource=https://management.azure.com",
        &[("X-IDENTITY-HEADER", "hdr-123")],
    )
    .await;
    assert_eq!(resp.status(), 400);

    // Profile expiresOn=number.
    let p = Profile {
        expires_on: ExpiresOn::Number,
        ..Profile::default()
    };
    emu.set_profile(p);
    let body: Value = msi_get(&emu, q, &[("X-IDENTITY-HEADER", "hdr-123")])
        .await
        .json()
        .await
        .unwrap();
    assert!(body["expires_on"].is_number(), "{body}");
    // The header value never reaches the log.
    assert!(emu.requests().iter().all(|r| r
        .header("x-identity-header")
        .is_none_or(|v| v == "<redacted>")));
}

#[tokio::test]
async fn imds_style() {
    let emu = Emulator::start(Profile::default()).await;
    configure(&emu, None);
    let q = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com";
    let resp = msi_get(&emu, q, &[]).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let resp = msi_get(
        &emu,
        "/metadata/identity/oauth2/token?resource=https://graph.microsoft.com",
        &[("Metadata", "true")],
    )
    .await;
    assert_eq!(resp.status(), 400);
    let resp = msi_get(&emu, q, &[("Metadata", "true")]).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    for (k, v) in body.as_object().unwrap() {
        assert!(v.is_string(), "{k} must be a string: {body}");
    }
    assert!(body["expires_in"].as_str().unwrap().parse::<i64>().unwrap() > 3500);
    assert_eq!(
        get(&emu, body["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    for sel in ["client_id=aaaaaaaa-0000-0000-0000-000000000001", "object_id=bbbbbbbb-0000-0000-0000-000000000002", "msi_res_id=/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"] {
        let body: Value = msi_get(&emu, &format!("{q}&{sel}"), &[("Metadata", "true")]).await.json().await.unwrap();
        assert_eq!(body["client_id"], "aaaaaaaa-0000-0000-0000-000000000001", "{sel}");
    }
}

#[tokio::test]
async fn arc_style_challenge_then_basic() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(Profile::default()).await;
    configure(&emu, Some(dir.path()));
    let q = "/arc/metadata/identity/oauth2/token?api-version=2019-11-01&resource=https://graph.microsoft.com";
    let first = msi_get(&emu, q, &[("Metadata", "true")]).await;
    assert_eq!(first.status(), 401);
    let challenge = first.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    let path = challenge
        .strip_prefix("Basic realm=")
        .expect("Basic realm=");
    assert!(path.ends_with(".key"));
    assert!(std::path::Path::new(path).starts_with(dir.path()));
    let secret = std::fs::read_to_string(path).unwrap();
    assert!(!secret.is_empty() && secret.len() <= 4096);

    let wrong = msi_get(
        &emu,
        q,
        &[("Metadata", "true"), ("Authorization", "Basic nope")],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let auth = format!("Basic {secret}");
    let ok = msi_get(&emu, q, &[("Metadata", "true"), ("Authorization", &auth)]).await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert!(body["expires_on"].is_string());
    assert_eq!(
        get(&emu, body["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert!(emu.requests().iter().all(|r| r
        .header("authorization")
        .is_none_or(|v| v == "Basic <redacted>" || v == "Bearer <redacted>")));
}
