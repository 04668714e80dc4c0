use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use super::*;

fn jwks(kid: &str) -> String {
    serde_json::json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }]})
    .to_string()
}

/// An issuer on loopback: discovery at the well-known path, the JWKS at
/// `/jwks` naming kid `kid-<n>` where n is the current generation.
struct Issuer {
    url: String,
    fetches: Arc<AtomicUsize>,
    generation: Arc<AtomicUsize>,
}

async fn issuer() -> anyhow::Result<Issuer> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let fetches = Arc::new(AtomicUsize::new(0));
    let generation = Arc::new(AtomicUsize::new(1));
    let (f, g, base) = (fetches.clone(), generation.clone(), url.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0; 4096];
            let n = socket.read(&mut buffer).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..n]).to_string();
            let body = if request.starts_with("GET /.well-known/openid-configuration ") {
                serde_json::json!({"issuer": base, "jwks_uri": format!("{base}/jwks")}).to_string()
            } else {
                f.fetch_add(1, Ordering::SeqCst);
                jwks(&format!("kid-{}", g.load(Ordering::SeqCst)))
            };
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    Ok(Issuer {
        url,
        fetches,
        generation,
    })
}

fn kid(keys: &KeySet) -> Option<String> {
    keys.get()
        .keys
        .first()
        .and_then(|k| k.common.key_id.clone())
}

async fn until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

const QUICK: Refresh = Refresh {
    every: Duration::from_secs(3600),
    min_interval: Duration::from_millis(300),
    timeout: Duration::from_secs(2),
};

#[tokio::test]
async fn an_unknown_key_id_refetches_the_set_at_most_once_per_interval() -> anyhow::Result<()> {
    let issuer = issuer().await?;
    let shutdown = CancellationToken::new();
    let keys = KeySet::remote(
        issuer.url.clone(),
        Some(format!("{}/jwks", issuer.url)),
        QUICK,
        shutdown.clone(),
    )
    .await;
    assert_eq!(kid(&keys).as_deref(), Some("kid-1"));
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);

    // The issuer rotates; tokens name the new key; a burst of them.
    issuer.generation.store(2, Ordering::SeqCst);
    for _ in 0..20 {
        keys.unknown_key();
    }
    assert!(
        until(Duration::from_secs(5), || kid(&keys).as_deref()
            == Some("kid-2"))
        .await,
        "the new key arrives"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        issuer.fetches.load(Ordering::SeqCst),
        2,
        "a burst of unknown key ids is one fetch"
    );
    for _ in 0..20 {
        keys.unknown_key();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        issuer.fetches.load(Ordering::SeqCst),
        2,
        "not again within the minimum interval"
    );
    assert!(
        until(Duration::from_secs(5), || issuer
            .fetches
            .load(Ordering::SeqCst)
            == 3)
        .await
    );
    shutdown.cancel();
    Ok(())
}

#[tokio::test]
async fn discovery_finds_the_jwks_uri_and_a_fixed_set_never_fetches() -> anyhow::Result<()> {
    let issuer = issuer().await?;
    let shutdown = CancellationToken::new();
    let keys = KeySet::remote(issuer.url.clone(), None, QUICK, shutdown.clone()).await;
    assert_eq!(kid(&keys).as_deref(), Some("kid-1"));

    let fixed = KeySet::fixed(serde_json::from_str(&jwks("file"))?);
    fixed.unknown_key();
    assert_eq!(kid(&fixed).as_deref(), Some("file"));
    shutdown.cancel();
    Ok(())
}

#[tokio::test]
async fn an_issuer_that_is_down_at_start_is_retried() -> anyhow::Result<()> {
    // A port nothing listens on, then the issuer comes up there.
    let probe = TcpListener::bind("127.0.0.1:0").await?;
    let address = probe.local_addr()?;
    drop(probe);
    let shutdown = CancellationToken::new();
    let keys = KeySet::remote(
        format!("http://{address}"),
        Some(format!("http://{address}/jwks")),
        QUICK,
        shutdown.clone(),
    )
    .await;
    assert!(
        keys.get().keys.is_empty(),
        "no keys yet: tokens are refused"
    );
    let listener = TcpListener::bind(address).await?;
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0; 4096];
            let _ = socket.read(&mut buffer).await;
            let body = jwks("late");
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    assert!(
        until(Duration::from_secs(5), || kid(&keys).as_deref()
            == Some("late"))
        .await
    );
    shutdown.cancel();
    Ok(())
}

