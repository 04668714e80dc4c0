//! What each fuzz target does with its bytes, shared by the libFuzzer
//! entries (`fuzz_targets/`, run by `cargo +nightly fuzz run <target>`) and
//! the stable smoke harness (`src/bin/smoke.rs`), which runs the same
//! functions on mutated seeds for a bounded time.
//!
//! - [`grpc_web`]: a request body through the gateway's gRPC-web layer
//!   (binary and text, HTTP/1.1 and h2), to a service that reads the
//!   decoded gRPC frames as a handler would.
//! - [`sql_guard`]: the operator's SQL through the guard.
//! - [`capability`]: a token through the capability verifier: the shape
//!   limits, parsing, signatures and authorization.

#![forbid(unsafe_code)]

use std::{convert::Infallible, sync::LazyLock, time::SystemTime};

use bytes::{Buf, Bytes};
use http::{Request, Response, Version};
use http_body_util::{BodyExt, Full};
use mesh_core::{
    capability::{CallFacts, CapabilityMinter, CapabilityVerifier, Hop, RootKey, narrow, rights},
    identity::SpiffeId,
};
use tonic::body::Body;
use tower::{Layer, ServiceExt};

/// A fuzz target: it takes any bytes and must not panic.
pub type Target = fn(&[u8]);

/// The targets by name, for the smoke harness.
pub const TARGETS: &[(&str, Target)] = &[
    ("grpc_web", grpc_web),
    ("sql_guard", sql_guard),
    ("capability", capability),
];

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        // A fuzz target has nowhere to report a runtime that cannot start.
        .unwrap_or_else(|error| panic!("no tokio runtime: {error}"))
});

const CONTENT_TYPES: [&str; 4] = [
    "application/grpc-web",
    "application/grpc-web+proto",
    "application/grpc-web-text",
    "application/grpc-web-text+proto",
];

/// The first byte picks the content type (low two bits) and the HTTP
/// version (third bit); the rest is the request body.
pub fn grpc_web(data: &[u8]) {
    let _ = grpc_web_answer(data);
}

/// [`grpc_web`], returning the answer's body: the smoke harness checks
/// that the seeds get through to the handler and back.
pub fn grpc_web_answer(data: &[u8]) -> Option<Bytes> {
    let (&selector, body) = data.split_first()?;
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    let version = if selector & 4 == 0 {
        Version::HTTP_11
    } else {
        Version::HTTP_2
    };
    let request = Request::builder()
        .method("POST")
        .uri("/forecastmesh.gateway.v1.GatewayService/GetKpis")
        .version(version)
        .header("content-type", content_type)
        .body(Body::new(Full::new(Bytes::copy_from_slice(body))))
        .ok()?;
    RUNTIME.block_on(async {
        let service = gateway::edge::grpc_web::GrpcWebOnlyLayer.layer(tower::service_fn(handler));
        let Ok(response) = service.oneshot(request).await;
        response
            .into_body()
            .collect()
            .await
            .ok()
            .map(|body| body.to_bytes())
    })
}

/// Reads the decoded request as tonic would: gRPC frames, each a flag, a
/// length and a message; answers the messages it could decode.
async fn handler(request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let mut answer = Vec::new();
    if let Ok(collected) = request.into_body().collect().await {
        let mut frames = collected.to_bytes();
        while frames.remaining() >= 5 {
            let _compressed = frames.get_u8();
            let length = frames.get_u32() as usize;
            if length > frames.remaining() {
                break;
            }
            let message = frames.split_to(length);
            if let Ok(decoded) = <proto::gateway::GetKpisRequest as prost::Message>::decode(message)
            {
                let encoded = prost::Message::encode_to_vec(&decoded);
                answer.push(0);
                answer.extend((encoded.len() as u32).to_be_bytes());
                answer.extend(encoded);
            }
        }
    }
    let mut response = Response::new(Body::new(Full::new(Bytes::from(answer))));
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/grpc"),
    );
    Ok(response)
}

