//! Policy as code over the C ABI: export a tenant's policy as a document, check a document
//! offline, and run one desired state against many tenants (fleet runs).

use photo_policy_core::document::PolicyDocument;
use photo_policy_core::export::{self, ExportOptions};
use photo_policy_core::fleet::{self, FleetRequest};
use serde_json::json;

use crate::client::{client_ref, run_scoped, PupClient};
use crate::context::PupCallContext;
use crate::error::PupError;
use crate::json::parse_optional_json;
use crate::panic::call;
use crate::result::{deliver_result, PupResult};
use crate::status::PupStatus;
use crate::strings::{out_arg, str_arg};
use crate::tenants::{clients_arg, complete_reporting, report_result};

/// Reads the tenant's policy and returns it as a policy document (docs/c-abi.md, "Policy
/// document"). `(options_json, options_len)` is NULL,0 for none, or
/// `{"path":"<file>","overwrite":false}`: the document is also written to that file atomically
/// (temporary file in the same folder, flush, rename); an existing file without `overwrite` is
/// `PUP_STATUS_IO` and nothing is written. Result: `{"document":{…},"path":"…"|null}`.
/// Blocking; `ctx` may be NULL.
///
/// On success `*out_result` (free with `pup_result_free`); on failure `*out_error` when not NULL
/// (free with `pup_error_free`).
///
/// # Safety
/// `client` is a live client handle; `(options_json, options_len)` is NULL with length 0 or
/// points to `options_len` readable bytes; `ctx` is NULL or a live context; `out_result` is
/// writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_policy_export(
    client: *const PupClient,
    options_json: *const u8,
    options_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("options_json", options_json, options_len) }?;
        out_arg("out_result", out_result)?;
        let options: ExportOptions = parse_optional_json("options_json", "export options", text)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, false, out_result, |context| async move {
                export::export(client, &options, &context).await
            })
        }
    })
}

/// Checks a policy document offline (strict: schemaVersion, types, source, role names and IDs)
/// and returns `{"document":{…normalised: roles as {"id","name"}…},"summary":"Source: …; Allowed
/// roles: …","warnings":["…"]}` (warnings: roles let through that the service refuses, deprecated
/// roles, IDs outside the catalog). A malformed document is `PUP_STATUS_INVALID_JSON`, a wrong value
/// `PUP_STATUS_INVALID_ARGUMENT`, each naming the field and the value. No network.
///
/// # Safety
/// `(document_json, document_len)` is NULL with length 0 or points to `document_len` readable
/// bytes; `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_document_parse(
    document_json: *const u8,
    document_len: usize,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("document_json", document_json, document_len) }?;
        out_arg("out_result", out_result)?;
        let doc = PolicyDocument::from_text(text)?;
        let result = PupResult::from_serialize(&json!({
            "document": doc.to_json(),
            "summary": doc.summary(),
            "warnings": doc.warnings(),
        }))?;
        // SAFETY: checked non-NULL above.
        unsafe { deliver_result(out_result, result) };
        Ok(())
    })
}

