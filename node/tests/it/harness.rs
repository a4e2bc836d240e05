//! Processes, ports and data dirs for the binary's tests.

use arcanum_node::api::client::ApiClient;
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// The password every test keystore uses.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// The binary under test.
pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_arcanum")
}

/// A fresh folder under the target dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&p).expect("mkdir");
        Self(p)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free TCP port on loopback.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A child `arcanum` process, killed by its pid when dropped.
pub(crate) struct Proc {
    pub(crate) child: Child,
    pub(crate) log: PathBuf,
}

impl Proc {
    /// Sends SIGTERM and waits up to `within` for the exit.
    pub(crate) fn terminate(&mut self, within: Duration) -> Option<ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        wait_for(&mut self.child, within)
    }

    /// The process's stderr so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + within;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn command(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .env("ARCANUM_PASSWORD", PASSWORD)
        .env("ARCANUM_LOG", "info")
        .env_remove("ARCANUM_DATA_DIR");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// What a finished command printed.
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `arcanum args` to completion (at most 120 s; killed after).
pub(crate) fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    let dir = TempDir::new("out");
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = command(args, env)
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("spawn arcanum");
    let status = wait_for(&mut child, Duration::from_secs(120));
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("arcanum {args:?} did not finish within 120 s");
        }
    };
    Output {
        status,
        stdout: std::fs::read_to_string(out).unwrap_or_default(),
        stderr: std::fs::read_to_string(err).unwrap_or_default(),
    }
}

/// Runs a command that must succeed; returns its stdout.
pub(crate) fn ok(args: &[&str], env: &[(&str, String)]) -> String {
    let o = run(args, env);
    assert!(
        o.status.success(),
        "arcanum {args:?} failed ({}):\n{}",
        o.status,
        o.stderr
    );
    o.stdout
}

/// Starts a long-running `arcanum` (stderr to `log`).
pub(crate) fn spawn(args: &[&str], env: &[(&str, String)], log: PathBuf) -> Proc {
    let child = command(args, env)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn arcanum");
    Proc { child, log }
}

/// Starts `arcanum node run --data-dir data_dir --roles role` (stderr to `log`).
pub(crate) fn node_run(data_dir: &str, role: &str, env: &[(&str, String)], log: PathBuf) -> Proc {
    spawn(
        &["node", "run", "--data-dir", data_dir, "--roles", role],
        env,
        log,
    )
}

/// Waits until the node of `data_dir` answers its API on `api_port` (at most `within`).
pub(crate) async fn ready(
    proc: &mut Proc,
    data_dir: &Path,
    api_port: u16,
    within: Duration,
) -> ApiClient {
    let until = Instant::now() + within;
    loop {
        if let Ok(Some(status)) = proc.child.try_wait() {
            panic!("node exited early ({status}):\n{}", proc.log());
        }
        if let Ok(cookie) = std::fs::read_to_string(data_dir.join("api.cookie")) {
            let api = ApiClient::new(&format!("127.0.0.1:{api_port}"), cookie.trim());
            if api.status().await.is_ok() {
                return api;
            }
        }
        assert!(
            Instant::now() < until,
            "node not ready within {within:?}:\n{}",
            proc.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

/// Sends `request` to the node at `addr` (a multiaddr ending in `/p2p/<peer id>`) from a
/// short-lived libp2p client with identity `key` (a node's own, loaded from its data dir,
/// or a stranger's), and returns the answer.
pub(crate) async fn ask_as(
    key: arcanum_node::p2p::Keypair,
    addr: &str,
    request: arcanum_node::protocol::JobRequest,
) -> arcanum_node::protocol::JobResponse {
    let addr: arcanum_node::p2p::Multiaddr = addr.parse().expect("multiaddr");
    let (client, _events, event_loop) =
        arcanum_node::p2p::new(key, arcanum_node::p2p::NetworkConfig::default()).expect("swarm");
    let task = tokio::spawn(event_loop.run());
    let peer = client.dial(addr).await.expect("dial");
    let answer = client.request(peer, request).await.expect("answered");
    task.abort();
    answer
}
