//! Permission pre-flight: explain a missing permission before Graph answers 403.
//!
//! Reading the photo policy needs `PeopleSettings.Read.All` (or the ReadWrite one); changing it
//! needs `PeopleSettings.ReadWrite.All`. App-only tokens carry application permissions in
//! `roles`; delegated tokens carry scopes in `scp`, and the user also needs a directory role that
//! may manage the policy (`wids`, when the token lists them).
//!
//! The pre-flight refuses only what the token makes certain. What it can only suspect — an
//! opaque token it cannot read, a delegated token without a `wids` claim — goes ahead with a
//! warning (see [`preflight`]), and the service decides. [`can_change_policy`] applies the same
//! rule to say, on the connection, whether the token shows it may change the policy.

use super::claims::{decode_claims, TokenClaims};
use crate::error::{Error, ErrorKind, Result};

/// What the caller is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read the policy.
    Read,
    /// Change or reset the policy.
    Write,
}

/// How a call that leads to a change checks the token before anything is sent
/// ([`crate::client::PolicyClient::check_write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WriteCheck {
    /// A change: refuse a token that certainly may not change the policy; warn about a doubt.
    Refuse,
    /// A preview of a change (-WhatIf): warn that the change would be refused, read anyway.
    Warn,
}

/// Permission that allows reading and changing the policy.
pub const READ_WRITE: &str = "PeopleSettings.ReadWrite.All";
/// Permission that allows reading the policy.
pub const READ: &str = "PeopleSettings.Read.All";

/// Directory roles (template ID, name) that may change the photo policy as a delegated user.
pub const WRITE_ROLES: [(&str, &str); 3] = [
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "024906de-61e5-49c8-8572-40335f1e0e10",
        "People Administrator",
    ),
];

/// Global Reader may read the policy as a delegated user.
pub const GLOBAL_READER: (&str, &str) = ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader");

fn accepted_permissions(need: Access) -> &'static [&'static str] {
    match need {
        Access::Read => &[READ, READ_WRITE],
        Access::Write => &[READ_WRITE],
    }
}

fn has_any(granted: &[String], wanted: &[&str]) -> bool {
    granted
        .iter()
        .any(|g| wanted.iter().any(|w| g.eq_ignore_ascii_case(w)))
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn verb(need: Access) -> &'static str {
    match need {
        Access::Read => "read",
        Access::Write => "change",
    }
}

/// Checks that `claims` allow `need`. Fails with `PermissionDenied` naming what is missing and
/// how to grant it.
pub fn check_permissions(claims: &TokenClaims, need: Access) -> Result<()> {
    let wanted = accepted_permissions(need);
    let permission = wanted[0];
    if !claims.is_delegated() {
        if has_any(&claims.roles, wanted) {
            return Ok(());
        }
        let app = claims.appid.as_deref().unwrap_or("(unknown application)");
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "The application {app} may not {} the photo update policy: its token lacks the \
                 Microsoft Graph application permission {permission} (it has: {}).",
                verb(need),
                list_or_none(&claims.roles)
            ),
        )
        .with_recommended_action(format!(
            "In Entra ID > App registrations > the app > API permissions, add Microsoft Graph > \
             Application permissions > {permission}, then select 'Grant admin consent'. For a \
             managed identity, assign the app role with New-MgServicePrincipalAppRoleAssignment. \
             Then connect again to get a new token."
        ))
        .with_target(app.to_string()));
    }

    let who = claims.upn.as_deref().unwrap_or("the signed-in user");
    if !has_any(&claims.scp, wanted) {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "{who} may not {} the photo update policy with this sign-in: the token lacks the \
                 delegated permission {permission} (scopes: {}).",
                verb(need),
                list_or_none(&claims.scp)
            ),
        )
        .with_recommended_action(format!(
            "Sign in again and consent to {permission}; if consent is blocked, ask an administrator \
             to grant admin consent for {permission} to the client application."
        ))
        .with_target(who.to_string()));
    }

    // Tokens list built-in directory roles in `wids` only in some configurations; when the
    // claim is absent, the service decides (see `preflight` for the warning).
    let Some(wids) = &claims.wids else {
        return Ok(());
    };
    let roles = managing_roles(need);
    if holds_any(wids, &roles) {
        return Ok(());
    }
    let names: Vec<&str> = roles.iter().map(|(_, n)| *n).collect();
    Err(Error::new(
        ErrorKind::PermissionDenied,
        format!(
            "{who} holds none of the directory roles that may {} the photo update policy ({}).",
            verb(need),
            names.join(", ")
        ),
    )
    .with_recommended_action(
        "Assign the user the People Administrator role (the least privileged role that manages \
         profile photos) in Entra ID > Roles and administrators, then sign in again.",
    )
    .with_target(who.to_string()))
}

/// The directory roles that allow `need` for a delegated user.
fn managing_roles(need: Access) -> Vec<(&'static str, &'static str)> {
    let mut roles: Vec<(&str, &str)> = WRITE_ROLES.to_vec();
    if need == Access::Read {
        roles.push(GLOBAL_READER);
    }
    roles
}

