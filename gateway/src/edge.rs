//! The edge layer: authenticates the browser's bearer token, mints the
//! capability the call tree will use, and audits the call once answered.
//! Health and reflection are open.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::SystemTime,
};

use http::{Request, Response};
use mesh_core::{
    capability::{Capability, CapabilityMinter, Right},
    trace::current_trace,
};
use proto::store::AuditEntry;

use crate::{
    audit::{Auditor, code_name},
    oidc::{AuthError, JwtValidator},
    scopes,
};

const OPEN_PREFIXES: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.",
    "/grpc.reflection.v1alpha.",
];
const ANONYMOUS: &str = "anonymous";

#[derive(Debug)]
struct Edge {
    validator: JwtValidator,
    minter: Arc<CapabilityMinter>,
    auditor: Auditor,
}

/// Authenticates, mints and audits every public call.
#[derive(Clone, Debug)]
pub struct EdgeLayer {
    edge: Arc<Edge>,
}

impl EdgeLayer {
    pub fn new(validator: JwtValidator, minter: Arc<CapabilityMinter>, auditor: Auditor) -> Self {
        Self {
            edge: Arc::new(Edge {
                validator,
                minter,
                auditor,
            }),
        }
    }
}

impl<S> tower::Layer<S> for EdgeLayer {
    type Service = EdgeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeService {
            inner,
            edge: self.edge.clone(),
        }
    }
}

/// The service [`EdgeLayer`] makes.
#[derive(Clone, Debug)]
pub struct EdgeService<S> {
    inner: S,
    edge: Arc<Edge>,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for EdgeService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let method = request.uri().path().to_owned();
        if OPEN_PREFIXES
            .iter()
            .any(|prefix| method.starts_with(prefix))
        {
            return Box::pin(inner.call(request));
        }
        let mut entry = AuditEntry {
            principal: ANONYMOUS.into(),
            method: method.clone(),
            trace_id: current_trace().trace_id,
            ..Default::default()
        };
        let edge = self.edge.clone();
        match edge.admit(&mut request, &method) {
            Ok(capability) => {
                entry.principal = capability.principal().unwrap_or_else(|| ANONYMOUS.into());
                entry.revocation_ids = capability.revocation_ids();
                Box::pin(async move {
                    let response = inner.call(request).await?;
                    // A unary call that failed answers trailers-only, with the
                    // status in the headers; otherwise it succeeded.
                    entry.status_code = code_name(status_of(&response));
                    edge.auditor.record(entry);
                    Ok(response)
                })
            }
            Err(status) => {
                entry.status_code = code_name(status.code());
                edge.auditor.record(entry);
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

impl Edge {
    fn admit<B>(
        &self,
        request: &mut Request<B>,
        method: &str,
    ) -> Result<Capability, tonic::Status> {
        let token = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .ok_or(AuthError::Missing)?;
        let claims = self.validator.validate(token.trim())?;
        if let Some(scope) = scopes::required_scope(method)
            && !claims.scopes.contains(scope)
        {
            return Err(tonic::Status::permission_denied(format!(
                "token lacks the {scope} scope"
            )));
        }
        let rights: Vec<Right> = claims
            .scopes
            .iter()
            .flat_map(|scope| scopes::rights_of(scope))
            .copied()
            .collect();
        let principal = scopes::principal(&claims.issuer, &claims.subject);
        let capability = self.minter.mint(&principal, &rights, SystemTime::now())?;
        // The user's bearer token goes no further than the edge.
        request.headers_mut().remove(http::header::AUTHORIZATION);
        request.extensions_mut().insert(capability.clone());
        Ok(capability)
    }
}

fn status_of<B>(response: &Response<B>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}
