//! Paths of workspace binaries, built once per test process on first use, so
//! that tests of `functions/*` run the real, current binary under
//! `cargo test --workspace`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use crate::{Error, Result};

static BUILT: OnceLock<Mutex<HashMap<(String, String), PathBuf>>> = OnceLock::new();

/// The binary of a function crate under `functions/` (package and binary share
/// the name, e.g. `function_binary("ingest")`).
pub fn function_binary(name: &str) -> Result<PathBuf> {
    workspace_binary(name, name)
}

/// Builds the workspace's binaries once per process and returns the path of `bin`
/// (of `package`). Blocking: it runs cargo.
///
/// `cargo build --profile test --workspace --bins --tests` resolves features exactly as
/// `cargo test --workspace` does (dev-dependencies active, one unification for the whole
/// workspace), so it reuses what the test run compiled instead of building every
/// dependency a second time with another feature set (`-p package` would).
pub fn workspace_binary(package: &str, bin: &str) -> Result<PathBuf> {
    let cache = BUILT.get_or_init(Default::default);
    let mut built = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let key = (package.to_string(), bin.to_string());
    if let Some(path) = built.get(&key) {
        return Ok(path.clone());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    tracing::info!(package, bin, "building workspace binary");
    let mut cmd = Command::new(&cargo);
    // Under `cargo test` this process carries the variables cargo sets for a test binary
    // (CARGO_PKG_NAME, CARGO_MANIFEST_DIR, ...). Build scripts such as ring's and aws-lc's
    // watch some of them (`rerun-if-env-changed`), so passing them on would rebuild those
    // crates and everything above them, and the next `cargo test` would rebuild them back.
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let set_by_cargo_for_tests = k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_BIN_EXE_")
            || matches!(
                k.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
                    | "CARGO_RUSTC_CURRENT_DIR"
                    | "OUT_DIR"
            );
        if set_by_cargo_for_tests {
            cmd.env_remove(&key);
        }
    }
    let out = cmd
        .current_dir(workspace_root())
        .args(["build", "--profile", "test", "--workspace", "--bins", "--tests"])
        .output()
        .map_err(|e| Error::Build {
            target: bin.to_string(),
            message: format!("running {cargo}: {e}"),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::Build {
            target: bin.to_string(),
            message: format!("{}\n{}", out.status, tail.join("\n")),
        });
    }
    let path = target_dir().join("debug").join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        return Err(Error::Build {
            target: bin.to_string(),
            message: format!("{} was not produced", path.display()),
        });
    }
    built.insert(key, path.clone());
    Ok(path)
}

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// The OCSF schema the tests build knowledge bases from: `OCSF_SCHEMA` (which
/// `scripts/fetch-assets` exports), else the compiled 1.8.0 schema in `../shared` beside
/// the checkout.
pub fn schema_path() -> PathBuf {
    std::env::var_os("OCSF_SCHEMA").map(PathBuf::from).unwrap_or_else(|| {
        workspace_root().join("../shared/data/ocsf-schema/ocsf-schema-1.8.0.json")
    })
}
