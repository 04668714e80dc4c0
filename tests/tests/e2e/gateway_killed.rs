//! A gateway killed with SIGKILL under load and started again loses no
//! audit entry of a call it answered: each was on disk in the spool before
//! its answer left, and the next start drains it. `mesh up` runs as a
//! process of its own so that it can be killed.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use mesh::{dev::DevState, process::MeshProcess};
use mesh_tests::audit_trail::{kpis_under_load, tally, wait_audited};
use proto::gateway::gateway_service_client::GatewayServiceClient;
use tonic::transport::{Channel, Endpoint};

/// The `mesh` binary beside this test's own (`cargo nextest run
/// --workspace` builds it).
fn mesh_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let binary = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("test binary has no target directory")?
        .join("mesh");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build it with `cargo build -p mesh` (tests/run does)",
        binary.display()
    );
    Ok(binary)
}

async fn client(mesh: &MeshProcess) -> anyhow::Result<GatewayServiceClient<Channel>> {
    let channel = Endpoint::from_shared(format!("http://{}", mesh.gateway))?
        .connect()
        .await?;
    Ok(GatewayServiceClient::new(channel))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_under_load_loses_no_answered_calls_entry() -> anyhow::Result<()> {
    let binary = mesh_binary()?;
    let dir = tempfile::tempdir()?;
    let state = DevState::load_or_create(dir.path())?;
    let token = state.issuer.token("test-user", Duration::from_secs(600))?;
    // Enough principals that none is past its rate limit.
    let callers = (0..16)
        .map(|n| {
            state
                .issuer
                .token(&format!("caller-{n}"), Duration::from_secs(600))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let first = MeshProcess::start(&binary, dir.path())?;
    let load = tokio::spawn(kpis_under_load(
        client(&first).await?,
        callers,
        40,
        Duration::from_secs(6),
    ));
    tokio::time::sleep(Duration::from_secs(3)).await;
    first.kill()?;
    let (answered, failed) = load.await??;
    assert!(
        answered.len() > 50,
        "the load ran: {} answered",
        answered.len()
    );
    assert!(failed > 0, "the kill cut calls off");

    let second = MeshProcess::start(&binary, dir.path())?;
    let mut gateway = client(&second).await?;
    let audited = wait_audited(&mut gateway, &token, &answered, Duration::from_secs(60)).await?;
    let seen = tally(&answered, &audited);
    println!("gateway killed under load ({failed} calls cut off): {seen:?}");
    assert_eq!((seen.lost, seen.duplicated), (0, 0), "{seen:?}");
    Ok(())
}
