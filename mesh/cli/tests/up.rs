//! `mesh up` is the first thing a newcomer runs: it must start, and every
//! command line it prints must work when pasted into a shell, in any
//! directory.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn mesh_up_prints_commands_that_work_when_pasted() -> Result<(), Box<dyn std::error::Error>> {
    let venv_bin = workspace_root().join(".venv/bin");
    assert!(
        venv_bin.join("grpcurl").exists() && venv_bin.join("buf").exists(),
        "run tests/run to install the tools"
    );
    // Started with a relative `--dir` in one directory, pasted in another:
    // every path printed must be absolute.
    let started_in = tempfile::tempdir()?;
    let pasted_in = tempfile::tempdir()?;
    let mut mesh = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(["--dir", ".mesh", "up", "--port", "0"])
        .current_dir(started_in.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;

    // Read the banner on a thread so a hung start fails the test instead of hanging it.
    let stdout = mesh.stdout.take().ok_or("no stdout")?;
    let (lines, banner) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.contains("Ctrl-C stops it");
            let _ = lines.send(line);
            if done {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    loop {
        let line = banner.recv_timeout(Duration::from_secs(180))?;
        if line.contains("Ctrl-C stops it") {
            break;
        }
        printed.push(line);
    }

    let exports: Vec<&String> = printed
        .iter()
        .filter(|l| l.starts_with("export "))
        .collect();
    assert!(
        exports.iter().any(|l| l.starts_with("export TOKEN="))
            && exports.iter().any(|l| l.starts_with("export CAPABILITY=")),
        "printed: {printed:#?}"
    );
    let exports = exports
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let probes = printed
        .iter()
        .find(|l| l.starts_with("health probes (plaintext)"))
        .ok_or("no probe ports printed")?;
    for service in [
        "gateway 127.0.0.1:",
        "warehouse 127.0.0.1:",
        "forecaster 127.0.0.1:",
        "store 127.0.0.1:",
    ] {
        assert!(probes.contains(service), "{probes}");
    }
    // Every admin port answers its readiness, as a kubelet or an operator's
    // curl would ask for it.
    let admin = printed
        .iter()
        .find(|l| l.starts_with("admin, HTTP: /ready, /metrics"))
        .ok_or("no admin ports printed")?;
    let urls: Vec<&str> = admin
        .split_whitespace()
        .filter_map(|word| word.trim_end_matches(',').strip_prefix("http://"))
        .collect();
    assert_eq!(urls.len(), 4, "{admin}");
    for address in urls {
        let mut stream = std::net::TcpStream::connect(address)?;
        std::io::Write::write_all(
            &mut stream,
            b"GET /ready HTTP/1.1\r\nHost: mesh\r\nConnection: close\r\n\r\n",
        )?;
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer)?;
        assert!(answer.starts_with("HTTP/1.1 200"), "{address}: {answer}");
    }
    let commands: Vec<&String> = printed
        .iter()
        .filter(|l| l.starts_with("grpcurl ") || l.starts_with("buf curl "))
        .collect();
    assert!(commands.len() >= 7, "printed commands: {printed:#?}");
    assert!(
        commands
            .iter()
            .any(|c| c.contains("WarehouseService/GetKpis")),
        "an operator's direct call is printed: {printed:#?}"
    );
    for command in commands {
        let script = format!(
            "{exports}\nexport PATH={}:$PATH\n{command}",
            venv_bin.display()
        );
        let output = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(pasted_in.path())
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{command}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!stdout.trim().is_empty(), "{command} printed nothing");
    }

    // The dashboard's dev sign-in URL: the page, its bundle and its
    // sign-in settings are served by the gateway itself.
    let url = printed
        .iter()
        .find(|l| l.starts_with("http://") && l.contains("/#dev-sign-in="))
        .ok_or("no dashboard url printed")?;
    let (origin, token) = url
        .split_once("/#dev-sign-in=")
        .ok_or("no token in the url")?;
    assert!(
        exports.contains(&format!("export TOKEN={token}")),
        "the url signs in with the printed token"
    );
    let fetch = |path: &str| -> Result<String, Box<dyn std::error::Error>> {
        let output = Command::new("curl")
            .args(["-sSf", &format!("{origin}{path}")])
            .output()?;
        assert!(output.status.success(), "GET {path}: {output:?}");
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    assert!(fetch("/")?.contains("<title>forecast-mesh</title>"));
    assert!(!fetch("/assets/app.js")?.is_empty());
    assert!(fetch("/web/config.json")?.contains(r#""sign_in":"dev""#));

    Command::new("kill")
        .args(["-INT", &mesh.id().to_string()])
        .status()?;
    let status = mesh.wait()?;
    assert!(status.success(), "mesh up stopped with {status}");
    Ok(())
}
