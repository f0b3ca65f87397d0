//! The tenant a call acts on is the token's (`tid`): a token for tenant A with the tenant set to
//! B is refused before anything is sent, naming both; a domain name is resolved through the
//! authority's OpenID metadata once; results and backups carry the token's tenant.

mod common;

use common::*;
use graph_emulator::{Profile, TokenSpec};
use photo_policy_core::client::PolicyClient;
use photo_policy_core::plan::ChangeRequest;
use photo_policy_core::ErrorKind;
use serde_json::json;

const OTHER: &str = "0b7f3c1e-5d2a-4e8f-9c6b-1a2b3c4d5e6f";

/// An emulator with a token for [`TENANT`] and a client whose configured tenant is `tenant`.
fn env_for(tenant: &str) -> Env {
    let mut env = Env::new(Profile::default());
    let tenant = tenant.to_string();
    let authority = env.emu.url();
    env.with_config(|c| {
        c.tenant_id = Some(tenant);
        c.authority_endpoint = Some(authority);
    });
    env
}

fn openid_reads(env: &Env) -> usize {
    env.emu
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/.well-known/openid-configuration"))
        .count()
}

#[test]
fn another_tenant_id_than_the_tokens_is_refused_before_anything_is_sent() {
    let env = env_for(OTHER);
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": []}));
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{}", err.message());
    assert!(err.message().contains(TENANT), "{}", err.message());
    assert!(err.message().contains(OTHER), "{}", err.message());
    assert_eq!(err.target(), Some("tenantId"));
    let change = ChangeRequest::from_json(r#"{"source":"onPremises"}"#).unwrap();
    let err = block_on(env.client.apply(&change, &env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(env.graph_requests().is_empty(), "nothing reached Graph");
    assert_eq!(
        env.emu.policy(TENANT)["source"],
        "cloud",
        "tenant A untouched"
    );
}

#[test]
fn the_same_tenant_in_another_casing_is_the_tokens_tenant() {
    let env = env_for(&TENANT.to_uppercase());
    let view = block_on(env.client.get(&env.ctx())).unwrap();
    assert_eq!(view.tenant_id.as_deref(), Some(TENANT));
}

#[test]
fn a_domain_is_resolved_once_and_results_and_backups_carry_the_tenant_id() {
    let env = env_for("contoso-once.example");
    env.emu.add_domain("contoso-once.example", TENANT);
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": []}));
    let view = block_on(env.client.get(&env.ctx())).unwrap();
    assert_eq!(
        view.tenant_id.as_deref(),
        Some(TENANT),
        "the ID, not the domain"
    );
    block_on(env.client.get(&env.ctx())).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let change = ChangeRequest::from_json(&format!(
        r#"{{"source":"onPremises","backupPath":"{}/"}}"#,
        dir.path().display()
    ))
    .unwrap();
    let outcome = block_on(env.client.apply(&change, &env.ctx())).unwrap();
    assert_eq!(outcome.current.tenant_id.as_deref(), Some(TENANT));
    let backup = outcome.backup_path.unwrap();
    assert!(
        backup.contains(&format!("photoUpdatePolicy-{TENANT}-")),
        "{backup}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&backup).unwrap()).unwrap();
    assert_eq!(doc["tenantId"], TENANT);
    assert_eq!(openid_reads(&env), 1, "resolved once, then cached");
}

#[test]
fn a_domain_of_another_tenant_is_refused_naming_the_domain_and_both_ids() {
    let env = env_for("fabrikam-other.example");
    env.emu.add_domain("fabrikam-other.example", OTHER);
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{}", err.message());
    for part in ["fabrikam-other.example", OTHER, TENANT] {
        assert!(err.message().contains(part), "{part}: {}", err.message());
    }
    assert!(env.graph_requests().is_empty(), "nothing reached Graph");
}

#[test]
fn one_token_for_ten_tenants_acts_on_one_and_refuses_nine() {
    let emu = graph_emulator::Emulator::start_blocking(Profile::default());
    let token = emu.mint_token(TokenSpec::app(TENANT, &[WRITE]));
    let mut tenants: Vec<String> = (0..9)
        .map(|i| format!("0b7f3c1e-5d2a-4e8f-9c6b-1a2b3c4d5e{i:02x}"))
        .collect();
    tenants.insert(4, TENANT.to_string());
    let change = ChangeRequest::from_json(r#"{"source":"onPremises"}"#).unwrap();
    let mut changed = Vec::new();
    for tenant in &tenants {
        let mut config = config_for(&emu);
        config.tenant_id = Some(tenant.clone());
        let client = PolicyClient::new(config, secret(&token)).unwrap();
        match block_on(client.apply(&change, &photo_policy_core::client::CallContext::new())) {
            Ok(o) => changed.push((tenant.clone(), o.applied, o.current.tenant_id)),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
                assert!(e.message().contains(tenant.as_str()) && e.message().contains(TENANT));
            }
        }
    }
    assert_eq!(
        changed,
        vec![(TENANT.to_string(), true, Some(TENANT.to_string()))],
        "one tenant changed, once"
    );
    let patches = emu
        .requests()
        .into_iter()
        .filter(|r| r.route == "graph" && r.method == "PATCH")
        .count();
    assert_eq!(patches, 1);
}
