//! Run history through the gateway: forecast, ranking and recommendation
//! runs, newest first, paged, for the audit:read scope only, and without
//! the store's internal fields.

use gateway::oidc::dev_issuer::DevClaims;
use mesh_tests::{TestMesh, with_bearer};
use proto::gateway::{
    GetForecastRequest, GetRankingsRequest, GetRecommendationsRequest, ListForecastRunsRequest,
    ListRankingRunsRequest, ListRecommendationRunsRequest,
};
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_lists_page_newest_first_for_auditors_only() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;

    let mut forecasts = Vec::new();
    for days in [3, 4, 5] {
        let forecast = gateway
            .get_forecast(with_bearer(
                &token,
                GetForecastRequest {
                    days,
                    levels: vec![],
                },
            )?)
            .await?
            .into_inner()
            .forecast
            .ok_or_else(|| anyhow::anyhow!("no forecast"))?;
        forecasts.push(forecast.run_id);
    }
    let mut rankings = Vec::new();
    let mut advice = Vec::new();
    for window_days in [20, 30] {
        let ranking = gateway
            .get_rankings(with_bearer(
                &token,
                GetRankingsRequest {
                    top_n: 2,
                    window_days,
                },
            )?)
            .await?
            .into_inner()
            .ranking
            .ok_or_else(|| anyhow::anyhow!("no ranking"))?;
        rankings.push(ranking.id);
        let run = gateway
            .get_recommendations(with_bearer(
                &token,
                GetRecommendationsRequest { window_days },
            )?)
            .await?
            .into_inner()
            .run
            .ok_or_else(|| anyhow::anyhow!("no recommendations"))?;
        advice.push(run.id);
    }

    // Forecasts: two pages of two, newest first.
    let first = gateway
        .list_forecast_runs(with_bearer(
            &token,
            ListForecastRunsRequest {
                page_size: 2,
                page_token: String::new(),
            },
        )?)
        .await?
        .into_inner();
    assert!(!first.next_page_token.is_empty(), "more to come");
    let second = gateway
        .list_forecast_runs(with_bearer(
            &token,
            ListForecastRunsRequest {
                page_size: 2,
                page_token: first.next_page_token.clone(),
            },
        )?)
        .await?
        .into_inner();
    assert!(second.next_page_token.is_empty(), "the last page");
    let listed: Vec<_> = first.runs.iter().chain(&second.runs).collect();
    let ids: Vec<_> = listed.iter().map(|run| run.id.clone()).collect();
    forecasts.reverse();
    assert_eq!(ids, forecasts, "newest first");
    assert_eq!(
        listed
            .iter()
            .map(|run| run.horizon_days)
            .collect::<Vec<_>>(),
        [5, 4, 3]
    );
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].recorded_at_unix_ms >= w[1].recorded_at_unix_ms)
    );
    assert!(
        listed
            .iter()
            .all(|run| run.points.len() as i32 == run.horizon_days)
    );

    // Rankings and recommendations: pages of one.
    let page = |token: &str| ListRankingRunsRequest {
        page_size: 1,
        page_token: token.into(),
    };
    let newest = gateway
        .list_ranking_runs(with_bearer(&token, page(""))?)
        .await?
        .into_inner();
    let older = gateway
        .list_ranking_runs(with_bearer(&token, page(&newest.next_page_token))?)
        .await?
        .into_inner();
    let listed: Vec<_> = newest
        .runs
        .iter()
        .chain(&older.runs)
        .map(|r| r.id.clone())
        .collect();
    rankings.reverse();
    assert_eq!(listed, rankings, "newest first");
    assert_eq!(newest.runs[0].window_days, 30);

    let page = |token: &str| ListRecommendationRunsRequest {
        page_size: 1,
        page_token: token.into(),
    };
    let newest = gateway
        .list_recommendation_runs(with_bearer(&token, page(""))?)
        .await?
        .into_inner();
    let older = gateway
        .list_recommendation_runs(with_bearer(&token, page(&newest.next_page_token))?)
        .await?
        .into_inner();
    let listed: Vec<_> = newest
        .runs
        .iter()
        .chain(&older.runs)
        .map(|r| r.id.clone())
        .collect();
    advice.reverse();
    assert_eq!(listed, advice, "newest first");
    assert!(!newest.runs[0].recommendations.is_empty());

    // Page sizes are bounded, in the caller's words.
    let refused = gateway
        .list_forecast_runs(with_bearer(
            &token,
            ListForecastRunsRequest {
                page_size: 501,
                page_token: String::new(),
            },
        )?)
        .await
        .expect_err("too large");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().starts_with("page_size:"), "{refused:?}");

    // Run history is the audit side: a dashboard user cannot list it, an
    // auditor can.
    let scoped = |scope: &str| {
        mesh.state.issuer.sign(&DevClaims {
            scope: scope.into(),
            ..mesh.claims()
        })
    };
    let (reader, auditor) = (scoped("forecasts:read")?, scoped("audit:read")?);
    let denied = [
        gateway
            .list_forecast_runs(with_bearer(&reader, ListForecastRunsRequest::default())?)
            .await
            .map(drop),
        gateway
            .list_ranking_runs(with_bearer(&reader, ListRankingRunsRequest::default())?)
            .await
            .map(drop),
        gateway
            .list_recommendation_runs(with_bearer(
                &reader,
                ListRecommendationRunsRequest::default(),
            )?)
            .await
            .map(drop),
    ];
    for outcome in denied {
        assert_eq!(
            outcome.expect_err("needs audit:read").code(),
            Code::PermissionDenied
        );
    }
    let audited = gateway
        .list_forecast_runs(with_bearer(&auditor, ListForecastRunsRequest::default())?)
        .await?
        .into_inner();
    assert_eq!(audited.runs.len(), 3);
    assert!(
        gateway
            .list_ranking_runs(with_bearer(&auditor, ListRankingRunsRequest::default())?)
            .await
            .is_ok()
    );
    assert!(
        gateway
            .list_recommendation_runs(with_bearer(
                &auditor,
                ListRecommendationRunsRequest::default()
            )?)
            .await
            .is_ok()
    );
    mesh.stop().await;
    Ok(())
}
