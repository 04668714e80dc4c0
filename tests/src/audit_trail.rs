//! Calls that each carry a trace id of their own, and the audit trail read
//! back by trace id: how the fault tests count what was lost or written
//! twice.

use std::{collections::HashMap, time::Duration};

use proto::gateway::{
    GetKpisRequest, ListAuditLogsRequest, gateway_service_client::GatewayServiceClient,
};
use tonic::transport::Channel;

use anyhow::Context;

use crate::with_bearer;

/// One paced call: its trace id, and how long it took (`None`: it failed).
#[derive(Debug)]
pub struct PacedCall {
    pub trace_id: String,
    pub latency: Option<Duration>,
}

/// Sends `GetKpis` at `per_second` for `during`, each call under a trace
/// id of its own and the next of `tokens` in turn.
pub async fn kpis_at_rate(
    gateway: GatewayServiceClient<Channel>,
    tokens: &[String],
    per_second: u32,
    during: Duration,
) -> anyhow::Result<Vec<PacedCall>> {
    anyhow::ensure!(!tokens.is_empty(), "no tokens to call with");
    let mut turns = tokens.iter().cycle();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / per_second);
    let end = tokio::time::Instant::now() + during;
    let mut calls = tokio::task::JoinSet::new();
    while tokio::time::Instant::now() < end {
        ticks.tick().await;
        let mut gateway = gateway.clone();
        let token = turns.next().context("cycle of tokens")?;
        let mut request = with_bearer(token, GetKpisRequest::default())?;
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        request.metadata_mut().insert(
            "traceparent",
            format!("00-{trace_id}-00f067aa0ba902b7-01").parse()?,
        );
        request.set_timeout(Duration::from_secs(10));
        calls.spawn(async move {
            let started = std::time::Instant::now();
            let answered = gateway.get_kpis(request).await.is_ok();
            PacedCall {
                trace_id,
                latency: answered.then(|| started.elapsed()),
            }
        });
    }
    let mut done = Vec::new();
    while let Some(call) = calls.join_next().await {
        done.push(call?);
    }
    Ok(done)
}

/// Like [`kpis_at_rate`], with enough principals in `tokens` that none is
/// past its rate limit; returns the trace ids of the calls answered OK and
/// how many were not.
pub async fn kpis_under_load(
    gateway: GatewayServiceClient<Channel>,
    tokens: Vec<String>,
    per_second: u32,
    during: Duration,
) -> anyhow::Result<(Vec<String>, usize)> {
    let calls = kpis_at_rate(gateway, &tokens, per_second, during).await?;
    let failed = calls.iter().filter(|c| c.latency.is_none()).count();
    let answered = calls
        .into_iter()
        .filter(|c| c.latency.is_some())
        .map(|c| c.trace_id)
        .collect();
    Ok((answered, failed))
}

/// Returns how many audit entries the store holds per trace id, reading
/// every page.
pub async fn audited_by_trace(
    gateway: &mut GatewayServiceClient<Channel>,
    token: &str,
) -> anyhow::Result<HashMap<String, usize>> {
    let mut counts = HashMap::new();
    let mut page_token = String::new();
    loop {
        let page = gateway
            .list_audit_logs(with_bearer(
                token,
                ListAuditLogsRequest {
                    page_size: 500,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
            )?)
            .await?
            .into_inner();
        for entry in page.entries {
            *counts.entry(entry.trace_id).or_insert(0) += 1;
        }
        if page.next_page_token.is_empty() {
            return Ok(counts);
        }
        page_token = page.next_page_token;
    }
}

/// Waits up to `within` until every trace id in `answered` is audited;
/// returns the counts seen last.
pub async fn wait_audited(
    gateway: &mut GatewayServiceClient<Channel>,
    token: &str,
    answered: &[String],
    within: Duration,
) -> anyhow::Result<HashMap<String, usize>> {
    let end = tokio::time::Instant::now() + within;
    loop {
        let counts = audited_by_trace(gateway, token).await;
        if let Ok(counts) = &counts
            && answered.iter().all(|trace| counts.contains_key(trace))
        {
            return Ok(counts.clone());
        }
        if tokio::time::Instant::now() >= end {
            return counts;
        }
        // Paging once a second stays inside the reader's own rate limit.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// What the audit made of the calls answered.
#[derive(Debug, PartialEq, Eq)]
pub struct Tally {
    pub answered: usize,
    /// Answered calls with no entry.
    pub lost: usize,
    /// Answered calls with more than one.
    pub duplicated: usize,
}

/// Counts the answered calls whose entry is missing or written twice.
pub fn tally(answered: &[String], audited: &HashMap<String, usize>) -> Tally {
    Tally {
        answered: answered.len(),
        lost: answered
            .iter()
            .filter(|t| !audited.contains_key(*t))
            .count(),
        duplicated: answered
            .iter()
            .filter(|t| audited.get(*t).is_some_and(|&n| n > 1))
            .count(),
    }
}
