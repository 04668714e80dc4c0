//! The dashboard, served on the public port beside the API (same origin):
//! the embedded bundle at `/`, and the public part of the sign-in
//! configuration at `/web/config.json`. None of it is a public method, so
//! the edge's gates let it through; the page calls the API with its token.
//!
//! - [`assets`]: the embedded files.
//! - [`settings`]: which sign-in the page offers.

pub mod assets;
pub mod settings;

use axum::{
    Router,
    response::{IntoResponse, Response},
    routing::get,
};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

pub use settings::{SignIn, WebSettings};

use assets::{ASSETS, Asset, INDEX};

/// Returns the dashboard's routes.
pub fn router(settings: &WebSettings) -> Router {
    let policy = content_security_policy(settings.authority_origin().as_deref());
    // Serializing a plain enum of strings cannot fail; an empty object
    // would show the page's "not configured" message.
    let config = Bytes::from(serde_json::to_vec(&settings.sign_in).unwrap_or_default());
    let page = move || {
        let policy = policy.clone();
        async move { serve(&INDEX, Some(&policy)) }
    };
    let mut router = Router::new()
        .route("/", get(page.clone()))
        .route("/index.html", get(page))
        .route(
            "/web/config.json",
            get(move || {
                let config = config.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CACHE_CONTROL, "no-store"),
                        ],
                        config,
                    )
                }
            }),
        );
    for asset in ASSETS {
        router = router.route(asset.path, get(move || async move { serve(asset, None) }));
    }
    router
}

fn serve(asset: &'static Asset, policy: Option<&HeaderValue>) -> Response {
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, asset.content_type),
            // The names carry no hash: revalidate every time.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Bytes::from_static(asset.bytes),
    )
        .into_response();
    if let Some(policy) = policy {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy.clone());
    }
    response
}

/// Returns the page's content security policy: its own scripts and styles
/// only, calls to itself and to the issuer, framed only by itself (the
/// silent-renew iframe).
fn content_security_policy(issuer: Option<&str>) -> HeaderValue {
    let issuer = issuer
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'{issuer}; frame-src 'self'{issuer}; \
         frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        // An issuer origin with characters a header cannot hold was
        // refused by the URI parser already; keep the strictest policy.
        HeaderValue::from_static("default-src 'self'")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_issuer_only_where_the_page_reaches_it() {
        let policy = content_security_policy(Some("http://127.0.0.1:9000"));
        let text = policy.to_str().unwrap_or_default();
        assert!(
            text.contains("connect-src 'self' http://127.0.0.1:9000;"),
            "{text}"
        );
        assert!(text.contains("script-src 'self';"), "{text}");
    }

    #[test]
    fn the_page_and_its_assets_are_embedded() {
        let page = String::from_utf8_lossy(INDEX.bytes);
        for asset in ASSETS {
            assert!(page.contains(asset.path), "index.html loads {}", asset.path);
            assert!(!asset.bytes.is_empty());
        }
    }
}
