//! Which audit entries a listing keeps: by method, status and trace, each
//! exact. Entries are kept whole as protobuf bytes, so a filtered listing
//! examines them in sequence order and keeps those that match; to bound
//! what one call costs, it examines at most [`MAX_EXAMINED`] entries and
//! hands back a cursor where it stopped.

use mesh_core::metrics::rpc::code_name;
use proto::store::AuditEntry;

use crate::StoreError;

/// The most entries one filtered listing examines.
pub const MAX_EXAMINED: u32 = 5_000;
/// The longest method name a filter takes.
const MAX_METHOD: usize = 200;

/// A validated filter; every field empty keeps every entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    method: String,
    status_code: String,
    trace_id: String,
}

impl AuditFilter {
    /// Validates a request's filter fields; each empty one keeps all.
    pub fn parse(method: &str, status_code: &str, trace_id: &str) -> Result<Self, StoreError> {
        let invalid = |reason: String| Err(StoreError::InvalidArgument(reason));
        if method.len() > MAX_METHOD {
            return invalid(format!("method: longer than {MAX_METHOD} bytes"));
        }
        if !status_code.is_empty() && !(0..=16).any(|code| code_name(code) == status_code) {
            return invalid(format!(
                "status_code: {status_code:?} is not a gRPC status code name, e.g. OK or PERMISSION_DENIED"
            ));
        }
        let is_trace_id = trace_id.len() == 32
            && trace_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !trace_id.is_empty() && !is_trace_id {
            return invalid(format!(
                "trace_id: {trace_id:?} is not a W3C trace id (32 lowercase hex digits)"
            ));
        }
        Ok(Self {
            method: method.to_owned(),
            status_code: status_code.to_owned(),
            trace_id: trace_id.to_owned(),
        })
    }

    /// Whether the filter keeps every entry.
    pub fn is_empty(&self) -> bool {
        self.method.is_empty() && self.status_code.is_empty() && self.trace_id.is_empty()
    }

    pub fn matches(&self, entry: &AuditEntry) -> bool {
        let field = |wanted: &str, value: &str| wanted.is_empty() || wanted == value;
        field(&self.method, &entry.method)
            && field(&self.status_code, &entry.status_code)
            && field(&self.trace_id, &entry.trace_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: &str, status_code: &str, trace_id: &str) -> AuditEntry {
        AuditEntry {
            method: method.into(),
            status_code: status_code.into(),
            trace_id: trace_id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_field_narrows_and_empty_keeps_all() -> Result<(), StoreError> {
        let trace = "0af7651916cd43dd8448eb211c80319c";
        let kpis = entry("/g/GetKpis", "OK", trace);
        assert!(AuditFilter::parse("", "", "")?.matches(&kpis));
        assert!(AuditFilter::parse("", "", "")?.is_empty());
        assert!(AuditFilter::parse("/g/GetKpis", "OK", trace)?.matches(&kpis));
        assert!(!AuditFilter::parse("/g/GetHistory", "", "")?.matches(&kpis));
        assert!(!AuditFilter::parse("", "PERMISSION_DENIED", "")?.matches(&kpis));
        assert!(!AuditFilter::parse("", "", &"0".repeat(32))?.matches(&kpis));
        Ok(())
    }

    #[test]
    fn bad_filters_are_invalid_arguments_naming_the_field() {
        for (method, status, trace, field) in [
            ("", "DENIED", "", "status_code"),
            ("", "ok", "", "status_code"),
            ("", "", "0AF7651916CD43DD8448EB211C80319C", "trace_id"),
            ("", "", "0af7651916cd43dd", "trace_id"),
            (&*"m".repeat(201), "", "", "method"),
        ] {
            match AuditFilter::parse(method, status, trace) {
                Err(StoreError::InvalidArgument(reason)) => {
                    assert!(reason.starts_with(field), "{reason}");
                }
                other => panic!("{method} {status} {trace}: {other:?}"),
            }
        }
    }
}
