//! Which public method a request is, and in which protocol it came: a gRPC
//! (or gRPC-web, already translated) path of the gateway's service, or a
//! REST route. The answer goes into request extensions as [`PublicCall`];
//! requests that are no public method (health, reflection, the OpenAPI
//! document, unknown paths) carry none and pass the edge's gates untouched.

use http::Request;
use proto::methods::gateway_service;

use crate::rest;

/// How a call reached the gateway, which decides how it is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// gRPC or gRPC-web: answered with a gRPC status.
    Grpc,
    /// JSON REST under `/api/`: answered with an HTTP status and JSON.
    Rest,
}

/// A call to a public method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicCall {
    /// The method's full name, from the generated method table.
    pub method: &'static str,
    pub protocol: Protocol,
}

impl PublicCall {
    /// Returns the public call `path` is, if any.
    pub fn of_path(path: &str) -> Option<Self> {
        if let Some(method) = gateway_service::ALL.iter().find(|m| **m == path) {
            return Some(Self {
                method,
                protocol: Protocol::Grpc,
            });
        }
        rest::routes::method_of(path).map(|method| Self {
            method,
            protocol: Protocol::Rest,
        })
    }
}

/// Puts [`PublicCall`] in a request's extensions; for
/// `ServiceBuilder::map_request`.
pub fn classify<B>(mut request: Request<B>) -> Request<B> {
    if let Some(call) = PublicCall::of_path(request.uri().path()) {
        request.extensions_mut().insert(call);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_paths_and_rest_routes_name_the_same_method() {
        let grpc = PublicCall::of_path(gateway_service::GET_KPIS);
        assert_eq!(
            grpc,
            Some(PublicCall {
                method: gateway_service::GET_KPIS,
                protocol: Protocol::Grpc
            })
        );
        let rest = PublicCall::of_path("/api/kpis");
        assert_eq!(rest.map(|c| c.method), Some(gateway_service::GET_KPIS));
        assert_eq!(rest.map(|c| c.protocol), Some(Protocol::Rest));
    }

    #[test]
    fn open_and_unknown_paths_are_no_public_call() {
        for path in [
            "/grpc.health.v1.Health/Check",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/api/health",
            "/api/openapi.json",
            "/forecastmesh.warehouse.v1.WarehouseService/GetKpis",
            "/nothing",
        ] {
            assert_eq!(PublicCall::of_path(path), None, "{path}");
        }
    }
}
