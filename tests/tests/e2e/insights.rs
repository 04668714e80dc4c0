//! Rankings and recommendations through the gateway: ordered, explained by
//! their numbers, and recorded in the store.

use mesh_tests::{TestMesh, with_bearer};
use proto::gateway::{
    GetRankingsRequest, GetRecommendationsRequest, ListRankingRunsRequest, RankedKind,
    RecommendationAction,
};
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rankings_and_recommendations_explain_themselves_and_are_recorded() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;

    let ranking = gateway
        .get_rankings(with_bearer(
            &token,
            GetRankingsRequest {
                top_n: 5,
                window_days: 30,
            },
        )?)
        .await?
        .into_inner()
        .ranking
        .ok_or_else(|| anyhow::anyhow!("no ranking"))?;
    for kind in [RankedKind::StockItem, RankedKind::Customer] {
        let entries: Vec<_> = ranking
            .entries
            .iter()
            .filter(|e| e.kind == kind as i32)
            .collect();
        assert_eq!(
            entries.iter().map(|e| e.rank).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5],
            "{kind:?}"
        );
        assert!(
            entries.windows(2).all(|w| w[0].revenue >= w[1].revenue),
            "{kind:?} by revenue"
        );
        for entry in &entries {
            let expected = (entry.revenue - entry.previous_revenue) / entry.previous_revenue;
            assert!(
                entry.growth.is_some_and(|g| (g - expected).abs() < 1e-9),
                "{entry:?}"
            );
            assert!(
                entry.forecast_trend.is_some_and(f64::is_finite),
                "{entry:?}"
            );
        }
    }

    // The run is recorded, as the caller got it.
    let stored = gateway
        .list_ranking_runs(with_bearer(&token, ListRankingRunsRequest::default())?)
        .await?
        .into_inner();
    assert_eq!(stored.runs, vec![ranking]);

    let run = gateway
        .get_recommendations(with_bearer(
            &token,
            GetRecommendationsRequest { window_days: 30 },
        )?)
        .await?
        .into_inner()
        .run
        .ok_or_else(|| anyhow::anyhow!("no recommendations"))?;
    assert!(!run.recommendations.is_empty());
    assert!(!run.id.is_empty(), "recorded");
    for advice in &run.recommendations {
        assert!(
            !advice.reason.is_empty() && !advice.figures.is_empty(),
            "{advice:?}"
        );
        let figure = |name: &str| advice.figures.get(name).copied().unwrap_or(f64::NAN);
        match RecommendationAction::try_from(advice.action)? {
            RecommendationAction::Restock => assert!(
                figure("demand_over_lead_time") > figure("quantity_on_hand"),
                "{advice:?}"
            ),
            RecommendationAction::Promote => assert!(figure("growth") >= 0.2, "{advice:?}"),
            RecommendationAction::Review => assert!(figure("growth") <= -0.2, "{advice:?}"),
            RecommendationAction::Unspecified => anyhow::bail!("unspecified action: {advice:?}"),
        }
    }

    for (top_n, window_days) in [(500, 30), (5, 400)] {
        let refused = gateway
            .get_rankings(with_bearer(
                &token,
                GetRankingsRequest { top_n, window_days },
            )?)
            .await;
        assert_eq!(refused.expect_err("limits").code(), Code::InvalidArgument);
    }
    mesh.stop().await;
    Ok(())
}
