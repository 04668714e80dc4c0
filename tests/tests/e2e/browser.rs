//! The dashboard in Debian's Chromium, driven by playwright-core (never a
//! downloaded browser). The scripts live beside the dashboard, in
//! `gateway/web/e2e/`, and use its locked npm packages (`tests/run` installs
//! them with `npm ci`); this test starts what they need, runs them, and
//! fails when they do. Screenshots go to `<target dir>/browser/`
//! (`FORECAST_MESH_BROWSER_OUT` overrides).

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use gateway::{
    config::OidcSettings,
    oidc::{JwksSource, Refresh},
    web::{SignIn, WebSettings},
};
use mesh::local::Edge;
use mesh_tests::{TestMesh, tools::workspace_root};

fn web_dir() -> anyhow::Result<PathBuf> {
    let dir = workspace_root().join("gateway").join("web");
    if !dir.join("node_modules").join("playwright-core").exists() {
        bail!(
            "{} has no node_modules: run tests/run, which runs `npm ci` there",
            dir.display()
        );
    }
    Ok(dir)
}

fn chromium() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("FORECAST_MESH_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !path.exists() {
        bail!(
            "{} is missing: run tests/run, which installs Debian's chromium",
            path.display()
        );
    }
    Ok(path)
}

fn out_dir(name: &str) -> PathBuf {
    let base = std::env::var_os("FORECAST_MESH_BROWSER_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| workspace_root().join("target"), PathBuf::from)
                .join("browser")
        });
    base.join(name)
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts oidc-provider for the dashboard at `origin`; returns it and its issuer.
async fn provider(web: &std::path::Path, origin: &str) -> anyhow::Result<(Killed, String)> {
    let mut child = Command::new("node")
        .arg("e2e/provider.mjs")
        .current_dir(web)
        .env("GATEWAY_ORIGIN", origin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting node e2e/provider.mjs")?;
    let stdout = child.stdout.take().context("provider stdout")?;
    let child = Killed(child);
    let issuer = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
            for line in BufReader::new(stdout).lines() {
                let line = line?;
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(issuer) = value["issuer"].as_str()
                {
                    return Ok(issuer.to_owned());
                }
            }
            bail!("oidc-provider exited before it listened")
        }),
    )
    .await
    .context("oidc-provider did not start within 60 s")???;
    Ok((child, issuer))
}

/// Runs `script` with `env` in the web directory; fails unless it passes.
async fn run_script(script: &str, env: Vec<(&'static str, String)>) -> anyhow::Result<()> {
    let web = web_dir()?;
    let script = script.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .current_dir(&web)
            .envs(env)
            .output()
            .with_context(|| format!("running node {script}"))
    })
    .await??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    if !output.status.success() {
        bail!("the browser test failed:\n{stdout}\n{stderr}");
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_signs_in_through_oidc_provider_and_checks_every_page() -> anyhow::Result<()> {
    let web = web_dir()?;
    let chromium = chromium()?;
    let port = free_port()?;
    let gateway_url = format!("http://127.0.0.1:{port}");
    let (_provider, issuer) = provider(&web, &gateway_url).await?;
    let authority = issuer.clone();
    let mesh = TestMesh::start_with_edge(port, move |_| Edge {
        oidc: OidcSettings {
            issuer: authority.clone(),
            audience: "forecast-mesh".into(),
            // The issuer's discovery document names its jwks_uri.
            jwks: JwksSource::Discovery,
            jwks_refresh: Refresh {
                min_interval: Duration::from_secs(1),
                ..Refresh::default()
            },
            algorithms: vec![jsonwebtoken::Algorithm::RS256],
        },
        web: WebSettings::new(SignIn::Oidc {
            authority,
            client_id: "dashboard".into(),
            scope: "openid forecasts:read audit:read".into(),
            resource: Some("urn:forecast-mesh:gateway".into()),
        }),
    })
    .await?;
    let out = out_dir("oidc");
    println!("screenshots: {}", out.display());
    let result = run_script(
        "e2e/dashboard.mjs",
        vec![
            ("GATEWAY_URL", gateway_url),
            ("ISSUER", issuer),
            ("OUT_DIR", out.display().to_string()),
            ("CHROMIUM", chromium.display().to_string()),
        ],
    )
    .await;
    mesh.stop().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_dev_sign_in_url_opens_the_dashboard_as_the_dev_user() -> anyhow::Result<()> {
    let chromium = chromium()?;
    let mesh = TestMesh::start().await?;
    let gateway_url = format!("http://{}", mesh.addresses.gateway);
    let out = out_dir("dev");
    println!("screenshots: {}", out.display());
    let result = run_script(
        "e2e/dev-sign-in.mjs",
        vec![
            ("GATEWAY_URL", gateway_url),
            ("DEV_TOKEN", mesh.bearer()?),
            ("OUT_DIR", out.display().to_string()),
            ("CHROMIUM", chromium.display().to_string()),
        ],
    )
    .await;
    mesh.stop().await;
    result
}
