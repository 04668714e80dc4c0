//! `mesh up` is the first thing a newcomer runs: it must start, and every
//! command line it prints must work when pasted into a shell.

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
    let dir = tempfile::tempdir()?;
    let mut mesh = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args([
            "--dir".as_ref(),
            dir.path().as_os_str(),
            "up".as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
        ])
        .current_dir(workspace_root())
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

    let export = printed
        .iter()
        .find(|l| l.starts_with("export TOKEN="))
        .ok_or("no token printed")?
        .clone();
    let commands: Vec<&String> = printed
        .iter()
        .filter(|l| l.starts_with("grpcurl ") || l.starts_with("buf curl "))
        .collect();
    assert!(commands.len() >= 5, "printed commands: {printed:#?}");
    for command in commands {
        let script = format!(
            "{export}\nexport PATH={}:$PATH\n{command}",
            venv_bin.display()
        );
        let output = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(workspace_root())
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{command}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!stdout.trim().is_empty(), "{command} printed nothing");
    }

    Command::new("kill")
        .args(["-INT", &mesh.id().to_string()])
        .status()?;
    let status = mesh.wait()?;
    assert!(status.success(), "mesh up stopped with {status}");
    Ok(())
}
