//! Nothing lost: before a write, the policy as it was is saved as a policy document (the same
//! shape Export writes, so Import restores it), and files are written atomically.
//!
//! Atomic means: a temporary file in the destination folder, written, flushed to disk
//! (`sync_all`), then renamed to the destination. A reader (or a crash) sees the old file or
//! the new one, never half of one. The temporary file is in the same folder because a rename
//! across file systems is a copy, which is not atomic.
//!
//! Never overwriting means the final step itself refuses an existing file (not a check before
//! it, which two writers can both pass): `renameat2(RENAME_NOREPLACE)` on Linux, a hard link
//! (which fails when the name is taken) elsewhere. A backup whose name is taken moves on to the
//! next free name, so concurrent changes (threads or processes) each keep their own file.
//! Only regular files are ever replaced: a device node, pipe or socket at the destination is
//! refused, whatever `overwrite` says.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::document::PolicyDocument;
use crate::error::{Error, ErrorKind, Result};
use crate::model::PolicyView;

/// How many numbered names (`-1` … `-N`) a backup tries after its first choice is taken. Far
/// beyond any real burst within one second; a bound so a broken file system cannot loop forever.
const MAX_BACKUP_SUFFIX: u32 = 10_000;

/// Writes `contents` to `path` atomically (see the module docs). With `overwrite` false an
/// existing file is an [`ErrorKind::Io`] error and nothing is written, even when another writer
/// creates it while this one writes. The destination, when it exists, must be a regular file
/// (or a link to one): folders, devices, pipes and sockets are refused. The parent folder must
/// exist. Errors name the path and the operating system's reason.
pub fn write_atomic(path: &Path, contents: &[u8], overwrite: bool) -> Result<()> {
    check_destination(path, overwrite)?;
    write_then_rename(path, contents, overwrite).map_err(|e| write_error(path, &e))
}

/// Refuses a destination that is a folder or not a regular file, or (without `overwrite`) one
/// that exists. A dangling link counts as missing: the rename replaces the link, not its target.
fn check_destination(path: &Path, overwrite: bool) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Ok(()),
    };
    let meta = if meta.file_type().is_symlink() {
        match fs::metadata(path) {
            Ok(target) => target,
            Err(_) => return Ok(()),
        }
    } else {
        meta
    };
    if meta.is_dir() {
        return Err(io_error(
            path,
            "it is a folder",
            "Give a file name, or a folder for backups.",
        ));
    }
    if !meta.is_file() {
        return Err(io_error(
            path,
            "it is not a regular file (a device, pipe or socket); only regular files are replaced",
            "Give the path of a regular file.",
        ));
    }
    if !overwrite {
        return Err(exists_error(path));
    }
    Ok(())
}

/// Writes a temporary file next to `path`, flushes it, and renames it to `path` (refusing an
/// existing file unless `overwrite`). The temporary file is removed on every failure.
fn write_then_rename(path: &Path, contents: &[u8], overwrite: bool) -> io::Result<()> {
    let folder = parent_folder(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "it has no file name"))?;
    let temp = folder.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| -> io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        if overwrite {
            fs::rename(&temp, path)
        } else {
            rename_no_replace(&temp, path)
        }
    })();
    match written {
        Ok(()) => {
            // Make the rename itself durable where the OS allows syncing a folder (not Windows).
            #[cfg(unix)]
            if let Ok(dir) = fs::File::open(&folder) {
                let _ = dir.sync_all();
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

fn parent_folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Renames `from` to `to`, failing with [`io::ErrorKind::AlreadyExists`] when `to` exists; the
/// check and the rename are one step of the file system, so no other writer can slip between.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        match renameat2_no_replace(from, to) {
            Ok(()) => return Ok(()),
            // The file system (or an old kernel) does not know the flag: fall back to a link.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) => {}
            Err(e) => return Err(e),
        }
    }
    link_then_remove(from, to)
}

#[cfg(target_os = "linux")]
fn renameat2_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the path contains NUL"))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: both pointers are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A hard link fails when the name exists (POSIX `link`, Windows `CreateHardLinkW`); the
/// temporary name is removed once the link holds the contents.
fn link_then_remove(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => {
            let _ = fs::remove_file(from);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // No hard links on this file system (FAT, some network shares): check, then rename.
        // Two writers could still race here; documented in docs/hardening.md.
        Err(_) if to.exists() => Err(io::Error::from(io::ErrorKind::AlreadyExists)),
        Err(_) => fs::rename(from, to),
    }
}

/// Where a backup goes first: `path` itself when it names a file; inside it, as
/// `photoUpdatePolicy-<tenant>-<yyyyMMddTHHmmssZ>.json`, when it is an existing folder or ends
/// with a path separator (then the folder is created when missing). When that name is taken,
/// `-1`, `-2`, … are appended (two changes within one second); [`write_backup`] claims the name
/// with a write that refuses existing files, so a name taken meanwhile moves it on again.
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
    let first = given.join(format!("photoUpdatePolicy-{tenant}-{stamp}.json"));
    Ok((0..=MAX_BACKUP_SUFFIX)
        .map(|n| numbered(&first, n))
        .find(|candidate| !candidate.exists())
        .unwrap_or(first))
}

