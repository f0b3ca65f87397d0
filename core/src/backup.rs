//! Nothing lost: before a write, the policy as it was is saved as a policy document (the same
//! shape Export writes, so Import restores it), and files are written atomically.
//!
//! Atomic means: a temporary file in the destination folder, written, flushed to disk
//! (`sync_all`), then renamed over the destination. A reader (or a crash) sees the old file or
//! the new one, never half of one. The temporary file is in the same folder because a rename
//! across file systems is a copy, which is not atomic.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::document::PolicyDocument;
use crate::error::{Error, ErrorKind, Result};
use crate::model::PolicyView;

/// Writes `contents` to `path` atomically (see the module docs). With `overwrite` false an
/// existing file is an [`ErrorKind::Io`] error and nothing is written. The parent folder must
/// exist. Errors name the path and the operating system's reason.
pub fn write_atomic(path: &Path, contents: &[u8], overwrite: bool) -> Result<()> {
    if path.is_dir() {
        return Err(io_error(
            path,
            "it is a folder",
            "Give a file name, or a folder for backups.",
        ));
    }
    if !overwrite && path.exists() {
        return Err(io_error(
            path,
            "the file already exists",
            "Choose another name, or allow overwriting it (-Force).",
        ));
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io_error(path, "it has no file name", "Give a file name."))?;
    let temp = folder.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));

    let written = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        // Make the rename itself durable where the OS allows syncing a folder (not Windows).
        #[cfg(unix)]
        if let Ok(dir) = fs::File::open(&folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&temp);
        io_error(
            path,
            &e.to_string(),
            "Check that the folder exists and that you may write to it.",
        )
    })
}

/// Where a backup goes: `path` itself when it names a file; inside it, as
/// `photoUpdatePolicy-<tenant>-<yyyyMMddTHHmmssZ>.json`, when it is an existing folder or ends
/// with a path separator (then the folder is created when missing). An existing file in the
/// folder is never replaced: `-1`, `-2`, … are appended (two changes within one second).
pub fn backup_file(path: &str, tenant: Option<&str>, at: DateTime<Utc>) -> Result<PathBuf> {
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid_argument(
            "The backup path is empty. Give a file (photo-policy-backup.json) or a folder.",
        )
        .with_target("backupPath"));
    }
    let given = Path::new(trimmed);
    let is_folder = given.is_dir() || trimmed.ends_with('/') || trimmed.ends_with('\\');
    if !is_folder {
        return Ok(given.to_path_buf());
    }
    fs::create_dir_all(given).map_err(|e| {
        io_error(
            given,
            &e.to_string(),
            "Check that the backup folder can be created and written to.",
        )
    })?;
    let tenant = sanitize(tenant.unwrap_or("unknown-tenant"));
    let stamp = at.format("%Y%m%dT%H%M%SZ");
    let base = format!("photoUpdatePolicy-{tenant}-{stamp}");
    let mut candidate = given.join(format!("{base}.json"));
    let mut n = 1;
    while candidate.exists() {
        candidate = given.join(format!("{base}-{n}.json"));
        n += 1;
    }
    Ok(candidate)
}

/// Saves `previous` (the policy before a write) as a policy document under `path` (a file or a
/// folder, see [`backup_file`]) and returns the file written. Called before anything is sent;
/// an error here means the change must not start.
pub fn write_backup(path: &str, previous: &PolicyView) -> Result<PathBuf> {
    let now = Utc::now();
    let file = backup_file(path, previous.tenant_id.as_deref(), now)?;
    let document = PolicyDocument::from_view(previous, now);
    write_atomic(&file, document.to_text().as_bytes(), true).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("{} Nothing was changed.", e.message()),
        )
        .with_target(file.display().to_string())
        .with_recommended_action(
            e.recommended_action()
                .unwrap_or("Choose a backup path you can write to.")
                .to_string(),
        )
    })?;
    Ok(file)
}

/// Keeps a tenant name usable in a file name on every OS.
fn sanitize(tenant: &str) -> String {
    tenant
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn io_error(path: &Path, why: &str, action: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("The file '{}' could not be written: {why}.", path.display()),
    )
    .with_target(path.display().to_string())
    .with_recommended_action(action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::model::Policy;

    #[test]
    fn folder_backups_get_a_tenant_and_time_name_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-27T10:00:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let folder = dir.path().to_string_lossy().into_owned();
        let first = backup_file(&folder, Some("contoso.onmicrosoft.com"), at).unwrap();
        assert_eq!(
            first.file_name().unwrap().to_string_lossy(),
            "photoUpdatePolicy-contoso.onmicrosoft.com-20261127T100005Z.json"
        );
        fs::write(&first, "{}").unwrap();
        let second = backup_file(&folder, Some("contoso.onmicrosoft.com"), at).unwrap();
        assert!(second.to_string_lossy().ends_with("-1.json"));

        let nested = format!("{}/new/", dir.path().display());
        let file = backup_file(&nested, None, at).unwrap();
        assert!(Path::new(&nested).is_dir());
        assert!(file.to_string_lossy().contains("unknown-tenant"));
    }

    #[test]
    fn atomic_write_leaves_no_temp_file_and_respects_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.json");
        write_atomic(&file, b"one", false).unwrap();
        let err = write_atomic(&file, b"two", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("p.json"), "{}", err.message());
        write_atomic(&file, b"two", true).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");

        let missing = dir.path().join("no-such-folder").join("p.json");
        let err = write_atomic(&missing, b"x", true).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(
            err.message().contains("no-such-folder"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn backup_is_a_readable_policy_document() {
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::from_json(&serde_json::json!({"source": "cloud"})).unwrap();
        let view = PolicyView::new(&policy, Some("t-1".into()), Cloud::Global);
        let file = write_backup(&format!("{}/", dir.path().display()), &view).unwrap();
        let doc = PolicyDocument::from_text(&fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(doc.tenant_id.as_deref(), Some("t-1"));
        assert_eq!(doc.allowed_roles, Some(vec![]));
    }
}
