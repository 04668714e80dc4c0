//! Where a refresh gets its figures. The refresher acts for no single
//! viewer, so it mints its own capability — for the principal
//! [`PRINCIPAL`], with exactly the rights `GetDashboard`'s call tree needs —
//! fresh for every refresh, so it never outlives its expiry however long a
//! stream lasts.

use std::{fmt, sync::Arc, time::SystemTime};

use futures::future::BoxFuture;
use mesh_core::capability::CapabilityMinter;
use proto::{gateway::GetDashboardResponse, methods::gateway_service};

use crate::{
    api::{Call, Upstreams, dashboard},
    edge::Principal,
    error::ApiError,
};

/// The principal shared dashboard refreshes act as; their forecast runs are
/// recorded under it.
pub const PRINCIPAL: &str = "gateway-dashboard";

/// Fetches the dashboard's figures for one refresh.
pub trait DashboardSource: Send + Sync + fmt::Debug + 'static {
    /// Returns the figures with a `forecast_days` horizon.
    fn fetch(
        &self,
        forecast_days: i32,
    ) -> BoxFuture<'static, Result<GetDashboardResponse, ApiError>>;
}

/// Fetches from the internal services, as `GetDashboard` does.
#[derive(Debug)]
pub struct UpstreamSource {
    upstreams: Upstreams,
    minter: Arc<CapabilityMinter>,
}

impl UpstreamSource {
    pub fn new(upstreams: Upstreams, minter: Arc<CapabilityMinter>) -> Self {
        Self { upstreams, minter }
    }

    /// Returns a call for the refresher, with a freshly minted capability.
    fn call(&self) -> Result<Call, ApiError> {
        let rights = proto::policy::rights_for_call_tree(gateway_service::GET_DASHBOARD);
        let capability = self.minter.mint(PRINCIPAL, &rights, SystemTime::now())?;
        Ok(Call {
            principal: Principal {
                id: PRINCIPAL.into(),
                scopes: Arc::default(),
            },
            capability,
            // A refresh serves viewers, none of whom waits on it alone.
            deadline: None,
        })
    }
}

impl DashboardSource for UpstreamSource {
    fn fetch(
        &self,
        forecast_days: i32,
    ) -> BoxFuture<'static, Result<GetDashboardResponse, ApiError>> {
        let call = self.call();
        let upstreams = self.upstreams.clone();
        Box::pin(async move { dashboard::fetch(&upstreams, &call?, forecast_days).await })
    }
}
