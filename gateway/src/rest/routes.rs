//! The REST surface: each path of the replaced system, the public method it
//! is (so authentication, scopes, minting and audit treat a REST call
//! exactly as its gRPC twin), and the query parameters it takes with their
//! bounds (which the OpenAPI document states and the query parser enforces).

use proto::methods::gateway_service as gateway;

/// A query parameter and the request field it fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The name in the query string (the replaced system's).
    pub name: &'static str,
    /// The request message's field (proto name).
    pub field: &'static str,
    pub kind: ParamKind,
    pub description: &'static str,
}

/// What a parameter's value may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer in `min..=max`.
    Integer { min: i32, max: i32 },
    /// An opaque token returned by an earlier page.
    PageToken,
    /// A gateway method's name, e.g. `GetKpis`; empty for every method.
    GatewayMethod,
    /// A gRPC status code name, e.g. `PERMISSION_DENIED`.
    StatusCode,
    /// A W3C trace id, 32 hex digits.
    TraceId,
}

/// One REST path and the public method it calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub path: &'static str,
    pub method: &'static str,
    pub params: &'static [Param],
    /// `POST` with the request message as a JSON body; `GET` otherwise.
    pub body: bool,
}

const fn days(name: &'static str, max: i32, description: &'static str) -> Param {
    Param {
        name,
        field: name,
        kind: ParamKind::Integer { min: 0, max },
        description,
    }
}

const PAGE: [Param; 2] = [
    Param {
        name: "limit",
        field: "page_size",
        kind: ParamKind::Integer { min: 0, max: 500 },
        description: "entries per page, 1 to 500; 0 or absent means 50",
    },
    Param {
        name: "page_token",
        field: "page_token",
        kind: ParamKind::PageToken,
        description: "the next_page_token of the previous page; absent for the first",
    },
];

/// Every REST path that is a public method (`GET` each).
pub const ROUTES: &[Route] = &[
    Route {
        path: "/api/telemetry/status",
        method: gateway::GET_TELEMETRY_STATUS,
        params: &[],
        body: false,
    },
    Route {
        path: "/api/kpis",
        method: gateway::GET_KPIS,
        params: &[days(
            "window_days",
            3650,
            "days in the window, 1 to 3650; 0 or absent means 30",
        )],
        body: false,
    },
    Route {
        path: "/api/history",
        method: gateway::GET_HISTORY,
        params: &[days(
            "days_back",
            3650,
            "days of history, 1 to 3650; 0 or absent means 365",
        )],
        body: false,
    },
    Route {
        path: "/api/forecasts",
        method: gateway::GET_FORECAST,
        params: &[days(
            "days",
            365,
            "days to forecast, 1 to 365; 0 or absent means 30",
        )],
        body: false,
    },
    Route {
        path: "/api/rankings",
        method: gateway::GET_RANKINGS,
        params: &[
            Param {
                name: "top_n",
                field: "top_n",
                kind: ParamKind::Integer { min: 0, max: 100 },
                description: "entries of each kind, 1 to 100; 0 or absent means 10",
            },
            days(
                "window_days",
                365,
                "days in the window, 1 to 365; 0 or absent means 30",
            ),
        ],
        body: false,
    },
    Route {
        path: "/api/recommendations",
        method: gateway::GET_RECOMMENDATIONS,
        params: &[days(
            "window_days",
            365,
            "days growth is measured over, 1 to 365; 0 or absent means 30",
        )],
        body: false,
    },
    Route {
        path: "/api/dashboard",
        method: gateway::GET_DASHBOARD,
        params: &[days(
            "forecast_days",
            365,
            "days to forecast, 1 to 365; 0 or absent means 30",
        )],
        body: false,
    },
    Route {
        path: "/api/storage/audit-logs",
        method: gateway::LIST_AUDIT_LOGS,
        params: &[
            PAGE[0],
            PAGE[1],
            Param {
                name: "method",
                field: "method",
                kind: ParamKind::GatewayMethod,
                description: "only calls of this gateway method, by name (GetKpis); a REST call is recorded as the method it is",
            },
            Param {
                name: "status_code",
                field: "status_code",
                kind: ParamKind::StatusCode,
                description: "only calls that ended with this gRPC status code name",
            },
            Param {
                name: "trace_id",
                field: "trace_id",
                kind: ParamKind::TraceId,
                description: "only the call of this W3C trace id, as an error's trace_id names it",
            },
        ],
        body: false,
    },
    Route {
        path: "/api/storage/forecasts",
        method: gateway::LIST_FORECAST_RUNS,
        params: &PAGE,
        body: false,
    },
    Route {
        path: "/api/storage/rankings",
        method: gateway::LIST_RANKING_RUNS,
        params: &PAGE,
        body: false,
    },
    Route {
        path: "/api/storage/recommendations",
        method: gateway::LIST_RECOMMENDATION_RUNS,
        params: &PAGE,
        body: false,
    },
    Route {
        path: "/api/forecasts/series",
        method: gateway::FORECAST_SERIES,
        params: &[],
        body: true,
    },
];

/// Returns the route at `path`, if any.
pub fn route(path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.path == path)
}

/// Returns the public method a REST path is, if any.
pub fn method_of(path: &str) -> Option<&'static str> {
    route(path).map(|route| route.method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_a_public_method_once() {
        for route in ROUTES {
            assert!(
                gateway::ALL.contains(&route.method),
                "{} is no public method",
                route.path
            );
            assert_eq!(
                ROUTES.iter().filter(|r| r.path == route.path).count(),
                1,
                "{}",
                route.path
            );
        }
    }
}
