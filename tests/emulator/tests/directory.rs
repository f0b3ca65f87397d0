//! The directory routes: role assignments and eligibilities with paging and `$expand=principal`,
//! transitive members with `ConsistencyLevel`, Microsoft Graph's application permissions, the
//! permission checks, and photo writes enforced under the policy.

mod common;

use common::*;
use graph_emulator::*;
use serde_json::{json, Value};

const T: &str = "t1";
const PA: &str = "024906de-61e5-49c8-8572-40335f1e0e10";
const GRACE: &str = "11111111-0000-4000-8000-000000000001";
const UMA: &str = "11111111-0000-4000-8000-000000000003";
const ELI: &str = "11111111-0000-4000-8000-000000000004";
const MONA: &str = "11111111-0000-4000-8000-000000000005";
const PAUL: &str = "11111111-0000-4000-8000-000000000006";
const HR_APP: &str = "33333333-0000-4000-8000-000000000001";
const BADGE_APP: &str = "33333333-0000-4000-8000-000000000002";
const GROUP_APP: &str = "33333333-0000-4000-8000-000000000003";

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/directory-photo-access.json")).unwrap()
}

async fn seeded() -> Emulator {
    let emu = Emulator::start(Profile::default()).await;
    emu.set_directory(T, fixture());
    emu
}

