//! The subset of Spin's application manifest (`spin.toml`, manifest version 2) that this host runs.
//!
//! Unknown keys in a component or trigger are rejected, as Spin rejects them, so a typo is an error
//! at start-up rather than a capability silently missing at run time.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed and validated `spin.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always 2.
    pub spin_manifest_version: u32,
    /// Name, version and description of the application.
    pub application: Application,
    /// Application variables: the values components' variables are built from.
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDef>,
    /// Triggers, by type.
    #[serde(default)]
    pub trigger: Triggers,
    /// Components, by id.
    #[serde(default)]
    pub component: BTreeMap<String, Component>,
}

/// `[application]`.
#[derive(Debug, Deserialize)]
pub struct Application {
    /// The application's name.
    pub name: String,
    /// The application's version.
    #[serde(default)]
    pub version: Option<String>,
    /// A human description.
    #[serde(default)]
    pub description: Option<String>,
    /// Authors, for information only.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Application-wide trigger settings (`[application.trigger.http] base = "/"`).
    #[serde(default)]
    pub trigger: Option<toml::Table>,
}

/// One entry of `[variables]`.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct VariableDef {
    /// Used when no provider sets the variable.
    #[serde(default)]
    pub default: Option<String>,
    /// Start-up fails when nothing provides a required variable.
    #[serde(default)]
    pub required: bool,
    /// Secret values are never printed.
    #[serde(default)]
    pub secret: bool,
    /// A human description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `[[trigger.*]]` tables by trigger type.
#[derive(Debug, Deserialize, Default)]
pub struct Triggers {
    /// `[[trigger.http]]`.
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
    /// `[[trigger.cron]]`, in the form of Spin's cron trigger plugin.
    #[serde(default)]
    pub cron: Vec<CronTrigger>,
    /// Trigger types this host does not run.
    #[serde(flatten)]
    pub other: BTreeMap<String, toml::Value>,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    /// An optional trigger id.
    #[serde(default)]
    pub id: Option<String>,
    /// The route: an exact path, a `/...` wildcard, or private (reachable only by service chaining).
    pub route: HttpRoute,
    /// The component that handles it.
    pub component: String,
    /// Only Spin's default executor (`wasi:http`) is supported.
    #[serde(default)]
    pub executor: Option<toml::Table>,
}

/// The `route` of an HTTP trigger.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(untagged)]
pub enum HttpRoute {
    /// `route = "/path"` or `route = "/path/..."`.
    Path(String),
    /// `route = { private = true }`.
    Private {
        /// Must be true.
        private: bool,
    },
}

/// One `[[trigger.cron]]`, as Spin's cron trigger plugin declares it.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct CronTrigger {
    /// The component to run.
    pub component: String,
    /// A six-field cron expression, seconds first (`0 * * * * *` is every minute).
    pub cron_expression: String,
}

/// `[component.NAME]`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Where the `.wasm` is.
    pub source: ComponentSource,
    /// A human description.
    #[serde(default)]
    pub description: Option<String>,
    /// Component variables: names to template strings over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Environment variables the component sees.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Files mounted into the component.
    #[serde(default)]
    pub files: Vec<toml::Value>,
    /// Files excluded from `files`.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Hosts the component may send HTTP requests to.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value stores the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// SQLite databases the component may open.
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// Models the component may use through `fermyon:spin/llm`.
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// How `--build` (like `spin build`) builds the component.
    #[serde(default)]
    pub build: Option<BuildConfig>,
    /// Imports satisfied by other components.
    #[serde(default)]
    pub dependencies: BTreeMap<String, Dependency>,
    /// Whether dependencies get this component's capabilities.
    #[serde(default)]
    pub dependencies_inherit_configuration: Option<bool>,
    /// Settings for other tools, ignored by the host.
    #[serde(default)]
    pub tool: Option<toml::Table>,
}

/// A component's `source`.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum ComponentSource {
    /// A path relative to the manifest.
    Path(PathBuf),
    /// A remote source, which this host cannot download.
    Remote {
        /// The URL.
        url: String,
        /// Its digest.
        digest: String,
    },
}

/// `[component.NAME.build]`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    /// The command or commands to run.
    pub command: BuildCommand,
    /// The directory to run it in, relative to the manifest.
    #[serde(default)]
    pub workdir: Option<PathBuf>,
    /// Files `spin watch` watches; not used here.
    #[serde(default)]
    pub watch: Vec<String>,
    /// Environment for the build.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

/// One build command or several.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum BuildCommand {
    /// `command = "..."`.
    One(String),
    /// `command = ["...", "..."]`.
    Many(Vec<String>),
}

impl BuildCommand {
    /// The commands in order.
    pub fn commands(&self) -> Vec<&str> {
        match self {
            Self::One(c) => vec![c.as_str()],
            Self::Many(cs) => cs.iter().map(String::as_str).collect(),
        }
    }
}

