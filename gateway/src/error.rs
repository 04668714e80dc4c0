//! The edge's one error policy. Every failure a public call can end with is
//! an [`ApiError`]; [`ApiError::status`] is the only place it becomes the
//! caller's status, and [`rest_response`] the only place a status becomes a
//! REST answer (`{code, message, trace_id}` with its HTTP status).
//!
//! Internal failures are rescued here: an internal service refusing the
//! gateway's own capability is the mesh's fault, not the caller's, so it is
//! `INTERNAL` with the trace id, never the caller's `UNAUTHENTICATED`; an
//! unavailable or slow upstream gets a generic message; driver and upstream
//! text stays in the logs.

use http::{HeaderValue, StatusCode, header::CONTENT_TYPE};
use mesh_core::{capability::CapabilityError, trace::current_trace};
use tonic::{Code, Status, body::Body};

use crate::oidc::AuthError;

/// Why a public call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The caller sent a bad value: `field` is the name the caller used.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error("the token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("{0}")]
    NotFound(String),
    /// An internal service answered with an error.
    #[error("{service} answered {}: {}", .status.code(), .status.message())]
    Upstream {
        service: &'static str,
        status: Status,
    },
    /// The caller is past its rate for the method.
    #[error("rate limit: {per_minute} calls a minute; retry in {} s", .retry_after.as_secs())]
    RateLimited {
        per_minute: u32,
        retry_after: std::time::Duration,
    },
    /// The call's audit entry cannot be recorded: the spool is full or
    /// broken, and an audit log fails closed.
    #[error("the audit log cannot take entries now")]
    AuditUnavailable,
    /// The gateway itself failed (minting a capability, say).
    #[error("{0}")]
    Internal(String),
}

impl From<CapabilityError> for ApiError {
    fn from(error: CapabilityError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl ApiError {
    /// Returns an [`ApiError::Invalid`] for the caller's field `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// Returns a closure that wraps an upstream status as coming from `service`,
    /// for `map_err`.
    pub fn from_upstream(service: &'static str) -> impl Fn(Status) -> Self {
        move |status| Self::Upstream { service, status }
    }

    /// Returns the status the caller gets. Logs what the caller is not told.
    pub fn status(&self) -> Status {
        match self {
            Self::Invalid { .. } => Status::invalid_argument(self.to_string()),
            Self::Unauthenticated(error) => Status::unauthenticated(error.to_string()),
            Self::MissingScope(_) => Status::permission_denied(self.to_string()),
            Self::NotFound(message) => Status::not_found(message.clone()),
            Self::Upstream { service, status } => rescue(service, status),
            Self::RateLimited { retry_after, .. } => {
                let mut status = Status::resource_exhausted(self.to_string());
                status
                    .metadata_mut()
                    .insert("retry-after", retry_after.as_secs().into());
                status
            }
            Self::AuditUnavailable => Status::unavailable(format!(
                "the audit log cannot take entries now: try again later (trace {})",
                current_trace().trace_id
            )),
            Self::Internal(detail) => {
                tracing::warn!(detail, "gateway failed");
                internal()
            }
        }
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        error.status()
    }
}

/// Returns what the caller is told about an internal service's answer.
fn rescue(service: &str, status: &Status) -> Status {
    let trace_id = current_trace().trace_id;
    match status.code() {
        // The caller's own mistakes, as the service worded them.
        Code::InvalidArgument
        | Code::NotFound
        | Code::FailedPrecondition
        | Code::OutOfRange
        | Code::AlreadyExists => Status::new(status.code(), status.message()),
        Code::ResourceExhausted => Status::resource_exhausted(format!(
            "the {service} service is busy: try again later (trace {trace_id})"
        )),
        Code::Unavailable => {
            tracing::warn!(service, detail = status.message(), "upstream unavailable");
            Status::unavailable(format!(
                "the {service} service is unavailable: try again later (trace {trace_id})"
            ))
        }
        Code::DeadlineExceeded => {
            tracing::warn!(service, detail = status.message(), "upstream too slow");
            Status::deadline_exceeded(format!(
                "the {service} service did not answer in time (trace {trace_id})"
            ))
        }
        Code::Cancelled => Status::cancelled("the call was cancelled"),
        // The caller was authenticated and authorized at the edge: an
        // internal refusal, like any other failure, is ours.
        code => {
            tracing::warn!(service, ?code, detail = status.message(), "upstream failed");
            internal()
        }
    }
}

fn internal() -> Status {
    Status::internal(format!(
        "internal error (trace {})",
        current_trace().trace_id
    ))
}

/// Returns the HTTP status a REST caller gets for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound | Code::Unimplemented => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        // 499: the client closed the request (no standard code exists).
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Returns the canonical name of a gRPC status code, e.g. `INVALID_ARGUMENT`:
/// the metrics' names, so the audit log and the metrics spell codes alike.
pub fn code_name(code: Code) -> &'static str {
    mesh_core::metrics::rpc::code_name(code as i32)
}

/// The JSON body of a REST error.
#[derive(Debug, serde::Serialize)]
struct RestError<'a> {
    code: &'static str,
    message: &'a str,
    trace_id: String,
}

