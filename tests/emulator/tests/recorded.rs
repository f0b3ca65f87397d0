//! The service as Microsoft's own recorded answers show it (the default profile), and each earlier
//! reading kept as a profile value: key casing, name and value binding, roles as an object, the
//! PeopleAdmin envelope, roles only with source cloud, and the list answer.

mod common;

use common::*;
use graph_emulator::*;
use serde_json::{json, Value};

/// PATCH with a client-request-id, answering (status, body).
async fn patch_with_id(emu: &Emulator, token: &str, body: Value, crid: &str) -> (u16, Value) {
    let resp = http()
        .patch(format!("{}{POLICY}", emu.url()))
        .bearer_auth(token)
        .header("client-request-id", crid)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("PATCH");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Unwraps a PeopleAdmin refusal: checks the outer Graph error and the inner envelope, and answers
/// the parsed validation error (field -> messages) and the inner `innerError`.
fn people_admin(body: &Value, crid: &str) -> (Value, Value) {
    let error = &body["error"];
    assert_eq!(error["code"], "UnknownError", "{body}");
    let outer_inner = &error["innerError"];
    assert_eq!(outer_inner["client-request-id"], crid);
    assert!(outer_inner["request-id"].is_string());
    assert_eq!(outer_inner["date"].as_str().unwrap().len(), 19, "no zone");
    let text = error["message"].as_str().expect("message is text");
    let envelope: Value = serde_json::from_str(text).expect("message is JSON text");
    assert_eq!(envelope["error"]["code"], "400");
    assert_eq!(envelope["error"]["message"], "");
    let inner = envelope["error"]["innerError"].clone();
    assert_eq!(
        inner["peopleAdminErrorCode"],
        "PeopleAdminValidationFailure"
    );
    assert_eq!(inner["peopleAdminClientRequestId"], crid);
    let par = inner["peopleAdminRequestId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(par).is_ok(), "{par}");
    let date = inner["date"].as_str().unwrap();
    // 2024-11-21T16:31:03.6070114Z: seven fractional digits and Z.
    assert_eq!(date.len(), 28, "{date}");
    assert!(date.ends_with('Z') && date.as_bytes()[19] == b'.', "{date}");
    assert!(chrono::DateTime::parse_from_rfc3339(date).is_ok(), "{date}");
    let validation: Value = serde_json::from_str(
        inner["peopleAdminValidationError"]
            .as_str()
            .expect("validation error is text"),
    )
    .expect("validation error is JSON text");
    (validation, inner)
}

#[tokio::test]
async fn source_key_casing_follows_the_profile_and_a_stored_key_in_any_casing_is_the_source() {
    for (setting, key) in [
        (SourceKey::Pascal, "Source"),
        (SourceKey::Camel, "source"),
        (SourceKey::Upper, "SOURCE"),
    ] {
        let (emu, token) = emu_with(Profile {
            source_key: setting,
            ..Profile::recorded()
        })
        .await;
        emu.set_policy("t1", json!({"SoUrCe": "onPremises", "futureThing": 1}));
        let body: Value = get(&emu, &token).await.json().await.unwrap();
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["@odata.context", key, "allowedRoles", "futureThing"],
            "{setting:?}"
        );
        assert_eq!(body[key], "onPremises");
        // The PATCH answer uses the same key, and the stored name becomes canonical.
        let body: Value = patch(&emu, &token, json!({"source": "cloud"}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body[key], "cloud", "{setting:?}");
        assert_eq!(
            emu.policy("t1"),
            json!({"futureThing": 1, "source": "cloud"})
        );
    }
}

#[tokio::test]
async fn patch_binds_names_and_values_in_any_casing_but_refuses_a_name_twice() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    // The seed article's hash table: {"Source":"Cloud"}.
    let resp = patch(&emu, &token, json!({"Source": "Cloud"})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(emu.policy("t1"), json!({"source": "cloud"}));
    let resp = patch(
        &emu,
        &token,
        json!({"ALLOWEDROLES": [PEOPLE_ADMINISTRATOR]}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        emu.policy("t1")["allowedRoles"],
        json!([PEOPLE_ADMINISTRATOR])
    );
    // One property under two casings is ambiguous: refused, nothing changes.
    let resp = patch(
        &emu,
        &token,
        json!({"source": "cloud", "Source": "onPremises"}),
    )
    .await;
    let body = assert_graph_error(resp, 400, "BadRequest").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("more than once"));
    assert_eq!(emu.policy("t1")["source"], "cloud");

    // Strict names (the earlier reading): `Source` is an unknown property.
    emu.set_profile(Profile {
        property_casing: PropertyCasing::Strict,
        ..Profile::recorded()
    });
    let resp = patch(&emu, &token, json!({"Source": "onPremises"})).await;
    let body = assert_graph_error(resp, 400, "BadRequest").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'Source'"));
    assert_eq!(emu.policy("t1")["source"], "cloud");
}

#[tokio::test]
async fn allowed_roles_as_an_object_of_id_to_null_is_read_as_its_keys() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let resp = patch(
        &emu,
        &token,
        json!({"Source": "Cloud", "allowedRoles": {GLOBAL_ADMINISTRATOR: null, USER_ADMINISTRATOR: null}}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["allowedRoles"],
        json!([GLOBAL_ADMINISTRATOR, USER_ADMINISTRATOR])
    );
    // An empty object clears them.
    patch(&emu, &token, json!({"allowedRoles": {}})).await;
    assert_eq!(emu.policy("t1")["allowedRoles"], json!([]));

    emu.set_profile(Profile {
        roles_object: RolesObject::Refused,
        ..Profile::recorded()
    });
    let resp = patch(
        &emu,
        &token,
        json!({"allowedRoles": {GLOBAL_ADMINISTRATOR: null}}),
    )
    .await;
    assert_graph_error(resp, 400, "BadRequest").await;
    assert_eq!(emu.policy("t1")["allowedRoles"], json!([]));
}

#[tokio::test]
async fn a_refused_role_answers_the_people_admin_envelope_and_changes_nothing() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    emu.set_policy("t1", json!({"source": "cloud"}));
    for role in UNCONFIRMED_ROLES {
        let crid = uuid::Uuid::new_v4().to_string();
        let (status, body) = patch_with_id(
            &emu,
            &token,
            json!({"allowedRoles": [PEOPLE_ADMINISTRATOR, role]}),
            &crid,
        )
        .await;
        assert_eq!(status, 400, "{role}");
        let (validation, _) = people_admin(&body, &crid);
        assert_eq!(
            validation,
            json!({"AllowedRoles": ["Unsupported role for cloud photo update settings."]})
        );
    }
    // Custom roles too.
    let crid = uuid::Uuid::new_v4().to_string();
    let (status, body) = patch_with_id(
        &emu,
        &token,
        json!({"allowedRoles": ["00000000-1111-2222-3333-444444444444"]}),
        &crid,
    )
    .await;
    assert_eq!(status, 400);
    people_admin(&body, &crid);
    assert_eq!(emu.policy("t1"), json!({"source": "cloud"}));
    // Every PeopleAdmin request ID is new.
    let ids: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.header("client-request-id").unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 5);
}

