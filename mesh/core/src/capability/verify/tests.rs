use std::time::{Duration, SystemTime};

use proto::methods::{forecaster_service, store_service, warehouse_service};

use super::*;
use crate::capability::{
    CapabilityMinter, Hop, RootKey, narrow,
    rights::{FORECASTER_RUN, STORE_WRITE, WAREHOUSE_READ},
};

fn id(service: &str) -> SpiffeId {
    SpiffeId::workload("td", "ns", service)
}

struct Fixture {
    minter: CapabilityMinter,
    verifier: CapabilityVerifier,
    now: SystemTime,
}

fn fixture() -> Fixture {
    let root = RootKey::generate(1);
    let verifier = CapabilityVerifier::new(root.public_key_set());
    Fixture {
        minter: CapabilityMinter::new(root, Duration::from_secs(60)),
        verifier,
        now: SystemTime::now(),
    }
}

fn hop<'a>(caller: &'a SpiffeId, callee: &'a SpiffeId, method: &'a str) -> Hop<'a> {
    Hop {
        caller,
        callee,
        service: callee.service(),
        method,
        ttl: Duration::from_secs(10),
        delegated: proto::policy::call_plan(method).unwrap_or_default(),
    }
}

fn facts<'a>(
    caller: &'a SpiffeId,
    service: &'a str,
    method: &'a str,
    operation: &'a str,
    now: SystemTime,
) -> CallFacts<'a> {
    CallFacts {
        service,
        method,
        caller,
        operation,
        now,
    }
}

fn encode(capability: &Capability) -> String {
    capability.to_base64().expect("encodes")
}

#[test]
fn a_narrowed_token_is_accepted_for_its_call_only() -> anyhow::Result<()> {
    let f = fixture();
    let (gateway, warehouse) = (id("gateway"), id("warehouse"));
    let token = f
        .minter
        .mint("user-hash", &[WAREHOUSE_READ, STORE_WRITE], f.now)?;
    let narrowed = encode(&narrow(
        &token,
        &hop(&gateway, &warehouse, warehouse_service::GET_KPIS),
        f.now,
    )?);

    let ok = f.verifier.authorize(
        &narrowed,
        &facts(
            &gateway,
            "warehouse",
            warehouse_service::GET_KPIS,
            "read",
            f.now,
        ),
    )?;
    assert_eq!(ok.principal().as_deref(), Some("user-hash"));

    // The same token at the store, which the user also has a right for.
    let at_store = f.verifier.authorize(
        &narrowed,
        &facts(
            &gateway,
            "store",
            store_service::APPEND_AUDIT_ENTRY,
            "write",
            f.now,
        ),
    );
    assert!(
        matches!(at_store, Err(CapabilityError::Denied { .. })),
        "{at_store:?}"
    );

    // The same service, another method.
    let other = f.verifier.authorize(
        &narrowed,
        &facts(
            &gateway,
            "warehouse",
            warehouse_service::GET_DAILY_SALES,
            "read",
            f.now,
        ),
    );
    assert!(
        matches!(other, Err(CapabilityError::Denied { .. })),
        "{other:?}"
    );
    Ok(())
}

#[test]
fn a_token_presented_by_another_workload_is_denied() -> anyhow::Result<()> {
    let f = fixture();
    let (gateway, warehouse, intruder) = (id("gateway"), id("warehouse"), id("intruder"));
    let token = f.minter.mint("u", &[WAREHOUSE_READ], f.now)?;
    let narrowed = encode(&narrow(
        &token,
        &hop(&gateway, &warehouse, warehouse_service::GET_KPIS),
        f.now,
    )?);
    let stolen = f.verifier.authorize(
        &narrowed,
        &facts(
            &intruder,
            "warehouse",
            warehouse_service::GET_KPIS,
            "read",
            f.now,
        ),
    );
    assert!(
        matches!(stolen, Err(CapabilityError::Denied { .. })),
        "{stolen:?}"
    );
    Ok(())
}

