//! The calling side: narrows the request's capability to the call being made
//! and sends it as `authorization: Bearer <token>`.
//!
//! Narrowing signs a block, a third of an internal call's CPU. Calls of one
//! capability to one method within a sixth of the narrowed lifetime (5 s of
//! 30) share one narrowed token, so that the receiver's kept grant
//! (`super::authorized`) serves them too. They then share its revocation
//! ids, as calls sharing an authority block already do.

use std::{
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant, SystemTime},
};

use http::{HeaderValue, Request};
use quick_cache::sync::Cache;

use super::{CallPlan, Capability, Hop, narrow};
use crate::identity::SpiffeId;

/// Narrowed tokens kept at most per channel; beyond it the least used go.
const MAX_KEPT: usize = 4096;

#[derive(Debug)]
struct Target {
    caller: SpiffeId,
    callee: SpiffeId,
    ttl: Duration,
    call_plan: CallPlan,
    /// The `authorization` value sent for (the incoming token's last
    /// revocation id, method), and when it was narrowed.
    kept: Cache<(Vec<u8>, String), (Instant, HeaderValue)>,
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
                kept: Cache::new(MAX_KEPT),
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
        // The last block's revocation id is its signature: it names the
        // token exactly.
        let key = (
            capability
                .token()
                .revocation_identifiers()
                .pop()
                .unwrap_or_default(),
            method,
        );
        let reuse_for = target.ttl / 6;
        let value = match target.kept.get(&key) {
            Some((narrowed_at, value)) if narrowed_at.elapsed() < reuse_for => value,
            _ => {
                let hop = Hop {
                    caller: &target.caller,
                    callee: &target.callee,
                    service: target.callee.service(),
                    method: &key.1,
                    ttl: target.ttl,
                    delegated: (target.call_plan)(&key.1).unwrap_or_default(),
                };
                let token = narrow(capability, &hop, SystemTime::now())?.to_base64()?;
                let value = HeaderValue::try_from(format!("Bearer {token}"))?;
                target.kept.insert(key, (Instant::now(), value.clone()));
                value
            }
        };
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tower::{Layer, Service, ServiceExt};

    use super::*;
    use crate::capability::{CapabilityMinter, RootKey, rights::WAREHOUSE_READ};

    type Sent = Arc<Mutex<Vec<HeaderValue>>>;

    /// A channel that records the `authorization` of every request.
    fn recording(sent: Sent) -> tower::util::BoxService<Request<()>, (), BoxError> {
        tower::util::BoxService::new(tower::service_fn(move |request: Request<()>| {
            let sent = sent.clone();
            async move {
                if let Some(value) = request.headers().get(http::header::AUTHORIZATION) {
                    sent.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(value.clone());
                }
                Ok::<_, BoxError>(())
            }
        }))
    }

    async fn send(
        channel: &mut NarrowToCall<tower::util::BoxService<Request<()>, (), BoxError>>,
        capability: &Capability,
        method: &str,
    ) -> Result<(), BoxError> {
        let mut request = Request::builder().uri(method).body(())?;
        request.extensions_mut().insert(capability.clone());
        channel.ready().await?.call(request).await
    }

    #[tokio::test]
    async fn one_capability_and_method_share_a_narrowed_token_within_the_window()
    -> Result<(), BoxError> {
        let sent = Sent::default();
        let id = |name| SpiffeId::workload("t", "n", name);
        let mut channel = NarrowLayer::new(
            id("gateway"),
            id("warehouse"),
            Duration::from_secs(30),
            |_| None,
        )
        .layer(recording(sent.clone()));
        let minter = CapabilityMinter::new(RootKey::generate(1), Duration::from_secs(60));
        let alice = minter.mint("alice", &[WAREHOUSE_READ], SystemTime::now())?;
        let bob = minter.mint("bob", &[WAREHOUSE_READ], SystemTime::now())?;
        send(&mut channel, &alice, "/w.v1.W/GetKpis").await?;
        send(&mut channel, &alice, "/w.v1.W/GetKpis").await?;
        send(&mut channel, &alice, "/w.v1.W/GetStockLevels").await?;
        send(&mut channel, &bob, "/w.v1.W/GetKpis").await?;
        let sent = sent.lock().map_err(|e| e.to_string())?.clone();
        assert_eq!(sent.len(), 4);
        assert_eq!(sent[0], sent[1], "the same call again: the same token");
        assert_ne!(sent[0], sent[2], "another method: its own token");
        assert_ne!(sent[0], sent[3], "another capability: its own token");
        Ok(())
    }
}
