//! JSON REST for the paths of the replaced system, over the same operations
//! as gRPC: the edge's layers have already authenticated, scope-checked,
//! minted and begun the audit (the route table tells them which public
//! method a path is); a handler reads the query into the typed request,
//! calls the operation and answers with the proto3 JSON mapping of the
//! response, or `{code, message, trace_id}` with the HTTP status.
//!
//! - [`routes`]: the paths, the method each is, their parameters.
//! - [`query`]: a query string into a typed request.
//! - [`body`]: a JSON body into a typed request, `null` values as missing.
//! - [`openapi`]: the OpenAPI document, served at `/api/openapi.json`.

pub mod body;
pub mod openapi;
pub mod query;
pub mod routes;

use std::sync::Arc;

use axum::{
    Router,
    extract::Request,
    routing::{MethodRouter, any, get},
};
use futures::future::BoxFuture;
use http::{HeaderValue, StatusCode, header::CONTENT_TYPE};
use proto::methods::gateway_service as gateway;
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::watch;
use tonic::body::Body;

use crate::{
    api::{self, Call, Gateway},
    error::{ApiError, rest_response},
};
use routes::{ROUTES, Route};

/// Returns the REST routes: every path of [`ROUTES`], `/api/health`,
/// `/api/openapi.json`, and a JSON 404 for any other `/api/` path.
/// `ready` is the gateway's readiness, as health reports it.
pub fn router(
    gateway: Arc<Gateway>,
    ready: watch::Receiver<bool>,
) -> Result<Router, openapi::OpenApiError> {
    let document = bytes::Bytes::from(openapi::document()?);
    let mut router = Router::new()
        .route("/api/health", get(move || health(*ready.borrow())))
        .route(
            "/api/openapi.json",
            get(move || std::future::ready(json(StatusCode::OK, document.clone()))),
        )
        .route(
            "/api/{*rest}",
            any(|request: Request| async move {
                rest_response(&tonic::Status::not_found(format!(
                    "no such path: {}",
                    request.uri().path()
                )))
            }),
        );
    for route in ROUTES {
        router = router.route(route.path, handler(route, gateway.clone()));
    }
    Ok(router)
}

/// The boxed future of an operation, for [`Operation`]'s pointer type.
macro_rules! op {
    ($operation:path) => {
        |g, c, i| Box::pin($operation(g, c, i))
    };
}

/// Returns the handler of `route`: its operation, by the method it is.
fn handler(route: &'static Route, gateway: Arc<Gateway>) -> MethodRouter {
    match route.method {
        gateway::GET_KPIS => operation(route, gateway, op!(api::kpis::get_kpis)),
        gateway::GET_HISTORY => operation(route, gateway, op!(api::history::get_history)),
        gateway::GET_FORECAST => operation(route, gateway, op!(api::forecast::get_forecast)),
        gateway::GET_DASHBOARD => operation(route, gateway, op!(api::dashboard::get_dashboard)),
        gateway::GET_RANKINGS => operation(route, gateway, op!(api::rankings::get_rankings)),
        gateway::GET_RECOMMENDATIONS => operation(
            route,
            gateway,
            op!(api::recommendations::get_recommendations),
        ),
        gateway::LIST_AUDIT_LOGS => {
            operation(route, gateway, op!(api::audit_logs::list_audit_logs))
        }
        gateway::LIST_FORECAST_RUNS => {
            operation(route, gateway, op!(api::forecast_runs::list_forecast_runs))
        }
        gateway::LIST_RANKING_RUNS => {
            operation(route, gateway, op!(api::ranking_runs::list_ranking_runs))
        }
        gateway::LIST_RECOMMENDATION_RUNS => operation(
            route,
            gateway,
            op!(api::recommendation_runs::list_recommendation_runs),
        ),
        gateway::FORECAST_SERIES => posted(gateway, op!(api::forecast_series::forecast_series)),
        gateway::GET_TELEMETRY_STATUS => operation(route, gateway, |_, _, i| {
            Box::pin(api::telemetry_status::get_telemetry_status(i))
        }),
        // A route whose method has no REST handler is a bug the tests catch.
        _ => any(move || {
            std::future::ready(rest_response(
                &ApiError::Internal(format!("no REST handler for {}", route.method)).status(),
            ))
        }),
    }
}

/// An operation as the REST adapter calls it.
type Operation<I, O> = for<'a> fn(&'a Gateway, &'a Call, I) -> BoxFuture<'a, Result<O, ApiError>>;

fn operation<I, O>(
    route: &'static Route,
    gateway: Arc<Gateway>,
    run: Operation<I, O>,
) -> MethodRouter
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
{
    get(move |request: Request| async move {
        // Read what the call needs before any await: a request is not `Sync`.
        let prepared = Call::of_http(request.extensions()).and_then(|call| {
            query::parse::<I>(route, request.uri().query()).map(|input| (call, input))
        });
        drop(request);
        let answered = match prepared {
            Ok((call, input)) => run(&gateway, &call, input).await,
            Err(error) => Err(error),
        };
        answer(answered)
    })
}

/// Like [`operation`], for a `POST` whose JSON body is the request.
fn posted<I, O>(gateway: Arc<Gateway>, run: Operation<I, O>) -> MethodRouter
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
{
    axum::routing::post(move |request: Request| async move {
        let call = Call::of_http(request.extensions());
        let answered = match call {
            Ok(call) => match axum::body::to_bytes(request.into_body(), body::MAX_BODY).await {
                Ok(bytes) => match body::parse::<I>(&bytes) {
                    Ok(input) => run(&gateway, &call, input).await,
                    Err(error) => Err(error),
                },
                Err(_) => Err(ApiError::invalid(
                    "body",
                    format!("unreadable or larger than {} bytes", body::MAX_BODY),
                )),
            },
            Err(error) => Err(error),
        };
        answer(answered)
    })
}

/// Returns the REST answer: the output as JSON, or the error's.
fn answer<O: Serialize>(answered: Result<O, ApiError>) -> http::Response<Body> {
    match answered.and_then(|output| {
        serde_json::to_vec(&output)
            .map_err(|error| ApiError::Internal(format!("answer does not serialize: {error}")))
    }) {
        Ok(body) => json(StatusCode::OK, body.into()),
        Err(error) => rest_response(&error.status()),
    }
}

async fn health(ready: bool) -> http::Response<Body> {
    let (status, word) = if ready {
        (StatusCode::OK, "SERVING")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "NOT_SERVING")
    };
    json(status, format!("{{\"status\":\"{word}\"}}").into())
}

fn json(status: StatusCode, body: bytes::Bytes) -> http::Response<Body> {
    let mut response = http::Response::new(Body::new(http_body_util::Full::new(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
