//! Permission pre-flight on real (emulator-signed) tokens, and connection info for app tokens.

mod auth_support;

use auth_support::*;
use graph_emulator::{App, TokenSpec};
use photo_policy_core::auth::claims::decode_claims;
use photo_policy_core::auth::permissions::check_token_permissions;
use photo_policy_core::auth::{self, check_permissions, connection_info, Access, AuthConfig};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::ErrorKind;
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

const PEOPLE_ADMIN: &str = "024906de-61e5-49c8-8572-40335f1e0e10";
const HELPDESK_ADMIN: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

#[test]
fn application_tokens() {
    let emu = emulator();
    let rw = emu.mint_token(TokenSpec::app(TENANT, &["PeopleSettings.ReadWrite.All"]));
    let ro = emu.mint_token(TokenSpec::app(TENANT, &["PeopleSettings.Read.All"]));
    let none = emu.mint_token(TokenSpec::app(TENANT, &["User.Read.All"]));
    assert!(check_token_permissions(&rw, Access::Write).is_ok());
    assert!(check_token_permissions(&ro, Access::Read).is_ok());
    let e = check_token_permissions(&ro, Access::Write).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.message().contains("PeopleSettings.ReadWrite.All"));
    assert!(e.recommended_action().unwrap().contains("admin consent"));
    let e = check_token_permissions(&none, Access::Read).unwrap_err();
    assert!(e.message().contains("User.Read.All"), "{}", e.message());
}

#[test]
fn delegated_tokens() {
    let emu = emulator();
    let ok = emu.mint_token(TokenSpec::delegated(
        TENANT,
        "PeopleSettings.ReadWrite.All",
        &[PEOPLE_ADMIN],
    ));
    let no_role = emu.mint_token(TokenSpec::delegated(
        TENANT,
        "PeopleSettings.ReadWrite.All",
        &[HELPDESK_ADMIN],
    ));
    let no_scope = emu.mint_token(TokenSpec::delegated(TENANT, "User.Read", &[PEOPLE_ADMIN]));
    assert!(check_permissions(&decode_claims(&ok).unwrap(), Access::Write).is_ok());
    let e = check_token_permissions(&no_role, Access::Write).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e
        .recommended_action()
        .unwrap()
        .contains("People Administrator"));
    let e = check_token_permissions(&no_scope, Access::Read).unwrap_err();
    assert!(
        e.message().contains("PeopleSettings.Read.All"),
        "{}",
        e.message()
    );
}

#[test]
fn opaque_tokens_skip_the_pre_flight() {
    assert!(check_token_permissions("EwBwA8l6BAAU-opaque", Access::Write).is_ok());
}

#[test]
fn connection_info_for_an_app_sign_in() {
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
    let source = auth::token_source(&cfg, Zeroizing::new(SECRET.as_bytes().to_vec())).unwrap();
    let (_rec, events) = recorder();
    let cancel = CancellationToken::new();
    let info = photo_policy_core::runtime::block_on(connection_info(
        source.as_ref(),
        &photo_policy_core::call_context::CallContext {
            cancel,
            stop: Default::default(),
            events,
            limits: None,
        },
    ))
    .unwrap();
    assert_eq!(info.auth_mode, "clientSecret");
    assert_eq!(info.client_id.as_deref(), Some(CLIENT_ID));
    assert_eq!(info.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(info.roles, ["PeopleSettings.ReadWrite.All"]);
    assert!(info.account.is_none() && info.scopes.is_empty());
    let json = serde_json::to_value(&info).unwrap();
    for key in [
        "tenantId",
        "cloud",
        "authMode",
        "clientId",
        "tokenExpiresOn",
        "directoryRoles",
    ] {
        assert!(json.get(key).is_some(), "{key} missing in {json}");
    }
    assert!(!json.to_string().contains(SECRET));
}
