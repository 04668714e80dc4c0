//! Istio's (Envoy's) `x-forwarded-client-cert` header: comma-separated
//! elements, one per proxy, each `;`-separated `Key=Value` pairs whose values
//! may be double-quoted (and then hold `,`, `;` or `=`, with `\"` escaping a
//! quote). The client certificate's URI SANs are its `URI` keys.
//! <https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-client-cert>

use crate::identity::SpiffeId;

use super::HeaderError;

pub(crate) const HEADER: &str = "x-forwarded-client-cert";

/// Returns the SPIFFE id of the client certificate the nearest proxy saw:
/// the one `URI=spiffe://…` of the header's last element. Earlier elements
/// came from further away (or from the caller, where a proxy appends) and
/// vouch for nothing.
pub(crate) fn client_id(value: &str) -> Result<SpiffeId, HeaderError> {
    let elements = split_unquoted(value, ',')?;
    let nearest = elements
        .last()
        .filter(|element| !element.trim().is_empty())
        .ok_or(HeaderError::Empty)?;
    let mut ids = Vec::new();
    for pair in split_unquoted(nearest, ';')? {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| HeaderError::Malformed(format!("no `=` in {pair:?}")))?;
        if key.trim().eq_ignore_ascii_case("uri") {
            let uri = unquote(value.trim())?;
            if uri.starts_with("spiffe://") {
                ids.push(SpiffeId::parse(&uri).map_err(|e| HeaderError::Malformed(e.to_string()))?);
            }
        }
    }
    match ids.len() {
        0 => Err(HeaderError::NoSpiffeId),
        1 => Ok(ids.remove(0)),
        _ => Err(HeaderError::Malformed(
            "more than one spiffe uri in the nearest element".into(),
        )),
    }
}

/// Splits `value` at each `separator` outside double quotes.
fn split_unquoted(value: &str, separator: char) -> Result<Vec<&str>, HeaderError> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&value[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    if quoted {
        return Err(HeaderError::Malformed("unbalanced quote".into()));
    }
    parts.push(&value[start..]);
    Ok(parts)
}

/// Returns a value without its surrounding quotes and escapes.
fn unquote(value: &str) -> Result<String, HeaderError> {
    let Some(inner) = value.strip_prefix('"') else {
        return Ok(value.to_owned());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or_else(|| HeaderError::Malformed("unbalanced quote".into()))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY: &str = "spiffe://cluster.local/ns/default/sa/gateway";

    #[test]
    fn reads_the_uri_of_istios_header() -> Result<(), HeaderError> {
        let header = format!(
            "By=spiffe://cluster.local/ns/default/sa/warehouse;\
             Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;\
             Subject=\"\";URI={GATEWAY}"
        );
        assert_eq!(client_id(&header)?.as_str(), GATEWAY);
        Ok(())
    }

    #[test]
    fn quoted_values_may_hold_separators() -> Result<(), HeaderError> {
        let header = format!(
            "Hash=ab;Subject=\"CN=gateway,O=forecast; \\\"mesh\\\"\";URI=\"{GATEWAY}\";DNS=gateway"
        );
        assert_eq!(client_id(&header)?.as_str(), GATEWAY);
        Ok(())
    }

    #[test]
    fn only_the_nearest_element_counts() -> Result<(), HeaderError> {
        // A caller's forged element first, the sidecar's own appended last.
        let header = format!(
            "URI=spiffe://cluster.local/ns/default/sa/admin,By=spiffe://x/ns/a/sa/b;URI={GATEWAY}"
        );
        assert_eq!(client_id(&header)?.as_str(), GATEWAY);
        let forged_last = format!("URI={GATEWAY},By=spiffe://x/ns/a/sa/b;Hash=ab");
        assert!(matches!(
            client_id(&forged_last),
            Err(HeaderError::NoSpiffeId)
        ));
        Ok(())
    }

    #[test]
    fn refuses_what_names_no_single_spiffe_id() {
        for header in [
            "",
            "Hash=ab;Subject=\"\"",
            "URI=https://example.com/x",
            "URI=spiffe://",
            "URI=\"spiffe://a/ns/x/sa/y",
            "URI",
            "URI=spiffe://a/ns/x/sa/y;URI=spiffe://a/ns/x/sa/z",
            "URI=spiffe://a/ns/x/sa/y,",
        ] {
            assert!(client_id(header).is_err(), "{header:?} was accepted");
        }
    }
}
