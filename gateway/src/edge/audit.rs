//! Audit as a layer: one entry per authenticated public call, written once
//! its final outcome is known — the `grpc-status` of a trailers-only answer
//! or of the trailers after the last message (streams included), the HTTP
//! status of a REST answer, `DEADLINE_EXCEEDED` when the call's
//! `grpc-timeout` ran out, `CANCELLED` when the client went away.
//!
//! Calls refused before authentication are not audited: they have no
//! principal, and auditing them would let anyone fill the log.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::{Body as _, Frame, SizeHint};
use mesh_core::{server::Deadline, trace::current_trace};
use proto::store::AuditEntry;
use tonic::{Code, body::Body};

use super::{Principal, Protocol, PublicCall};
use crate::{
    audit::Auditor,
    error::{RestOutcome, code_name},
};

/// What layers below the audit add to a call's entry: the revocation ids
/// of the capability minted for it.
#[derive(Clone, Debug, Default)]
pub struct AuditNotes {
    revocation_ids: Arc<Mutex<Vec<String>>>,
}

impl AuditNotes {
    /// Records the revocation ids of the call's capability.
    pub fn revocation_ids(&self, ids: Vec<String>) {
        if let Ok(mut noted) = self.revocation_ids.lock() {
            *noted = ids;
        }
    }

    fn take(&self) -> Vec<String> {
        self.revocation_ids
            .lock()
            .map(|mut ids| std::mem::take(&mut *ids))
            .unwrap_or_default()
    }
}

/// Audits every authenticated public call below it.
#[derive(Clone, Debug)]
pub struct AuditLayer {
    auditor: Auditor,
}

impl AuditLayer {
    pub fn new(auditor: Auditor) -> Self {
        Self { auditor }
    }
}

impl<S> tower::Layer<S> for AuditLayer {
    type Service = Audited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Audited {
            inner,
            auditor: self.auditor.clone(),
        }
    }
}

/// The service [`AuditLayer`] makes.
#[derive(Clone, Debug)]
pub struct Audited<S> {
    inner: S,
    auditor: Auditor,
}

impl<S> tower::Service<Request<Body>> for Audited<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let call = request.extensions().get::<PublicCall>().copied();
        let principal = request.extensions().get::<Principal>().cloned();
        let (Some(call), Some(principal)) = (call, principal) else {
            return Box::pin(self.inner.call(request));
        };
        let notes = AuditNotes::default();
        request.extensions_mut().insert(notes.clone());
        let pending = Pending {
            entry: Some(AuditEntry {
                principal: principal.id.to_string(),
                method: call.method.to_owned(),
                // The trace layer is outermost: this is the call's own span.
                trace_id: current_trace().trace_id,
                ..Default::default()
            }),
            notes,
            auditor: self.auditor.clone(),
            deadline: request.extensions().get::<Deadline>().copied(),
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            let answered =
                answered_code(call.protocol, &response).map(|code| pending.as_answered(code));
            Ok(response.map(|body| {
                Body::new(AuditedBody {
                    inner: body,
                    pending,
                    code: answered,
                })
            }))
        })
    }
}

/// Returns the code a response states before its body: a REST answer's, or
/// a gRPC trailers-only answer's.
fn answered_code(protocol: Protocol, response: &Response<Body>) -> Option<Code> {
    match protocol {
        Protocol::Rest => Some(
            response
                .extensions()
                .get::<RestOutcome>()
                .map_or_else(|| code_of_http(response.status()), |outcome| outcome.0),
        ),
        Protocol::Grpc => grpc_status(response.headers()),
    }
}

/// The code a REST answer without a [`RestOutcome`] stands for.
fn code_of_http(status: http::StatusCode) -> Code {
    match status.as_u16() {
        200..=299 => Code::Ok,
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 | 405 => Code::NotFound,
        429 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        504 => Code::DeadlineExceeded,
        _ => Code::Internal,
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map(Code::from_i32)
}

/// An entry waiting for its outcome. Dropped without one, the call ended
/// early: past its deadline it timed out, otherwise the client cancelled.
#[derive(Debug)]
struct Pending {
    entry: Option<AuditEntry>,
    notes: AuditNotes,
    auditor: Auditor,
    deadline: Option<Deadline>,
}

impl Pending {
    /// Returns the outcome the caller reads for an answer with `code`: one
    /// made once the deadline has passed is the deadline's doing (an
    /// upstream call cut by the timeout it was given ends `CANCELLED`), as
    /// the server's deadline layer answers it.
    fn as_answered(&self, code: Code) -> Code {
        match self.deadline {
            Some(deadline) if deadline.expired() => Code::DeadlineExceeded,
            _ => code,
        }
    }

    fn finish(&mut self, code: Code) {
        if let Some(mut entry) = self.entry.take() {
            entry.status_code = code_name(code).to_owned();
            entry.revocation_ids = self.notes.take();
            self.auditor.record(entry);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let code = match self.deadline {
            Some(deadline) if deadline.expired() => Code::DeadlineExceeded,
            _ => Code::Cancelled,
        };
        self.finish(code);
    }
}

/// A response body that finishes its call's audit entry when it ends.
struct AuditedBody {
    inner: Body,
    pending: Pending,
    /// The outcome known so far: from the headers, then from the trailers.
    code: Option<Code>,
}

impl AuditedBody {
    fn end(&mut self) {
        // A gRPC answer that ends with no status at all did not succeed.
        self.pending.finish(self.code.unwrap_or(Code::Unknown));
    }
}

impl http_body::Body for AuditedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    self.code = Some(code);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                self.code = Some(Code::Internal);
                self.end();
            }
            Poll::Ready(None) => self.end(),
            Poll::Pending => {}
        }
        if self.inner.is_end_stream() {
            self.end();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for AuditedBody {
    fn drop(&mut self) {
        // The server may never poll a body that was empty from the start.
        if self.inner.is_end_stream() {
            self.end();
        }
        // Otherwise `pending` drops unfinished: cancelled or timed out.
    }
}

#[cfg(test)]
mod tests;
