//! Azure VMs and VM scale sets: the Instance Metadata Service at a fixed link-local address,
//! `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…`
//! with `Metadata: true`.

use crate::auth::context::SignInContext;
use crate::auth::http::{send, Answer};
use crate::call_context::CallContext;
use crate::error::Result;

/// The VM Instance Metadata Service token endpoint.
pub const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// The token API version used.
pub(super) const API_VERSION: &str = "2018-02-01";

/// Query parameter names of a user-assigned identity: client ID, object ID, resource ID.
pub(super) const ID_PARAMS: [&str; 3] = ["client_id", "object_id", "msi_res_id"];

/// The one token request.
pub(super) async fn exchange(
    ctx: &SignInContext,
    url: &url::Url,
    shown: &str,
    call: &CallContext,
) -> Result<Answer> {
    let build = || ctx.http.get(url.clone()).header("Metadata", "true");
    send(ctx, "GET", shown, &build, call).await
}
