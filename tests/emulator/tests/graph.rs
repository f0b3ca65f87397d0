//! Graph routes: reads, writes, deletes, validation, permissions, clouds, and each Graph profile.

mod common;

use common::*;
use graph_emulator::*;
use serde_json::{json, Value};

#[tokio::test]
async fn default_read_has_context_capital_source_key_and_null_roles() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let resp = get(&emu, &token).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("request-id").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["@odata.context"],
        "https://graph.microsoft.com/beta/$metadata#admin/people/photoUpdateSettings/$entity"
    );
    // The seed article's transcript: `Source` (capital S, null) and `allowedRoles`.
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["@odata.context", "Source", "allowedRoles"]);
    assert_eq!(body["Source"], Value::Null);
    assert_eq!(body["allowedRoles"], Value::Null);
    assert!(body.get("id").is_none());
}

#[tokio::test]
async fn patch_stores_exactly_and_answers_200_with_object() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let roles = json!([PEOPLE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR]);
    let resp = patch(
        &emu,
        &token,
        json!({"source": "cloud", "allowedRoles": roles}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["Source"], "cloud");
    assert_eq!(body["allowedRoles"], roles);
    assert_eq!(
        emu.policy("t1"),
        json!({"source": "cloud", "allowedRoles": roles})
    );
    // A later partial PATCH changes only what it names.
    patch(&emu, &token, json!({"allowedRoles": [USER_ADMINISTRATOR]})).await;
    let read: Value = get(&emu, &token).await.json().await.unwrap();
    assert_eq!(read["Source"], "cloud");
    assert_eq!(read["allowedRoles"], json!([USER_ADMINISTRATOR]));
}

#[tokio::test]
async fn learn_preset_keeps_roles_across_a_source_change() {
    let (emu, token) = emu_with(Profile::learn()).await;
    let roles = json!([PEOPLE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR]);
    patch(
        &emu,
        &token,
        json!({"source": "cloud", "allowedRoles": roles}),
    )
    .await;
    assert_eq!(
        patch(&emu, &token, json!({"source": "onPremises"}))
            .await
            .status(),
        200
    );
    let read: Value = get(&emu, &token).await.json().await.unwrap();
    assert_eq!(read["source"], "onPremises");
    assert!(read.get("Source").is_none());
    assert_eq!(read["allowedRoles"], roles);
}

#[tokio::test]
async fn client_request_id_is_echoed() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let resp = http()
        .get(format!("{}{POLICY}", emu.url()))
        .bearer_auth(&token)
        .header("client-request-id", "11111111-2222-3333-4444-555555555555")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["client-request-id"],
        "11111111-2222-3333-4444-555555555555"
    );
    let err = http()
        .patch(format!("{}{POLICY}", emu.url()))
        .bearer_auth(&token)
        .header("client-request-id", "abc-123")
        .header("content-type", "application/json")
        .body("{\"source\":\"nope\"}")
        .send()
        .await
        .unwrap();
    let body = assert_graph_error(err, 400, "BadRequest").await;
    assert_eq!(body["error"]["innerError"]["client-request-id"], "abc-123");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'nope'"));
}

