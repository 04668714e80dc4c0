//! The third-party clients the tests drive: grpcurl (a real operator client)
//! and buf (`buf curl --protocol grpcweb`, a real gRPC-web client). `tests/run`
//! installs them into `.venv`; a missing tool fails the test, it never skips.

use std::{path::PathBuf, process::Command};

use anyhow::{Context, bail};

/// Returns the workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Returns the path of `tool` in `.venv/bin`, or an error saying how to install it.
pub fn tool(name: &str) -> anyhow::Result<PathBuf> {
    let venv = std::env::var_os("FORECAST_MESH_VENV")
        .map_or_else(|| workspace_root().join(".venv"), PathBuf::from);
    let path = venv.join("bin").join(name);
    if !path.exists() {
        bail!(
            "{} is missing: run tests/run, which installs the test tools into .venv",
            path.display()
        );
    }
    Ok(path)
}

/// What a tool printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `tool` with `args` from the workspace root, off the async runtime.
pub async fn run(name: &str, args: Vec<String>) -> anyhow::Result<Output> {
    let path = tool(name)?;
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&path)
            .args(&args)
            .current_dir(workspace_root())
            .output()
            .with_context(|| format!("running {}", path.display()))
    })
    .await??;
    Ok(Output {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