#[test]
fn the_callee_may_forward_only_the_delegated_calls() -> anyhow::Result<()> {
    let f = fixture();
    let (gateway, forecaster, warehouse, store) = (
        id("gateway"),
        id("forecaster"),
        id("warehouse"),
        id("store"),
    );
    let token = f
        .minter
        .mint("u", &[WAREHOUSE_READ, FORECASTER_RUN, STORE_WRITE], f.now)?;
    let to_forecaster = narrow(
        &token,
        &hop(&gateway, &forecaster, forecaster_service::FORECAST_REVENUE),
        f.now,
    )?;
    let at_forecaster = f.verifier.authorize(
        &encode(&to_forecaster),
        &facts(
            &gateway,
            "forecaster",
            forecaster_service::FORECAST_REVENUE,
            "run",
            f.now,
        ),
    )?;

    let to_warehouse = narrow(
        &at_forecaster,
        &hop(&forecaster, &warehouse, warehouse_service::GET_DAILY_SALES),
        f.now,
    )?;
    f.verifier.authorize(
        &encode(&to_warehouse),
        &facts(
            &forecaster,
            "warehouse",
            warehouse_service::GET_DAILY_SALES,
            "read",
            f.now,
        ),
    )?;
    let to_store = narrow(
        &at_forecaster,
        &hop(&forecaster, &store, store_service::APPEND_FORECAST_RUN),
        f.now,
    )?;
    f.verifier.authorize(
        &encode(&to_store),
        &facts(
            &forecaster,
            "store",
            store_service::APPEND_FORECAST_RUN,
            "write",
            f.now,
        ),
    )?;

    // Not in the plan: the forecaster cannot use the token for KPIs.
    let widened = narrow(
        &at_forecaster,
        &hop(&forecaster, &warehouse, warehouse_service::GET_KPIS),
        f.now,
    )?;
    let refused = f.verifier.authorize(
        &encode(&widened),
        &facts(
            &forecaster,
            "warehouse",
            warehouse_service::GET_KPIS,
            "read",
            f.now,
        ),
    );
    assert!(
        matches!(refused, Err(CapabilityError::Denied { .. })),
        "{refused:?}"
    );
    Ok(())
}

#[test]
fn a_missing_right_is_denied() -> anyhow::Result<()> {
    let f = fixture();
    let (gateway, store) = (id("gateway"), id("store"));
    let token = f.minter.mint("u", &[WAREHOUSE_READ], f.now)?;
    let narrowed = encode(&narrow(
        &token,
        &hop(&gateway, &store, store_service::LIST_AUDIT_ENTRIES),
        f.now,
    )?);
    let refused = f.verifier.authorize(
        &narrowed,
        &facts(
            &gateway,
            "store",
            store_service::LIST_AUDIT_ENTRIES,
            "read",
            f.now,
        ),
    );
    assert!(
        matches!(refused, Err(CapabilityError::Denied { .. })),
        "{refused:?}"
    );
    Ok(())
}

#[test]
fn an_expired_token_is_unauthenticated() -> anyhow::Result<()> {
    let f = fixture();
    let (gateway, warehouse) = (id("gateway"), id("warehouse"));
    let token = f.minter.mint("u", &[WAREHOUSE_READ], f.now)?;
    let narrowed = encode(&narrow(
        &token,
        &hop(&gateway, &warehouse, warehouse_service::GET_KPIS),
        f.now,
    )?);
    let later = f.now + Duration::from_secs(30);
    let refused = f.verifier.authorize(
        &narrowed,
        &facts(
            &gateway,
            "warehouse",
            warehouse_service::GET_KPIS,
            "read",
            later,
        ),
    );
    assert!(
        matches!(refused, Err(CapabilityError::Expired)),
        "{refused:?}"
    );
    assert_eq!(
        tonic::Status::from(refused.expect_err("refused")).code(),
        tonic::Code::Unauthenticated
    );
    Ok(())
}

#[test]
fn foreign_and_malformed_tokens_are_unauthenticated() -> anyhow::Result<()> {
    let f = fixture();
    let (gateway, warehouse) = (id("gateway"), id("warehouse"));
    let foreign = CapabilityMinter::new(RootKey::generate(1), Duration::from_secs(60)).mint(
        "u",
        &[WAREHOUSE_READ],
        f.now,
    )?;
    let facts = facts(
        &gateway,
        "warehouse",
        warehouse_service::GET_KPIS,
        "read",
        f.now,
    );
    for token in [encode(&foreign), "not-a-token".to_owned(), String::new()] {
        let refused = f.verifier.authorize(&token, &facts);
        assert!(
            matches!(refused, Err(CapabilityError::Invalid(_))),
            "{refused:?}"
        );
    }
    let _ = warehouse;
    Ok(())
}