/// The true gRPC code of a REST answer, left in its extensions for the audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestOutcome(pub Code);

/// Returns the REST answer for `status`: its HTTP status and
/// `{code, message, trace_id}`.
pub fn rest_response(status: &Status) -> http::Response<Body> {
    let body = RestError {
        code: code_name(status.code()),
        message: status.message(),
        trace_id: current_trace().trace_id,
    };
    // Serializing two strings cannot fail; the fallback keeps the status.
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = http::Response::new(Body::new(http_body_util::Full::new(
        bytes::Bytes::from(json),
    )));
    *response.status_mut() = http_status(status.code());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if status.code() == Code::ResourceExhausted {
        let retry_after = status
            .metadata()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| HeaderValue::from_str(value).ok())
            .unwrap_or(HeaderValue::from_static("1"));
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, retry_after);
    }
    response.extensions_mut().insert(RestOutcome(status.code()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_canonical_name() {
        let names: std::collections::HashSet<&str> =
            (0..=16).map(|c| code_name(Code::from(c))).collect();
        assert_eq!(names.len(), 17);
        assert_eq!(code_name(Code::Ok), "OK");
        assert_eq!(code_name(Code::PermissionDenied), "PERMISSION_DENIED");
        assert_eq!(code_name(Code::Unauthenticated), "UNAUTHENTICATED");
    }

    #[test]
    fn internal_refusals_are_the_mesh_s_fault_not_the_caller_s() {
        for code in [
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::Internal,
        ] {
            let error = ApiError::Upstream {
                service: "store",
                status: Status::new(code, "capability token has expired: driver detail"),
            };
            let status = error.status();
            assert_eq!(status.code(), Code::Internal, "{code:?}");
            assert!(!status.message().contains("driver detail"), "{status:?}");
            assert!(status.message().contains("trace"), "{status:?}");
        }
    }

    #[test]
    fn unavailable_and_slow_upstreams_get_generic_messages() {
        let unavailable = ApiError::Upstream {
            service: "warehouse",
            status: Status::unavailable("connection refused: tcp 10.0.0.7:50052"),
        }
        .status();
        assert_eq!(unavailable.code(), Code::Unavailable);
        assert!(!unavailable.message().contains("10.0.0.7"));
        let slow = ApiError::Upstream {
            service: "warehouse",
            status: Status::deadline_exceeded("statement timeout on pg"),
        }
        .status();
        assert_eq!(slow.code(), Code::DeadlineExceeded);
        assert!(!slow.message().contains("pg"));
    }

    #[test]
    fn callers_mistakes_keep_their_words() {
        let status = ApiError::invalid("days", "must be 1 to 365, got 0").status();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "days: must be 1 to 365, got 0");
    }

    #[test]
    fn rest_errors_carry_the_http_status_and_the_code() {
        let response = rest_response(&Status::permission_denied("no"));
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.extensions().get::<RestOutcome>(),
            Some(&RestOutcome(Code::PermissionDenied))
        );
        let limited = rest_response(&Status::resource_exhausted("slow down"));
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.headers().contains_key(http::header::RETRY_AFTER));
        for code in [400, 401, 403, 404, 429, 503, 504] {
            assert!(
                (0..17).any(|c| http_status(Code::from_i32(c)).as_u16() == code),
                "{code} is reachable"
            );
        }
    }
}