/// An Ed25519 signing key named `kid`, and its public JWK.
fn signing_key(kid: &str) -> anyhow::Result<(jsonwebtoken::EncodingKey, serde_json::Value)> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let encoding = jsonwebtoken::EncodingKey::from_ed_pem(key.serialize_pem().as_bytes())?;
    let jwk = serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(key.public_key_raw()),
    });
    Ok((encoding, jwk))
}

#[tokio::test]
async fn a_token_from_a_rotated_in_key_passes_once_the_set_is_refetched() -> anyhow::Result<()> {
    use std::sync::Mutex;

    use crate::oidc::{AuthError, JwtValidator, dev_issuer::DevClaims};

    let (old_key, old_jwk) = signing_key("old")?;
    let (new_key, new_jwk) = signing_key("new")?;
    let served = Arc::new(Mutex::new(
        serde_json::json!({ "keys": [old_jwk] }).to_string(),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let body = served.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0; 4096];
            let _ = socket.read(&mut buffer).await;
            let jwks = body.lock().map(|b| b.clone()).unwrap_or_default();
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
                jwks.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    let shutdown = CancellationToken::new();
    let keys = KeySet::remote(
        url.clone(),
        Some(format!("{url}/jwks")),
        QUICK,
        shutdown.clone(),
    )
    .await;
    let validator = JwtValidator::with_keys(
        url.clone(),
        "forecast-mesh".into(),
        keys,
        vec![jsonwebtoken::Algorithm::EdDSA],
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let claims = DevClaims {
        iss: url.clone(),
        aud: "forecast-mesh".into(),
        sub: "alice".into(),
        scope: "forecasts:read".into(),
        iat: now,
        exp: now + 600,
        nbf: None,
        jti: None,
    };
    let sign = |kid: &str, key: &jsonwebtoken::EncodingKey| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, &claims, key)
    };
    assert_eq!(
        validator.validate(&sign("old", &old_key)?)?.subject,
        "alice"
    );

    // The issuer rotates: it publishes the new key and signs with it.
    if let Ok(mut body) = served.lock() {
        *body = serde_json::json!({ "keys": [new_jwk] }).to_string();
    }
    let token = sign("new", &new_key)?;
    assert!(matches!(
        validator.validate(&token),
        Err(AuthError::UnknownKey)
    ));
    assert!(
        until(Duration::from_secs(5), || validator
            .validate(&token)
            .is_ok())
        .await,
        "the same token passes once the set is refetched"
    );
    shutdown.cancel();
    Ok(())
}

#[tokio::test]
async fn a_jwks_file_is_read_again_and_a_broken_one_keeps_the_last_good_set() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks("first"))?;
    let shutdown = CancellationToken::new();
    let keys = KeySet::file(path.clone(), QUICK, shutdown.clone())?;
    assert_eq!(kid(&keys).as_deref(), Some("first"));

    // The issuer rotated; the Secret is replaced; a token names the new key.
    std::fs::write(&path, jwks("second"))?;
    keys.unknown_key();
    assert!(
        until(Duration::from_secs(5), || kid(&keys).as_deref()
            == Some("second"))
        .await
    );

    // Half a file (a write in progress) is not a key set: the last good one stays.
    std::fs::write(&path, "{\"keys\": [")?;
    keys.unknown_key();
    tokio::time::sleep(QUICK.min_interval * 3).await;
    assert_eq!(kid(&keys).as_deref(), Some("second"));

    // A file missing at start stops the start, with its path.
    let missing = KeySet::file(dir.path().join("none.json"), QUICK, shutdown.clone());
    let error = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("none.json"), "{error}");
    shutdown.cancel();
    Ok(())
}
