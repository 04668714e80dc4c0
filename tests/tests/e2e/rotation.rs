//! Certificate rotation: the warehouse's certificate is replaced on disk
//! while calls flow through it; new handshakes present the new certificate
//! and no call fails.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use mesh::dev::TRUST_DOMAIN;
use mesh_core::certs::{DevCa, dev_ca_name};
use mesh_tests::{TestMesh, with_bearer};
use proto::gateway::GetKpisRequest;
use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};

/// Completes a fresh handshake with the warehouse and returns the leaf
/// certificate it presented.
async fn presented_certificate(mesh: &TestMesh) -> anyhow::Result<Vec<u8>> {
    let config = mesh.tls_of("operator")?.client_config();
    let tcp = tokio::net::TcpStream::connect(mesh.addresses.warehouse).await?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let (_, session) = stream.get_ref();
    let leaf = session
        .peer_certificates()
        .and_then(|certs| certs.first())
        .ok_or_else(|| anyhow::anyhow!("no certificate"))?;
    Ok(leaf.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_served_without_failing_a_call() -> anyhow::Result<()> {
    let mesh = Arc::new(TestMesh::start().await?);
    let before = presented_certificate(&mesh).await?;

    let (stop, calls, failures) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let traffic = {
        let (mesh, stop, calls, failures) =
            (mesh.clone(), stop.clone(), calls.clone(), failures.clone());
        tokio::spawn(async move {
            // Calls take a millisecond now: spread over sixteen users, the
            // traffic stays within each one's rate limit however long the
            // rotation takes to be seen.
            let tokens = (0..16)
                .map(|n| mesh.bearer_of(&format!("rotation-user-{n}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut gateway = mesh.gateway().await?;
            for token in tokens.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match gateway
                    .get_kpis(with_bearer(token, GetKpisRequest { window_days: 7 })?)
                    .await
                {
                    Ok(_) => calls.fetch_add(1, Ordering::Relaxed),
                    Err(status) => {
                        eprintln!("call failed during rotation: {status:?}");
                        failures.fetch_add(1, Ordering::Relaxed)
                    }
                };
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            anyhow::Ok(())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let certs_dir = mesh.state.certs_dir();
    let ca = DevCa::load(&certs_dir, &dev_ca_name(TRUST_DOMAIN))?;
    let next = ca.issue(&mesh.id("warehouse"), &["warehouse"])?;
    next.write(&mesh.state.tls_files("warehouse"))?;
    let expected: Vec<u8> = CertificateDer::from_pem_slice(next.cert.as_bytes())?.to_vec();
    assert_ne!(before, expected);

    let mut presented = before.clone();
    for _ in 0..100 {
        presented = presented_certificate(&mesh).await?;
        if presented == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        presented, expected,
        "new handshakes present the rotated certificate"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    stop.store(true, Ordering::Relaxed);
    traffic.await??;
    assert_eq!(failures.load(Ordering::Relaxed), 0, "no call failed");
    assert!(
        calls.load(Ordering::Relaxed) > 10,
        "calls flowed: {}",
        calls.load(Ordering::Relaxed)
    );
    Ok(())
}
