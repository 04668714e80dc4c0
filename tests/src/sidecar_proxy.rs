//! A sidecar proxy nobody here wrote, in front of a service in mesh mode:
//! Debian's HAProxy, configured the way Istio configures its sidecar's
//! inbound listener. It terminates mTLS with the service's certificate,
//! requires a client certificate chained to the mesh CA, replaces any
//! `x-forwarded-client-cert` the caller sent with its own
//! (`By=<service>;Hash=<sha-256 of the client certificate>;URI=<its SPIFFE
//! URI SAN>`), and forwards plaintext h2 from 127.0.0.6, the source address
//! Istio's inbound proxy connects from. HAProxy reads the URI SAN with
//! `spiffe.lua` (it has no fetch for subject alternative names).

use std::{
    net::{SocketAddr, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context;
use mesh_core::{identity::SpiffeId, tls::TlsFiles};

/// The source address the proxy connects to the service from.
pub const PROXY_SOURCE: &str = "127.0.0.6";

const SPIFFE_LUA: &str = include_str!("sidecar_proxy/spiffe.lua");

/// A running HAProxy, killed when dropped.
#[derive(Debug)]
pub struct SidecarProxy {
    child: Child,
    dir: tempfile::TempDir,
    /// Where callers dial it (mTLS).
    pub address: SocketAddr,
}

impl SidecarProxy {
    /// Starts HAProxy on `address` in front of the service `id` at
    /// `service` (plaintext h2), presenting the service's certificate
    /// `files`, and waits until it accepts connections.
    pub fn start(
        address: SocketAddr,
        service: SocketAddr,
        id: &SpiffeId,
        files: &TlsFiles,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        // HAProxy wants the certificate chain and its key in one file.
        let bundle = dir.path().join("service.pem");
        std::fs::write(
            &bundle,
            [
                std::fs::read_to_string(&files.cert)?,
                std::fs::read_to_string(&files.key)?,
            ]
            .join("\n"),
        )?;
        let lua = dir.path().join("spiffe.lua");
        std::fs::write(&lua, SPIFFE_LUA)?;
        let config = dir.path().join("haproxy.cfg");
        std::fs::write(
            &config,
            config_text(address, service, id, &bundle, &files.ca, &lua),
        )?;
        let binary = haproxy()?;
        let check = Command::new(&binary)
            .arg("-c")
            .arg("-f")
            .arg(&config)
            .output()?;
        anyhow::ensure!(
            check.status.success(),
            "haproxy refused its configuration: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let log = std::fs::File::create(dir.path().join("haproxy.log"))?;
        let child = Command::new(&binary)
            // Foreground, no master process: the test owns the one process.
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting haproxy")?;
        let proxy = Self {
            child,
            dir,
            address,
        };
        proxy.wait_listening(Duration::from_secs(10))?;
        Ok(proxy)
    }

    /// Returns what HAProxy logged, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default()
    }

    fn wait_listening(&self, within: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        while TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "haproxy did not listen on {}: {}",
                self.address,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for SidecarProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Returns the configuration: one mTLS frontend, one plaintext h2 backend.
fn config_text(
    address: SocketAddr,
    service: SocketAddr,
    id: &SpiffeId,
    bundle: &Path,
    ca: &Path,
    lua: &Path,
) -> String {
    format!(
        "global
  nbthread 1
  lua-load {lua}

defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s

frontend inbound
  bind {address} ssl crt {bundle} ca-file {ca} verify required alpn h2
  # As Istio's sidecar: whatever the caller sent is replaced by what the
  # proxy saw, and a certificate without a SPIFFE URI gets no header at all.
  http-request del-header x-forwarded-client-cert
  http-request del-header l5d-client-id
  http-request set-header x-forwarded-client-cert \"By={id};Hash=%[ssl_c_der,sha2(256),hex,lower];URI=%[lua.spiffe_uri]\" if {{ lua.spiffe_uri -m beg spiffe:// }}
  default_backend service

backend service
  server service {service} proto h2 source {PROXY_SOURCE}
",
        lua = lua.display(),
        bundle = bundle.display(),
        ca = ca.display(),
    )
}

/// Returns Debian's HAProxy; `tests/run` installs it when missing.
fn haproxy() -> anyhow::Result<std::path::PathBuf> {
    [
        "/usr/sbin/haproxy",
        "/usr/bin/haproxy",
        "/usr/local/sbin/haproxy",
    ]
    .into_iter()
    .map(std::path::PathBuf::from)
    .find(|path| path.exists())
    .context("haproxy is not installed: apt-get install haproxy (tests/run does)")
}