fn holds_any(wids: &[String], roles: &[(&str, &str)]) -> bool {
    wids.iter().any(|w| {
        roles
            .iter()
            .any(|(id, _)| w.trim().eq_ignore_ascii_case(id))
    })
}

/// What the token shows about `need` when it shows nothing certain: `None` when the claims
/// settle it (either way), else the doubt in words.
fn doubt(claims: Option<&TokenClaims>, need: Access) -> Option<String> {
    let Some(claims) = claims else {
        return Some(format!(
            "The access token cannot be read (it is not a JSON Web Token), so whether it may {} \
             the photo update policy is not known before Microsoft Graph answers; the request \
             goes ahead.",
            verb(need)
        ));
    };
    if claims.is_delegated() && claims.wids.is_none() && need == Access::Write {
        let who = claims.upn.as_deref().unwrap_or("the signed-in user");
        let names: Vec<&str> = WRITE_ROLES.iter().map(|(_, n)| *n).collect();
        return Some(format!(
            "The token does not list the directory roles of {who} (no wids claim, as when the \
             application emits group claims), so whether {who} holds a role that may change the \
             photo update policy ({}) is not known before Microsoft Graph answers; the request \
             goes ahead.",
            names.join(", ")
        ));
    }
    None
}

/// The pre-flight of a call about to `need` the policy, before anything is sent: refuses
/// (`PermissionDenied`, naming what is missing and how to grant it) what the token makes
/// certain; returns `Ok(Some(warning))` when it can only suspect a refusal (an opaque token;
/// a delegated token without a `wids` claim, for a change), `Ok(None)` when the token shows
/// it may.
pub fn preflight(token: &str, need: Access) -> Result<Option<String>> {
    let claims = decode_claims(token);
    if let Some(claims) = &claims {
        check_permissions(claims, need)?;
    }
    Ok(doubt(claims.as_ref(), need))
}

/// Whether a token with these claims shows it may change the policy: it holds
/// `PeopleSettings.ReadWrite.All` and, for a signed-in user whose token lists directory roles,
/// one that may manage the policy ([`WRITE_ROLES`]). False for a token that cannot be read
/// (`None`): nothing shows it may. The same rule as the pre-flight's refusal.
pub fn can_change_policy(claims: Option<&TokenClaims>) -> bool {
    claims.is_some_and(|c| check_permissions(c, Access::Write).is_ok())
}

