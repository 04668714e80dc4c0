//! The REST surface: each path of the replaced system and the public method
//! it is, so authentication, scopes, minting and audit treat a REST call
//! exactly as its gRPC twin.

use proto::methods::gateway_service as gateway;

/// One REST path and the public method it calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub path: &'static str,
    pub method: &'static str,
}

/// Every REST path that is a public method (`GET` each).
pub const ROUTES: &[Route] = &[
    Route {
        path: "/api/telemetry/status",
        method: gateway::GET_TELEMETRY_STATUS,
    },
    Route {
        path: "/api/kpis",
        method: gateway::GET_KPIS,
    },
    Route {
        path: "/api/history",
        method: gateway::GET_HISTORY,
    },
    Route {
        path: "/api/forecasts",
        method: gateway::GET_FORECAST,
    },
    Route {
        path: "/api/rankings",
        method: gateway::GET_RANKINGS,
    },
    Route {
        path: "/api/recommendations",
        method: gateway::GET_RECOMMENDATIONS,
    },
    Route {
        path: "/api/dashboard",
        method: gateway::GET_DASHBOARD,
    },
    Route {
        path: "/api/storage/audit-logs",
        method: gateway::LIST_AUDIT_LOGS,
    },
];

/// Returns the public method a REST path is, if any.
pub fn method_of(path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|route| route.path == path)
        .map(|route| route.method)
}