#[tokio::test]
async fn validation_rejects_bad_shapes_roles_and_media_types() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    for bad in [
        json!({"source": "everywhere"}),
        json!({"source": 5}),
        json!({"allowedRoles": "62e90394-69f5-4237-9190-012177145e10"}),
        json!({"allowedRoles": [" 62e90394-69f5-4237-9190-012177145e10"]}),
        json!({"allowedRoles": ["{62e90394-69f5-4237-9190-012177145e10}"]}),
        json!({"allowedRoles": [42]}),
        json!({"unknownProperty": true}),
        json!(["cloud"]),
        json!("cloud"),
    ] {
        let resp = patch(&emu, &token, bad.clone()).await;
        assert_graph_error(resp, 400, "BadRequest").await;
    }
    // A GUID that is not an accepted role: the PeopleAdmin envelope (see its own test).
    let resp = patch(
        &emu,
        &token,
        json!({"source": "cloud", "allowedRoles": [UNCONFIRMED_ROLES[0]]}),
    )
    .await;
    assert_graph_error(resp, 400, "UnknownError").await;
    // Bad JSON and empty body.
    for raw in ["{\"source\":", ""] {
        let resp = http()
            .patch(format!("{}{POLICY}", emu.url()))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_graph_error(resp, 400, "BadRequest").await;
    }
    // Wrong media type.
    let resp = http()
        .patch(format!("{}{POLICY}", emu.url()))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{\"source\":\"cloud\"}")
        .send()
        .await
        .unwrap();
    assert_graph_error(resp, 415, "UnsupportedMediaType").await;
    // None of these changed anything; upper-case GUIDs of accepted roles are fine.
    assert_eq!(emu.policy("t1"), json!({}));
    let upper = USER_ADMINISTRATOR.to_ascii_uppercase();
    let resp = patch(
        &emu,
        &token,
        json!({"source": "cloud", "allowedRoles": [upper]}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    // charset parameters on the content type are fine.
    let resp = http()
        .patch(format!("{}{POLICY}", emu.url()))
        .bearer_auth(&token)
        .header("content-type", "application/json; charset=utf-8")
        .body("{\"source\":\"cloud\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn tenants_are_isolated_by_tid() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let other = emu.mint_token(TokenSpec::app("t2", &[WRITE_PERMISSION]));
    patch(&emu, &token, json!({"source": "cloud"})).await;
    let read: Value = get(&emu, &other).await.json().await.unwrap();
    assert_eq!(read["source"], Value::Null);
    assert_eq!(emu.policy("t2"), json!({}));
}

#[tokio::test]
async fn unknown_properties_set_through_control_are_read_back() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    emu.set_policy(
        "t1",
        json!({"source": "cloud", "allowedRoles": {}, "futureThing": 7}),
    );
    let read: Value = get(&emu, &token).await.json().await.unwrap();
    assert_eq!(read["futureThing"], 7);
    assert_eq!(read["allowedRoles"], json!({}));
}

#[tokio::test]
async fn delete_resets_and_ref_suffix_is_accepted() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    for path in [POLICY.to_string(), format!("{POLICY}/$ref")] {
        patch(
            &emu,
            &token,
            json!({"source": "cloud", "allowedRoles": [PEOPLE_ADMINISTRATOR]}),
        )
        .await;
        let resp = http()
            .delete(format!("{}{path}", emu.url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204, "{path}");
        assert_eq!(emu.policy("t1"), json!({}));
    }
}

#[tokio::test]
async fn v1_path_and_unknown_segments_are_not_found() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let resp = http()
        .get(format!(
            "{}/v1.0/admin/people/photoUpdateSettings",
            emu.url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body = assert_graph_error(resp, 400, "BadRequest").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("photoUpdateSettings"));
}

#[tokio::test]
async fn tokens_are_checked() {
    let (emu, _) = emu_with(Profile::recorded()).await;
    let foreign = {
        let other = Emulator::start(Profile::recorded()).await;
        other.mint_token(TokenSpec::app("t1", &[WRITE_PERMISSION]))
    };
    let expired = emu.mint_token(TokenSpec::app("t1", &[WRITE_PERMISSION]).expires_in(-30));
    let wrong_aud = emu.mint_token(
        TokenSpec::app("t1", &[WRITE_PERMISSION]).audience("https://management.azure.com"),
    );
    for (token, what) in [
        (foreign.as_str(), "signature"),
        (expired.as_str(), "expired"),
        (wrong_aud.as_str(), "audience"),
        ("not-a-jwt", "malformed"),
    ] {
        let resp = get(&emu, token).await;
        assert!(resp.headers().get("www-authenticate").is_some(), "{what}");
        let body = assert_graph_error(resp, 401, "InvalidAuthenticationToken").await;
        if what == "expired" {
            assert!(body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expired"));
        }
    }
    let resp = http()
        .get(format!("{}{POLICY}", emu.url()))
        .send()
        .await
        .unwrap();
    assert_graph_error(resp, 401, "InvalidAuthenticationToken").await;
    // Graph's app ID is a valid audience.
    let by_app_id =
        emu.mint_token(TokenSpec::app("t1", &[WRITE_PERMISSION]).audience(GRAPH_APP_ID));
    assert_eq!(get(&emu, &by_app_id).await.status(), 200);
}

#[tokio::test]
async fn permissions_and_directory_roles_are_enforced() {
    let (emu, _) = emu_with(Profile::recorded()).await;
    let read_app = emu.mint_token(TokenSpec::app("t1", &[READ_PERMISSION]));
    assert_eq!(get(&emu, &read_app).await.status(), 200);
    let resp = patch(&emu, &read_app, json!({"source": "cloud"})).await;
    assert_graph_error(resp, 403, "Authorization_RequestDenied").await;
    let none = emu.mint_token(TokenSpec::app("t1", &["User.Read.All"]));
    assert_graph_error(get(&emu, &none).await, 403, "Authorization_RequestDenied").await;

    // Delegated: the permission alone is not enough; a photo-managing role is needed.
    let no_role = emu.mint_token(TokenSpec::delegated("t1", WRITE_PERMISSION, &[]));
    assert_graph_error(
        get(&emu, &no_role).await,
        403,
        "Authorization_RequestDenied",
    )
    .await;
    let reader = emu.mint_token(TokenSpec::delegated(
        "t1",
        READ_PERMISSION,
        &[GLOBAL_READER],
    ));
    assert_eq!(get(&emu, &reader).await.status(), 200);
    let reader_rw = emu.mint_token(TokenSpec::delegated(
        "t1",
        WRITE_PERMISSION,
        &[GLOBAL_READER],
    ));
    let resp = patch(&emu, &reader_rw, json!({"source": "cloud"})).await;
    assert_graph_error(resp, 403, "Authorization_RequestDenied").await;
    for role in DOCUMENTED_ROLES {
        let admin = emu.mint_token(TokenSpec::delegated("t1", WRITE_PERMISSION, &[role]));
        assert_eq!(
            patch(&emu, &admin, json!({"source": "cloud"}))
                .await
                .status(),
            200,
            "{role}"
        );
    }
}

#[tokio::test]
async fn every_cloud_host_is_answered_and_tokens_stay_in_their_cloud() {
    let (emu, _) = emu_with(Profile::recorded()).await;
    for (cloud, host) in [
        ("Global", "graph.microsoft.com"),
        ("USGov", "graph.microsoft.us"),
        ("USGovDoD", "dod-graph.microsoft.us"),
        ("China", "microsoftgraph.chinacloudapi.cn"),
    ] {
        let token = emu.mint_token(TokenSpec::app("t1", &[READ_PERMISSION]).cloud(cloud));
        let resp = http()
            .get(format!("{}{POLICY}", emu.url()))
            .header("host", host)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{cloud}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["@odata.context"],
            format!("https://{host}/beta/$metadata#admin/people/photoUpdateSettings/$entity")
        );
        // A Global token is refused by another cloud's Graph.
        if cloud != "Global" {
            let global = emu.mint_token(TokenSpec::app("t1", &[READ_PERMISSION]));
            let resp = http()
                .get(format!("{}{POLICY}", emu.url()))
                .header("host", host)
                .bearer_auth(&global)
                .send()
                .await
                .unwrap();
            assert_graph_error(resp, 401, "InvalidAuthenticationToken").await;
        }
    }
}

#[tokio::test]
async fn profile_patch_204() {
    let p = Profile {
        patch: PatchAnswer::NoContent204,
        ..Profile::recorded()
    };
    let (emu, token) = emu_with(p).await;
    let resp = patch(&emu, &token, json!({"source": "cloud"})).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.unwrap().is_empty());
    assert_eq!(emu.policy("t1")["source"], "cloud");
}