async fn get_json(url: &str, token: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = http().get(url).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Follows `@odata.nextLink` to the end; returns every item and the number of pages.
async fn all_pages(first: String, token: &str, headers: &[(&str, &str)]) -> (Vec<Value>, usize) {
    let mut url = Some(first);
    let mut items = Vec::new();
    let mut pages = 0;
    while let Some(u) = url {
        let (status, body) = get_json(&u, token, headers).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        items.extend(body["value"].as_array().unwrap().iter().cloned());
        url = body["@odata.nextLink"].as_str().map(str::to_string);
    }
    (items, pages)
}

#[tokio::test]
async fn role_assignments_filter_expand_and_page_to_the_end() {
    let emu = seeded().await;
    let token = emu.mint_token(TokenSpec::app(T, &["RoleManagement.Read.Directory"]));
    let url = format!(
        "{}/v1.0/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '{PA}'&$expand=principal",
        emu.url()
    );
    let (items, pages) = all_pages(url, &token, &[]).await;
    // Pat, Uma (scoped), the Photo Admins group, Badge Printer: 4 items, 2 a page.
    assert_eq!(items.len(), 4);
    assert_eq!(pages, 2);
    let types: Vec<&str> = items
        .iter()
        .map(|i| i["principal"]["@odata.type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"#microsoft.graph.group"));
    assert!(types.contains(&"#microsoft.graph.servicePrincipal"));
    let scoped = items.iter().find(|i| i["principalId"] == UMA).unwrap();
    assert_eq!(
        scoped["directoryScopeId"],
        "/administrativeUnits/55555555-0000-4000-8000-000000000001"
    );
    assert_eq!(
        scoped["principal"]["userPrincipalName"],
        "uma@contoso.example"
    );

    // $top may ask for less than a page, never more (server-driven paging); a bad filter is
    // Graph's 400.
    let (status, body) = get_json(
        &format!(
            "{}/v1.0/roleManagement/directory/roleAssignments?$top=1",
            emu.url()
        ),
        &token,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    let (items, pages) = all_pages(
        format!(
            "{}/v1.0/roleManagement/directory/roleAssignments?$top=999",
            emu.url()
        ),
        &token,
        &[],
    )
    .await;
    assert_eq!((items.len(), pages), (7, 4));
    let resp = http()
        .get(format!(
            "{}/v1.0/roleManagement/directory/roleAssignments?$filter=displayName eq 'x'",
            emu.url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_graph_error(resp, 400, "Request_BadRequest").await;
}

#[tokio::test]
async fn eligibilities_need_their_own_permission() {
    let emu = seeded().await;
    let url = format!(
        "{}/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=roleDefinitionId eq '{PA}'&$expand=principal",
        emu.url()
    );
    let only_assignments = emu.mint_token(TokenSpec::app(T, &["Directory.Read.All"]));
    let resp = http()
        .get(&url)
        .bearer_auth(&only_assignments)
        .send()
        .await
        .unwrap();
    assert_graph_error(resp, 403, "Authorization_RequestDenied").await;

    let token = emu.mint_token(TokenSpec::app(
        T,
        &["RoleEligibilitySchedule.Read.Directory"],
    ));
    let (items, _) = all_pages(url, &token, &[]).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["principalId"], ELI);
    assert_eq!(items[0]["principal"]["displayName"], "Eli Eligible");
}

#[tokio::test]
async fn transitive_members_need_consistency_level_for_count() {
    let emu = seeded().await;
    let token = emu.mint_token(TokenSpec::app(T, &["GroupMember.Read.All"]));
    let url = format!(
        "{}/v1.0/groups/22222222-0000-4000-8000-000000000001/transitiveMembers?$count=true",
        emu.url()
    );
    let resp = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_graph_error(resp, 400, "Request_BadRequest").await;
    let (items, _) = all_pages(url.clone(), &token, &[("ConsistencyLevel", "eventual")]).await;
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [MONA, GROUP_APP]);

    let no_perm = emu.mint_token(TokenSpec::app(T, &["User.Read.All"]));
    let resp = http().get(&url).bearer_auth(&no_perm).send().await.unwrap();
    assert_graph_error(resp, 403, "Authorization_RequestDenied").await;
}

#[tokio::test]
async fn graph_application_permissions_are_listed_by_app_id() {
    let emu = seeded().await;
    let token = emu.mint_token(TokenSpec::app(T, &["Application.Read.All"]));
    let url = format!(
        "{}/v1.0/servicePrincipals(appId='{GRAPH_APP_ID}')/appRoleAssignedTo",
        emu.url()
    );
    let (items, pages) = all_pages(url, &token, &[]).await;
    assert_eq!(items.len(), 5);
    assert_eq!(pages, 3);
    let hr = items.iter().find(|i| i["principalId"] == HR_APP).unwrap();
    assert_eq!(hr["appRoleId"], PROFILE_PHOTO_READ_WRITE_ALL);
    assert_eq!(hr["principalDisplayName"], "HR Photo Sync");
    assert_eq!(hr["resourceId"], GRAPH_SERVICE_PRINCIPAL_ID);

    let none = emu.mint_token(TokenSpec::app(T, &["RoleManagement.Read.Directory"]));
    let resp = http()
        .get(format!(
            "{}/v1.0/servicePrincipals(appId='{GRAPH_APP_ID}')/appRoleAssignedTo",
            emu.url()
        ))
        .bearer_auth(&none)
        .send()
        .await
        .unwrap();
    assert_graph_error(resp, 403, "Authorization_RequestDenied").await;
}

async fn put_photo(emu: &Emulator, token: &str, target: &str) -> reqwest::Response {
    http()
        .put(format!("{}/v1.0/users/{target}/photo/$value", emu.url()))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(vec![0xFFu8, 0xD8, 0xFF, 0xE0])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn photo_writes_follow_the_policy() {
    let emu = seeded().await;
    let user = |oid: &str| {
        emu.mint_token(TokenSpec::delegated(T, "ProfilePhoto.ReadWrite.All", &[]).object_id(oid))
    };
    let app = |oid: &str, perm: &str| emu.mint_token(TokenSpec::app(T, &[perm]).object_id(oid));

    // No restriction: own photo yes, someone else's only with a photo role; apps by permission.
    assert_eq!(
        put_photo(&emu, &user(PAUL), "paul@contoso.example")
            .await
            .status(),
        200
    );
    assert_graph_error(
        put_photo(&emu, &user(PAUL), GRACE).await,
        403,
        "Authorization_RequestDenied",
    )
    .await;
    assert_eq!(
        put_photo(&emu, &app(HR_APP, "ProfilePhoto.ReadWrite.All"), PAUL)
            .await
            .status(),
        200
    );

    emu.set_policy(
        T,
        json!({"source": "cloud", "allowedRoles": [PA, GLOBAL_ADMINISTRATOR]}),
    );
    assert_eq!(put_photo(&emu, &user(GRACE), PAUL).await.status(), 200);
    assert_eq!(
        put_photo(&emu, &user(MONA), PAUL).await.status(),
        200,
        "through the group"
    );
    let scoped = assert_graph_error(
        put_photo(&emu, &user(UMA), PAUL).await,
        403,
        "ForbiddenByPolicy",
    )
    .await;
    assert_eq!(scoped["error"]["message"], "invalid_role");
    assert_graph_error(
        put_photo(&emu, &user(ELI), PAUL).await,
        403,
        "ForbiddenByAdminEditPolicy",
    )
    .await;
    assert_graph_error(
        put_photo(&emu, &user(PAUL), PAUL).await,
        403,
        "ForbiddenByAdminEditPolicy",
    )
    .await;
    assert_graph_error(
        put_photo(&emu, &app(HR_APP, "ProfilePhoto.ReadWrite.All"), PAUL).await,
        403,
        "ForbiddenByAdminEditPolicy",
    )
    .await;
    assert_eq!(
        put_photo(&emu, &app(BADGE_APP, "User.ReadWrite.All"), PAUL)
            .await
            .status(),
        200
    );
    assert_eq!(
        put_photo(&emu, &app(GROUP_APP, "Directory.ReadWrite.All"), PAUL)
            .await
            .status(),
        200
    );
    // Without a permission that writes photos, the policy is never reached.
    assert_graph_error(
        put_photo(&emu, &app(BADGE_APP, "User.Read.All"), PAUL).await,
        403,
        "Authorization_RequestDenied",
    )
    .await;
    assert_eq!(emu.photo_writes().len(), 6);

    // What the service tells the signed-in user.
    let ops = |token: String| {
        let url = format!("{}/beta/me/photo/getAllowedOperations", emu.url());
        async move { get_json(&url, &token, &[]).await }
    };
    assert_eq!(
        ops(user(GRACE)).await.1["allowedOperations"],
        "update,delete"
    );
    assert_eq!(ops(user(PAUL)).await.1["allowedOperations"], "");
    assert_eq!(ops(app(HR_APP, "ProfilePhoto.ReadWrite.All")).await.0, 400);
}

#[tokio::test]
async fn directory_seeding_is_checked_and_served_by_the_control_api() {
    let emu = Emulator::start(Profile::default()).await;
    let base = emu.url();
    let resp = http()
        .put(format!("{base}/_emulator/tenants/{T}/directory"))
        .json(&json!({"roleAssignments": [{"principalId": "x", "roleDefinitionId": PA, "directoryScopeId": "/groups/y"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("directoryScopeId"));
    let resp = http()
        .put(format!("{base}/_emulator/tenants/{T}/directory"))
        .json(&fixture())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let stored: Value = http()
        .get(format!("{base}/_emulator/tenants/{T}/directory"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["users"].as_array().unwrap().len(), 8);
    assert!(stored["roleAssignments"][0]["id"].is_string());
    assert_eq!(
        stored["appRoleAssignments"][0]["appRoleId"],
        PROFILE_PHOTO_READ_WRITE_ALL
    );
    // Users and service principals by key.
    let token = emu.mint_token(TokenSpec::app(T, &["Directory.Read.All"]));
    let (status, u) = get_json(
        &format!("{base}/v1.0/users/PAT@contoso.example"),
        &token,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(u["id"], "11111111-0000-4000-8000-000000000002");
    let (status, sp) = get_json(
        &format!("{base}/v1.0/servicePrincipals(appId='44444444-0000-4000-8000-000000000001')"),
        &token,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sp["id"], HR_APP);
    let (status, _) = get_json(
        &format!("{base}/v1.0/users/nobody@contoso.example"),
        &token,
        &[],
    )
    .await;
    assert_eq!(status, 404);
}
