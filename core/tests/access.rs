//! Who may change photos (Get-/Test-PhotoUpdateAccess and the impact of a change) against the
//! emulator's seeded directory: the resolution rules for each kind of principal, paging to the
//! end, degraded parts for missing permissions, throttling, and — for every principal of the
//! tenant — the prediction checked against what the emulator's photo write then does.

mod common;

use common::{config_for, secret, Collect, GA, PA, TENANT, UA};
use graph_emulator::{Emulator, Fault, FaultKind, FaultRoute, Profile, TokenSpec};
use photo_policy_core::access::rules::{AccessScope, PrincipalAccess, PrincipalType};
use photo_policy_core::access::{self, AccessRequest, CheckRequest};
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::plan::ChangeRequest;
use photo_policy_core::runtime::block_on;
use photo_policy_core::ErrorKind;
use serde_json::{json, Value};
use std::sync::Arc;

const ALL_READS: [&str; 5] = [
    "PeopleSettings.Read.All",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "GroupMember.Read.All",
    "Application.Read.All",
];

fn fixture() -> Value {
    serde_json::from_str(include_str!(
        "../../tests/emulator/tests/fixtures/directory-photo-access.json"
    ))
    .unwrap()
}

fn seeded(allowed: Value) -> Emulator {
    let emu = Emulator::start_blocking(Profile::default());
    emu.set_directory(TENANT, fixture());
    emu.set_policy(TENANT, json!({"source": "cloud", "allowedRoles": allowed}));
    emu
}

fn client(emu: &Emulator, spec: TokenSpec) -> PolicyClient {
    PolicyClient::new(config_for(emu), secret(&emu.mint_token(spec))).unwrap()
}

fn app_client(emu: &Emulator, perms: &[&str]) -> PolicyClient {
    client(emu, TokenSpec::app(TENANT, perms))
}

