//! One contract, two backends: every test here runs against the embedded
//! store and against PostgreSQL, and both must behave the same.

use std::collections::HashSet;

use proto::store::{AuditEntry, ForecastRun, ForecastRunPoint};
use store::testing::{TestDatabase, TestResult};
use store::{
    Backend,
    audit_filter::{AuditFilter, MAX_EXAMINED},
    records::PageRequest,
};

fn entry(key: &str) -> AuditEntry {
    AuditEntry {
        idempotency_key: key.into(),
        principal: "p".repeat(32),
        method: "/forecastmesh.gateway.v1.GatewayService/GetKpis".into(),
        status_code: "OK".into(),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        revocation_ids: vec!["ab".into(), "cd".into()],
        ..Default::default()
    }
}

fn run(key: &str) -> ForecastRun {
    ForecastRun {
        idempotency_key: key.into(),
        principal: "p".repeat(32),
        model: "MSTL(7)+AutoETS".into(),
        horizon_days: 2,
        history_points: 730,
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        points: vec![
            ForecastRunPoint {
                date: "2026-01-01".into(),
                value: 1.5,
            },
            ForecastRunPoint {
                date: "2026-01-02".into(),
                value: 2.5,
            },
        ],
        ..Default::default()
    }
}

fn first_page(size: i32) -> PageRequest {
    PageRequest::parse(size, "").expect("valid page")
}

async fn appends_are_idempotent_by_key(backend: &Backend) -> TestResult {
    let store = store::open(backend).await?;
    let first = store.append_audit_entry(entry("k1")).await?;
    assert!(first.created);
    assert!(!first.record.id.is_empty() && first.record.recorded_at_unix_ms > 0);
    let retry = store
        .append_audit_entry(AuditEntry {
            method: "/changed".into(),
            ..entry("k1")
        })
        .await?;
    assert!(!retry.created);
    assert_eq!(
        retry.record, first.record,
        "a retry returns the first write, unchanged"
    );

    let run_first = store.append_forecast_run(run("r1")).await?;
    let run_retry = store.append_forecast_run(run("r1")).await?;
    assert!(run_first.created && !run_retry.created);
    assert_eq!(run_retry.record, run_first.record);
    assert_eq!(
        run_first.record.points,
        run("r1").points,
        "every field round-trips"
    );

    assert_eq!(
        store
            .list_audit_entries(first_page(50), &AuditFilter::default())
            .await?
            .records
            .len(),
        1
    );
    assert_eq!(
        store
            .list_forecast_runs(first_page(50))
            .await?
            .records
            .len(),
        1
    );
    Ok(())
}

async fn concurrent_retries_write_once(backend: &Backend) -> TestResult {
    let store = store::open(backend).await?;
    let attempts = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.append_audit_entry(entry("same-key")).await })
    });
    let results = futures::future::join_all(attempts).await;
    let mut created = 0;
    let mut ids = HashSet::new();
    for result in results {
        let appended = result??;
        created += usize::from(appended.created);
        ids.insert(appended.record.id);
    }
    assert_eq!(created, 1, "exactly one attempt wrote");
    assert_eq!(ids.len(), 1, "every attempt got the same record");
    assert_eq!(
        store
            .list_audit_entries(first_page(50), &AuditFilter::default())
            .await?
            .records
            .len(),
        1
    );
    Ok(())
}

async fn records_survive_reopening(backend: &Backend) -> TestResult {
    let written = store::open(backend)
        .await?
        .append_audit_entry(entry("durable"))
        .await?
        .record;
    let reopened = store::open(backend).await?;
    assert_eq!(
        reopened
            .list_audit_entries(first_page(50), &AuditFilter::default())
            .await?
            .records,
        vec![written]
    );
    Ok(())
}

async fn listings_page_newest_first(backend: &Backend) -> TestResult {
    let store = store::open(backend).await?;
    assert_eq!(
        store
            .list_audit_entries(first_page(10), &AuditFilter::default())
            .await?
            .next_cursor,
        "",
        "an empty store has one empty page"
    );
    for i in 0..5 {
        store.append_audit_entry(entry(&format!("k{i}"))).await?;
    }
    let mut keys = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = store
            .list_audit_entries(PageRequest::parse(2, &cursor)?, &AuditFilter::default())
            .await?;
        assert!(page.records.len() <= 2);
        keys.extend(page.records.into_iter().map(|e| e.idempotency_key));
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    assert_eq!(keys, ["k4", "k3", "k2", "k1", "k0"]);
    let exact = store
        .list_audit_entries(first_page(5), &AuditFilter::default())
        .await?;
    assert_eq!(
        (exact.records.len(), exact.next_cursor.as_str()),
        (5, ""),
        "no empty page after an exact fit"
    );
    Ok(())
}

