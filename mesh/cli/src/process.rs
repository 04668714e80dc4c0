//! `mesh up` as a process of its own, for benchmarks and fault tests: its
//! CPU time read apart from the client's, the addresses its banner prints,
//! and a way to kill it as a crash would.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use anyhow::{Context, bail};

/// A running `mesh up`; stopped with SIGINT when dropped.
#[derive(Debug)]
pub struct MeshProcess {
    child: Child,
    pub gateway: SocketAddr,
    pub warehouse: SocketAddr,
    pub warehouse_probe: SocketAddr,
}

/// Returns the loopback address whose port follows `marker` on the line
/// starting with `label` (the banner prints `127.0.0.1:<port>` or `localhost:<port>`).
fn address(banner: &[String], label: &str, marker: &str) -> anyhow::Result<SocketAddr> {
    let line = banner
        .iter()
        .find(|l| l.starts_with(label))
        .with_context(|| format!("no {label:?} line in the banner"))?;
    let rest = &line[line.find(marker).context("marker")? + marker.len()..];
    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let port: u16 = port
        .parse()
        .with_context(|| format!("no port in {line:?}"))?;
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}

impl MeshProcess {
    /// Starts `binary up` (the `mesh` binary) on `dir` and waits for its
    /// banner.
    pub fn start(binary: &Path, dir: &Path) -> anyhow::Result<Self> {
        Self::start_with_env(binary, dir, &[])
    }

    /// As [`MeshProcess::start`], with `env` added to its environment.
    pub fn start_with_env(
        binary: &Path,
        dir: &Path,
        env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(["up", "--port", "0"])
            .envs(env.iter().map(|(name, value)| (name, value)))
            .env("MESH_DIR", dir)
            .env("RUST_LOG", "warn")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (lines, banner) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut printed = Vec::new();
        loop {
            let line = banner
                .recv_timeout(Duration::from_secs(300))
                .context("mesh up printed no banner")?;
            if line.contains("Ctrl-C stops it") {
                break;
            }
            printed.push(line);
        }
        Ok(Self {
            gateway: address(&printed, "gateway (gRPC", "http://127.0.0.1:")?,
            warehouse: address(&printed, "warehouse (mTLS)", "localhost:")?,
            warehouse_probe: address(&printed, "health probes", "warehouse 127.0.0.1:")?,
            child,
        })
    }

    /// Returns the process's CPU time so far (user + system).
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        cpu_of(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl MeshProcess {
    /// Kills the process with SIGKILL, as a crash or the OOM killer would,
    /// and waits for it to be gone.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for MeshProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Returns the CPU time of the process whose `stat` file is `path`.
pub fn cpu_of(path: &str) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(path)?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("bad stat")?
        .1
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name.
    let ticks: u64 = fields.get(11).context("utime")?.parse::<u64>()?
        + fields.get(12).context("stime")?.parse::<u64>()?;
    let hz = clock_ticks();
    if hz == 0 {
        bail!("no clock tick rate");
    }
    Ok(Duration::from_micros(ticks * 1_000_000 / hz))
}

/// Returns the kernel's clock ticks per second (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> u64 {
    static HZ: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *HZ.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}
