//! The benchmarks' side of HTTP: the host (`spin-local up`) as a child process, and timed
//! requests to it over one keep-alive connection.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A running `spin-local up`, stopped on drop.
pub struct Host {
    child: Child,
    agent: ureq::Agent,
    base: String,
    secret: String,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Host {
    /// Starts `host up -f manifest` on `port` with `state_dir` (its `sqlite_db.db` is the
    /// store) and waits until it listens. Its stderr goes to `state_dir/host.log`.
    pub fn start(
        host: &Path,
        manifest: &Path,
        state_dir: &Path,
        port: u16,
        secret: &str,
        extra: &[String],
    ) -> Result<Host> {
        let log = std::fs::File::create(state_dir.join("host.log"))?;
        let child = Command::new(host)
            .args(["up", "-f"])
            .arg(manifest)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--state-dir"])
            .arg(state_dir)
            .args(["--variable", &format!("jwt_secret={secret}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", host.display()))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        let host = Host {
            child,
            agent,
            base: format!("http://127.0.0.1:{port}"),
            secret: secret.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(300);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("the host did not start listening on port {port}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(host)
    }

    /// A token for `sub` with `role`, valid an hour.
    pub fn token(&self, sub: &str, role: &str) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        demo::token::dev_token(&self.secret, sub, &[role], 3600, now).map_err(anyhow::Error::msg)
    }

    /// `method path` with `token`; the time to the whole answer, and the answer's JSON.
    /// Anything but 200 is an error.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
    ) -> Result<(Duration, serde_json::Value)> {
        let (elapsed, text) = self.call_text(method, path, token)?;
        Ok((elapsed, serde_json::from_str(&text)?))
    }

    /// The same, with the answer's text.
    pub fn call_text(&self, method: &str, path: &str, token: &str) -> Result<(Duration, String)> {
        let (elapsed, bytes) = self.send(method, path, token, None)?;
        Ok((elapsed, String::from_utf8(bytes)?))
    }

    /// `GET path` with `token`, accepting gzip: the time to the whole answer and its bytes,
    /// as sent (not decompressed). Anything but 200 is an error.
    pub fn get_gzip(&self, path: &str, token: &str) -> Result<(Duration, Vec<u8>)> {
        self.send("GET", path, token, Some("gzip"))
    }

    /// `method path` with `token` (and `Accept-Encoding`, if given): the time to the whole
    /// answer, and its bytes. Anything but 200 is an error.
    fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        accept_encoding: Option<&str>,
    ) -> Result<(Duration, Vec<u8>)> {
        let url = format!("{}{path}", self.base);
        let bearer = format!("Bearer {token}");
        let start = Instant::now();
        let mut response = match (method, accept_encoding) {
            ("POST", _) => self
                .agent
                .post(&url)
                .header("authorization", &bearer)
                .send_empty()?,
            (_, None) => self
                .agent
                .get(&url)
                .header("authorization", &bearer)
                .call()?,
            (_, Some(encoding)) => self
                .agent
                .get(&url)
                .header("authorization", &bearer)
                .header("accept-encoding", encoding)
                .call()?,
        };
        let bytes = response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()?;
        let elapsed = start.elapsed();
        if response.status() != 200 {
            let text = String::from_utf8_lossy(&bytes);
            bail!("{method} {path}: {}: {text}", response.status());
        }
        Ok((elapsed, bytes))
    }
}

/// p50 and p99 of `times` (nearest rank).
pub fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    let at = |p: f64| {
        let rank = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len());
        times[rank - 1]
    };
    if times.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    (at(0.50), at(0.99))
}