async fn batches_append_in_order_and_respect_keys(backend: &Backend) -> TestResult {
    let store = store::open(backend).await?;
    let before = store.append_audit_entry(entry("old")).await?.record;
    let batch = vec![
        entry("a"),
        entry("old"),
        entry("b"),
        AuditEntry {
            method: "/dup".into(),
            ..entry("a")
        },
    ];
    let results = store.append_audit_entries(batch).await?;
    let summary: Vec<(&str, bool)> = results
        .iter()
        .map(|r| (r.record.idempotency_key.as_str(), r.created))
        .collect();
    assert_eq!(
        summary,
        [("a", true), ("old", false), ("b", true), ("a", false)]
    );
    assert_eq!(
        results[1].record, before,
        "a key written before returns that record"
    );
    assert_eq!(
        results[3].record, results[0].record,
        "a key repeated in the batch returns its first record"
    );
    let listed = store
        .list_audit_entries(first_page(50), &AuditFilter::default())
        .await?
        .records;
    let keys: Vec<&str> = listed.iter().map(|e| e.idempotency_key.as_str()).collect();
    assert_eq!(
        keys,
        ["b", "a", "old"],
        "three rows, newest first, in batch order"
    );
    Ok(())
}

async fn ranking_and_recommendation_runs_keep_every_field(backend: &Backend) -> TestResult {
    use proto::store::{
        RankedEntry, RankedKind, RankingRun, Recommendation, RecommendationAction,
        RecommendationRun,
    };
    let store = store::open(backend).await?;
    let ranking = RankingRun {
        idempotency_key: "rank-1".into(),
        principal: "p".repeat(32),
        window_days: 30,
        entries: vec![RankedEntry {
            kind: RankedKind::StockItem as i32,
            entity_id: 7,
            name: "USB food flash drive".into(),
            rank: 1,
            revenue: 500.0,
            previous_revenue: 400.0,
            growth: Some(0.25),
            forecast_trend: None,
        }],
        ..Default::default()
    };
    let first = store.append_ranking_run(ranking.clone()).await?;
    assert!(first.created);
    assert_eq!(first.record.entries, ranking.entries);
    assert!(!store.append_ranking_run(ranking).await?.created);
    assert_eq!(
        store.list_ranking_runs(first_page(10)).await?.records,
        vec![first.record]
    );

    let recommendation = RecommendationRun {
        idempotency_key: "rec-1".into(),
        recommendations: vec![Recommendation {
            action: RecommendationAction::Restock as i32,
            stock_item_id: 7,
            name: "USB food flash drive".into(),
            reason: "forecast demand over the 14-day lead time exceeds stock on hand".into(),
            figures: [("demand".to_string(), 61.5), ("on_hand".to_string(), 42.0)].into(),
        }],
        ..Default::default()
    };
    let stored = store
        .append_recommendation_run(recommendation.clone())
        .await?;
    assert_eq!(
        stored.record.recommendations,
        recommendation.recommendations
    );
    let again = store.append_recommendation_run(recommendation).await?;
    assert_eq!(
        (again.created, again.record.id),
        (false, stored.record.id.clone())
    );
    assert_eq!(
        store
            .list_recommendation_runs(first_page(10))
            .await?
            .records,
        vec![stored.record]
    );
    Ok(())
}

async fn a_credential_is_revoked_once_and_listed_newest_first(backend: &Backend) -> TestResult {
    use proto::store::{Revocation, RevocationKind};
    let revocation = |kind: RevocationKind, id: &str| {
        store::revocations::prepare(
            Revocation {
                kind: kind as i32,
                credential_id: id.into(),
                reason: "leaked".into(),
                ..Default::default()
            },
            "operator".into(),
        )
    };
    let store = store::open(backend).await?;
    let block = store
        .revoke(revocation(RevocationKind::Capability, "AB01")?)
        .await?;
    assert!(block.created);
    let token = store
        .revoke(revocation(RevocationKind::TokenId, "jti-1")?)
        .await?;
    let again = store
        .revoke(revocation(RevocationKind::Capability, "ab01")?)
        .await?;
    assert_eq!(
        (again.created, again.record.id.clone()),
        (false, block.record.id.clone()),
        "the same block in other case is the same revocation"
    );
    // A token id equal to a block id is another credential.
    let other_kind = store
        .revoke(revocation(RevocationKind::TokenId, "ab01")?)
        .await?;
    assert!(other_kind.created);
    let listed = store.list_revocations(first_page(10)).await?.records;
    assert_eq!(
        listed,
        vec![other_kind.record, token.record, block.record.clone()]
    );
    assert_eq!(block.record.principal, "operator");
    assert_eq!(block.record.reason, "leaked");
    Ok(())
}

