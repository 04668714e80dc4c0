//! `GET /metrics` on the admin port: the service's registry as OpenMetrics
//! text, only when `<prefix>METRICS_ENABLED=true` (404 otherwise), and with
//! `<prefix>METRICS_TOKEN` set only for a scraper presenting it as
//! `authorization: Bearer <token>` (401 otherwise). The token is compared in
//! constant time and never logged.

use axum::{
    Router,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::{Metrics, MetricsSettings};

/// The content type of the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Returns the admin routes serving `metrics` as `settings` say: none when
/// disabled, so `/metrics` is the admin port's 404.
pub fn router(metrics: Metrics, settings: MetricsSettings) -> Router {
    if !settings.enabled {
        return Router::new();
    }
    let token = settings.token.filter(|t| !t.expose_secret().is_empty());
    Router::new().route(
        "/metrics",
        get(move |headers: HeaderMap| {
            let allowed = token.as_ref().is_none_or(|t| presents(&headers, t));
            let metrics = metrics.clone();
            async move {
                if !allowed {
                    return unauthorized();
                }
                ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.encode()).into_response()
            }
        }),
    )
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "a metrics token is required\n",
    )
        .into_response()
}

/// True when `headers` carry `authorization: Bearer <token>`.
fn presents(headers: &HeaderMap, token: &SecretString) -> bool {
    let Some(presented) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
    else {
        return false;
    };
    // Equal lengths are compared byte by byte in constant time; a length
    // mismatch is refused at once, which reveals only the length.
    bool::from(
        presented
            .trim()
            .as_bytes()
            .ct_eq(token.expose_secret().as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get_metrics(router: Router, bearer: Option<&str>) -> (StatusCode, String) {
        let mut request = Request::get("/metrics");
        if let Some(bearer) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        let response = router
            .oneshot(request.body(Body::empty()).expect("a request"))
            .await
            .expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn registry() -> Metrics {
        let metrics = Metrics::new();
        metrics
            .counter_by("test_events", "events", "reason", &["one"])
            .get_or_create(&[("reason", "one")])
            .inc();
        metrics
    }

    #[tokio::test]
    async fn disabled_is_not_found() {
        let (status, _) = get_metrics(router(registry(), MetricsSettings::default()), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn enabled_without_token_serves_openmetrics_text() {
        let settings = MetricsSettings {
            enabled: true,
            token: None,
            otlp: None,
        };
        let (status, body) = get_metrics(router(registry(), settings), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("forecast_mesh_test_events_total{reason=\"one\"} 1"),
            "{body}"
        );
        assert!(body.ends_with("# EOF\n"), "{body}");
    }

    #[tokio::test]
    async fn a_wrong_or_missing_token_is_unauthorized() {
        let settings = MetricsSettings {
            enabled: true,
            token: Some(SecretString::from("s3cret-token")),
            otlp: None,
        };
        let app = router(registry(), settings);
        for bearer in [
            None,
            Some("wrong"),
            Some("s3cret-tokex"),
            Some("s3cret-token2"),
        ] {
            let (status, body) = get_metrics(app.clone(), bearer).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{bearer:?}");
            assert!(!body.contains("forecast_mesh"), "{body}");
        }
        let (status, body) = get_metrics(app, Some("s3cret-token")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("forecast_mesh_test_events_total"), "{body}");
    }
}