/// One `[component.NAME.dependencies]` entry.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum Dependency {
    /// `{ component = "other" }`: another component of this app.
    AppComponent {
        /// The component id.
        component: String,
        /// The export to use, if not the imported name.
        #[serde(default)]
        export: Option<String>,
        /// Whether the dependency gets this component's capabilities.
        #[serde(default)]
        inherit_configuration: Option<toml::Value>,
    },
    /// `{ path = "dep.wasm" }`: a local Wasm file.
    Local {
        /// Relative to the manifest.
        path: PathBuf,
        /// The export to use, if not the imported name.
        #[serde(default)]
        export: Option<String>,
        /// Whether the dependency gets this component's capabilities.
        #[serde(default)]
        inherit_configuration: Option<toml::Value>,
    },
    /// `"pkg:name/iface" = "1.0"`: a registry version, which needs a network this host does not use.
    Version(String),
    /// Registry or URL dependencies, which need a network this host does not use.
    Other(toml::Table),
}

/// What is wrong with a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read manifest {path}: {source}")]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML does not parse or does not have the manifest's shape.
    #[error("invalid manifest {path}: {message}")]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// The parser's message, which names the line and key.
        message: String,
    },
    /// The manifest parses but says something impossible.
    #[error("invalid manifest {path}: {message}")]
    Invalid {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Manifest {
    /// Reads, parses and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            ParseError::Toml(message) => ManifestError::Parse {
                path: path.to_owned(),
                message,
            },
            ParseError::Invalid(message) => ManifestError::Invalid {
                path: path.to_owned(),
                message,
            },
        })
    }

    /// Parses and validates manifest text.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ParseError::Toml(one_line(&e, text)))?;
        manifest.validate().map_err(ParseError::Invalid)?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<(), String> {
        if self.spin_manifest_version != 2 {
            return Err(format!(
                "spin_manifest_version must be 2, found {}",
                self.spin_manifest_version
            ));
        }
        for name in self.variables.keys() {
            check_snake_name(name).map_err(|e| format!("variable '{name}': {e}"))?;
        }
        for (id, def) in &self.variables {
            if def.required && def.default.is_some() {
                return Err(format!(
                    "variable '{id}' cannot be both required and have a default"
                ));
            }
        }
        for id in self.component.keys() {
            check_kebab_name(id).map_err(|e| format!("component '{id}': {e}"))?;
        }
        for (id, component) in &self.component {
            for key in component.variables.keys() {
                check_snake_name(key)
                    .map_err(|e| format!("component '{id}' variable '{key}': {e}"))?;
            }
            if let ComponentSource::Remote { url, .. } = &component.source {
                return Err(format!(
                    "component '{id}' has a remote source ({url}); this host runs local .wasm files only"
                ));
            }
            for (import, dep) in &component.dependencies {
                match dep {
                    Dependency::AppComponent { component: dep, .. } => {
                        if !self.component.contains_key(dep) {
                            return Err(format!(
                                "component '{id}' dependency '{import}' names component '{dep}', which the manifest does not define"
                            ));
                        }
                        if dep == id {
                            return Err(format!(
                                "component '{id}' cannot depend on itself ('{import}')"
                            ));
                        }
                    }
                    Dependency::Local { .. } => {}
                    Dependency::Version(_) | Dependency::Other(_) => {
                        return Err(format!(
                            "component '{id}' dependency '{import}' comes from a registry or URL; this host supports only `{{ component = \"...\" }}` and `{{ path = \"...\" }}` dependencies"
                        ));
                    }
                }
            }
        }
        for trigger in &self.trigger.http {
            if !self.component.contains_key(&trigger.component) {
                return Err(format!(
                    "HTTP trigger for route {:?} names component '{}', which the manifest does not define",
                    trigger.route, trigger.component
                ));
            }
            match &trigger.route {
                HttpRoute::Path(path) if !path.starts_with('/') => {
                    return Err(format!(
                        "HTTP route '{path}' of component '{}' must start with '/'",
                        trigger.component
                    ));
                }
                HttpRoute::Private { private: false } => {
                    return Err(format!(
                        "HTTP route of component '{}' must be a path or {{ private = true }}",
                        trigger.component
                    ));
                }
                _ => {}
            }
            if let Some(executor) = &trigger.executor {
                let kind = executor.get("type").and_then(|t| t.as_str()).unwrap_or("");
                if !matches!(kind, "spin" | "http") {
                    return Err(format!(
                        "HTTP trigger of component '{}' uses executor '{kind}'; this host serves wasi:http components only",
                        trigger.component
                    ));
                }
            }
        }
        for trigger in &self.trigger.cron {
            if !self.component.contains_key(&trigger.component) {
                return Err(format!(
                    "cron trigger names component '{}', which the manifest does not define",
                    trigger.component
                ));
            }
        }
        Ok(())
    }

    /// The base path of HTTP routes (`[application.trigger.http] base`), `/` by default.
    pub fn http_base(&self) -> String {
        self.application
            .trigger
            .as_ref()
            .and_then(|t| t.get("http"))
            .and_then(|h| h.get("base"))
            .and_then(|b| b.as_str())
            .unwrap_or("/")
            .to_owned()
    }
}