#[tokio::test]
async fn profile_default_allowed_roles_variants() {
    for (setting, expected) in [
        (DefaultAllowedRoles::Null, Some(Value::Null)),
        (DefaultAllowedRoles::Empty, Some(json!([]))),
        (DefaultAllowedRoles::Object, Some(json!({}))),
        (DefaultAllowedRoles::Missing, None),
    ] {
        let p = Profile {
            default_allowed_roles: setting,
            ..Profile::recorded()
        };
        let (emu, token) = emu_with(p).await;
        let body: Value = get(&emu, &token).await.json().await.unwrap();
        assert_eq!(body.get("allowedRoles").cloned(), expected, "{setting:?}");
    }
}

#[tokio::test]
async fn profile_enum_casing() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let body: Value = patch(&emu, &token, json!({"source": "ONPREMISES"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["Source"], "onPremises");
    let p = Profile {
        enum_casing: EnumCasing::Strict,
        ..Profile::recorded()
    };
    emu.set_profile(p);
    let resp = patch(&emu, &token, json!({"source": "onpremises"})).await;
    assert_graph_error(resp, 400, "BadRequest").await;
    assert_eq!(
        patch(&emu, &token, json!({"source": "cloud"}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn profile_accepted_roles() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let all: Vec<&str> = DOCUMENTED_ROLES
        .iter()
        .chain(UNCONFIRMED_ROLES.iter())
        .copied()
        .collect();
    assert_eq!(
        patch(
            &emu,
            &token,
            json!({"source": "cloud", "allowedRoles": all})
        )
        .await
        .status(),
        400
    );
    let p = Profile {
        accepted_roles: AcceptedRoles::All,
        ..Profile::recorded()
    };
    emu.set_profile(p);
    assert_eq!(
        patch(
            &emu,
            &token,
            json!({"source": "cloud", "allowedRoles": all})
        )
        .await
        .status(),
        200
    );
    // A custom role is refused either way.
    let resp = patch(
        &emu,
        &token,
        json!({"allowedRoles": ["00000000-1111-2222-3333-444444444444"]}),
    )
    .await;
    assert_eq!(resp.status(), 400);
    // Under the earlier reading every role goes, whatever the source; a custom one is the
    // generic 400 naming it.
    emu.set_profile(Profile {
        accepted_roles: AcceptedRoles::All,
        ..Profile::learn()
    });
    patch(&emu, &token, json!({"source": null})).await;
    assert_eq!(
        patch(&emu, &token, json!({"allowedRoles": all}))
            .await
            .status(),
        200
    );
    emu.set_profile(Profile::learn());
    let resp = patch(
        &emu,
        &token,
        json!({"allowedRoles": [UNCONFIRMED_ROLES[0]]}),
    )
    .await;
    let body = assert_graph_error(resp, 400, "Request_BadRequest").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(UNCONFIRMED_ROLES[0]));
}

#[tokio::test]
async fn profile_delete_refused() {
    let p = Profile {
        delete: DeleteBehavior::Refused,
        ..Profile::recorded()
    };
    let (emu, token) = emu_with(p).await;
    patch(&emu, &token, json!({"source": "cloud"})).await;
    let resp = http()
        .delete(format!("{}{POLICY}", emu.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_graph_error(resp, 405, "BadRequest").await;
    assert_eq!(emu.policy("t1")["source"], "cloud");
}

#[tokio::test]
async fn profile_patch_source_null() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    patch(&emu, &token, json!({"source": "cloud"})).await;
    let body: Value = patch(&emu, &token, json!({"source": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["source"], Value::Null);
    patch(&emu, &token, json!({"source": "cloud"})).await;
    let p = Profile {
        patch_source_null: PatchSourceNull::Refused,
        ..Profile::recorded()
    };
    emu.set_profile(p);
    assert_graph_error(
        patch(&emu, &token, json!({"source": null})).await,
        400,
        "BadRequest",
    )
    .await;
    assert_eq!(emu.policy("t1")["source"], "cloud");
}

#[tokio::test]
async fn profile_include_id() {
    let p = Profile {
        include_id: true,
        ..Profile::recorded()
    };
    let (emu, token) = emu_with(p).await;
    let body: Value = get(&emu, &token).await.json().await.unwrap();
    assert_eq!(body["@odata.type"], "#microsoft.graph.photoUpdateSettings");
    assert!(body["id"].is_string());
}
