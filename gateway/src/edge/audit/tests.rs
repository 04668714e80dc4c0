use std::{collections::HashSet, convert::Infallible, sync::Arc, time::Duration};

use http::HeaderValue;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tower::{Layer, Service, ServiceExt, service_fn};

use super::*;

fn request(protocol: Protocol, timeout: Option<Duration>) -> Request<Body> {
    let mut request = Request::new(Body::empty());
    request.extensions_mut().insert(PublicCall {
        method: proto::methods::gateway_service::GET_KPIS,
        protocol,
    });
    request.extensions_mut().insert(Principal {
        id: "principal-1".into(),
        scopes: Arc::new(HashSet::new()),
    });
    if let Some(timeout) = timeout {
        // As the server's deadline layer leaves it.
        request
            .extensions_mut()
            .insert(Deadline(tokio::time::Instant::now() + timeout));
    }
    request
}

fn layer() -> (AuditLayer, mpsc::Receiver<AuditEntry>) {
    let (queue, entries) = mpsc::channel(8);
    (AuditLayer::new(Auditor::from_queue(queue)), entries)
}

fn trailers(code: i32) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from(code));
    trailers
}

/// A gRPC answer: one message, then trailers with `code`.
fn streamed(code: i32) -> Response<Body> {
    let frames = futures::stream::iter([
        Ok::<_, tonic::Status>(Frame::data(Bytes::from_static(b"\0\0\0\0\0"))),
        Ok(Frame::trailers(trailers(code))),
    ]);
    Response::new(Body::new(http_body_util::StreamBody::new(frames)))
}

async fn outcome(entries: &mut mpsc::Receiver<AuditEntry>) -> String {
    entries
        .recv()
        .await
        .map(|e| e.status_code)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_streamed_answer_is_audited_with_the_status_in_its_trailers() -> anyhow::Result<()> {
    let (layer, mut entries) = layer();
    let service = layer.layer(service_fn(|_| async { Ok::<_, Infallible>(streamed(5)) }));
    let response = service.oneshot(request(Protocol::Grpc, None)).await?;
    assert!(entries.try_recv().is_err(), "nothing before the body ends");
    response.into_body().collect().await?;
    let entry = entries.recv().await;
    assert_eq!(
        entry.as_ref().map(|e| e.status_code.as_str()),
        Some("NOT_FOUND")
    );
    assert_eq!(entry.map(|e| e.principal), Some("principal-1".into()));
    assert!(entries.try_recv().is_err(), "exactly one entry");
    Ok(())
}

#[tokio::test]
async fn a_trailers_only_refusal_is_audited_even_if_its_body_is_never_polled() -> anyhow::Result<()>
{
    let (layer, mut entries) = layer();
    let service = layer.layer(service_fn(|_| async {
        Ok::<_, Infallible>(tonic::Status::permission_denied("no").into_http::<Body>())
    }));
    let response = service.oneshot(request(Protocol::Grpc, None)).await?;
    drop(response);
    assert_eq!(outcome(&mut entries).await, "PERMISSION_DENIED");
    Ok(())
}

#[tokio::test]
async fn a_client_that_goes_away_mid_stream_is_audited_as_cancelled() -> anyhow::Result<()> {
    let (layer, mut entries) = layer();
    let service = layer.layer(service_fn(|_| async {
        let endless = futures::stream::pending::<Result<Frame<Bytes>, tonic::Status>>();
        Ok::<_, Infallible>(Response::new(Body::new(http_body_util::StreamBody::new(
            endless,
        ))))
    }));
    let response = service.oneshot(request(Protocol::Grpc, None)).await?;
    drop(response);
    assert_eq!(outcome(&mut entries).await, "CANCELLED");
    Ok(())
}

#[tokio::test]
async fn a_call_cut_by_its_deadline_is_audited_as_deadline_exceeded() -> anyhow::Result<()> {
    let (layer, mut entries) = layer();
    let mut service = layer.layer(service_fn(|_| async {
        futures::future::pending::<Result<Response<Body>, Infallible>>().await
    }));
    let call = service
        .ready()
        .await?
        .call(request(Protocol::Grpc, Some(Duration::from_millis(20))));
    // Cut the call the way the server does when grpc-timeout runs out.
    assert!(
        tokio::time::timeout(Duration::from_millis(50), call)
            .await
            .is_err()
    );
    assert_eq!(outcome(&mut entries).await, "DEADLINE_EXCEEDED");
    Ok(())
}

#[tokio::test]
async fn an_answer_made_past_the_deadline_is_audited_as_deadline_exceeded() -> anyhow::Result<()> {
    let (layer, mut entries) = layer();
    // An upstream call cut by the timeout it was given answers CANCELLED,
    // just after the caller's deadline; the server answers DEADLINE_EXCEEDED.
    let service = layer.layer(service_fn(|_| async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        Ok::<_, Infallible>(tonic::Status::cancelled("timeout expired").into_http::<Body>())
    }));
    let response = service
        .oneshot(request(Protocol::Grpc, Some(Duration::from_millis(20))))
        .await?;
    drop(response);
    assert_eq!(outcome(&mut entries).await, "DEADLINE_EXCEEDED");
    Ok(())
}

#[tokio::test]
async fn an_answer_made_in_time_keeps_its_code() -> anyhow::Result<()> {
    let (layer, mut entries) = layer();
    let service = layer.layer(service_fn(|_| async {
        Ok::<_, Infallible>(tonic::Status::cancelled("gone").into_http::<Body>())
    }));
    let response = service
        .oneshot(request(Protocol::Grpc, Some(Duration::from_secs(5))))
        .await?;
    drop(response);
    assert_eq!(outcome(&mut entries).await, "CANCELLED");
    Ok(())
}

#[tokio::test]
async fn a_rest_answer_is_audited_with_its_true_code() -> anyhow::Result<()> {
    let (layer, mut entries) = layer();
    let service = layer.layer(service_fn(|_| async {
        Ok::<_, Infallible>(crate::error::rest_response(
            &tonic::Status::invalid_argument("days: must be 1 to 365"),
        ))
    }));
    let response = service.oneshot(request(Protocol::Rest, None)).await?;
    response.into_body().collect().await?;
    assert_eq!(outcome(&mut entries).await, "INVALID_ARGUMENT");
    Ok(())
}

#[tokio::test]
async fn calls_without_a_principal_are_not_audited() -> anyhow::Result<()> {
    let (layer, mut entries) = layer();
    let service = layer.layer(service_fn(|_| async { Ok::<_, Infallible>(streamed(0)) }));
    let mut anonymous = request(Protocol::Grpc, None);
    anonymous.extensions_mut().remove::<Principal>();
    service
        .oneshot(anonymous)
        .await?
        .into_body()
        .collect()
        .await?;
    assert!(entries.try_recv().is_err());
    Ok(())
}