/// Tests or applies one desired state against many tenants: `clients[0..client_count]` (one
/// handle per tenant, each with its own credentials; the handles are borrowed for the call).
/// Request: `{"operation":"test"|"apply","desired":{…policy document…},"concurrency":n,
/// "backupFolder":"…","stopOnFailure":false}` (concurrency 1–1024, default 10; backupFolder only
/// for apply).
///
/// Tenants run concurrently, at most `concurrency` at a time, each with its own retries; one
/// tenant's failure never stops the others, it is recorded in its entry, unless `stopOnFailure`
/// is true: then no tenant starts after the first failure (those in flight finish). Result:
/// `{"operation","results":[{"index","tenantId","status":"compliant"|"drifted"|"unchanged"|
/// "changed"|"failed"|"notStarted","differences":[{"property","expected","actual"}],"changes",
/// "description","previous","current","backupPath","requests","elapsedMs","error":ErrorJson|null}],
/// "summary":{"total","compliant","drifted","unchanged","changed","failed","notStarted",
/// "elapsedMs","concurrency"}}`, entries in `clients` order; `error` has the shape of
/// `pup_error_json`. As each tenant finishes, its entry is emitted as a result event (level 6),
/// then a progress event (level 3). [`crate::pup_call_context_stop`] on `ctx` starts no more
/// tenants, lets those in flight finish and returns normally (the rest `"notStarted"`);
/// cancelling `ctx` stops every tenant at once and returns `PUP_STATUS_CANCELLED` (apply: some
/// tenants may already have been changed; their result events were sent). Blocking.
///
/// # Safety
/// `clients` points to `client_count` live client handles (none NULL), which stay valid for the
/// call; the JSON pair is NULL with length 0 or points to `request_len` readable bytes; `ctx` is
/// NULL or a live context; `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_fleet_run(
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
        let request = FleetRequest::from_json(text)?;
        let may_write = request.operation == fleet::FleetOperation::Apply;
        // SAFETY: caller's contract.
        let report = unsafe {
            complete_reporting(ctx, may_write, |context, on_done| async move {
                fleet::run_reporting(&borrowed, &request, &context, &on_done).await
            })
        }?;
        let result = report_result(&report)?;
        // SAFETY: checked non-NULL above.
        unsafe { deliver_result(out_result, result) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use graph_emulator::{Emulator, Profile};

    use photo_policy_core::events::EventLevel;
    use serde_json::Value;

    use super::*;
    use crate::client::{pup_client_free, pup_policy_reset};
    use crate::error::pup_error_free;
    use crate::test_support::{app_client, result_json};

    unsafe extern "C" fn collect_results(
        user_data: *mut std::ffi::c_void,
        level: u32,
        msg: *const u8,
        len: usize,
    ) {
        if level == EventLevel::Result as u32 {
            // SAFETY: `user_data` is the test's Mutex, alive for the call.
            let sink = unsafe { &*(user_data as *const std::sync::Mutex<Vec<Value>>) };
            // SAFETY: the library passes `len` readable bytes, valid during the callback.
            let bytes = unsafe { std::slice::from_raw_parts(msg, len) };
            sink.lock()
                .unwrap()
                .push(serde_json::from_slice(bytes).unwrap());
        }
    }

    #[test]
    fn fleet_run_sends_each_tenant_entry_as_a_result_event_and_stop_is_null_checked() {
        let emu = Emulator::start_blocking(Profile::default());
        let t = [
            "a2000000-0000-4000-8000-000000000001",
            "a2000000-0000-4000-8000-000000000002",
        ];
        let clients = [
            app_client(&emu, t[0], &["PeopleSettings.Read.All"], false),
            app_client(&emu, t[1], &["PeopleSettings.Read.All"], true),
        ];
        let handles: Vec<*const PupClient> = clients.iter().map(|c| *c as *const _).collect();
        let request = json!({"operation": "test", "concurrency": 1,
            "desired": {"schemaVersion": 1, "source": "cloud"}})
        .to_string();
        let events = std::sync::Mutex::new(Vec::<Value>::new());
        let ctx = crate::pup_call_context_new(
            Some(collect_results),
            &events as *const _ as *mut std::ffi::c_void,
        );
        let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid handles, buffers and context.
        let st = unsafe {
            pup_fleet_run(
                handles.as_ptr(),
                handles.len(),
                request.as_ptr(),
                request.len(),
                ctx,
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        // The events carry exactly the entries of the result, error JSON included.
        let sent = events.lock().unwrap().clone();
        assert_eq!(sent.len(), 2);
        let mut entries: Vec<Value> = v["results"].as_array().unwrap().clone();
        let mut sent_sorted = sent.clone();
        entries.sort_by_key(|e| e["index"].as_u64());
        sent_sorted.sort_by_key(|e| e["index"].as_u64());
        for (a, b) in entries.iter().zip(&sent_sorted) {
            let (mut a, mut b) = (a.clone(), b.clone());
            // Timing fields aside, the same entry.
            a["elapsedMs"] = Value::Null;
            b["elapsedMs"] = Value::Null;
            assert_eq!(a, b);
        }
        assert_eq!(sent_sorted[1]["status"], json!("failed"));
        assert_eq!(sent_sorted[1]["error"]["kind"], json!("Authentication"));

        // A stopped context starts no tenant at all; the run itself succeeds.
        // SAFETY: live context.
        assert_eq!(unsafe { crate::pup_call_context_stop(ctx) }, PupStatus::Ok);
        // SAFETY: valid handles, buffers and context.
        let st = unsafe {
            pup_fleet_run(
                handles.as_ptr(),
                handles.len(),
                request.as_ptr(),
                request.len(),
                ctx,
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        assert_eq!(v["summary"]["notStarted"], json!(2));
        // SAFETY: NULL is the tested input.
        assert_eq!(
            unsafe { crate::pup_call_context_stop(ptr::null()) },
            PupStatus::NullArgument
        );
        // SAFETY: each freed once.
        unsafe {
            crate::pup_call_context_free(ctx);
            for c in clients {
                pup_client_free(c);
            }
        }
    }

    #[test]
    fn fleet_run_reports_each_tenant_with_the_abi_error_shape() {
        let emu = Emulator::start_blocking(Profile::default());
        let ga = "62e90394-69f5-4237-9190-012177145e10";
        let t = [
            "a1000000-0000-4000-8000-000000000001",
            "a1000000-0000-4000-8000-000000000002",
            "a1000000-0000-4000-8000-000000000003",
        ];
        emu.set_policy(t[0], json!({"source": "cloud", "allowedRoles": [ga]}));
        let clients = [
            app_client(&emu, t[0], &["PeopleSettings.Read.All"], false),
            app_client(&emu, t[1], &["PeopleSettings.Read.All"], false),
            app_client(&emu, t[2], &["PeopleSettings.Read.All"], true),
        ];
        let handles: Vec<*const PupClient> = clients.iter().map(|c| *c as *const _).collect();
        let request = json!({"operation": "test", "concurrency": 2,
            "desired": {"schemaVersion": 1, "source": "cloud", "allowedRoles": ["Global Administrator"]}})
        .to_string();
        let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid handles and buffers.
        let st = unsafe {
            pup_fleet_run(
                handles.as_ptr(),
                handles.len(),
                request.as_ptr(),
                request.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        let statuses: Vec<_> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(statuses, ["compliant", "drifted", "failed"]);
        assert_eq!(v["results"][0]["error"], Value::Null);
        let e = &v["results"][2]["error"];
        assert_eq!(e["status"], json!(PupStatus::Authentication as u32));
        assert_eq!(e["kind"], json!("Authentication"));
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(v["summary"]["failed"], json!(1));

        // A NULL handle in the array is named.
        let with_null = [handles[0], ptr::null()];
        // SAFETY: the array is valid; the NULL entry is what is tested.
        let st = unsafe {
            pup_fleet_run(
                with_null.as_ptr(),
                2,
                request.as_ptr(),
                request.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::NullArgument);
        // SAFETY: freed once.
        unsafe { pup_error_free(error) };

        // Reset options are strict JSON.
        let bad = br#"{"backup":"x"}"#;
        let mut error = ptr::null_mut();
        // SAFETY: valid handle and buffers.
        let st = unsafe {
            pup_policy_reset(
                clients[0],
                bad.as_ptr(),
                bad.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::InvalidJson);
        // SAFETY: each freed once.
        unsafe {
            pup_error_free(error);
            for c in clients {
                pup_client_free(c);
            }
        }
    }

    #[test]
    fn document_parse_names_the_bad_field() {
        let doc = br#"{"schemaVersion":1,"source":"cloud","allowedRoles":["Global Admin"]}"#;
        let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid buffers.
        let st = unsafe { pup_document_parse(doc.as_ptr(), doc.len(), &mut result, &mut error) };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        assert_eq!(
            v["document"]["allowedRoles"][0]["name"],
            json!("Global Administrator")
        );
        let bad = br#"{"schemaVersion":1,"source":"sideways"}"#;
        // SAFETY: valid buffers.
        let st = unsafe { pup_document_parse(bad.as_ptr(), bad.len(), &mut result, &mut error) };
        assert_eq!(st, PupStatus::InvalidArgument);
        // SAFETY: freed once.
        unsafe { pup_error_free(error) };
    }
}
