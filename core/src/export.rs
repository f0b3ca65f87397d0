//! Export: read the tenant's policy and hand it back as a [`PolicyDocument`], optionally written
//! to a file. Kept apart from [`crate::document`] (which only reads and writes documents) because
//! it needs the client, and the client needs documents for its backups.

use std::path::Path;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::backup;
use crate::call_context::CallContext;
use crate::client::PolicyClient;
use crate::document::PolicyDocument;
use crate::error::{Error, Result};
use crate::events;

/// Options of an export (`pup_policy_export`'s options JSON); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportOptions {
    /// A file to write the document to (atomically); none → the document is only returned.
    #[serde(default)]
    pub path: Option<String>,
    /// Replace an existing file; without it an existing file is an [`ErrorKind::Io`](crate::error::ErrorKind::Io) error.
    #[serde(default)]
    pub overwrite: bool,
}

/// The result of an export: the document and where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportOutcome {
    /// The document (file shape, see the module docs).
    pub document: Value,
    /// The file written, when a path was given.
    pub path: Option<String>,
}

/// Reads the tenant's policy and returns it as a document, written atomically to
/// `options.path` when given. Nothing is written when the read fails.
pub async fn export(
    client: &PolicyClient,
    options: &ExportOptions,
    ctx: &CallContext,
) -> Result<ExportOutcome> {
    let view = client.get(ctx).await?;
    let document = PolicyDocument::from_view(&view, Utc::now());
    let path = match options.path.as_deref().map(str::trim) {
        None => None,
        Some("") => {
            return Err(Error::invalid_argument("The export path is empty.").with_target("path"))
        }
        Some(p) => {
            backup::write_atomic(
                Path::new(p),
                document.to_text().as_bytes(),
                options.overwrite,
            )?;
            events::verbose(&ctx.events, format!("Exported the policy to {p}."));
            Some(p.to_string())
        }
    };
    Ok(ExportOutcome {
        document: document.to_json(),
        path,
    })
}