/// `file` with `-n` before its extension (`n` = 0: `file` itself).
fn numbered(file: &Path, n: u32) -> PathBuf {
    if n == 0 {
        return file.to_path_buf();
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match file.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    file.with_file_name(name)
}

/// Saves `previous` (the policy before a write) as a policy document under `path` (a file or a
/// folder, see [`backup_file`]) and returns the file written. An existing file is never
/// replaced: when the name is taken (an earlier backup, or another writer in the same second)
/// the next numbered name is used. Called before anything is sent; an error here means the
/// change must not start.
pub fn write_backup(path: &str, previous: &PolicyView) -> Result<PathBuf> {
    let now = Utc::now();
    let first = backup_file(path, previous.tenant_id.as_deref(), now)?;
    let text = PolicyDocument::from_view(previous, now).to_text();
    let not_changed = |e: Error, file: &Path| {
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
    };
    for n in 0..=MAX_BACKUP_SUFFIX {
        let candidate = numbered(&first, n);
        match fs::symlink_metadata(&candidate) {
            Err(_) => {}
            // Taken by an earlier backup (or anything else that is a file): try the next name.
            Ok(meta) if meta.is_file() || meta.file_type().is_symlink() => continue,
            Ok(_) => {
                return Err(not_changed(
                    check_destination(&candidate, true)
                        .err()
                        .unwrap_or_else(|| {
                            io_error(&candidate, "it exists", "Choose another backup path.")
                        }),
                    &candidate,
                ))
            }
        }
        match write_then_rename(&candidate, text.as_bytes(), false) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(not_changed(write_error(&candidate, &e), &candidate)),
        }
    }
    Err(not_changed(
        io_error(
            &first,
            &format!("{MAX_BACKUP_SUFFIX} numbered names next to it are taken"),
            "Choose another backup folder, or move old backups away.",
        ),
        &first,
    ))
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

fn write_error(path: &Path, e: &io::Error) -> Error {
    if e.kind() == io::ErrorKind::AlreadyExists {
        return exists_error(path);
    }
    io_error(
        path,
        &e.to_string(),
        "Check that the folder exists and that you may write to it.",
    )
}

fn exists_error(path: &Path) -> Error {
    io_error(
        path,
        "the file already exists",
        "Choose another name, or allow overwriting it (-Force).",
    )
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
    fn eight_threads_of_ten_backups_into_one_folder_keep_eighty_files() {
        let dir = tempfile::tempdir().unwrap();
        let folder = format!("{}/", dir.path().display());
        let written: Vec<PathBuf> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|t| {
                    let folder = folder.clone();
                    scope.spawn(move || {
                        (0..10)
                            .map(|i| {
                                let policy = Policy::from_json(&serde_json::json!({
                                    "source": "cloud", "marker": format!("{t}-{i}")
                                }))
                                .unwrap();
                                let view =
                                    PolicyView::new(&policy, Some("t-1".into()), Cloud::Global);
                                write_backup(&folder, &view).unwrap()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let distinct: std::collections::BTreeSet<_> = written.iter().collect();
        assert_eq!(distinct.len(), 80, "every backup got its own name");
        let files: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(
            files.len(),
            80,
            "80 files, no temporary file left: {files:?}"
        );
        let mut markers: Vec<String> = files
            .iter()
            .map(|f| {
                let doc: serde_json::Value =
                    serde_json::from_str(&fs::read_to_string(f).unwrap()).unwrap();
                doc["additionalProperties"]["marker"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| doc.to_string())
            })
            .collect();
        markers.sort();
        markers.dedup();
        assert_eq!(markers.len(), 80, "each file holds its own change's state");
    }

    #[test]
    fn a_backup_named_as_a_file_never_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("before.json");
        fs::write(&file, "earlier backup").unwrap();
        let policy = Policy::from_json(&serde_json::json!({"source": "cloud"})).unwrap();
        let view = PolicyView::new(&policy, Some("t-1".into()), Cloud::Global);
        let written = write_backup(&file.to_string_lossy(), &view).unwrap();
        assert_eq!(written, dir.path().join("before-1.json"));
        assert_eq!(fs::read_to_string(&file).unwrap(), "earlier backup");
        assert!(fs::read_to_string(&written).unwrap().contains("cloud"));
    }

    #[test]
    fn the_final_rename_refuses_a_file_created_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("temp");
        let taken = dir.path().join("taken.json");
        fs::write(&temp, "new").unwrap();
        fs::write(&taken, "old").unwrap();
        let err = rename_no_replace(&temp, &taken).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&taken).unwrap(), "old");
        let free = dir.path().join("free.json");
        rename_no_replace(&temp, &free).unwrap();
        assert_eq!(fs::read_to_string(&free).unwrap(), "new");
        assert!(!temp.exists());
        link_then_remove(&free, &taken).unwrap_err();
        assert_eq!(fs::read_to_string(&taken).unwrap(), "old");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_pipe_or_socket_is_never_replaced_even_with_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let err = write_atomic(&socket, b"x", true).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(
            err.message().contains("not a regular file"),
            "{}",
            err.message()
        );
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket());

        // /dev/null is a character device: refused before anything is written.
        let err = write_atomic(Path::new("/dev/null"), b"x", true).unwrap_err();
        assert!(
            err.message().contains("not a regular file"),
            "{}",
            err.message()
        );
        // A link to a device is refused too; a link to a regular file may be replaced.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        assert!(write_atomic(&link, b"x", true).is_err());
        let policy = Policy::from_json(&serde_json::json!({"source": "cloud"})).unwrap();
        let view = PolicyView::new(&policy, Some("t-1".into()), Cloud::Global);
        let err = write_backup(&socket.to_string_lossy(), &view).unwrap_err();
        assert!(
            err.message().contains("not a regular file"),
            "{}",
            err.message()
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no file written"
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
