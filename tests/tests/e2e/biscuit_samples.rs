//! The official biscuit test samples, shipped inside the pinned biscuit-auth
//! crate (found through `cargo metadata`), pass: each token verifies or fails
//! as recorded, each authorizer gives the recorded result, and the
//! revocation ids match.

use std::{collections::HashMap, sync::Arc, time::Duration};

use biscuit_auth::{
    AuthorizerBuilder, Biscuit, PublicKey,
    builder::{Algorithm, Term},
    datalog::{ExternFunc, RunLimits},
};
use serde_json::Value;

fn samples_dir() -> anyhow::Result<std::path::PathBuf> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(mesh_tests::tools::workspace_root().join("Cargo.toml"))
        .exec()?;
    let package = metadata
        .packages
        .iter()
        .find(|p| p.name.as_str() == "biscuit-auth")
        .ok_or_else(|| anyhow::anyhow!("biscuit-auth is not a dependency"))?;
    let dir = package
        .manifest_path
        .parent()
        .ok_or_else(|| anyhow::anyhow!("no package dir"))?;
    Ok(dir.join("samples").into_std_path_buf())
}

/// The external function the samples' FFI case (test035) calls, as the
/// crate's own sample generator defines it.
fn extern_funcs() -> HashMap<String, ExternFunc> {
    let test = ExternFunc::new(Arc::new(|left, right| match (left, right) {
        (term, None) => Ok(term),
        (Term::Str(left), Some(Term::Str(right))) if left == right => {
            Ok(Term::Str("equal strings".into()))
        }
        (Term::Str(_), Some(Term::Str(_))) => Ok(Term::Str("different strings".into())),
        _ => Err("unsupported operands".into()),
    }));
    HashMap::from([("test".to_owned(), test)])
}

/// Runs one validation and returns its result as the samples record it.
fn validate(
    root: &PublicKey,
    data: &[u8],
    authorizer_code: &str,
) -> anyhow::Result<(Value, Vec<String>)> {
    let token = match Biscuit::from(data, root) {
        Ok(token) => token,
        Err(error) => return Ok((serde_json::json!({ "Err": error }), Vec::new())),
    };
    let revocation_ids = token
        .revocation_identifiers()
        .iter()
        .map(hex::encode)
        .collect();
    let builder = AuthorizerBuilder::new()
        .set_extern_funcs(extern_funcs())
        .code(authorizer_code)?;
    let mut authorizer = match builder.build(&token) {
        Ok(authorizer) => authorizer,
        Err(error) => return Ok((serde_json::json!({ "Err": error }), revocation_ids)),
    };
    // The recorded results use the default fact and iteration limits; only the
    // time limit is raised, so a busy machine cannot turn a pass into a timeout.
    let limits = RunLimits {
        max_time: Duration::from_secs(5),
        ..RunLimits::default()
    };
    let result = match authorizer.authorize_with_limits(limits) {
        Ok(policy) => serde_json::json!({ "Ok": policy }),
        Err(error) => serde_json::json!({ "Err": error }),
    };
    Ok((result, revocation_ids))
}

#[test]
fn the_official_biscuit_samples_pass() -> anyhow::Result<()> {
    let dir = samples_dir()?;
    let samples: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("samples.json"))?)?;
    let root = PublicKey::from_bytes_hex(
        samples["root_public_key"].as_str().unwrap_or_default(),
        Algorithm::Ed25519,
    )?;
    let cases = samples["testcases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 30, "found {} sample cases", cases.len());
    let mut checked = 0;
    for case in &cases {
        let filename = case["filename"].as_str().unwrap_or_default();
        let data = std::fs::read(dir.join(filename))?;
        for (name, validation) in case["validations"].as_object().cloned().unwrap_or_default() {
            let code = validation["authorizer_code"].as_str().unwrap_or_default();
            let (result, revocation_ids) = validate(&root, &data, code)?;
            assert_eq!(
                result, validation["result"],
                "{filename} validation {name:?}"
            );
            let expected_ids: Vec<String> =
                serde_json::from_value(validation["revocation_ids"].clone())?;
            assert_eq!(
                revocation_ids, expected_ids,
                "{filename} validation {name:?} revocation ids"
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "checked {checked} validations");
    Ok(())
}
