use proto::gateway::{RankedKind, RecommendationAction};

use super::*;

/// Returns whether `needle` shows anywhere in the message.
fn shows(message: &impl std::fmt::Debug, needle: &str) -> bool {
    format!("{message:?}").contains(needle)
}

#[test]
fn audit_entries_lose_their_idempotency_key_and_revocation_ids() {
    let entry = store::AuditEntry {
        id: "a1".into(),
        idempotency_key: "secret-key".into(),
        principal: "p".into(),
        method: "/m".into(),
        status_code: "OK".into(),
        trace_id: "t".into(),
        revocation_ids: vec!["secret-revocation".into()],
        recorded_at_unix_ms: 42,
    }
    .into_public();
    assert_eq!(entry.id, "a1");
    assert_eq!(entry.status_code, "OK");
    assert_eq!(entry.recorded_at_unix_ms, 42);
    assert!(!shows(&entry, "secret-key"));
    assert!(!shows(&entry, "secret-revocation"));
}

#[test]
fn runs_lose_their_idempotency_key_and_keep_the_rest() {
    let forecast = store::ForecastRun {
        id: "f1".into(),
        idempotency_key: "secret-key".into(),
        horizon_days: 7,
        points: vec![store::ForecastRunPoint {
            date: "2026-01-01".into(),
            value: 1.5,
        }],
        accuracy: Some(store::ModelScore {
            coverage: vec![store::IntervalCoverage {
                level: 0.9,
                coverage: 0.88,
            }],
            ..Default::default()
        }),
        series: "total revenue".into(),
        ..Default::default()
    }
    .into_public();
    assert_eq!((forecast.id.as_str(), forecast.horizon_days), ("f1", 7));
    assert_eq!(forecast.points[0].value, 1.5);
    assert_eq!(
        forecast.accuracy.map(|a| a.coverage[0].coverage),
        Some(0.88)
    );
    assert_eq!(forecast.series, "total revenue");

    let ranking = store::RankingRun {
        id: "r1".into(),
        idempotency_key: "secret-key".into(),
        window_days: 30,
        entries: vec![store::RankedEntry {
            kind: store::RankedKind::Customer as i32,
            growth: Some(0.25),
            ..Default::default()
        }],
        ..Default::default()
    }
    .into_public();
    assert_eq!(ranking.entries[0].kind, RankedKind::Customer as i32);
    assert_eq!(ranking.entries[0].growth, Some(0.25));
    assert!(!shows(&ranking, "secret-key"));

    let advice = store::RecommendationRun {
        id: "c1".into(),
        idempotency_key: "secret-key".into(),
        recommendations: vec![store::Recommendation {
            action: store::RecommendationAction::Review as i32,
            figures: [("growth".to_owned(), -0.3)].into(),
            ..Default::default()
        }],
        ..Default::default()
    }
    .into_public();
    let first = &advice.recommendations[0];
    assert_eq!(first.action, RecommendationAction::Review as i32);
    assert_eq!(first.figures.get("growth"), Some(&-0.3));
    assert!(!shows(&advice, "secret-key"));
}

#[test]
fn unknown_kinds_and_actions_are_unspecified() {
    let entry = store::RankedEntry {
        kind: 42,
        ..Default::default()
    }
    .into_public();
    assert_eq!(entry.kind, RankedKind::Unspecified as i32);
    let advice = store::Recommendation {
        action: 42,
        ..Default::default()
    }
    .into_public();
    assert_eq!(advice.action, RecommendationAction::Unspecified as i32);
}
