//! App Service, Functions, Container Apps and Azure Automation: `IDENTITY_ENDPOINT` +
//! `IDENTITY_HEADER`; `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=…` with the header
//! value in `X-IDENTITY-HEADER`.

use crate::auth::context::SignInContext;
use crate::auth::http::{send, Answer};
use crate::call_context::CallContext;
use crate::error::Result;

/// The token API version of these hosts.
pub(super) const API_VERSION: &str = "2019-08-01";

/// Query parameter names of a user-assigned identity: client ID, object (principal) ID,
/// resource ID.
pub(super) const ID_PARAMS: [&str; 3] = ["client_id", "principal_id", "mi_res_id"];

/// The one token request, authenticated by the host's identity header.
pub(super) async fn exchange(
    ctx: &SignInContext,
    url: &url::Url,
    shown: &str,
    identity_header: &str,
    call: &CallContext,
) -> Result<Answer> {
    let build = || {
        ctx.http
            .get(url.clone())
            .header("X-IDENTITY-HEADER", identity_header)
            .header("Metadata", "True")
    };
    send(ctx, "GET", shown, &build, call).await
}
