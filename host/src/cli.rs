//! The `spin-local` command line: `up` and `build`, with Spin's own flags and defaults.

use crate::app::{App, CompileCache, EngineOptions};
use crate::manifest::Manifest;
use crate::routes::Router;
use crate::runtime_config::{RuntimeConfig, SqliteLocation};
use crate::server::{Handlers, HttpTrigger, ReuseConfig};
use crate::variables::AppVariables;
use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Runs a Spin application locally, the way `spin up` does.
#[derive(Debug, Parser)]
#[command(name = "spin-local", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the application (`spin up`).
    Up(Box<UpArgs>),
    /// Run each component's build command (`spin build`).
    Build(BuildArgs),
}

/// `spin-local build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The manifest, or a directory holding `spin.toml`.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    pub from: PathBuf,
}

/// `spin-local up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The manifest, or a directory holding `spin.toml`.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    pub from: PathBuf,
    /// The address to serve HTTP on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Where databases, key-value stores and logs live (default: `.spin/` beside the manifest).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Spin runtime configuration: where SQLite databases and key-value stores live.
    #[arg(long)]
    pub runtime_config_file: Option<PathBuf>,
    /// SQL to run against the default database before serving: a statement, or `@file.sql`.
    #[arg(long = "sqlite")]
    pub sqlite: Vec<String>,
    /// A `KEY=VALUE` to set in the default key-value store before serving.
    #[arg(long = "key-value")]
    pub key_value: Vec<String>,
    /// An application variable, `NAME=VALUE`.
    #[arg(long = "variable")]
    pub variable: Vec<String>,
    /// Build the components first, as `spin build` does.
    #[arg(long)]
    pub build: bool,
    /// Requests one instance serves before it is dropped.
    #[arg(long, default_value_t = 128)]
    pub max_instance_reuse_count: usize,
    /// Requests one instance serves at once.
    #[arg(long, default_value_t = 16)]
    pub max_instance_concurrent_reuse_count: usize,
    /// How long an idle instance is kept (e.g. `1s`, `500ms`).
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub idle_instance_timeout: Duration,
    /// How long a request may run (e.g. `30s`); unlimited by default.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub request_timeout: Option<Duration>,
    /// Allocate instances on demand instead of from a pre-reserved pool.
    #[arg(long)]
    pub no_pooling: bool,
    /// A wasmtime cache configuration file, for where compiled components are kept.
    #[arg(long, env = "WASMTIME_CACHE_FILE", conflicts_with = "disable_cache")]
    pub cache: Option<PathBuf>,
    /// Compile every component at each start instead of using wasmtime's cache.
    #[arg(long, env = "DISABLE_WASMTIME_CACHE")]
    pub disable_cache: bool,
}

/// Resolves `-f`: a file, or a directory holding `spin.toml`.
pub fn manifest_path(from: &Path) -> PathBuf {
    if from.is_dir() {
        from.join("spin.toml")
    } else {
        from.to_owned()
    }
}

/// Runs each component's `[component.NAME.build]` command in its workdir.
pub fn build(manifest: &Manifest, dir: &Path) -> anyhow::Result<()> {
    for (id, component) in &manifest.component {
        let Some(build) = &component.build else {
            continue;
        };
        let workdir = build
            .workdir
            .as_ref()
            .map(|w| dir.join(w))
            .unwrap_or_else(|| dir.to_owned());
        for command in build.command.commands() {
            println!("Building component {id} with `{command}`");
            let status = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&workdir)
                .envs(&build.environment)
                .status()
                .with_context(|| format!("cannot run the build command of component '{id}'"))?;
            if !status.success() {
                bail!("build command for component '{id}' failed: `{command}` ({status})");
            }
        }
    }
    println!("Finished building all Spin components");
    Ok(())
}

/// A loaded app ready to serve, for `up` and for tests.
pub struct Prepared {
    /// The HTTP trigger.
    pub trigger: Arc<HttpTrigger>,
    /// The router, for the start-up listing.
    pub router: Router,
    /// The state directory.
    pub state_dir: PathBuf,
    /// The loaded app.
    pub app: Arc<App>,
    /// `[[trigger.cron]]` jobs.
    pub cron: Vec<crate::cron::CronJob>,
}

