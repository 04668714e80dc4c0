//! An operator's ad-hoc query through the gateway: answered when it only
//! reads, refused before the warehouse when it could write, and only for
//! tokens with the warehouse:query scope.

use gateway::oidc::dev_issuer::DevClaims;
use mesh_tests::{TestMesh, with_bearer};
use proto::gateway::{QueryColumnType, RunWarehouseQueryRequest, query_cell::Value};
use tonic::Code;

fn query(sql: &str) -> RunWarehouseQueryRequest {
    RunWarehouseQueryRequest {
        sql: sql.into(),
        max_rows: 0,
        timeout_ms: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_query_the_warehouse_read_only() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;
    let count = "SELECT COUNT(*) AS orders FROM Orders";

    let answer = gateway
        .run_warehouse_query(with_bearer(&token, query(count))?)
        .await?
        .into_inner();
    assert_eq!(answer.columns[0].name, "orders");
    assert_eq!(answer.columns[0].r#type, QueryColumnType::Integer as i32);
    let Some(Value::Integer(orders)) = answer.rows[0].cells[0].value else {
        anyhow::bail!("not a count: {answer:?}");
    };

    for sql in [
        "DELETE FROM Orders",
        "SELECT * INTO Copy FROM Orders",
        "SELECT 1; DROP TABLE Orders",
    ] {
        let refused = gateway
            .run_warehouse_query(with_bearer(&token, query(sql))?)
            .await
            .expect_err(sql);
        assert_eq!(refused.code(), Code::InvalidArgument, "{sql}: {refused:?}");
    }
    let after = gateway
        .run_warehouse_query(with_bearer(&token, query(count))?)
        .await?
        .into_inner();
    assert_eq!(
        after.rows[0].cells[0].value,
        Some(Value::Integer(orders)),
        "nothing was deleted"
    );

    // A dashboard user's token has no warehouse:query scope.
    let reader = mesh.state.issuer.sign(&DevClaims {
        scope: "forecasts:read".into(),
        ..mesh.claims()
    })?;
    let refused = gateway
        .run_warehouse_query(with_bearer(&reader, query(count))?)
        .await
        .expect_err("scope");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    mesh.stop().await;
    Ok(())
}
