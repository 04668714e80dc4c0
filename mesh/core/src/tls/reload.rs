//! Keeps a workload's TLS configs current while cert-manager or SPIFFE rotate
//! the files underneath it, without a restart.

use std::{
    fs,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use arc_swap::ArcSwap;
use rustls::{ClientConfig, ServerConfig};
use tokio_util::sync::CancellationToken;

use super::{TlsError, TlsFiles, material};

/// The current TLS configs of one workload. New handshakes use whatever is
/// current; established connections keep what they negotiated.
#[derive(Debug)]
pub struct MeshTls {
    files: TlsFiles,
    server: ArcSwap<ServerConfig>,
    client: ArcSwap<ClientConfig>,
    seen: Mutex<Stamps>,
}

/// Modification time and length of each file, to notice a change cheaply.
type Stamps = [Option<(SystemTime, u64)>; 3];

impl MeshTls {
    /// Loads the files; fails when they do not make a usable pair.
    pub fn load(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let seen = stamps(&files);
        let material = material::load(&files)?;
        Ok(Arc::new(Self {
            files,
            server: ArcSwap::new(material.server),
            client: ArcSwap::new(material.client),
            seen: Mutex::new(seen),
        }))
    }

    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server.load_full()
    }

    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.client.load_full()
    }

    /// Reloads when a file changed. A set that does not load (a half-written
    /// pair, say) keeps the last good configs and is tried again next time.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = stamps(&self.files);
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *seen == now {
            return Ok(false);
        }
        let material = material::load(&self.files)?;
        self.server.store(material.server);
        self.client.store(material.client);
        *seen = now;
        Ok(true)
    }

    /// Checks the files every `period` until `shutdown`.
    pub fn watch(self: &Arc<Self>, period: Duration, shutdown: CancellationToken) {
        let tls = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                match tls.reload_if_changed() {
                    Ok(true) => {
                        tracing::info!(cert = %tls.files.cert.display(), "tls material reloaded")
                    }
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(%error, "tls material changed but does not load; keeping the last good one")
                    }
                }
            }
        });
    }
}

fn stamps(files: &TlsFiles) -> Stamps {
    [&files.ca, &files.cert, &files.key].map(|path| {
        let meta = fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{certs, identity::SpiffeId};

    #[test]
    fn a_half_written_pair_keeps_the_last_good_config() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        certs::issue_all(dir.path(), "td", "ns", &["svc"])?;
        let files = certs::files_in(dir.path(), "svc");
        let tls = MeshTls::load(files.clone())?;
        let before = tls.server_config();

        // A new certificate lands before its key: the pair does not match.
        let ca = certs::DevCa::load(dir.path(), &certs::dev_ca_name("td"))?;
        let next = ca.issue(&SpiffeId::workload("td", "ns", "svc"), &["svc"])?;
        std::thread::sleep(Duration::from_millis(20));
        fs::write(&files.cert, &next.cert)?;
        assert!(tls.reload_if_changed().is_err());
        assert!(Arc::ptr_eq(&before, &tls.server_config()));

        // The key follows: the new pair is taken.
        fs::write(&files.key, &next.key)?;
        assert!(tls.reload_if_changed()?);
        assert!(!Arc::ptr_eq(&before, &tls.server_config()));
        assert!(!tls.reload_if_changed()?);
        Ok(())
    }
}
