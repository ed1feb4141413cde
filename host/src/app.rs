//! Loading an app: the engine, the linker with every interface the host provides, and each
//! component compiled and pre-instantiated once, so requests only instantiate.

use crate::bindings;
use crate::key_value::{KeyValueState, Stores};
use crate::llm::{LlmState, Models};
use crate::manifest::{Component as ComponentDef, Manifest};
use crate::outbound::{OutboundHooks, OutboundPolicy};
use crate::runtime_config::RuntimeConfig;
use crate::server::Handlers;
use crate::sqlite::{Databases, SqliteState};
use crate::state::InstanceState;
use crate::variables::AppVariables;
use crate::variables_host::VariablesState;
use anyhow::{Context as _, bail};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::cli::OutputFile;
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::handler::ProxyPre;

/// How often the epoch advances; a busy guest yields to others at this period.
pub const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// Everything shared by all instances of the app.
pub struct App {
    /// The wasmtime engine.
    pub engine: Engine,
    /// The components, by id.
    pub components: HashMap<String, Arc<LoadedComponent>>,
    /// SQLite databases.
    pub databases: Arc<Databases>,
    /// Key-value stores.
    pub stores: Arc<Stores>,
    /// The AI models of `fermyon:spin/llm`, loaded once for every component.
    pub models: Arc<Models>,
    /// The HTTP handlers, for service chaining; set after loading.
    pub handlers: Arc<OnceLock<Handlers>>,
}

/// One component, compiled and linked, with what each of its instances gets.
pub struct LoadedComponent {
    /// The component id.
    pub id: String,
    /// The component linked against the host, ready to instantiate.
    pub instance_pre: InstancePre<InstanceState>,
    /// Its `wasi:http` handler, when an HTTP trigger serves it.
    pub http: Option<ProxyPre<InstanceState>>,
    variables: Arc<HashMap<String, String>>,
    environment: Vec<(String, String)>,
    sqlite: Arc<HashSet<String>>,
    key_value: Arc<HashSet<String>>,
    ai_models: Arc<HashSet<String>>,
    policy: Arc<OutboundPolicy>,
    stdout: std::fs::File,
    stderr: std::fs::File,
}

/// Settings that shape the engine.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Use the pooling allocator (faster instantiation, more address space reserved).
    pub pooling: bool,
    /// Where compiled components are cached between runs.
    pub cache: CompileCache,
}

/// wasmtime's on-disk cache of compiled code, as `spin up` uses it: on by default, so a restart
/// loads machine code instead of compiling every component again.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum CompileCache {
    /// No cache: every start compiles (`--disable-cache`).
    #[default]
    Disabled,
    /// wasmtime's default configuration (`$HOME/.config/wasmtime/config.toml` if it exists,
    /// otherwise the user's cache directory).
    Default,
    /// A wasmtime cache configuration file (`--cache FILE`).
    File(PathBuf),
}