fn by_name<'a>(list: &'a [PrincipalAccess], name: &str) -> &'a PrincipalAccess {
    list.iter()
        .find(|p| p.display_name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{name} not listed: {list:#?}"))
}

fn listed(list: &[PrincipalAccess], name: &str) -> bool {
    list.iter().any(|p| p.display_name.as_deref() == Some(name))
}

#[test]
fn restricted_policy_resolves_each_kind_of_principal() {
    let emu = seeded(json!([PA, GA]));
    let c = app_client(&emu, &ALL_READS);
    let r = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(r.restricted && r.complete, "{:?}", r.warnings);
    assert!(!r.everyone_can_change_own_photo);
    assert_eq!(r.least_privileged_role.as_ref().unwrap().id, PA);
    let p = &r.principals;

    let grace = by_name(p, "Grace Global");
    assert!(grace.can_change_others_photos);
    assert_eq!(grace.can_change_own_photo, Some(true));
    assert_eq!(grace.scope, AccessScope::Tenant);
    assert_eq!(grace.via, ["Global Administrator (Active, direct, tenant)"]);

    let uma = by_name(p, "Uma Scoped");
    assert!(!uma.can_change_others_photos);
    assert_eq!(uma.scope, AccessScope::AdministrativeUnit);
    assert_eq!(
        uma.scope_ids,
        ["/administrativeUnits/55555555-0000-4000-8000-000000000001"]
    );
    assert!(uma.reason.contains("invalid_role"), "{}", uma.reason);
    assert_eq!(uma.expected_error.as_deref(), Some("ForbiddenByPolicy"));

    let eli = by_name(p, "Eli Eligible");
    assert!(!eli.can_change_others_photos);
    assert_eq!(
        eli.via,
        ["People Administrator (Eligible (PIM), direct, tenant)"]
    );
    assert!(eli.fix.as_deref().unwrap().contains("Activate"));

    let group = by_name(p, "Photo Admins");
    assert_eq!(group.principal_type, PrincipalType::Group);
    assert!(group.can_change_others_photos);
    assert!(!listed(p, "Mona Member"), "members only with expandGroups");

    let dora = by_name(p, "Dora Writer");
    assert!(!dora.can_change_others_photos);
    assert!(
        dora.reason.contains("not among the allowed roles"),
        "{}",
        dora.reason
    );

    let hr = by_name(p, "HR Photo Sync");
    assert_eq!(hr.principal_type, PrincipalType::ServicePrincipal);
    assert!(hr.will_be_refused && !hr.can_change_others_photos);
    assert_eq!(hr.app_permissions, ["ProfilePhoto.ReadWrite.All"]);
    assert_eq!(
        hr.expected_error.as_deref(),
        Some("ForbiddenByAdminEditPolicy")
    );
    let fix = hr.fix.as_deref().unwrap();
    assert!(
        fix.contains("People Administrator") && fix.contains(&hr.id),
        "{fix}"
    );

    assert!(by_name(p, "Badge Printer").can_change_others_photos);
    let via_group = by_name(p, "Group Member App");
    assert!(via_group.can_change_others_photos && !via_group.will_be_refused);
    assert_eq!(
        via_group.via,
        ["People Administrator (Active, through group 'Photo Admins', tenant)"]
    );
    // Its User Administrator role (scoped, and not allowed here) does not count.
    let scoped_app = by_name(p, "Scoped App");
    assert!(scoped_app.will_be_refused);
    assert_eq!(
        scoped_app.expected_error.as_deref(),
        Some("ForbiddenByAdminEditPolicy")
    );
    assert!(!listed(p, "Reporting"), "read-only apps are not listed");
    assert_eq!(r.will_be_refused_count, 2);
    assert!(
        r.summary.contains("2 apps will be refused"),
        "{}",
        r.summary
    );

    // Page size 2: the lists took several pages, and every page was followed (5 app grants: 3
    // pages; 4 People Administrator assignments: 2).
    let count = |needle: &str| {
        emu.requests()
            .iter()
            .filter(|q| q.path.contains(needle))
            .filter(|q| {
                !needle.ends_with("roleAssignments")
                    || q.query.as_deref().is_some_and(|s| s.contains(PA))
            })
            .count()
    };
    assert_eq!(count("appRoleAssignedTo"), 3);
    assert_eq!(count("directory/roleAssignments"), 2);
    let with_expand = emu
        .requests()
        .iter()
        .filter(|q| q.path.ends_with("/roleAssignments"))
        .all(|q| {
            let query = q.query.clone().unwrap_or_default();
            query.contains("%24expand=principal") || query.contains("$expand=principal")
        });
    assert!(with_expand);
    let members = emu
        .requests()
        .into_iter()
        .find(|q| q.path.contains("transitiveMembers"))
        .expect("members read for the apps");
    assert_eq!(members.header("consistencylevel"), Some("eventual"));

    // Expanded: members get their own entries, saying through which group.
    let r = block_on(access::get(
        &c,
        &AccessRequest {
            expand_groups: true,
            ..Default::default()
        },
        &CallContext::new(),
    ))
    .unwrap();
    let mona = by_name(&r.principals, "Mona Member");
    assert!(mona.can_change_others_photos);
    assert!(mona.via[0].contains("through group 'Photo Admins'"));
    let gil = by_name(&r.principals, "Gil Groupeligible");
    assert!(!gil.can_change_others_photos);
    assert!(gil.via.is_empty() || gil.reason.contains("not among the allowed roles"));
}

#[test]
fn no_restriction_lists_who_may_change_others_photos() {
    let emu = seeded(json!([]));
    let c = app_client(&emu, &ALL_READS);
    let r = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(!r.restricted && r.everyone_can_change_own_photo);
    assert!(r
        .summary
        .starts_with("No restriction: every user may change their own photo"));
    assert!(by_name(&r.principals, "Dora Writer").can_change_others_photos);
    let hr = by_name(&r.principals, "HR Photo Sync");
    assert!(hr.can_change_others_photos && !hr.will_be_refused);
    assert!(!by_name(&r.principals, "Uma Scoped").can_change_others_photos);

    // The same tenant judged against a policy not set yet.
    let r = block_on(access::get(
        &c,
        &AccessRequest {
            allowed_roles: Some(vec!["People Administrator".into()]),
            ..Default::default()
        },
        &CallContext::new(),
    ))
    .unwrap();
    assert!(r.restricted);
    assert!(!by_name(&r.principals, "Grace Global").can_change_others_photos);
}

#[test]
fn each_missing_permission_degrades_its_own_part_only() {
    let emu = seeded(json!([PA]));
    let events = Arc::new(Collect::default());
    // Directory.Read.All shows assignments, members and apps, not eligibilities.
    let c = app_client(&emu, &["PeopleSettings.Read.All", "Directory.Read.All"]);
    let r = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::with_events(events.clone()),
    ))
    .unwrap();
    assert!(!r.complete);
    assert_eq!(
        r.missing_permissions,
        ["RoleEligibilitySchedule.Read.Directory"]
    );
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].contains("Eligible (PIM) role assignments"));
    assert!(events
        .all()
        .iter()
        .any(|l| l.contains("RoleEligibilitySchedule.Read.Directory")));
    assert!(by_name(&r.principals, "Pat People").can_change_others_photos);
    assert!(!listed(&r.principals, "Eli Eligible"));
    assert!(by_name(&r.principals, "HR Photo Sync").will_be_refused);
    assert!(r.summary.contains("Incomplete"));

    // Without the apps' permissions, the people are still judged.
    let c = app_client(
        &emu,
        &["PeopleSettings.Read.All", "RoleManagement.Read.Directory"],
    );
    let r = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap();
    assert_eq!(r.missing_permissions, ["Application.Read.All"]);
    assert!(by_name(&r.principals, "Eli Eligible").via[0].contains("Eligible (PIM)"));
    assert!(!listed(&r.principals, "HR Photo Sync"));

    // Without role assignments at all, the apps are still judged.
    emu.clear_requests();
    let c = app_client(&emu, &["PeopleSettings.Read.All", "Application.Read.All"]);
    let r = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(r
        .missing_permissions
        .contains(&"RoleManagement.Read.Directory".to_string()));
    assert!(by_name(&r.principals, "HR Photo Sync").will_be_refused);
    // Each refused list is asked for once, not once per role that matters.
    for list in ["roleAssignments", "roleEligibilityScheduleInstances"] {
        let asked = emu
            .requests()
            .iter()
            .filter(|q| q.path.contains(list))
            .count();
        assert_eq!(asked, 1, "{list} was requested {asked} times");
    }

    // The policy itself is still required.
    let c = app_client(&emu, &["RoleManagement.Read.Directory"]);
    let e = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
}

