//! The caller's deadline, answered as a deadline: a call whose `grpc-timeout`
//! runs out ends with `DEADLINE_EXCEEDED`, and the work under it is dropped.
//!
//! tonic enforces `grpc-timeout` itself, outside every layer, but answers
//! `CANCELLED`; this layer fires a millisecond before it so the caller (and
//! the audit) reads the true outcome. The deadline also goes into request
//! extensions as [`Deadline`], for handlers to carry to upstream calls.

use std::{
    task::{Context, Poll},
    time::Duration,
};

use futures::{FutureExt, future::BoxFuture};
use http::{HeaderMap, Request, Response};
use tokio::time::Instant;

/// When the caller stops waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline(pub Instant);

impl Deadline {
    /// Returns the time left, zero once passed.
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// True once the deadline is within [`EARLY`] of now: the layer has
    /// answered, or is about to, so work cut now was cut by the deadline.
    pub fn expired(&self) -> bool {
        self.remaining() <= EARLY
    }
}

/// How much sooner than tonic's own timer this layer answers.
const EARLY: Duration = Duration::from_millis(2);

/// Parses `grpc-timeout` (e.g. `250m`, `5S`): the caller's time budget.
pub fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    // At most 8 digits, per the gRPC over HTTP/2 specification.
    if value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Answers `DEADLINE_EXCEEDED` when a call's `grpc-timeout` runs out.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeadlineLayer;

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = Deadlined<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadlined { inner }
    }
}

/// The service [`DeadlineLayer`] makes.
#[derive(Clone, Debug)]
pub struct Deadlined<S> {
    inner: S,
}

impl<S, B, R> tower::Service<Request<B>> for Deadlined<S>
where
    S: tower::Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let Some(timeout) = grpc_timeout(request.headers()) else {
            return self.inner.call(request).boxed();
        };
        let deadline = Deadline(Instant::now() + timeout);
        request.extensions_mut().insert(deadline);
        let answer = self.inner.call(request);
        let exceeded = || tonic::Status::deadline_exceeded("deadline exceeded").into_http();
        async move {
            match tokio::time::timeout_at(deadline.0 - EARLY.min(timeout), answer).await {
                // An answer made after the deadline (an upstream call cut by
                // the deadline it was given, say) is the deadline's doing.
                Ok(Ok(_)) if deadline.expired() => Ok(exceeded()),
                Ok(answered) => answered,
                Err(_) => Ok(exceeded()),
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http::HeaderValue;
    use tower::{Layer, ServiceExt, service_fn};

    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        let parse = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert("grpc-timeout", HeaderValue::from_static(value));
            grpc_timeout(&headers)
        };
        assert_eq!(parse("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse("x"), None);
        assert_eq!(parse("5"), None);
        assert_eq!(parse("123456789S"), None, "more than 8 digits");
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_past_its_deadline_answers_deadline_exceeded() -> anyhow::Result<()> {
        let slow = service_fn(|request: Request<()>| async move {
            assert!(request.extensions().get::<Deadline>().is_some());
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, Infallible>(Response::new(String::new()))
        });
        let mut request = Request::new(());
        request
            .headers_mut()
            .insert("grpc-timeout", HeaderValue::from_static("100m"));
        let response = DeadlineLayer.layer(slow).oneshot(request).await?;
        let status = response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok());
        assert_eq!(status, Some("4"), "DEADLINE_EXCEEDED");
        Ok(())
    }

    #[tokio::test]
    async fn a_call_without_a_deadline_is_untouched() -> anyhow::Result<()> {
        let quick = service_fn(|request: Request<()>| async move {
            assert!(request.extensions().get::<Deadline>().is_none());
            Ok::<_, Infallible>(Response::new(String::from("done")))
        });
        let response = DeadlineLayer.layer(quick).oneshot(Request::new(())).await?;
        assert_eq!(response.into_body(), "done");
        Ok(())
    }
}
