//! Starting the real host binary on a manifest and talking to it over HTTP.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Fails with a clear message when the test components were not built.
pub fn require_wasm(names: &[&str]) {
    for name in names {
        let path = root()
            .join("target/wasm32-wasip2/release")
            .join(format!("{name}.wasm"));
        assert!(
            path.exists(),
            "{} is missing: build the components first (scripts/test does)",
            path.display()
        );
    }
}

/// Whether the npm packages (paths from the repository root) and programs that `scripts/setup
/// --test` installs for `what` are here. Outside CI a missing one skips the test with a note; in
/// CI (`CI=true`) it fails the test, so CI never passes without running it.
pub fn test_tools_or_skip(what: &str, packages: &[&str], programs: &[&str]) -> bool {
    let on_path = |program: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let missing: Vec<&str> = packages
        .iter()
        .filter(|p| !root().join(p).exists())
        .chain(programs.iter().filter(|p| !on_path(p)))
        .copied()
        .collect();
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(", ");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} need {missing}: run scripts/setup --test"
    );
    eprintln!("SKIPPED {what} (not CI): missing {missing}; run scripts/setup --test");
    false
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `spin-local up`.
pub struct Host {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// What the host has printed on stdout.
    pub banner: Arc<Mutex<String>>,
    /// What the host has printed on stderr.
    pub errors: Arc<Mutex<String>>,
    /// The state directory.
    pub state_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    /// The threads draining stdout and stderr; done once the host has exited.
    pipes: Vec<std::thread::JoinHandle<()>>,
}

/// How to start a host.
pub struct HostBuilder {
    manifest: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    state_dir: Option<PathBuf>,
    listen: Option<String>,
    /// The schedule every cron trigger runs on, or only the named component's (the others
    /// then never fire).
    cron: Option<(String, Option<String>)>,
}

/// A cron schedule that does not fire while a test runs (midnight on January 1st).
pub const NEVER: &str = "0 0 0 1 1 *";

impl HostBuilder {
    /// A host for a manifest, relative to the repository root.
    pub fn new(manifest: &str) -> Self {
        Self {
            manifest: root().join(manifest),
            args: Vec::new(),
            env: Vec::new(),
            state_dir: None,
            listen: None,
            cron: None,
        }
    }

    /// Serves a copy of the manifest whose cron triggers all run on `schedule`, so a test
    /// decides when the scheduled jobs run (a minute's tick must not race its requests).
    pub fn cron_schedule(mut self, schedule: &str) -> Self {
        self.cron = Some((schedule.to_owned(), None));
        self
    }

    /// Like [`HostBuilder::cron_schedule`], for `component`'s cron triggers only: the others
    /// never fire.
    pub fn cron_schedule_of(mut self, component: &str, schedule: &str) -> Self {
        self.cron = Some((schedule.to_owned(), Some(component.to_owned())));
        self
    }

    /// The manifest copy `cron_schedule` asks for, in `dir`, its sources made absolute.
    fn rescheduled(&self, schedule: &str, only: Option<&str>, dir: &Path) -> PathBuf {
        let base = self.manifest.parent().unwrap();
        let text = std::fs::read_to_string(&self.manifest).unwrap();
        let mut out: Vec<String> = Vec::new();
        // The lines of the `[[trigger.cron]]` table being read.
        let mut table: Vec<String> = Vec::new();
        let flush = |table: &mut Vec<String>, out: &mut Vec<String>| {
            let component = table
                .iter()
                .find_map(|l| l.strip_prefix("component = "))
                .map(|c| c.trim_matches('"').to_owned());
            let runs = only.is_none() || only == component.as_deref();
            let schedule = if runs { schedule } else { NEVER };
            out.extend(table.drain(..).map(|line| {
                if line.starts_with("cron_expression = ") {
                    format!("cron_expression = \"{schedule}\"")
                } else {
                    line
                }
            }));
        };
        for line in text.lines() {
            if line.starts_with('[') {
                flush(&mut table, &mut out);
            }
            let line = line.replace(
                "source = \"target/",
                &format!("source = \"{}/target/", base.display()),
            );
            if line == "[[trigger.cron]]" || !table.is_empty() {
                table.push(line);
            } else {
                out.push(line);
            }
        }
        flush(&mut table, &mut out);
        let path = dir.join("spin.toml");
        std::fs::write(&path, out.join("\n")).unwrap();
        path
    }