/// Runs [`check_permissions`] on a raw token when its claims can be read; opaque tokens pass
/// (the service will decide). [`preflight`] also says what is only suspected.
pub fn check_token_permissions(token: &str, need: Access) -> Result<()> {
    match decode_claims(token) {
        Some(claims) => check_permissions(&claims, need),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(roles: &[&str]) -> TokenClaims {
        TokenClaims {
            roles: roles.iter().map(|s| s.to_string()).collect(),
            appid: Some("11111111-2222-3333-4444-555555555555".into()),
            ..Default::default()
        }
    }

    fn user(scp: &[&str], wids: &[&str]) -> TokenClaims {
        TokenClaims {
            scp: scp.iter().map(|s| s.to_string()).collect(),
            wids: Some(wids.iter().map(|s| s.to_string()).collect()),
            upn: Some("admin@contoso.com".into()),
            ..Default::default()
        }
    }

    fn user_without_wids(scp: &[&str]) -> TokenClaims {
        TokenClaims {
            wids: None,
            ..user(scp, &[])
        }
    }

    const PEOPLE_ADMIN: &str = "024906de-61e5-49c8-8572-40335f1e0e10";
    const GLOBAL_READER_ID: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
    const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

    #[test]
    fn app_tokens_need_the_application_permission() {
        assert!(check_permissions(&app(&[READ_WRITE]), Access::Write).is_ok());
        assert!(check_permissions(&app(&[READ_WRITE]), Access::Read).is_ok());
        assert!(check_permissions(&app(&[READ]), Access::Read).is_ok());
        let e = check_permissions(&app(&[READ, "User.Read.All"]), Access::Write).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.message().contains(READ_WRITE), "{}", e.message());
        assert!(e.message().contains("User.Read.All"));
        assert!(e
            .recommended_action()
            .unwrap()
            .contains("Grant admin consent"));
        let e = check_permissions(&app(&[]), Access::Read).unwrap_err();
        assert!(e.message().contains(READ) && e.message().contains("none"));
    }

    #[test]
    fn delegated_tokens_need_the_scope() {
        let e =
            check_permissions(&user(&["User.Read"], &[PEOPLE_ADMIN]), Access::Write).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e
            .message()
            .contains("delegated permission PeopleSettings.ReadWrite.All"));
        assert!(e.message().contains("admin@contoso.com"));
        assert!(check_permissions(&user(&[READ], &[PEOPLE_ADMIN]), Access::Read).is_ok());
        assert!(check_permissions(&user(&[READ], &[PEOPLE_ADMIN]), Access::Write).is_err());
    }

    #[test]
    fn delegated_tokens_need_a_photo_role_when_wids_are_listed() {
        assert!(check_permissions(&user(&[READ_WRITE], &[PEOPLE_ADMIN]), Access::Write).is_ok());
        assert!(check_permissions(
            &user(&[READ_WRITE], &["62E90394-69F5-4237-9190-012177145E10"]),
            Access::Write
        )
        .is_ok());
        let e = check_permissions(&user(&[READ_WRITE], &[HELPDESK]), Access::Write).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.message().contains("People Administrator"));
        assert!(e
            .recommended_action()
            .unwrap()
            .contains("People Administrator"));
        // Global Reader may read, not write.
        assert!(check_permissions(&user(&[READ_WRITE], &[GLOBAL_READER_ID]), Access::Read).is_ok());
        assert!(
            check_permissions(&user(&[READ_WRITE], &[GLOBAL_READER_ID]), Access::Write).is_err()
        );
        // No wids claim: the service decides.
        assert!(check_permissions(&user_without_wids(&[READ_WRITE]), Access::Write).is_ok());
        // An empty wids claim lists the user's roles: none may manage the policy.
        let e = check_permissions(&user(&[READ_WRITE], &[]), Access::Write).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    }

    /// Every token shape, through the pre-flight and the connection's CanChangePolicy: refused
    /// exactly when certain, a warning when only suspected, and CanChangePolicy agreeing.
    #[test]
    fn preflight_refuses_what_is_certain_and_warns_about_what_is_suspected() {
        use serde_json::json;
        let jwt = |payload: serde_json::Value| super::super::claims::fake_jwt(&payload);
        let upn = "admin@contoso.com";
        // (case, token, write pre-flight: Err / Ok(warning?), can change)
        let cases: Vec<(&str, String, Option<bool>, bool)> = vec![
            (
                "app with ReadWrite",
                jwt(json!({"roles": [READ_WRITE]})),
                Some(false),
                true,
            ),
            (
                "app with Read only",
                jwt(json!({"roles": [READ]})),
                None,
                false,
            ),
            ("app without roles", jwt(json!({"appid": "a"})), None, false),
            (
                "delegated, scope, managing role",
                jwt(json!({"scp": READ_WRITE, "upn": upn, "wids": [PEOPLE_ADMIN]})),
                Some(false),
                true,
            ),
            (
                "delegated, scope, no managing role",
                jwt(json!({"scp": READ_WRITE, "upn": upn, "wids": [HELPDESK, GLOBAL_READER_ID]})),
                None,
                false,
            ),
            (
                "delegated, scope, empty wids",
                jwt(json!({"scp": READ_WRITE, "upn": upn, "wids": []})),
                None,
                false,
            ),
            (
                "delegated, scope, no wids claim",
                jwt(json!({"scp": READ_WRITE, "upn": upn})),
                Some(true),
                true,
            ),
            (
                "delegated without the scope",
                jwt(
                    json!({"scp": "User.Read " .to_string() + READ, "upn": upn, "wids": [PEOPLE_ADMIN]}),
                ),
                None,
                false,
            ),
            (
                "delegated without the scope nor wids",
                jwt(json!({"scp": READ, "upn": upn})),
                None,
                false,
            ),
            (
                "opaque",
                "EwBwA8l6BAAU-opaque".to_string(),
                Some(true),
                false,
            ),
        ];
        for (case, token, verdict, can) in cases {
            let result = preflight(&token, Access::Write);
            match verdict {
                None => {
                    let e = result.expect_err(case);
                    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{case}");
                }
                Some(warns) => {
                    let warning = result.expect(case);
                    assert_eq!(warning.is_some(), warns, "{case}: {warning:?}");
                    if let Some(w) = warning {
                        assert!(w.contains("the request goes ahead"), "{case}: {w}");
                        assert!(!w.contains(&token), "{case}: the warning shows the token");
                    }
                }
            }
            assert_eq!(
                can_change_policy(decode_claims(&token).as_ref()),
                can,
                "{case}"
            );
        }
        // The doubt about wids names the user and the roles to hold.
        let w = preflight(&jwt(json!({"scp": READ_WRITE, "upn": upn})), Access::Write)
            .unwrap()
            .unwrap();
        assert!(
            w.contains(upn) && w.contains("wids") && w.contains("People Administrator"),
            "{w}"
        );
        // Reading needs no managing role: no doubt to voice for a delegated read without wids.
        assert_eq!(
            preflight(&jwt(json!({"scp": READ, "upn": upn})), Access::Read).unwrap(),
            None
        );
        assert!(preflight("opaque", Access::Read).unwrap().is_some());
    }

    #[test]
    fn opaque_tokens_skip_the_check() {
        assert!(check_token_permissions("opaque-token", Access::Write).is_ok());
    }
}
