//! Generates the C header from `ffi/` with cbindgen.
//!
//! The header is always written to `$OUT_DIR/photo_update_policy.h`; `tests/header.rs` compares it
//! with the committed `ffi/include/photo_update_policy.h` so drift fails the tests. The committed
//! copy is only overwritten when `PUP_UPDATE_HEADER=1` is set, so a normal build never edits a
//! tracked file behind the developer's back.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let ffi_dir = crate_dir.join("ffi");
    let config_path = ffi_dir.join("cbindgen.toml");

    // Watch the sources and the config, not ffi/include/ (which this script may write).
    println!("cargo:rerun-if-changed={}", config_path.display());
    for entry in std::fs::read_dir(&ffi_dir)
        .expect("ffi/ is readable")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rs") {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PUP_UPDATE_HEADER");

    let config = cbindgen::Config::from_file(&config_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", config_path.display()));
    // Parse ffi/lib.rs and the modules it declares directly: no `cargo metadata` run inside a build
    // script, and no dependency crates are needed for the header.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(ffi_dir.join("lib.rs"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed: {e}"));

    let generated = out_dir.join("photo_update_policy.h");
    bindings.write_to_file(&generated);

    if env::var("PUP_UPDATE_HEADER").as_deref() == Ok("1") {
        let committed = ffi_dir.join("include").join("photo_update_policy.h");
        std::fs::create_dir_all(committed.parent().expect("include dir"))
            .unwrap_or_else(|e| panic!("cannot create ffi/include: {e}"));
        let text = std::fs::read(&generated).expect("generated header is readable");
        // Only touch the committed file when it really changes (keeps mtimes and git quiet).
        if std::fs::read(&committed).ok().as_deref() != Some(text.as_slice()) {
            std::fs::write(&committed, &text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", committed.display()));
        }
    }
}
