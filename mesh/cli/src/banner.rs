//! What `mesh up` prints once the mesh serves: addresses, probe ports, a dev
//! token and command lines that work when pasted in any directory (every
//! path in them is absolute).

use std::path::{Path, PathBuf};

use crate::local::Addresses;

/// The file name of the descriptor set `mesh up` writes for `buf curl --schema`.
pub const SCHEMA_FILE: &str = "forecast-mesh.binpb";

/// Everything the banner names.
#[derive(Debug)]
pub struct Banner<'a> {
    pub addresses: &'a Addresses,
    /// A dev bearer token for the gateway.
    pub token: &'a str,
    /// The mesh directory, absolute.
    pub dir: &'a Path,
    /// The `mesh` executable, absolute.
    pub mesh_exe: &'a Path,
}

/// Writes the embedded descriptor set to `<dir>/forecast-mesh.binpb` (a
/// binary image `buf curl --schema` reads) and returns its path.
pub fn write_schema(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join(SCHEMA_FILE);
    std::fs::write(&path, proto::FILE_DESCRIPTOR_SET)?;
    Ok(path)
}

/// Quotes `path` for a POSIX shell when it needs it.
fn shell(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

impl Banner<'_> {
    /// Returns the banner's text.
    pub fn render(&self) -> String {
        let a = self.addresses;
        let certs = self.dir.join("certs");
        let operator = format!(
            "-cacert {} -cert {} -key {}",
            shell(&certs.join("ca.pem")),
            shell(&certs.join("operator.pem")),
            shell(&certs.join("operator.key.pem")),
        );
        let schema = shell(&self.dir.join(SCHEMA_FILE));
        let mesh = format!("{} --dir {}", shell(self.mesh_exe), shell(self.dir));
        let (gw, wh, st) = (a.gateway, a.warehouse.port(), a.store.port());
        let token = self.token;
        format!(
            "\nforecast-mesh is up (CORS allows every origin: a dev setting).\n\n\
             dashboard (DEV SIGN-IN: opens signed in as the dev user, every scope, 12 h):\n\
             http://{gw}/#dev-sign-in={token}\n\n\
             gateway (gRPC + gRPC-web)  http://{gw}\n\
             warehouse (mTLS)           localhost:{wh}\n\
             forecaster (mTLS)          localhost:{fc}\n\
             store (mTLS)               localhost:{st}\n\
             health probes (plaintext)  gateway {gh}, warehouse {whh}, forecaster {fch}, store {sth}\n\
             admin, HTTP: /ready, /metrics  {admin}\n\n\
             dev bearer token (12 h, every scope; `mesh token --scope audit:read` mints narrower ones):\n{token}\n\n\
             export TOKEN={token}\n\
             grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{\"window_days\": 30}}' {gw} forecastmesh.gateway.v1.GatewayService/GetKpis\n\
             grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{\"days\": 14}}' {gw} forecastmesh.gateway.v1.GatewayService/GetForecast\n\
             buf curl --protocol grpcweb --schema {schema} -H \"authorization: Bearer $TOKEN\" -d '{{}}' http://{gw}/forecastmesh.gateway.v1.GatewayService/GetTelemetryStatus\n\
             grpcurl -plaintext {whh} grpc.health.v1.Health/Check\n\n\
             an operator, with the operator certificate (mTLS), on an internal service:\n\
             grpcurl {operator} localhost:{wh} list\n\
             grpcurl {operator} localhost:{st} grpc.health.v1.Health/Check\n\
             and calling one internal method with a capability for it (5 min):\n\
             export CAPABILITY=$({mesh} capability --service warehouse --method GetKpis)\n\
             grpcurl {operator} -H \"authorization: Bearer $CAPABILITY\" -d '{{\"window_days\": 30}}' localhost:{wh} forecastmesh.warehouse.v1.WarehouseService/GetKpis\n\n\
             Ctrl-C stops it.",
            fc = a.forecaster.port(),
            gh = a.gateway_health,
            whh = a.warehouse_health,
            fch = a.forecaster_health,
            sth = a.store_health,
            admin = a
                .admin
                .iter()
                .map(|(service, address)| format!("{service} http://{address}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(shell(Path::new("/tmp/a.pem")), "/tmp/a.pem");
        assert_eq!(shell(Path::new("/tmp/my dir")), "'/tmp/my dir'");
        assert_eq!(shell(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }
}
