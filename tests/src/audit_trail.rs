//! Calls that each carry a trace id of their own, and the audit trail read
//! back by trace id: how the fault tests count what was lost or written
//! twice.

use std::{collections::HashMap, time::Duration};

use proto::gateway::{
    GetKpisRequest, ListAuditLogsRequest, gateway_service_client::GatewayServiceClient,
};
use tonic::transport::Channel;

use crate::with_bearer;

/// Sends `GetKpis` at `per_second` for `during`, each call under a trace
/// id of its own; returns the trace ids of the calls answered OK and how
/// many were not.
pub async fn kpis_under_load(
    gateway: GatewayServiceClient<Channel>,
    token: String,
    per_second: u32,
    during: Duration,
) -> anyhow::Result<(Vec<String>, usize)> {
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / per_second);
    let end = tokio::time::Instant::now() + during;
    let mut calls = tokio::task::JoinSet::new();
    while tokio::time::Instant::now() < end {
        ticks.tick().await;
        let mut gateway = gateway.clone();
        let mut request = with_bearer(&token, GetKpisRequest::default())?;
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        request.metadata_mut().insert(
            "traceparent",
            format!("00-{trace_id}-00f067aa0ba902b7-01").parse()?,
        );
        request.set_timeout(Duration::from_secs(10));
        calls.spawn(async move { gateway.get_kpis(request).await.is_ok().then_some(trace_id) });
    }
    let (mut answered, mut failed) = (Vec::new(), 0);
    while let Some(outcome) = calls.join_next().await {
        match outcome? {
            Some(trace_id) => answered.push(trace_id),
            None => failed += 1,
        }
    }
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
        tokio::time::sleep(Duration::from_millis(500)).await;
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