#[test]
fn throttled_pages_are_retried_and_the_answer_is_whole() {
    let emu = seeded(json!([PA, GA]));
    let c = app_client(&emu, &ALL_READS);
    let baseline = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap()
    .principals;
    emu.add_fault(
        Fault::new(FaultRoute::Graph, FaultKind::Throttle)
            .times(3)
            .retry_after(0),
    );
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Unavailable).times(2));
    let r = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap();
    assert_eq!(r.principals, baseline);
    let statuses: Vec<u16> = emu.requests().iter().filter_map(|q| q.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3);

    // Past the retry budget the whole call fails as Throttled (no half answer).
    let mut config = config_for(&emu);
    config.retry.max_retries = 1;
    let c = PolicyClient::new(
        config,
        secret(&emu.mint_token(TokenSpec::app(TENANT, &ALL_READS))),
    )
    .unwrap();
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Throttle).retry_after(0));
    let e = block_on(access::get(
        &c,
        &AccessRequest::default(),
        &CallContext::new(),
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
}

/// Names of the Microsoft Graph application permissions a service principal holds in the fixture.
fn app_permissions(sp: &str) -> Vec<String> {
    fixture()["appRoleAssignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["principalId"] == sp)
        .map(|a| a["appRoleId"].as_str().unwrap().to_string())
        .collect()
}

/// Writes a photo of `target` as `token`; Ok or the error code.
fn write_photo(emu: &Emulator, token: &str, target: &str) -> Result<(), String> {
    let url = format!("{}/v1.0/users/{target}/photo/$value", emu.url());
    let (status, body) = block_on(async {
        let resp = photo_policy_core::runtime::http_client()
            .put(url)
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .body(vec![0xFFu8, 0xD8, 0xFF])
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    });
    if status == 200 {
        Ok(())
    } else {
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        Err(v["error"]["code"].as_str().unwrap_or("?").to_string())
    }
}

#[test]
fn predictions_match_the_enforcement_for_every_principal() {
    for allowed in [json!([PA, GA]), json!([UA]), json!([])] {
        let emu = seeded(allowed.clone());
        let c = app_client(&emu, &ALL_READS);
        let r = block_on(access::get(
            &c,
            &AccessRequest {
                expand_groups: true,
                ..Default::default()
            },
            &CallContext::new(),
        ))
        .unwrap();
        let dir = fixture();
        let target = "paul@contoso.example";
        for user in dir["users"].as_array().unwrap() {
            let id = user["id"].as_str().unwrap();
            let name = user["displayName"].as_str().unwrap();
            let predicted = r.principals.iter().find(|p| p.id == id);
            let can = predicted.is_some_and(|p| p.can_change_others_photos);
            let token = emu.mint_token(
                TokenSpec::delegated(TENANT, "ProfilePhoto.ReadWrite.All", &[]).object_id(id),
            );
            let victim = if name == "Paul Plain" {
                "grace@contoso.example"
            } else {
                target
            };
            let actual = write_photo(&emu, &token, victim);
            assert_eq!(
                actual.is_ok(),
                can,
                "{allowed} {name}: predicted {predicted:?}, got {actual:?}"
            );
            if let (Err(code), Some(expected)) =
                (&actual, predicted.and_then(|p| p.expected_error.clone()))
            {
                assert_eq!(code, &expected, "{allowed} {name}");
            }
            // Their own photo.
            let own = write_photo(&emu, &token, id).is_ok();
            let predicted_own = match predicted {
                Some(p) => p.can_change_own_photo.unwrap(),
                None => allowed.as_array().unwrap().is_empty(),
            };
            assert_eq!(own, predicted_own, "{allowed} {name} own photo");
        }
        for sp in dir["servicePrincipals"].as_array().unwrap() {
            let id = sp["id"].as_str().unwrap();
            let name = sp["displayName"].as_str().unwrap();
            let perms = app_permissions(id);
            let perms: Vec<&str> = perms.iter().map(String::as_str).collect();
            let token = emu.mint_token(TokenSpec::app(TENANT, &perms).object_id(id));
            let actual = write_photo(&emu, &token, target);
            match r.principals.iter().find(|p| p.id == id) {
                Some(p) => {
                    assert_eq!(
                        actual.is_ok(),
                        p.can_change_others_photos,
                        "{allowed} {name}"
                    );
                    assert_eq!(
                        p.will_be_refused,
                        actual
                            .as_ref()
                            .err()
                            .is_some_and(|c| c.starts_with("ForbiddenBy")),
                        "{allowed} {name}: {actual:?}"
                    );
                }
                // Not listed: no permission that writes photos, so Graph refuses before the policy.
                None => assert_eq!(actual, Err("Authorization_RequestDenied".into()), "{name}"),
            }
        }
    }
}

#[test]
fn check_answers_for_one_principal_and_asks_the_service_for_the_signed_in_user() {
    let emu = seeded(json!([PA, GA]));
    let c = app_client(&emu, &[&ALL_READS[..], &["User.Read.All"]].concat());
    let uma = block_on(access::check(
        &c,
        &CheckRequest {
            user_id: Some("uma@contoso.example".into()),
            ..Default::default()
        },
        &CallContext::new(),
    ))
    .unwrap();
    assert!(!uma.principal.can_change_others_photos);
    assert!(uma.summary.contains("cannot change photos") && uma.summary.contains("invalid_role"));
    assert!(uma.summary.contains("To fix"));
    assert!(!uma.signed_in && uma.service_allowed_operations.is_none());

    let app = block_on(access::check(
        &c,
        &CheckRequest {
            service_principal_id: Some("44444444-0000-4000-8000-000000000001".into()),
            ..Default::default()
        },
        &CallContext::new(),
    ))
    .unwrap();
    assert!(app.principal.will_be_refused);
    assert_eq!(app.principal.display_name.as_deref(), Some("HR Photo Sync"));

    let paul = block_on(access::check(
        &c,
        &CheckRequest {
            user_id: Some("paul@contoso.example".into()),
            ..Default::default()
        },
        &CallContext::new(),
    ))
    .unwrap();
    assert_eq!(paul.principal.can_change_own_photo, Some(false));
    assert!(paul
        .principal
        .fix
        .as_deref()
        .unwrap()
        .contains("People Administrator"));

    let missing = block_on(access::check(
        &c,
        &CheckRequest {
            user_id: Some("nobody@contoso.example".into()),
            ..Default::default()
        },
        &CallContext::new(),
    ))
    .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    let both = block_on(access::check(
        &c,
        &CheckRequest {
            user_id: Some("a".into()),
            service_principal_id: Some("b".into()),
        },
        &CallContext::new(),
    ))
    .unwrap_err();
    assert_eq!(both.kind(), ErrorKind::InvalidArgument);
    assert!(emu.requests().iter().all(|q| !q.path.contains("/users/a")));

    // Signed in as Grace, then as Paul: the service's own answer agrees with the prediction.
    let scp = "PeopleSettings.Read.All RoleManagement.Read.Directory RoleEligibilitySchedule.Read.Directory GroupMember.Read.All Application.Read.All User.Read.All";
    for (id, own) in [
        ("11111111-0000-4000-8000-000000000001", "update,delete"),
        ("11111111-0000-4000-8000-000000000006", ""),
    ] {
        let c = client(&emu, TokenSpec::delegated(TENANT, scp, &[GA]).object_id(id));
        let me = block_on(access::check(
            &c,
            &CheckRequest::default(),
            &CallContext::new(),
        ))
        .unwrap();
        assert!(me.signed_in);
        assert_eq!(me.principal.id, id);
        assert_eq!(me.service_allowed_operations.as_deref(), Some(own));
        assert_eq!(me.service_agrees, Some(true), "{}", me.summary);
    }
}

#[test]
fn impact_names_who_gains_and_who_loses() {
    let emu = seeded(json!([PA, GA]));
    let c = app_client(&emu, &ALL_READS);
    let change = |v: Value| ChangeRequest::from_json(&v.to_string()).unwrap();
    let i = block_on(access::impact(
        &c,
        &change(json!({"allowedRoles": [PA]})),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(i.known && i.roles_change);
    let names =
        |l: &[access::ImpactPrincipal]| l.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&i.loses), ["Grace Global"]);
    assert!(i.gains.is_empty());
    assert_eq!(
        i.lines[1],
        "1 loses the ability to change others' photos: Grace Global."
    );

    let i = block_on(access::impact(
        &c,
        &change(json!({"allowedRoles": []})),
        &CallContext::new(),
    ))
    .unwrap();
    assert_eq!(
        names(&i.gains),
        ["Dora Writer", "HR Photo Sync", "Scoped App"]
    );
    assert!(i.own_photos.as_deref().unwrap().contains("regains"));
    // Nothing was written.
    assert!(emu.requests().iter().all(|q| q.method == "GET"));

    // Without the permission to read role assignments, one line says which would show it.
    let c = app_client(&emu, &["PeopleSettings.Read.All"]);
    let i = block_on(access::impact(
        &c,
        &change(json!({"allowedRoles": [GA]})),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(!i.known);
    assert!(
        i.lines[0].contains("RoleManagement.Read.Directory"),
        "{:?}",
        i.lines
    );

    // No role change: nothing is read beyond the policy.
    emu.clear_requests();
    let i = block_on(access::impact(
        &c,
        &change(json!({"source": "cloud"})),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(!i.roles_change);
    assert_eq!(
        emu.requests().iter().filter(|q| q.route == "graph").count(),
        1
    );
}

#[test]
fn impact_of_a_planned_reset_reads_the_directory_only_and_says_everyone_may_change_their_own_photo()
{
    let emu = seeded(json!([PA, GA]));
    // A reset is planned only with a token that may make it (the write pre-flight).
    let mut perms = ALL_READS.to_vec();
    perms.push("PeopleSettings.ReadWrite.All");
    let c = app_client(&emu, &perms);
    let planned = block_on(c.begin_reset(&Default::default(), &CallContext::new())).unwrap();
    emu.clear_requests();
    let i = block_on(access::impact_of_plan(
        &c,
        planned.plan(),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(i.known && i.roles_change);
    let names =
        |l: &[access::ImpactPrincipal]| l.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&i.gains),
        ["Dora Writer", "HR Photo Sync", "Scoped App"]
    );
    assert!(
        i.lines.iter().any(|l| l.contains(
            "No role restriction after the change: every user regains the ability to change their own photo."
        )),
        "{:?}",
        i.lines
    );
    // The plan's policy is not read again: only the directory.
    assert!(emu
        .requests()
        .iter()
        .filter(|q| q.route == "graph")
        .all(|q| q.method == "GET" && !q.path.contains("photoUpdateSettings")));

    // A reset of a policy without roles: the roles stay empty, and the lines say what that means.
    let emu = seeded(json!([]));
    let c = app_client(&emu, &perms);
    let planned = block_on(c.begin_reset(&Default::default(), &CallContext::new())).unwrap();
    let i = block_on(access::impact_of_plan(
        &c,
        planned.plan(),
        &CallContext::new(),
    ))
    .unwrap();
    assert!(!i.roles_change);
    assert!(
        i.lines.contains(
            &"There is no role restriction: every user may change their own photo.".to_string()
        ),
        "{:?}",
        i.lines
    );
}

#[test]
fn many_tenants_each_get_their_answer() {
    let emu = seeded(json!([PA]));
    let other = "9b4a5f2e-3f65-4f0a-9a52-6d0c1a2b3c4d";
    emu.set_policy(other, json!({"allowedRoles": [GA]}));
    emu.set_directory(
        other,
        json!({"users": [{"id": "u1", "displayName": "Solo"}],
        "roleAssignments": [{"principalId": "u1", "roleDefinitionId": GA}]}),
    );
    let a = app_client(&emu, &ALL_READS);
    let b = client(&emu, TokenSpec::app(other, &ALL_READS));
    let expired = client(&emu, TokenSpec::app(other, &ALL_READS).expires_in(-60));
    let out = block_on(access::get_many(
        &[&a, &b, &expired],
        &AccessRequest::default(),
        2,
        &CallContext::new(),
    ))
    .unwrap();
    assert_eq!(out.len(), 3);
    assert!(listed(
        &out[0].report.as_ref().unwrap().principals,
        "Pat People"
    ));
    let solo = &out[1].report.as_ref().unwrap().principals;
    assert_eq!(solo.len(), 1);
    assert!(solo[0].can_change_others_photos);
    assert_eq!(
        out[2].error.as_ref().unwrap().kind(),
        ErrorKind::Authentication
    );
}