/// The bytes, as UTF-8, through the SQL guard.
pub fn sql_guard(data: &[u8]) {
    if let Ok(sql) = std::str::from_utf8(data) {
        let _ = warehouse::sql_guard::admit(sql);
    }
}

/// A fixed root key, so seeds minted with it (see [`seeds`]) verify and the
/// fuzzer reaches authorization, not only the signature check.
const ROOT_KEY_HEX: &str = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000";

fn root_key() -> RootKey {
    RootKey::from_hex(1, &secrecy::SecretString::from(ROOT_KEY_HEX))
        .unwrap_or_else(|error| panic!("the fixed fuzz key is valid hex: {error}"))
}

static VERIFIER: LazyLock<CapabilityVerifier> =
    LazyLock::new(|| CapabilityVerifier::new(root_key().public_key_set()));

/// The bytes, as a token, through the verifier of a warehouse receiving
/// `GetDailySales` from the forecaster.
pub fn capability(data: &[u8]) {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let caller = SpiffeId::workload("forecast-mesh.local", "default", "forecaster");
    let facts = CallFacts {
        service: "warehouse",
        method: proto::methods::warehouse_service::GET_DAILY_SALES,
        caller: &caller,
        operation: "read",
        now: SystemTime::now(),
    };
    let _ = VERIFIER.authorize(token, &facts);
}

/// Returns valid and near-valid inputs for `target` to start from.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "grpc_web" => {
            let frame: Vec<u8> = [0u8, 0, 0, 0, 2, 8, 30].to_vec();
            let text = b"AAAAAAIIHg==".to_vec();
            vec![
                [&[0u8][..], &frame].concat(),
                [&[1u8][..], &frame].concat(),
                [&[2u8][..], &text].concat(),
                [&[7u8][..], &text].concat(),
                [&[0u8][..], &frame, &frame].concat(),
                vec![3],
            ]
        }
        "sql_guard" => [
            "SELECT 1",
            "SELECT COUNT(*) AS orders FROM Orders WHERE OrderDate > '2025-12-01'",
            "WITH recent AS (SELECT * FROM Orders) SELECT COUNT(*) FROM recent",
            "SELECT CustomerID FROM Orders UNION SELECT CustomerID FROM Customers",
            "SELECT * FROM Orders WITH (UPDLOCK)",
            "SELECT 1; DROP TABLE Orders",
            "SELECT * INTO Copy FROM Orders",
            "/* c */ SELECT a.x FROM a JOIN b ON a.id = b.id WHERE a.y IN (SELECT 1) -- c",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect(),
        "capability" => capability_seeds(),
        _ => Vec::new(),
    }
}

/// A minted token narrowed for the call the target's verifier checks, and
/// the same with a block appended by hand.
fn capability_seeds() -> Vec<Vec<u8>> {
    let now = SystemTime::now();
    let minter = CapabilityMinter::new(root_key(), std::time::Duration::from_secs(3600));
    let (forecaster, warehouse) = (
        SpiffeId::workload("forecast-mesh.local", "default", "forecaster"),
        SpiffeId::workload("forecast-mesh.local", "default", "warehouse"),
    );
    let mut seeds = Vec::new();
    let Ok(token) = minter.mint("fuzz-user", &[rights::WAREHOUSE_READ], now) else {
        return seeds;
    };
    let hop = Hop {
        caller: &forecaster,
        callee: &warehouse,
        service: "warehouse",
        method: proto::methods::warehouse_service::GET_DAILY_SALES,
        ttl: std::time::Duration::from_secs(3600),
        delegated: &[],
    };
    if let Ok(narrowed) = narrow(&token, &hop, now)
        && let Ok(encoded) = narrowed.to_base64()
    {
        seeds.push(encoded.into_bytes());
    }
    if let Ok(encoded) = token.to_base64() {
        seeds.push(encoded.into_bytes());
    }
    seeds
}
