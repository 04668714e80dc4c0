use super::*;
use crate::oidc::{AuthError, JwtValidator};

fn validator(issuer: &DevIssuer) -> JwtValidator {
    let keys = serde_json::from_str(&issuer.jwks_json()).expect("jwks parses");
    JwtValidator::new(
        DEV_ISSUER.into(),
        DEV_AUDIENCE.into(),
        keys,
        vec![Algorithm::EdDSA],
    )
    .expect("validator")
}

fn unsigned(claims: &DevClaims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    format!("{header}.{body}.")
}

#[test]
fn valid_tokens_pass_and_carry_subject_and_scopes() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = DevIssuer::generate()?;
    let claims = validator(&issuer).validate(&issuer.token("alice", Duration::from_secs(60))?)?;
    assert_eq!(claims.subject, "alice");
    assert!(claims.scopes.contains("forecasts:read"));
    Ok(())
}

#[test]
fn forged_and_foreign_tokens_are_refused() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = DevIssuer::generate()?;
    let validator = validator(&issuer);
    let good = issuer.claims("alice", &["forecasts:read"], Duration::from_secs(60));

    let none = validator.validate(&unsigned(&good));
    assert!(
        matches!(none, Err(AuthError::Malformed | AuthError::Algorithm)),
        "{none:?}"
    );

    let wrong_issuer = DevClaims {
        iss: "https://evil.example".into(),
        ..good.clone()
    };
    assert!(matches!(
        validator.validate(&issuer.sign(&wrong_issuer)?),
        Err(AuthError::Issuer)
    ));

    let wrong_audience = DevClaims {
        aud: "another-app".into(),
        ..good.clone()
    };
    assert!(matches!(
        validator.validate(&issuer.sign(&wrong_audience)?),
        Err(AuthError::Audience)
    ));

    let expired = DevClaims {
        exp: good.iat - 3600,
        iat: good.iat - 7200,
        ..good.clone()
    };
    assert!(matches!(
        validator.validate(&issuer.sign(&expired)?),
        Err(AuthError::Expired)
    ));

    let stranger = DevIssuer::generate()?;
    assert!(matches!(
        validator.validate(&stranger.sign(&good)?),
        Err(AuthError::Signature)
    ));

    assert!(matches!(
        validator.validate("not.a.jwt"),
        Err(AuthError::Malformed)
    ));
    Ok(())
}
