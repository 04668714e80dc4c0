//! A REST query string, read into the typed request of its operation: only
//! the route's parameters, each within its bounds, then the proto3 JSON
//! mapping (pbjson) builds the request message. Every refusal names the
//! parameter the caller sent.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::routes::{ParamKind, Route};
use crate::error::ApiError;

/// The longest query string read; anything longer is refused unread.
const MAX_QUERY: usize = 2048;

/// Returns the request `route` makes of `query`.
pub fn parse<T: DeserializeOwned>(route: &Route, query: Option<&str>) -> Result<T, ApiError> {
    let query = query.unwrap_or_default();
    if query.len() > MAX_QUERY {
        return Err(ApiError::invalid(
            "query",
            format!("longer than {MAX_QUERY} bytes"),
        ));
    }
    let mut fields = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let param = route
            .params
            .iter()
            .find(|param| param.name == name)
            .ok_or_else(|| unknown(route, &name))?;
        if fields.contains_key(param.field) {
            return Err(ApiError::invalid(param.name, "given more than once"));
        }
        let value = match param.kind {
            ParamKind::Integer { min, max } => {
                let number: i32 = value.trim().parse().map_err(|_| {
                    ApiError::invalid(param.name, format!("not an integer: {value:?}"))
                })?;
                if !(min..=max).contains(&number) {
                    return Err(ApiError::invalid(
                        param.name,
                        format!("must be between {min} and {max}, got {number}"),
                    ));
                }
                Value::from(number)
            }
            // Checked where they are used: the operation and the store.
            ParamKind::PageToken
            | ParamKind::GatewayMethod
            | ParamKind::StatusCode
            | ParamKind::TraceId => Value::from(value.into_owned()),
        };
        fields.insert(param.field.to_owned(), value);
    }
    serde_json::from_value(Value::Object(fields))
        .map_err(|error| ApiError::invalid("query", error.to_string()))
}

fn unknown(route: &Route, name: &str) -> ApiError {
    let known: Vec<&str> = route.params.iter().map(|param| param.name).collect();
    let reason = if known.is_empty() {
        "no query parameters are taken here".to_owned()
    } else {
        format!("unknown parameter; this path takes {}", known.join(", "))
    };
    // The field is the caller's unknown name: leaked into a 'static only in
    // the message, so say it there instead of in `field`.
    ApiError::invalid("query", format!("{name:?}: {reason}"))
}

#[cfg(test)]
mod tests {
    use proto::gateway::{GetForecastRequest, ListAuditLogsRequest};

    use super::*;
    use crate::rest::routes::route;

    fn forecasts() -> &'static Route {
        route("/api/forecasts").expect("a route")
    }

    #[test]
    fn legacy_parameters_fill_their_fields() -> Result<(), ApiError> {
        let request: GetForecastRequest = parse(forecasts(), Some("days=14"))?;
        assert_eq!(request.days, 14);
        let empty: GetForecastRequest = parse(forecasts(), None)?;
        assert_eq!(empty.days, 0);
        let logs = route("/api/storage/audit-logs").expect("a route");
        let page: ListAuditLogsRequest = parse(logs, Some("limit=5&page_token=seq%3A9"))?;
        assert_eq!(page.page_size, 5);
        assert_eq!(page.page_token, "seq:9");
        Ok(())
    }

    #[test]
    fn bad_parameters_are_refused_by_name() {
        for (query, words) in [
            ("days=400", "days: must be between 0 and 365, got 400"),
            ("days=-1", "days: must be between 0 and 365, got -1"),
            ("days=soon", "days: not an integer"),
            ("days=1&days=2", "days: given more than once"),
            (
                "horizon=3",
                "\"horizon\": unknown parameter; this path takes days",
            ),
        ] {
            let error = parse::<GetForecastRequest>(forecasts(), Some(query))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(words), "{query}: {error}");
        }
        let long = "days=1&".repeat(400);
        assert!(parse::<GetForecastRequest>(forecasts(), Some(&long)).is_err());
    }
}
