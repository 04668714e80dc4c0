//! The `mesh` commands an operator types, run as the binary they are.

use std::process::{Command, Output};

fn mesh(dir: &std::path::Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn mesh_capability_prints_a_narrowed_operator_capability() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = tempfile::tempdir()?;
    let output = mesh(
        dir.path(),
        &[
            "capability",
            "--service",
            "warehouse",
            "--method",
            "GetKpis",
            "--ttl-secs",
            "60",
        ],
    )?;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let printed = text(&output.stdout);
    let token = printed.trim();
    assert_eq!(
        printed.lines().count(),
        1,
        "only the token on stdout: {printed}"
    );
    let biscuit = biscuit_auth::UnverifiedBiscuit::from_base64(token)?;
    assert_eq!(biscuit.block_count(), 2);
    let authority = biscuit.print_block_source(0)?;
    assert!(
        authority.contains(r#"right("warehouse", "read")"#),
        "{authority}"
    );
    let narrowing = biscuit.print_block_source(1)?;
    assert!(
        narrowing.contains(r#"caller("spiffe://forecast-mesh.local/ns/default/sa/operator")"#),
        "{narrowing}"
    );

    // Signed by the dev root key the command made on first run, kept 0600.
    let key = dir.path().join("capability-root.key");
    let verified = biscuit_auth::Biscuit::from_base64(
        token,
        biscuit_auth::PrivateKey::from_bytes_hex(
            std::fs::read_to_string(&key)?.trim(),
            biscuit_auth::Algorithm::Ed25519,
        )?
        .public(),
    );
    assert!(verified.is_ok(), "{verified:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key)?.permissions().mode() & 0o777, 0o600);
    }

    // The full method name gives the same narrowing.
    let output = mesh(
        dir.path(),
        &[
            "capability",
            "--service",
            "warehouse",
            "--method",
            "forecastmesh.warehouse.v1.WarehouseService/GetKpis",
        ],
    )?;
    assert!(output.status.success(), "{}", text(&output.stderr));
    Ok(())
}

#[test]
fn mesh_capability_lists_what_exists_when_asked_for_what_does_not()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let output = mesh(
        dir.path(),
        &[
            "capability",
            "--service",
            "warehouse",
            "--method",
            "DropTables",
        ],
    )?;
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("DropTables") && stderr.contains("GetKpis") && stderr.contains("RunQuery"),
        "{stderr}"
    );

    let output = mesh(
        dir.path(),
        &["capability", "--service", "gateway", "--method", "GetKpis"],
    )?;
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("warehouse, forecaster, store"), "{stderr}");
    Ok(())
}

/// Returns the `scope` claim of a JWT, read without checking its signature.
fn scope_claim(jwt: &str) -> Result<String, Box<dyn std::error::Error>> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).ok_or("not a jwt")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?)?;
    Ok(claims["scope"].as_str().ok_or("no scope claim")?.to_owned())
}

#[test]
fn mesh_token_mints_every_scope_or_only_those_named() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let output = mesh(dir.path(), &["token"])?;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        scope_claim(text(&output.stdout).trim())?,
        "forecasts:read audit:read warehouse:query"
    );

    let output = mesh(
        dir.path(),
        &[
            "token",
            "--scope",
            "forecasts:read",
            "--scope",
            "audit:read",
        ],
    )?;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        scope_claim(text(&output.stdout).trim())?,
        "forecasts:read audit:read"
    );

    let output = mesh(dir.path(), &["token", "--scope", "admin"])?;
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("admin") && stderr.contains("forecasts:read, audit:read, warehouse:query"),
        "{stderr}"
    );
    Ok(())
}