/// Creates the engine: components, WASI 0.3 async, epoch-based yielding.
pub fn engine(options: &EngineOptions) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    config.epoch_interruption(true);
    let cache = match &options.cache {
        CompileCache::Disabled => None,
        CompileCache::Default => Some(wasmtime::Cache::from_file(None)),
        CompileCache::File(path) => Some(wasmtime::Cache::from_file(Some(path))),
    };
    if let Some(cache) = cache {
        let cache =
            cache.map_err(|e| anyhow::anyhow!("invalid wasmtime cache configuration: {e:#}"))?;
        config.cache(Some(cache));
    }
    if options.pooling {
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        // As Spin's engine: a freed instance's first 2 MiB of linear memory (and half a MiB of
        // tables) are zeroed in place rather than returned to the kernel, so the next instance in
        // the slot does not fault them in again.
        pool.total_component_instances(512)
            .total_core_instances(2048)
            .total_memories(1024)
            .total_tables(1024)
            .max_memory_size(1 << 32)
            .linear_memory_keep_resident(2 << 20)
            .table_keep_resident(1 << 19);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot create the wasmtime engine: {e:#}"))
}

fn linker(engine: &Engine) -> anyhow::Result<Linker<InstanceState>> {
    let mut linker = Linker::<InstanceState>::new(engine);
    let link = |r: wasmtime::Result<()>| r.map_err(|e| anyhow::anyhow!("{e:#}"));
    link(wasmtime_wasi::p2::add_to_linker_async(&mut linker))?;
    link(wasmtime_wasi::p3::add_to_linker(&mut linker))?;
    link(wasmtime_wasi_http::p3::add_to_linker(&mut linker))?;
    link(bindings::sqlite::add_to_linker::<_, SqliteState>(
        &mut linker,
        |s| &mut s.sqlite,
    ))?;
    link(bindings::key_value::add_to_linker::<_, KeyValueState>(
        &mut linker,
        |s| &mut s.key_value,
    ))?;
    link(bindings::wasi_key_value::add_to_linker::<_, KeyValueState>(
        &mut linker,
        |s| &mut s.key_value,
    ))?;
    link(bindings::variables::add_to_linker::<_, VariablesState>(
        &mut linker,
        |s| &mut s.variables,
    ))?;
    link(bindings::llm::add_to_linker::<_, LlmState>(
        &mut linker,
        |s| &mut s.llm,
    ))?;
    Ok(linker)
}

impl App {
    /// Loads every component of a manifest.
    pub fn load(
        manifest: &Manifest,
        manifest_dir: &Path,
        state_dir: &Path,
        runtime_config: &RuntimeConfig,
        variables: &AppVariables,
        options: &EngineOptions,
    ) -> anyhow::Result<Self> {
        let engine = engine(options)?;
        let linker = linker(&engine)?;
        let databases = Arc::new(Databases::new(&runtime_config.sqlite));
        let stores = Arc::new(Stores::new(&runtime_config.key_value));
        let models = Arc::new(Models::new(state_dir));
        let logs = state_dir.join("logs");
        std::fs::create_dir_all(&logs)
            .with_context(|| format!("cannot create log directory {}", logs.display()))?;

        // Only triggered components are loaded; the rest exist to be composed as dependencies.
        let http: HashSet<&str> = manifest
            .trigger
            .http
            .iter()
            .map(|t| t.component.as_str())
            .collect();
        let cron: HashSet<&str> = manifest
            .trigger
            .cron
            .iter()
            .map(|t| t.component.as_str())
            .collect();
        let mut components = HashMap::new();
        for (id, def) in &manifest.component {
            if !http.contains(id.as_str()) && !cron.contains(id.as_str()) {
                continue;
            }
            for db in &def.sqlite_databases {
                if !databases.contains(db) {
                    bail!(
                        "component '{id}' uses SQLite database '{db}', which is not defined: add [sqlite_database.{db}] to the runtime config"
                    );
                }
            }
            for store in &def.key_value_stores {
                if !runtime_config.key_value.contains_key(store) {
                    bail!(
                        "component '{id}' uses key-value store '{store}', which is not defined: add [key_value_store.{store}] to the runtime config"
                    );
                }
            }
            let wasm = crate::compose::component_bytes(manifest, manifest_dir, id)?;
            let component = Component::new(&engine, &wasm).map_err(|e| {
                anyhow::anyhow!("component '{id}' is not a valid Wasm component: {e:#}")
            })?;
            let pre = linker
                .instantiate_pre(&component)
                .map_err(|e| missing_import(id, &e))?;
            let handler = if http.contains(id.as_str()) {
                match wasmtime_wasi_http::p3::bindings::ServicePre::new(pre.clone()) {
                    Ok(handler) => Some(ProxyPre::P3(handler)),
                    Err(e) => bail!(
                        "component '{id}' has an HTTP trigger but does not export wasi:http/handler@0.3.0 (build it with spin-sdk 7): {e}"
                    ),
                }
            } else {
                None
            };
            let loaded = LoadedComponent::new(id, def, pre, handler, variables, manifest, &logs)?;
            components.insert(id.clone(), Arc::new(loaded));
        }
        Ok(Self {
            engine,
            components,
            databases,
            stores,
            models,
            handlers: Arc::new(OnceLock::new()),
        })
    }

    /// A fresh store for one instance of a component.
    pub fn new_store(&self, component: &LoadedComponent) -> anyhow::Result<Store<InstanceState>> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.envs(&component.environment)
            .stdout(OutputFile::new(component.stdout.try_clone()?))
            .stderr(OutputFile::new(component.stderr.try_clone()?))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let state = InstanceState {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks {
                policy: component.policy.clone(),
                handlers: self.handlers.clone(),
            },
            sqlite: SqliteState::new(self.databases.clone(), component.sqlite.clone()),
            key_value: KeyValueState::new(self.stores.clone(), component.key_value.clone()),
            variables: VariablesState(component.variables.clone()),
            llm: LlmState::new(self.models.clone(), component.ai_models.clone()),
            limits: wasmtime::StoreLimitsBuilder::new().build(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // Yield to other work at every epoch tick, so one busy guest cannot starve the rest.
        store.epoch_deadline_async_yield_and_update(1);
        Ok(store)
    }
}

impl LoadedComponent {
    fn new(
        id: &str,
        def: &ComponentDef,
        instance_pre: InstancePre<InstanceState>,
        http: Option<ProxyPre<InstanceState>>,
        variables: &AppVariables,
        manifest: &Manifest,
        logs: &Path,
    ) -> anyhow::Result<Self> {
        let vars = variables.component_variables(manifest, id)?;
        let mut allowed_hosts = Vec::new();
        for entry in &def.allowed_outbound_hosts {
            allowed_hosts.push(expand_template(entry, variables, manifest)?);
        }
        let policy = OutboundPolicy::new(&allowed_hosts)
            .map_err(|e| anyhow::anyhow!("component '{id}': {e}"))?;
        let open_log = |stream: &str| -> anyhow::Result<std::fs::File> {
            let path: PathBuf = logs.join(format!("{id}_{stream}.txt"));
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))
        };
        Ok(Self {
            id: id.to_owned(),
            instance_pre,
            http,
            variables: Arc::new(vars),
            environment: def
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            sqlite: Arc::new(def.sqlite_databases.iter().cloned().collect()),
            key_value: Arc::new(def.key_value_stores.iter().cloned().collect()),
            ai_models: Arc::new(def.ai_models.iter().cloned().collect()),
            policy: Arc::new(policy),
            stdout: open_log("stdout")?,
            stderr: open_log("stderr")?,
        })
    }
}

fn expand_template(
    entry: &str,
    variables: &AppVariables,
    manifest: &Manifest,
) -> anyhow::Result<String> {
    if !entry.contains("{{") {
        return Ok(entry.to_owned());
    }
    variables
        .expand_str(entry, manifest)
        .map_err(|e| anyhow::anyhow!("allowed_outbound_hosts entry '{entry}': {e}"))
}

/// Turns wasmtime's linking error into one line naming the component and the missing import.
fn missing_import(id: &str, error: &wasmtime::Error) -> anyhow::Error {
    let text = format!("{error:#}");
    let import = text
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| text.clone());
    anyhow::anyhow!(
        "component '{id}' imports '{import}', which this host does not provide ({text})"
    )
}

/// Advances the engine's epoch on a background thread, so guests yield regularly. The thread
/// stops when the returned guard is dropped.
pub fn start_epoch_ticker(engine: &Engine) -> EpochTicker {
    let engine = engine.weak();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(EPOCH_TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    });
    EpochTicker(stop)
}

/// Stops the epoch thread when dropped.
pub struct EpochTicker(Arc<std::sync::atomic::AtomicBool>);

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