/// Why manifest text was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    /// TOML syntax or shape.
    #[error("{0}")]
    Toml(String),
    /// Semantics.
    #[error("{0}")]
    Invalid(String),
}

/// A TOML error as one line: where, then what.
pub fn one_line(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim().replace('\n', " ");
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// Spin's rule for variable names: lower snake case starting with a letter.
pub fn check_snake_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() => {}
        _ => return Err("must start with a lowercase letter"),
    }
    if name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__")
    {
        Ok(())
    } else {
        Err("must be lower_snake_case (a-z, 0-9 and single underscores)")
    }
}

fn check_kebab_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() => {}
        _ => return Err("id must start with a lowercase letter"),
    }
    if name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--")
    {
        Ok(())
    } else {
        Err("id must be kebab-case (a-z, 0-9 and single hyphens)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "app"
[variables]
api_key = { required = true, secret = true }
greeting = { default = "hello" }
[[trigger.http]]
route = "/hello/..."
component = "hello"
[[trigger.http]]
route = { private = true }
component = "hello"
[[trigger.cron]]
component = "hello"
cron_expression = "0 * * * * *"
[component.hello]
source = "hello.wasm"
sqlite_databases = ["default"]
variables = { key = "{{ api_key }}" }
[component.hello.build]
command = ["echo one", "echo two"]
[component.hello.dependencies]
"a:b/c" = { component = "other" }
"a:b/d" = { path = "d.wasm", export = "x:y/z" }
[component.other]
source = "other.wasm"
"#;

    #[test]
    fn parses_a_full_manifest() {
        let m = Manifest::parse(MINIMAL).unwrap();
        assert_eq!(m.application.name, "app");
        assert!(m.variables["api_key"].required);
        assert_eq!(m.trigger.http.len(), 2);
        assert_eq!(
            m.trigger.http[1].route,
            HttpRoute::Private { private: true }
        );
        assert_eq!(m.trigger.cron[0].cron_expression, "0 * * * * *");
        let hello = &m.component["hello"];
        assert_eq!(
            hello.build.as_ref().unwrap().command.commands(),
            ["echo one", "echo two"]
        );
        assert!(matches!(
            hello.dependencies["a:b/c"],
            Dependency::AppComponent { .. }
        ));
        assert!(matches!(
            hello.dependencies["a:b/d"],
            Dependency::Local { .. }
        ));
        assert_eq!(m.http_base(), "/");
    }

    #[test]
    fn rejects_bad_manifests_with_a_message_naming_the_problem() {
        let cases = [
            (
                MINIMAL.replace("= 2", "= 1"),
                "spin_manifest_version must be 2",
            ),
            (
                MINIMAL.replace("component = \"other\"", "component = \"ghost\""),
                "'ghost'",
            ),
            (
                MINIMAL.replace("route = \"/hello/...\"", "route = \"hello\""),
                "must start with '/'",
            ),
            (
                MINIMAL.replace("[component.other]", "[component.ot_her]"),
                "kebab-case",
            ),
            (MINIMAL.replace("greeting", "Greeting"), "lowercase"),
            (
                MINIMAL.replace("sqlite_databases", "sqlite_database"),
                "unknown field",
            ),
            (
                MINIMAL.replace(
                    "source = \"other.wasm\"",
                    "source = { url = \"https://x\", digest = \"d\" }",
                ),
                "remote source",
            ),
            (
                MINIMAL.replace("{ path = \"d.wasm\", export = \"x:y/z\" }", "\"1.0\""),
                "registry or URL",
            ),
            (
                MINIMAL.replace("route = { private = true }", "route = { private = false }"),
                "private",
            ),
            (
                format!(
                    "{MINIMAL}\n[[trigger.cron]]\ncomponent = \"nope\"\ncron_expression = \"x\"\n"
                ),
                "'nope'",
            ),
            (
                MINIMAL.replace(
                    "api_key = { required = true, secret = true }",
                    "api_key = { required = true, default = \"x\" }",
                ),
                "both required",
            ),
            ("not toml [".to_owned(), "line 1, column"),
        ];
        for (text, needle) in cases {
            let err = Manifest::parse(&text).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
    }

    #[test]
    fn names_follow_spins_rules() {
        assert!(check_snake_name("ingest_api_key").is_ok());
        for bad in ["", "1x", "a-b", "a__b", "a_", "A"] {
            assert!(check_snake_name(bad).is_err(), "{bad}");
        }
        assert!(check_kebab_name("track-event").is_ok());
        for bad in ["", "-a", "a--b", "a-", "a_b"] {
            assert!(check_kebab_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn load_reports_the_path() {
        let err = Manifest::load(Path::new("/nonexistent/spin.toml")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/spin.toml"));
    }
}