/// Loads the app for `up`: manifest, variables, stores, components, and the CLI's seed data.
pub async fn prepare(args: &UpArgs) -> anyhow::Result<Prepared> {
    let manifest_file = manifest_path(&args.from);
    let manifest = Manifest::load(&manifest_file)?;
    let dir = manifest_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned();
    if args.build {
        build(&manifest, &dir)?;
    }
    let state_dir = args.state_dir.clone().unwrap_or_else(|| dir.join(".spin"));
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("cannot create state directory {}", state_dir.display()))?;
    let variables = AppVariables::resolve(&manifest, &args.variable, |k| std::env::var(k).ok())?;
    let runtime_config = RuntimeConfig::load(&state_dir, args.runtime_config_file.as_deref())?;
    let options = EngineOptions {
        pooling: !args.no_pooling,
        cache: match (&args.cache, args.disable_cache) {
            (_, true) => CompileCache::Disabled,
            (Some(file), false) => CompileCache::File(file.clone()),
            (None, false) => CompileCache::Default,
        },
    };
    let app = App::load(
        &manifest,
        &dir,
        &state_dir,
        &runtime_config,
        &variables,
        &options,
    )?;
    let app = Arc::new(app);

    for statement in &args.sqlite {
        let sql = match statement.strip_prefix('@') {
            Some(file) => std::fs::read_to_string(file)
                .with_context(|| format!("cannot read --sqlite file {file}"))?,
            None => statement.clone(),
        };
        app.databases
            .execute_batch("default", &sql)
            .await
            .with_context(|| format!("--sqlite {statement}"))?;
    }
    if !args.key_value.is_empty() {
        let store = app
            .stores
            .open("default")
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the default key-value store: {e:?}"))?;
        for pair in &args.key_value {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("invalid --key-value '{pair}': expected KEY=VALUE")
            })?;
            store
                .set(k, v.as_bytes())
                .await
                .map_err(|e| anyhow::anyhow!("--key-value {k}: {e:?}"))?;
        }
    }

    let reuse = ReuseConfig {
        max_instance_reuse_count: args.max_instance_reuse_count.max(1),
        max_instance_concurrent_reuse_count: args.max_instance_concurrent_reuse_count.max(1),
        idle_instance_timeout: args.idle_instance_timeout,
        request_timeout: args.request_timeout,
    };
    let handlers = Handlers::new(&app, reuse);
    let _ = app.handlers.set(handlers.clone());
    let routes = manifest.trigger.http.iter().filter_map(|t| match &t.route {
        crate::manifest::HttpRoute::Path(p) => Some((p.as_str(), t.component.as_str())),
        crate::manifest::HttpRoute::Private { .. } => None,
    });
    let (router, duplicates) = Router::new(&manifest.http_base(), routes);
    for route in duplicates {
        eprintln!("Warning: duplicate route {route}: only the first component declared serves it");
    }
    for kind in manifest.trigger.other.keys() {
        eprintln!("Warning: this host does not run '{kind}' triggers; they are ignored");
    }
    let trigger = Arc::new(HttpTrigger::new(router.clone(), handlers, args.listen));
    let cron = manifest
        .trigger
        .cron
        .iter()
        .map(|t| {
            crate::cron::CronJob::new(app.components[&t.component].clone(), &t.cron_expression)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    print_storage(&state_dir, &runtime_config);
    Ok(Prepared {
        trigger,
        router,
        state_dir,
        app,
        cron,
    })
}

fn print_storage(state_dir: &Path, config: &RuntimeConfig) {
    println!("Logging component stdio to {:?}", state_dir.join("logs"));
    match config.sqlite.get("default") {
        Some(SqliteLocation::File(path)) => println!("Storing default SQLite data to {path:?}."),
        Some(SqliteLocation::Remote { url, .. }) => {
            println!("Using remote libSQL database {url} as default SQLite data.")
        }
        _ => {}
    }
    if let Some(crate::runtime_config::KeyValueLocation::File(path)) =
        config.key_value.get("default")
    {
        println!("Storing default key-value data to {path:?}.");
    }
}

/// The start-up listing of routes, in Spin's words.
pub fn routes_listing(router: &Router, addr: SocketAddr) -> String {
    let mut out = String::from("Available Routes:\n");
    for route in router.routes() {
        let path = if route.wildcard {
            &route.prefix
        } else {
            &route.raw
        };
        let suffix = if route.wildcard { " (wildcard)" } else { "" };
        out.push_str(&format!(
            "  {}: http://{addr}{path}{suffix}\n",
            route.component
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_listed_as_spin_lists_them() {
        let (router, _) = Router::new("/", [("/events", "track-event"), ("/probe/...", "probe")]);
        let text = routes_listing(&router, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(
            text,
            "Available Routes:\n  track-event: http://127.0.0.1:3000/events\n  probe: http://127.0.0.1:3000/probe (wildcard)\n"
        );
    }

    #[test]
    fn flags_have_spins_defaults() {
        let cli = Cli::parse_from(["spin-local", "up"]);
        let Command::Up(up) = cli.command else {
            panic!("not up")
        };
        assert_eq!(up.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(up.from, PathBuf::from("spin.toml"));
        assert_eq!(up.max_instance_reuse_count, 128);
        assert_eq!(up.max_instance_concurrent_reuse_count, 16);
        assert_eq!(up.idle_instance_timeout, Duration::from_secs(1));
        assert!(up.request_timeout.is_none());
        assert!(up.cache.is_none() && !up.disable_cache);
        let cli = Cli::parse_from([
            "spin-local",
            "up",
            "--idle-instance-timeout",
            "250ms",
            "--variable",
            "a=b",
            "--variable",
            "c=d",
        ]);
        let Command::Up(up) = cli.command else {
            panic!("not up")
        };
        assert_eq!(up.idle_instance_timeout, Duration::from_millis(250));
        assert_eq!(up.variable, ["a=b", "c=d"]);
    }

    #[test]
    fn the_compile_cache_is_configured_or_disabled_not_both() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["spin-local", "up"].iter().chain(args)).map(|cli| {
                match cli.command {
                    Command::Up(up) => (up.cache, up.disable_cache),
                    _ => panic!("not up"),
                }
            })
        };
        assert_eq!(
            parse(&["--cache", "c.toml"]).unwrap(),
            (Some(PathBuf::from("c.toml")), false)
        );
        assert_eq!(parse(&["--disable-cache"]).unwrap(), (None, true));
        assert!(parse(&["--cache", "c.toml", "--disable-cache"]).is_err());
    }

    #[test]
    fn a_directory_means_its_spin_toml() {
        assert_eq!(manifest_path(Path::new("/")), PathBuf::from("/spin.toml"));
        assert_eq!(manifest_path(Path::new("x.toml")), PathBuf::from("x.toml"));
    }
}
