//! A REST request body: JSON read within a size bound, then the proto3 JSON
//! mapping (pbjson) builds the request message. A `null` point value, which
//! the proto3 mapping would read as 0, is taken as what it says: a missing
//! value (`missing: true`), refused or filled as the series asks.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// The largest body read: 3650 points with their dates fit many times over.
pub const MAX_BODY: usize = 1 << 20;

/// Returns the request message `body` holds.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let mut json: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid("body", format!("not JSON: {error}")))?;
    mark_missing_values(&mut json);
    serde_json::from_value(json).map_err(|error| ApiError::invalid("body", error.to_string()))
}

/// Turns `{"value": null}` in `inline.points` into `{"missing": true}`.
fn mark_missing_values(json: &mut Value) {
    let points = json
        .get_mut("inline")
        .and_then(|inline| inline.get_mut("points"))
        .and_then(Value::as_array_mut);
    for point in points.into_iter().flatten() {
        if let Some(fields) = point.as_object_mut()
            && fields.get("value").is_some_and(Value::is_null)
        {
            fields.remove("value");
            fields.insert("missing".into(), Value::Bool(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use proto::gateway::ForecastSeriesRequest;

    use super::*;

    #[test]
    fn a_null_value_is_missing_never_zero() -> Result<(), ApiError> {
        let body = Bytes::from_static(
            br#"{"horizon": 3, "inline": {"points": [
                {"date": "2025-01-01", "value": 4.5},
                {"date": "2025-02-01", "value": null}]}}"#,
        );
        let request: ForecastSeriesRequest = parse(&body)?;
        let Some(proto::gateway::forecast_series_request::Series::Inline(inline)) = request.series
        else {
            return Err(ApiError::Internal("no inline series".into()));
        };
        assert!(!inline.points[0].missing);
        assert_eq!(inline.points[0].value, 4.5);
        assert!(inline.points[1].missing);
        assert_eq!(request.horizon, 3);
        Ok(())
    }

    #[test]
    fn bad_bodies_are_refused_in_words() {
        for (body, words) in [
            (&b"{"[..], "body: not JSON"),
            (&br#"{"horizon": "soon"}"#[..], "body:"),
            (&br#"{"nonsense": 1}"#[..], "unknown field"),
        ] {
            let error = parse::<ForecastSeriesRequest>(&Bytes::from_static(body))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(words), "{error}");
        }
    }
}