#[tokio::test]
async fn the_refusal_status_is_a_profile_value() {
    for status in [500u16, 503] {
        let (emu, token) = emu_with(Profile {
            refusal_status: status,
            ..Profile::recorded()
        })
        .await;
        let (got, body) = patch_with_id(
            &emu,
            &token,
            json!({"source": "cloud", "allowedRoles": [UNCONFIRMED_ROLES[1]]}),
            "crid-1",
        )
        .await;
        assert_eq!(got, status);
        people_admin(&body, "crid-1");
        assert_eq!(emu.policy("t1"), json!({}));
    }
}

#[tokio::test]
async fn roles_with_on_premises_are_refused_null_and_empty_clear_them() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let roles_only_with_cloud =
        json!({"Source": ["Roles should be passed only for cloud photo update settings."]});
    // Roles and onPremises in one PATCH.
    let (status, body) = patch_with_id(
        &emu,
        &token,
        json!({"source": "onPremises", "allowedRoles": [USER_ADMINISTRATOR]}),
        "c1",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(people_admin(&body, "c1").0, roles_only_with_cloud);
    // Switching a cloud policy with roles to onPremises without clearing them.
    emu.set_policy(
        "t1",
        json!({"source": "cloud", "allowedRoles": [USER_ADMINISTRATOR]}),
    );
    let (status, body) = patch_with_id(&emu, &token, json!({"source": "onPremises"}), "c2").await;
    assert_eq!(status, 400);
    assert_eq!(people_admin(&body, "c2").0, roles_only_with_cloud);
    // Roles on an on-premises policy.
    emu.set_policy("t1", json!({"source": "onPremises"}));
    let (status, body) = patch_with_id(
        &emu,
        &token,
        json!({"allowedRoles": [GLOBAL_ADMINISTRATOR]}),
        "c3",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(people_admin(&body, "c3").0, roles_only_with_cloud);
    // A refused role with onPremises: both field messages.
    let (_, body) = patch_with_id(
        &emu,
        &token,
        json!({"allowedRoles": [UNCONFIRMED_ROLES[0]]}),
        "c4",
    )
    .await;
    assert_eq!(
        people_admin(&body, "c4").0,
        json!({"AllowedRoles": ["Unsupported role for cloud photo update settings."],
               "Source": ["Roles should be passed only for cloud photo update settings."]})
    );
    assert_eq!(emu.policy("t1"), json!({"source": "onPremises"}));

    // The fix in the same call: null or [] with the source change.
    for cleared in [Value::Null, json!([])] {
        emu.set_policy(
            "t1",
            json!({"source": "cloud", "allowedRoles": [USER_ADMINISTRATOR]}),
        );
        let resp = patch(
            &emu,
            &token,
            json!({"source": "onPremises", "allowedRoles": cleared}),
        )
        .await;
        assert_eq!(resp.status(), 200, "{cleared}");
        assert_eq!(
            emu.policy("t1"),
            json!({"source": "onPremises", "allowedRoles": cleared})
        );
    }
}

#[tokio::test]
async fn null_only_profile_refuses_an_empty_list_with_on_premises() {
    let (emu, token) = emu_with(Profile {
        on_premises_roles: OnPremisesRoles::NullOnly,
        ..Profile::recorded()
    })
    .await;
    emu.set_policy(
        "t1",
        json!({"source": "cloud", "allowedRoles": [USER_ADMINISTRATOR]}),
    );
    let (status, body) = patch_with_id(
        &emu,
        &token,
        json!({"source": "onPremises", "allowedRoles": []}),
        "c1",
    )
    .await;
    assert_eq!(status, 400);
    assert!(people_admin(&body, "c1").0.get("Source").is_some());
    let resp = patch(
        &emu,
        &token,
        json!({"source": "onPremises", "allowedRoles": null}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    // [] stays fine with cloud.
    let resp = patch(&emu, &token, json!({"source": "cloud", "allowedRoles": []})).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn roles_with_source_not_set_are_refused_by_default_and_accepted_by_profile() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let (status, body) = patch_with_id(
        &emu,
        &token,
        json!({"allowedRoles": [PEOPLE_ADMINISTRATOR]}),
        "c1",
    )
    .await;
    assert_eq!(status, 400);
    assert!(people_admin(&body, "c1").0.get("Source").is_some());
    // Resetting the source while roles stay set is the same case; clearing both goes.
    emu.set_policy(
        "t1",
        json!({"source": "cloud", "allowedRoles": [PEOPLE_ADMINISTRATOR]}),
    );
    let (status, _) = patch_with_id(&emu, &token, json!({"source": null}), "c2").await;
    assert_eq!(status, 400);
    let resp = patch(&emu, &token, json!({"source": null, "allowedRoles": null})).await;
    assert_eq!(resp.status(), 200);
    // The plain default: an empty list without a source is fine.
    assert_eq!(
        patch(&emu, &token, json!({"allowedRoles": []}))
            .await
            .status(),
        200
    );

    emu.set_profile(Profile {
        not_set_roles: NotSetRoles::Accepted,
        ..Profile::recorded()
    });
    let resp = patch(
        &emu,
        &token,
        json!({"allowedRoles": [PEOPLE_ADMINISTRATOR]}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        emu.policy("t1"),
        json!({"source": null, "allowedRoles": [PEOPLE_ADMINISTRATOR]})
    );
}

#[tokio::test]
async fn generic_refusal_profile_answers_the_earlier_400() {
    let (emu, token) = emu_with(Profile {
        refusal: Refusal::Generic,
        ..Profile::recorded()
    })
    .await;
    let resp = patch(
        &emu,
        &token,
        json!({"source": "onPremises", "allowedRoles": [USER_ADMINISTRATOR]}),
    )
    .await;
    let body = assert_graph_error(resp, 400, "Request_BadRequest").await;
    assert!(serde_json::from_str::<Value>(body["error"]["message"].as_str().unwrap()).is_err());
    assert_eq!(emu.policy("t1"), json!({}));
}

#[tokio::test]
async fn list_answers_wrap_the_entity() {
    let (emu, token) = emu_with(Profile {
        read_shape: ReadShape::List,
        ..Profile::recorded()
    })
    .await;
    emu.set_policy(
        "t1",
        json!({"source": "cloud", "allowedRoles": [PEOPLE_ADMINISTRATOR]}),
    );
    let body: Value = get(&emu, &token).await.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#admin/people/photoUpdateSettings",
            "value": [{"Source": "cloud", "allowedRoles": [PEOPLE_ADMINISTRATOR]}]
        })
    );
    // A PATCH still answers the entity.
    let body: Value = patch(
        &emu,
        &token,
        json!({"source": "onPremises", "allowedRoles": null}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["Source"], "onPremises");
    assert!(body.get("value").is_none());

    for (shape, len) in [(ReadShape::EmptyList, 0), (ReadShape::TwoItems, 2)] {
        emu.set_profile(Profile {
            read_shape: shape,
            ..Profile::recorded()
        });
        let body: Value = get(&emu, &token).await.json().await.unwrap();
        assert_eq!(body["value"].as_array().unwrap().len(), len, "{shape:?}");
    }
}

#[tokio::test]
async fn learn_preset_is_the_earlier_reading_throughout() {
    let (emu, token) = emu_with(Profile::learn()).await;
    let body: Value = get(&emu, &token).await.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["@odata.context", "source", "allowedRoles"]);
    assert_graph_error(
        patch(&emu, &token, json!({"Source": "cloud"})).await,
        400,
        "BadRequest",
    )
    .await;
    assert_graph_error(
        patch(
            &emu,
            &token,
            json!({"allowedRoles": {GLOBAL_ADMINISTRATOR: null}}),
        )
        .await,
        400,
        "BadRequest",
    )
    .await;
    // Roles with any source, and the generic 400 for a refused role.
    for source in [json!("onPremises"), Value::Null] {
        let resp = patch(
            &emu,
            &token,
            json!({"source": source, "allowedRoles": [USER_ADMINISTRATOR]}),
        )
        .await;
        assert_eq!(resp.status(), 200, "{source}");
    }
    assert_graph_error(
        patch(
            &emu,
            &token,
            json!({"allowedRoles": [UNCONFIRMED_ROLES[2]]}),
        )
        .await,
        400,
        "Request_BadRequest",
    )
    .await;
}

#[tokio::test]
async fn presets_switch_through_the_control_api() {
    let (emu, token) = emu_with(Profile::recorded()).await;
    let client = http();
    let put = |body: Value| {
        client
            .put(format!("{}/_emulator/profile", emu.url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let shown: Value = put(json!({"preset": "learn", "patch": "204"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["sourceKey"], "source");
    assert_eq!(shown["refusal"], "generic");
    assert_eq!(shown["patch"], "204");
    let body: Value = get(&emu, &token).await.json().await.unwrap();
    assert!(body.get("source").is_some());
    let shown: Value = put(json!({"preset": "recorded"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown, Profile::recorded().to_json());
    let resp = put(json!({"preset": "newest"})).await.unwrap();
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("recorded, learn"));
}
