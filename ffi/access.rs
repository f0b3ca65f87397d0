//! Who may change photos, over the C ABI: the access report for one tenant or many, the answer
//! for one principal, and the impact of a planned change (docs/c-abi.md, "Photo access").

use photo_policy_core::access::{self, AccessRequest, CheckRequest};
use photo_policy_core::plan::ChangeRequest;
use serde_json::json;

use crate::client::{client_ref, complete_scoped, run_scoped, PupClient};
use crate::context::PupCallContext;
use crate::error::PupError;
use crate::json::parse_optional_json;
use crate::panic::call;
use crate::plan::{plan_for, PupPlan};
use crate::result::{deliver_result, PupResult};
use crate::status::PupStatus;
use crate::strings::{out_arg, str_arg};
use crate::tenants::{clients_arg, entry_json};

/// Resolves each tenant's photo policy into principals: `clients[0..client_count]` (one handle per
/// tenant, borrowed for the call). Request (NULL,0 for the defaults):
/// `{"expandGroups":false,"allowedRoles":null|[names or IDs],"concurrency":10}`. Result:
/// `{"results":[{"index","tenantId","report":AccessReport|null,"elapsedMs","error":ErrorJson|null}]}`
/// in `clients` order (AccessReport in docs/c-abi.md). A missing permission degrades its own part
/// of a report (`warnings`, `missingPermissions`); any other failure of a tenant is in its entry
/// and never stops the others. Cancelling `ctx` returns `PUP_STATUS_CANCELLED`. Blocking; reads
/// only.
///
/// # Safety
/// `clients` points to `client_count` live client handles (none NULL) that stay valid for the
/// call; the JSON pair is NULL with length 0 or points to `request_len` readable bytes; `ctx` is
/// NULL or a live context; `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_access_get(
    clients: *const *const PupClient,
    client_count: usize,
    request_json: *const u8,
    request_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let borrowed = unsafe { clients_arg(clients, client_count) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("request_json", request_json, request_len) }?;
        out_arg("out_result", out_result)?;
        let request: AccessRequest = parse_optional_json("request_json", "access request", text)?;
        let concurrency = request
            .concurrency
            .unwrap_or(photo_policy_core::fleet::DEFAULT_CONCURRENCY);
        // SAFETY: caller's contract.
        let entries = unsafe {
            complete_scoped(ctx, false, |context| async move {
                access::get_many(&borrowed, &request, concurrency, &context).await
            })
        }?;
        let results = entries
            .iter()
            .map(|entry| entry_json(entry, entry.error.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let result = PupResult::from_serialize(&json!({ "results": results }))?;
        // SAFETY: checked non-NULL above.
        unsafe { deliver_result(out_result, result) };
        Ok(())
    })
}

/// Answers for one principal: can it change photos now, and if not why and what to do. Request:
/// `{"userId":"<object ID or UPN>"}`, `{"servicePrincipalId":"<object ID or app ID>"}`, or
/// NULL,0 / `{}` for the signed-in user or app (for a signed-in user the service's own answer,
/// `GET /beta/me/photo/getAllowedOperations`, is included). Result: AccessCheck (docs/c-abi.md).
/// Both IDs at once is `PUP_STATUS_INVALID_ARGUMENT` and nothing is sent. Blocking; reads only.
///
/// # Safety
/// `client` is a live client handle; the JSON pair is NULL with length 0 or points to
/// `request_len` readable bytes; `ctx` is NULL or a live context; `out_result` is writable;
/// `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_access_check(
    client: *const PupClient,
    request_json: *const u8,
    request_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("request_json", request_json, request_len) }?;
        out_arg("out_result", out_result)?;
        let request: CheckRequest = parse_optional_json("request_json", "access check", text)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, false, out_result, |context| async move {
                access::check(client, &request, &context).await
            })
        }
    })
}

/// Who gains and who loses the ability to change photos if a change request (the JSON of
/// `pup_policy_plan`) were applied; nothing is written. Result: AccessImpact (docs/c-abi.md):
/// `lines` are ready to show; `known` is false (and one line names RoleManagement.Read.Directory)
/// when role assignments could not be read. Blocking; reads only.
///
/// # Safety
/// As for [`pup_access_check`], with `change_json` in place of `request_json`.
#[no_mangle]
pub unsafe extern "C" fn pup_access_impact(
    client: *const PupClient,
    change_json: *const u8,
    change_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("change_json", change_json, change_len) }?;
        out_arg("out_result", out_result)?;
        let change = ChangeRequest::from_json(text)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, false, out_result, |context| async move {
                access::impact(client, &change, &context).await
            })
        }
    })
}

