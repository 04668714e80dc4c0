use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use super::*;
use crate::{certs, client::endpoint, tls};

/// A replica: a health server behind mTLS counting the calls it answers.
struct Replica {
    address: SocketAddr,
    calls: Arc<AtomicUsize>,
}

impl Replica {
    async fn start(
        ip: &str,
        tls: Arc<MeshTls>,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((ip, 0)).await?;
        let address = listener.local_addr()?;
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let (_, health) = tonic_health::server::health_reporter();
        let health = tonic::service::interceptor::InterceptedService::new(health, move |request| {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(request)
        });
        let incoming = tls::incoming(listener, tls, shutdown.clone());
        tokio::spawn(
            Server::builder()
                .add_service(health)
                .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()),
        );
        Ok(Self { address, calls })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// The dev material of a server (`warehouse`) and a client (`gateway`).
/// What every test here starts from: the warehouse's and the gateway's TLS
/// material (in a directory that lives as long as this) and a shutdown for
/// the replicas.
struct Fixture {
    _dir: tempfile::TempDir,
    server: Arc<MeshTls>,
    client: Arc<MeshTls>,
    shutdown: CancellationToken,
}

fn fixture() -> anyhow::Result<Fixture> {
    let dir = tempfile::tempdir()?;
    certs::issue_all(dir.path(), "td", "ns", &["warehouse", "gateway"])?;
    let load = |service| MeshTls::load(certs::files_in(dir.path(), service));
    Ok(Fixture {
        server: load("warehouse")?,
        client: load("gateway")?,
        shutdown: CancellationToken::new(),
        _dir: dir,
    })
}

/// What a test's resolver answers, and how often it was asked.
#[derive(Clone)]
struct Answer {
    addresses: Arc<Mutex<io::Result<Vec<SocketAddr>>>>,
    asked: Arc<AtomicUsize>,
}

impl Answer {
    fn new(addresses: io::Result<Vec<SocketAddr>>) -> Self {
        Self {
            addresses: Arc::new(Mutex::new(addresses)),
            asked: Arc::default(),
        }
    }

    /// Answers `addresses` from now on, returning once the resolver has
    /// been asked twice more (so the balancer heard the answer).
    async fn set(&self, addresses: io::Result<Vec<SocketAddr>>) {
        *self
            .addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = addresses;
        let asked = self.asked.load(Ordering::SeqCst);
        while self.asked.load(Ordering::SeqCst) < asked + 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A resolver answering whatever `answer` holds, asked every 20 ms.
fn resolver(answer: &Answer) -> Resolver {
    let Answer {
        addresses: answer,
        asked,
    } = answer.clone();
    Resolver::new(Duration::from_millis(20), move |_| {
        asked.fetch_add(1, Ordering::SeqCst);
        let answer = match &*answer.lock().unwrap_or_else(PoisonError::into_inner) {
            Ok(addresses) => Ok(addresses.clone()),
            Err(error) => Err(io::Error::new(error.kind(), error.to_string())),
        };
        async move { answer }
    })
}

async fn check(upstream: &Upstream) -> anyhow::Result<()> {
    HealthClient::new(upstream.clone())
        .check(HealthCheckRequest::default())
        .await?;
    Ok(())
}

#[tokio::test]
async fn calls_spread_over_the_resolved_replicas_and_follow_the_answers() -> anyhow::Result<()> {
    let f = fixture()?;
    // 127.0.0.2 is not among the certificate's names: the name is checked.
    let one = Replica::start("127.0.0.1", f.server.clone(), &f.shutdown).await?;
    let two = Replica::start("127.0.0.2", f.server.clone(), &f.shutdown).await?;
    let answer = Answer::new(Ok(vec![one.address, two.address]));
    let upstream = balanced(
        endpoint("warehouse:50051")?,
        f.client.clone(),
        resolver(&answer),
    );

    for _ in 0..40 {
        check(&upstream).await?;
    }
    assert!(
        one.calls() > 0 && two.calls() > 0,
        "{} and {}",
        one.calls(),
        two.calls()
    );
    assert_eq!(one.calls() + two.calls(), 40);

    // A failed resolution keeps the last set.
    answer.set(Err(io::Error::other("no such host"))).await;
    let (before_one, before_two) = (one.calls(), two.calls());
    for _ in 0..40 {
        check(&upstream).await?;
    }
    assert!(one.calls() > before_one && two.calls() > before_two);

    // The second replica leaves the answer: calls stop reaching it.
    answer.set(Ok(vec![one.address])).await;
    let (before_one, before_two) = (one.calls(), two.calls());
    for _ in 0..40 {
        check(&upstream).await?;
    }
    assert_eq!((one.calls(), two.calls()), (before_one + 40, before_two));
    f.shutdown.cancel();
    Ok(())
}

#[tokio::test]
async fn a_name_that_does_not_resolve_yet_is_dialed_by_name() -> anyhow::Result<()> {
    let f = fixture()?;
    let replica = Replica::start("127.0.0.1", f.server.clone(), &f.shutdown).await?;
    let answer = Answer::new(Err(io::Error::other("not yet")));
    let upstream = balanced(
        endpoint(&format!("localhost:{}", replica.address.port()))?,
        f.client.clone(),
        resolver(&answer),
    );

    check(&upstream).await?;
    assert_eq!(replica.calls(), 1);
    f.shutdown.cancel();
    Ok(())
}
