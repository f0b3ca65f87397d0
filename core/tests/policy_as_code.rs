//! Policy as code against the Graph emulator: export → drift → import → compliant, backups
//! before writes (atomic, importable), and an unwritable backup path that stops the change.

mod common;

use std::fs;

use common::{sorted_roles, GA, PA};
use graph_emulator::{Emulator, Profile, TokenSpec};
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::config::{ClientConfig, RetryPolicy};
use photo_policy_core::document::PolicyDocument;
use photo_policy_core::drift;
use photo_policy_core::export::{self, ExportOptions};
use photo_policy_core::plan::ResetOptions;
use photo_policy_core::runtime::block_on;
use photo_policy_core::ErrorKind;
use serde_json::{json, Value};
use zeroize::Zeroizing;

const TENANT: &str = "5d1f7a10-95b4-4a3e-9c1d-1a2b3c4d5e6f";

fn setup() -> (Emulator, PolicyClient) {
    let emu = Emulator::start_blocking(Profile::default());
    let token = emu.mint_token(TokenSpec::app(TENANT, &["PeopleSettings.ReadWrite.All"]));
    let config = ClientConfig {
        graph_endpoint: Some(emu.url()),
        allow_insecure_loopback: true,
        retry: RetryPolicy {
            base_delay_ms: 10,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    let client = PolicyClient::new(config, Zeroizing::new(token.into_bytes())).unwrap();
    (emu, client)
}

fn graph_methods(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| r.route == "graph")
        .map(|r| r.method)
        .collect()
}

fn stored(emu: &Emulator) -> (Value, Vec<String>) {
    let p = emu.policy(TENANT);
    let roles = sorted_roles(&p);
    (p.get("source").cloned().unwrap_or(Value::Null), roles)
}

#[test]
fn export_drift_import_restores_and_test_complies() {
    let (emu, client) = setup();
    let ctx = CallContext::new();
    emu.set_policy(
        TENANT,
        json!({"source": "cloud", "allowedRoles": [GA, PA], "futureSetting": true}),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("contoso.json");

    let options = ExportOptions {
        path: Some(file.display().to_string()),
        overwrite: false,
    };
    let exported = block_on(export::export(&client, &options, &ctx)).unwrap();
    assert_eq!(exported.path.as_deref(), Some(file.to_str().unwrap()));
    let text = fs::read_to_string(&file).unwrap();
    let on_disk: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(on_disk, exported.document);
    assert_eq!(on_disk["schemaVersion"], json!(1));
    assert_eq!(on_disk["tenantId"], json!(TENANT));
    assert_eq!(on_disk["cloud"], json!("Global"));
    assert!(on_disk["exportedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(on_disk["source"], json!("cloud"));
    assert_eq!(
        on_disk["allowedRoles"],
        json!([{"id": GA, "name": "Global Administrator"}, {"id": PA, "name": "People Administrator"}])
    );
    assert_eq!(
        on_disk["additionalProperties"],
        json!({"futureSetting": true})
    );

    // Exporting over an existing file needs overwrite.
    let err = block_on(export::export(&client, &options, &ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("contoso.json"), "{}", err.message());

    // Someone changes the tenant by hand.
    emu.set_policy(
        TENANT,
        json!({"source": "onPremises", "allowedRoles": [PA.to_uppercase()]}),
    );
    let desired = PolicyDocument::from_text(&text).unwrap();
    let report = drift::report(&desired, block_on(client.get(&ctx)).unwrap());
    assert!(!report.compliant);
    let props: Vec<_> = report
        .differences
        .iter()
        .map(|d| d.property.as_str())
        .collect();
    assert_eq!(props, ["source", "allowedRoles"]);
    assert_eq!(report.differences[0].expected, json!("cloud"));
    assert_eq!(report.differences[0].actual, json!("onPremises"));

    // Import restores it.
    emu.clear_requests();
    let applied = block_on(client.apply(&desired.change_request(), &ctx)).unwrap();
    assert!(applied.applied);
    assert_eq!(graph_methods(&emu), ["GET", "PATCH"]);
    let mut want = vec![GA.to_string(), PA.to_string()];
    want.sort();
    assert_eq!(stored(&emu), (json!("cloud"), want));

    // Idempotent: a second import sends no write.
    emu.clear_requests();
    let again = block_on(client.apply(&desired.change_request(), &ctx)).unwrap();
    assert!(!again.applied);
    assert_eq!(graph_methods(&emu), ["GET"]);

    let report = drift::report(&desired, block_on(client.get(&ctx)).unwrap());
    assert!(report.compliant, "{:?}", report.differences);
    assert_eq!(report.tenant_id.as_deref(), Some(TENANT));
}

#[test]
fn backups_are_written_before_writes_and_restore_the_tenant() {
    let (emu, client) = setup();
    let ctx = CallContext::new();
    emu.set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("backups");
    fs::create_dir(&folder).unwrap();

    let mut change = PolicyDocument::from_json(&json!({
        "schemaVersion": 1, "source": "cloud", "allowedRoles": ["People Administrator"]
    }))
    .unwrap()
    .change_request();
    change.backup_path = Some(folder.display().to_string());
    let out = block_on(client.apply(&change, &ctx)).unwrap();
    assert!(out.applied);
    let backup = out.backup_path.expect("backup written");
    let name = std::path::Path::new(&backup)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(&format!("photoUpdatePolicy-{TENANT}-")) && name.ends_with("Z.json"),
        "{name}"
    );
    // Only the backup is in the folder: no temporary file left behind.
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 1);
    let saved = PolicyDocument::from_text(&fs::read_to_string(&backup).unwrap()).unwrap();
    assert_eq!(
        saved.summary(),
        "Source: Cloud; Allowed roles: Global Administrator"
    );
    assert_eq!(out.previous.source.as_deref(), Some("cloud"));

    // No change → no write → no backup.
    let unchanged = block_on(client.apply(&change, &ctx)).unwrap();
    assert!(!unchanged.applied);
    assert_eq!(unchanged.backup_path, None);
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 1);

    // A reset with a backup file, then restoring the first backup brings the original back.
    let reset_file = dir.path().join("before-reset.json");
    let reset = block_on(client.reset_with(
        &ResetOptions {
            backup_path: Some(reset_file.display().to_string()),
        },
        &ctx,
    ))
    .unwrap();
    assert_eq!(reset.backup_path.as_deref(), reset_file.to_str());
    let before_reset =
        PolicyDocument::from_text(&fs::read_to_string(&reset_file).unwrap()).unwrap();
    assert_eq!(
        before_reset.summary(),
        "Source: Cloud; Allowed roles: People Administrator"
    );
    let restored = block_on(client.apply(&saved.change_request(), &ctx)).unwrap();
    assert!(restored.applied);
    assert_eq!(stored(&emu), (json!("cloud"), vec![GA.to_string()]));
}

#[test]
fn an_unwritable_backup_path_prevents_the_change() {
    let (emu, client) = setup();
    let ctx = CallContext::new();
    emu.set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
    let dir = tempfile::tempdir().unwrap();
    // A "folder" that is a regular file: nothing can be written under it, on any OS.
    let blocker = dir.path().join("not-a-folder");
    fs::write(&blocker, "x").unwrap();
    let bad = blocker.join("backup.json").display().to_string();

    emu.clear_requests();
    let mut change = PolicyDocument::from_json(
        &json!({"schemaVersion": 1, "source": "onPremises", "allowedRoles": []}),
    )
    .unwrap()
    .change_request();
    change.backup_path = Some(bad.clone());
    let err = block_on(client.apply(&change, &ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains(&bad), "{}", err.message());
    assert!(
        err.message().contains("Nothing was changed"),
        "{}",
        err.message()
    );

    let err = block_on(client.reset_with(
        &ResetOptions {
            backup_path: Some(format!("{}/", blocker.join("sub").display())),
        },
        &ctx,
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);

    let methods = graph_methods(&emu);
    assert!(
        methods.iter().all(|m| m == "GET"),
        "no write may be sent: {methods:?}"
    );
    assert_eq!(stored(&emu), (json!("cloud"), vec![GA.to_string()]));
}