/// Who gains and who loses the ability to change photos under a plan made with `client`
/// (`pup_policy_plan_begin` or `pup_policy_reset_begin`), between the policy the plan read and
/// the one it leads to: the policy is not read again, only the directory. Result: AccessImpact,
/// as [`pup_access_impact`]. A plan made with another client is `PUP_STATUS_INVALID_ARGUMENT` and
/// nothing is sent. The plan stays the caller's (it can still be applied). Blocking; reads only.
///
/// # Safety
/// `client` is a live client handle; `plan` is a live plan handle; `ctx` is NULL or a live
/// context; `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_access_plan_impact(
    client: *const PupClient,
    plan: *const PupPlan,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let policy_client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let plan = unsafe { plan_for(client, plan) }?;
        out_arg("out_result", out_result)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, false, out_result, |context| async move {
                access::impact_of_plan(policy_client, plan.plan(), &context).await
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use graph_emulator::{Emulator, Profile, TokenSpec};

    use serde_json::Value;

    use super::*;
    use crate::client::pup_client_free;
    use crate::error::pup_error_free;
    use crate::test_support::{emulator_client, result_json};

    const TENANT: &str = "a1000000-0000-4000-8000-000000000016";

    #[test]
    fn access_exports_answer_per_tenant_per_principal_and_per_change() {
        let emu = Emulator::start_blocking(Profile::default());
        emu.set_policy(
            TENANT,
            json!({"allowedRoles": ["024906de-61e5-49c8-8572-40335f1e0e10"]}),
        );
        emu.set_directory(
            TENANT,
            json!({"users": [{"id": "u1", "displayName": "Ada", "userPrincipalName": "ada@x"}],
                   "servicePrincipals": [{"id": "s1", "displayName": "Sync"}],
                   "roleAssignments": [{"principalId": "u1", "roleDefinitionId": "024906de-61e5-49c8-8572-40335f1e0e10"}],
                   "appRoleAssignments": [{"principalId": "s1", "appRoleId": "User.ReadWrite.All"}]}),
        );
        let perms = [
            "PeopleSettings.Read.All",
            "RoleManagement.Read.Directory",
            "Application.Read.All",
            "User.Read.All",
        ];
        let good = emulator_client(&emu, None, TokenSpec::app(TENANT, &perms));
        let expired = emulator_client(&emu, None, TokenSpec::app(TENANT, &perms).expires_in(-60));
        let handles = [good as *const PupClient, expired as *const PupClient];
        let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid handles; NULL,0 request = defaults.
        let st = unsafe {
            pup_access_get(
                handles.as_ptr(),
                2,
                ptr::null(),
                0,
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        let report = &v["results"][0]["report"];
        assert_eq!(report["principals"][0]["displayName"], "Ada");
        assert_eq!(report["principals"][1]["willBeRefused"], true);
        assert_eq!(report["complete"], true);
        assert_eq!(v["results"][1]["report"], Value::Null);
        assert_eq!(v["results"][1]["error"]["kind"], "Authentication");

        let req = br#"{"userId":"ada@x"}"#;
        // SAFETY: valid handle and buffers.
        let st = unsafe {
            pup_access_check(
                good,
                req.as_ptr(),
                req.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        assert_eq!(v["principal"]["canChangeOthersPhotos"], true);
        assert!(v["summary"].as_str().unwrap().starts_with("Ada can change"));

        let both = br#"{"userId":"a","servicePrincipalId":"b"}"#;
        // SAFETY: valid handle and buffers.
        let st = unsafe {
            pup_access_check(
                good,
                both.as_ptr(),
                both.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::InvalidArgument);
        // SAFETY: freed once.
        unsafe { pup_error_free(error) };
        let unknown = br#"{"user":"a"}"#;
        // SAFETY: valid handle and buffers.
        let st = unsafe {
            pup_access_check(
                good,
                unknown.as_ptr(),
                unknown.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::InvalidJson);
        // SAFETY: freed once.
        unsafe { pup_error_free(error) };

        let change = br#"{"allowedRoles":[]}"#;
        // SAFETY: valid handle and buffers.
        let st = unsafe {
            pup_access_impact(
                good,
                change.as_ptr(),
                change.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        assert_eq!(v["known"], true);
        assert_eq!(v["gains"][0]["name"], "Sync");

        // NULL arrays and counts are refused before anything runs.
        // SAFETY: NULL is what is tested.
        let st = unsafe {
            pup_access_get(
                ptr::null(),
                1,
                ptr::null(),
                0,
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::NullArgument);
        // SAFETY: freed once; each client freed once.
        unsafe {
            pup_error_free(error);
            pup_client_free(good);
            pup_client_free(expired);
        }
    }
}