/// Every page of a filtered listing, in order, and how many calls it took.
async fn every_match(
    store: &dyn store::RecordStore,
    page_size: i32,
    filter: &AuditFilter,
) -> Result<(Vec<String>, usize), Box<dyn std::error::Error + Send + Sync>> {
    let (mut keys, mut calls, mut cursor) = (Vec::new(), 0, String::new());
    loop {
        let page = store
            .list_audit_entries(PageRequest::parse(page_size, &cursor)?, filter)
            .await?;
        calls += 1;
        assert!(page.records.len() <= page_size as usize);
        keys.extend(page.records.into_iter().map(|e| e.idempotency_key));
        if page.next_cursor.is_empty() {
            return Ok((keys, calls));
        }
        cursor = page.next_cursor;
    }
}

async fn filtered_listings_keep_exact_matches_and_bound_their_work(
    backend: &Backend,
) -> TestResult {
    let store = store::open(backend).await?;
    let other_trace = "0af7651916cd43dd8448eb211c80319c";
    let entries = (0..12).map(|i| AuditEntry {
        method: if i % 3 == 0 {
            "/forecastmesh.gateway.v1.GatewayService/GetHistory".into()
        } else {
            entry("").method
        },
        status_code: if i % 2 == 0 {
            "PERMISSION_DENIED"
        } else {
            "OK"
        }
        .into(),
        trace_id: if i == 7 {
            other_trace.into()
        } else {
            entry("").trace_id
        },
        ..entry(&format!("k{i}"))
    });
    store.append_audit_entries(entries.collect()).await?;

    let denied = AuditFilter::parse("", "PERMISSION_DENIED", "")?;
    assert_eq!(
        every_match(&*store, 2, &denied).await?.0,
        ["k10", "k8", "k6", "k4", "k2", "k0"],
        "a status keeps its entries, newest first, over pages"
    );
    let denied_history = AuditFilter::parse(
        "/forecastmesh.gateway.v1.GatewayService/GetHistory",
        "PERMISSION_DENIED",
        "",
    )?;
    assert_eq!(
        every_match(&*store, 50, &denied_history).await?.0,
        ["k6", "k0"]
    );
    let one_trace = AuditFilter::parse("", "", other_trace)?;
    assert_eq!(every_match(&*store, 50, &one_trace).await?.0, ["k7"]);
    // k7 is GetKpis with that trace: GetHistory with it is nothing.
    let nothing = AuditFilter::parse(
        "/forecastmesh.gateway.v1.GatewayService/GetHistory",
        "",
        other_trace,
    )?;
    assert_eq!(every_match(&*store, 50, &nothing).await?, (vec![], 1));

    // A rare match behind more than one call's worth of others: the first
    // call stops at its bound with an empty page and a cursor that goes on.
    let rare = AuditFilter::parse("", "DATA_LOSS", "")?;
    store
        .append_audit_entry(AuditEntry {
            status_code: "DATA_LOSS".into(),
            ..entry("rare")
        })
        .await?;
    let others = MAX_EXAMINED as usize + 10;
    for start in (0..others).step_by(1000) {
        let batch = (start..others.min(start + 1000)).map(|i| entry(&format!("n{i}")));
        store.append_audit_entries(batch.collect()).await?;
    }
    let first = store.list_audit_entries(first_page(50), &rare).await?;
    assert!(first.records.is_empty() && !first.next_cursor.is_empty());
    assert_eq!(
        every_match(&*store, 50, &rare).await?,
        (vec!["rare".to_owned()], 2),
        "the second call finds it and ends the listing"
    );
    let unfiltered = store
        .list_audit_entries(first_page(500), &AuditFilter::default())
        .await?;
    assert_eq!(
        unfiltered.records.len(),
        500,
        "the bound is for filters only"
    );
    Ok(())
}

/// Runs each contract test against both backends.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::TestResult {
                    let dir = tempfile::tempdir()?;
                    super::$name(&store::Backend::Embedded { path: dir.path().join("store.sqlite") }).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::TestResult {
                    let database = super::TestDatabase::create().await?;
                    super::$name(&database.backend()).await
                }
            )*
        }
    };
}

contract!(
    appends_are_idempotent_by_key,
    batches_append_in_order_and_respect_keys,
    ranking_and_recommendation_runs_keep_every_field,
    concurrent_retries_write_once,
    records_survive_reopening,
    listings_page_newest_first,
    filtered_listings_keep_exact_matches_and_bound_their_work,
    a_credential_is_revoked_once_and_listed_newest_first
);