    /// Adds command-line arguments.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Uses (and keeps) this state directory.
    pub fn state_dir(mut self, dir: &Path) -> Self {
        self.state_dir = Some(dir.to_owned());
        self
    }

    /// Listens on this address instead of a free port.
    pub fn listen(mut self, addr: &str) -> Self {
        self.listen = Some(addr.to_owned());
        self
    }

    fn command(&self, state_dir: &Path) -> Command {
        // Port 0 by default: the host picks a free port and prints it, so no other test can
        // take it between a probe and the host's bind.
        let listen = self
            .listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:0".to_owned());
        let manifest = match &self.cron {
            Some((schedule, only)) => self.rescheduled(schedule, only.as_deref(), state_dir),
            None => self.manifest.clone(),
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spin-local"));
        cmd.arg("up")
            .arg("-f")
            .arg(manifest)
            .arg("--listen")
            .arg(listen)
            .arg("--state-dir")
            .arg(state_dir)
            .args(&self.args)
            .envs(self.env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Starts the host and waits until it serves.
    pub fn start(self) -> Host {
        let (temp, state_dir) = match &self.state_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let t = tempfile::tempdir().unwrap();
                let p = t.path().to_owned();
                (Some(t), p)
            }
        };
        let mut child = self.command(&state_dir).spawn().expect("spawn spin-local");
        // Drain both pipes so the host never blocks on a full one; keep them for assertions.
        let (banner, stdout) = drain(child.stdout.take().unwrap());
        let (errors, stderr) = drain(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(120);
        // The host prints its address once it listens (connections then wait in the backlog).
        let base = loop {
            if let Some(status) = child.try_wait().unwrap() {
                stderr.join().unwrap();
                panic!("host exited early ({status}): {}", errors.lock().unwrap());
            }
            let served = banner
                .lock()
                .unwrap()
                .lines()
                .find_map(|line| line.strip_prefix("Serving "))
                .map(str::to_owned);
            if let Some(base) = served {
                break base;
            }
            assert!(Instant::now() < deadline, "host did not start in time");
            std::thread::sleep(Duration::from_millis(20));
        };
        Host {
            child,
            base,
            banner,
            errors,
            state_dir,
            _temp: temp,
            pipes: vec![stdout, stderr],
        }
    }

    /// Runs the host expecting it to fail at start-up; returns its exit status and stderr.
    pub fn fail(self) -> (ExitStatus, String) {
        let dir = tempfile::tempdir().unwrap();
        let output = self.command(dir.path()).output().expect("spawn spin-local");
        assert!(!output.status.success(), "expected a start-up failure");
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// Collects what a pipe carries, line by line, on a thread of its own (done at end of file).
fn drain(
    pipe: impl std::io::Read + Send + 'static,
) -> (Arc<Mutex<String>>, std::thread::JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    let thread = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    (text, thread)
}

impl Host {
    /// An absolute URL on the host.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits for the process to exit and for all it printed.
    pub fn terminate(mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        for pipe in self.pipes.drain(..) {
            let _ = pipe.join();
        }
        status
    }
}

impl Drop for Host {
    /// Stops the host with SIGTERM, so it exits normally (and a coverage build writes its
    /// profile); kills it only if it does not exit in time.
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP response.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The body as text (empty if it is not UTF-8).
    pub body: String,
    /// The body's bytes.
    pub bytes: Vec<u8>,
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Sends a request with a body and headers.
pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut request = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request.body(body.to_vec()).unwrap();
    let mut response = agent().run(request).expect("request failed");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap_or_default();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.clone()).unwrap_or_default(),
        bytes,
    }
}

/// GET.
pub fn get(url: &str) -> Reply {
    send("GET", url, &[], b"")
}

/// POST with a text body.
pub fn post(url: &str, body: &str) -> Reply {
    send("POST", url, &[], body.as_bytes())
}
