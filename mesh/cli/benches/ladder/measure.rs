//! Closed-loop measurement: `concurrency` workers each call as soon as their
//! last call answered, for a number of calls or a time, whichever ends first.

use std::time::{Duration, Instant};

use anyhow::Context;

use mesh::process::{MeshProcess, cpu_of};

use crate::steps::{CALL_TIMEOUT, Client, Shared, Step};

/// What one phase of one step measured; phases of the same step add up.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sample {
    pub(crate) latencies: Vec<Duration>,
    pub(crate) calls: u64,
    pub(crate) elapsed: Duration,
    pub(crate) server_cpu: Duration,
    pub(crate) client_cpu: Duration,
}

impl Sample {
    pub(crate) fn add(&mut self, other: Sample) {
        self.latencies.extend(other.latencies);
        self.calls += other.calls;
        self.elapsed += other.elapsed;
        self.server_cpu += other.server_cpu;
        self.client_cpu += other.client_cpu;
    }

    /// Returns the `q` quantile of the latencies (0 < q ≤ 1).
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    pub(crate) fn per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub(crate) fn server_cpu_us_per_call(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / (self.calls.max(1) as f64)
    }

    pub(crate) fn client_cpu_us_per_call(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / (self.calls.max(1) as f64)
    }
}

/// Runs `step` with `concurrency` workers until `calls` calls or `time` passed.
pub(crate) async fn run(
    mesh: &MeshProcess,
    shared: &Shared,
    step: Step,
    concurrency: usize,
    calls: u64,
    time: Duration,
) -> anyhow::Result<Sample> {
    let mut clients = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        clients.push(Client::new(step, shared).await?);
    }
    let per_worker = calls.div_ceil(concurrency as u64);
    let server_before = mesh.cpu()?;
    let client_before = cpu_of("/proc/self/stat")?;
    let started = Instant::now();
    let deadline = started + time;
    let mut workers = tokio::task::JoinSet::new();
    for mut client in clients {
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(per_worker.min(10_000) as usize);
            while (latencies.len() as u64) < per_worker && Instant::now() < deadline {
                let sent = Instant::now();
                tokio::time::timeout(CALL_TIMEOUT, client.call())
                    .await
                    .context("call timed out")??;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut sample = Sample::default();
    while let Some(done) = workers.join_next().await {
        sample.latencies.extend(done??);
    }
    sample.elapsed = started.elapsed();
    sample.server_cpu = mesh.cpu()?.saturating_sub(server_before);
    sample.client_cpu = cpu_of("/proc/self/stat")?.saturating_sub(client_before);
    sample.calls = sample.latencies.len() as u64;
    Ok(sample)
}
