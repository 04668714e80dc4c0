//! The calling side: narrows the request's capability to the call being made
//! and sends it as `authorization: Bearer <token>`.

use std::{
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, SystemTime},
};

use http::{HeaderValue, Request};

use super::{CallPlan, Capability, Hop, narrow};
use crate::identity::SpiffeId;

#[derive(Debug)]
struct Target {
    caller: SpiffeId,
    callee: SpiffeId,
    ttl: Duration,
    call_plan: CallPlan,
}

/// Narrows the [`Capability`] in each outgoing request's extensions. A request
/// without one goes out without a token, and the receiver refuses it.
#[derive(Clone, Debug)]
pub struct NarrowLayer {
    target: Arc<Target>,
}

impl NarrowLayer {
    /// `caller` calls `callee`; narrowed tokens live for `ttl` and delegate
    /// what `call_plan` says the called method may call.
    pub fn new(caller: SpiffeId, callee: SpiffeId, ttl: Duration, call_plan: CallPlan) -> Self {
        Self {
            target: Arc::new(Target {
                caller,
                callee,
                ttl,
                call_plan,
            }),
        }
    }
}

impl<S> tower::Layer<S> for NarrowLayer {
    type Service = NarrowToCall<S>;

    fn layer(&self, inner: S) -> Self::Service {
        NarrowToCall {
            inner,
            target: self.target.clone(),
        }
    }
}

/// The service [`NarrowLayer`] makes.
#[derive(Clone, Debug)]
pub struct NarrowToCall<S> {
    inner: S,
    target: Arc<Target>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, B> tower::Service<Request<B>> for NarrowToCall<S>
where
    S: tower::Service<Request<B>>,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = futures::future::BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if let Err(error) = self.authorize(&mut request) {
            return Box::pin(std::future::ready(Err(error)));
        }
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

impl<S> NarrowToCall<S> {
    fn authorize<B>(&self, request: &mut Request<B>) -> Result<(), BoxError> {
        let Some(capability) = request.extensions().get::<Capability>() else {
            return Ok(());
        };
        let target = &self.target;
        let method = request.uri().path().to_owned();
        let hop = Hop {
            caller: &target.caller,
            callee: &target.callee,
            service: target.callee.service(),
            method: &method,
            ttl: target.ttl,
            delegated: (target.call_plan)(&method).unwrap_or_default(),
        };
        let token = narrow(capability, &hop, SystemTime::now())?.to_base64()?;
        let value = HeaderValue::try_from(format!("Bearer {token}"))?;
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}
