//! Forecaster settings, from `FORECASTER_*` environment variables.

use std::{collections::HashMap, time::Duration};

use mesh_core::config::{ConfigError, MeshSettings, field_names, refuse_unknown};
use serde::Deserialize;

use crate::fit::FitLimits;

/// Everything the forecaster needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub mesh: MeshSettings,
    /// `host:port` of the warehouse's mTLS gRPC port.
    pub warehouse_address: String,
    /// `host:port` of the store's mTLS gRPC port.
    pub store_address: String,
    /// The fit pool's sizes and each fit's time budget.
    pub fits: FitLimits,
    /// How long a call to the warehouse or the store may take when the
    /// caller gave no deadline.
    pub upstream_timeout: Duration,
}

/// The upstream timeout when neither the caller nor the settings name one.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct Own {
    #[serde(default = "default_warehouse")]
    warehouse_address: String,
    #[serde(default = "default_store")]
    store_address: String,
    fit_threads: Option<usize>,
    fit_queue: Option<usize>,
    fit_budget_ms: Option<u64>,
    upstream_timeout_ms: Option<u64>,
}

fn default_warehouse() -> String {
    "warehouse:50052".into()
}

fn default_store() -> String {
    "store:50054".into()
}

impl Config {
    pub const PREFIX: &'static str = "FORECASTER_";

    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        refuse_unknown(Self::PREFIX, env, field_names::<Own>())?;
        let own: Own = envy::prefixed(Self::PREFIX).from_iter(env.clone())?;
        let defaults = FitLimits::default();
        Ok(Self {
            mesh: MeshSettings::from_env(Self::PREFIX, env)?,
            warehouse_address: own.warehouse_address,
            store_address: own.store_address,
            fits: FitLimits {
                threads: own.fit_threads.unwrap_or(defaults.threads).max(1),
                queue: own.fit_queue.unwrap_or(defaults.queue),
                budget: own
                    .fit_budget_ms
                    .map_or(defaults.budget, Duration::from_millis),
            },
            upstream_timeout: own
                .upstream_timeout_ms
                .map_or(DEFAULT_UPSTREAM_TIMEOUT, Duration::from_millis),
        })
    }
}
