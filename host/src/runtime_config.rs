//! Spin's runtime configuration file (`--runtime-config-file`): where SQLite databases and
//! key-value stores live. Without one, `default` of each is a file in the state directory.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where one SQLite database lives.
#[derive(Debug, Clone, PartialEq)]
pub enum SqliteLocation {
    /// An embedded libSQL file.
    File(PathBuf),
    /// An in-memory database, gone at shutdown.
    Memory,
    /// A remote libSQL / Turso database.
    Remote {
        /// `libsql://…` or `https://…`.
        url: String,
        /// The auth token.
        token: String,
    },
}

/// Where one key-value store lives.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValueLocation {
    /// A SQLite file.
    File(PathBuf),
    /// In memory, gone at shutdown.
    Memory,
}

/// The databases and stores of an app run.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// SQLite databases by name.
    pub sqlite: BTreeMap<String, SqliteLocation>,
    /// Key-value stores by name.
    pub key_value: BTreeMap<String, KeyValueLocation>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    sqlite_database: BTreeMap<String, RawStore>,
    #[serde(default)]
    key_value_store: BTreeMap<String, RawStore>,
    #[serde(flatten)]
    _other: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

impl RuntimeConfig {
    /// The defaults: `default` database and store as files in `state_dir`, as Spin names them.
    pub fn defaults(state_dir: &Path) -> Self {
        let mut config = Self::default();
        config.sqlite.insert(
            "default".into(),
            SqliteLocation::File(state_dir.join("sqlite_db.db")),
        );
        config.key_value.insert(
            "default".into(),
            KeyValueLocation::File(state_dir.join("sqlite_key_value.db")),
        );
        config
    }

    /// The defaults overlaid with a runtime-config file. Relative paths are relative to the file.
    pub fn load(state_dir: &Path, file: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = Self::defaults(state_dir);
        let Some(file) = file else {
            return Ok(config);
        };
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read runtime config {}: {e}", file.display()))?;
        let dir = file.parent().unwrap_or(Path::new("."));
        config
            .overlay(&text, dir)
            .map_err(|e| anyhow::anyhow!("invalid runtime config {}: {e}", file.display()))?;
        Ok(config)
    }

    fn overlay(&mut self, text: &str, dir: &Path) -> Result<(), String> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| crate::manifest::one_line(&e, text))?;
        for (name, store) in raw.sqlite_database {
            let location = match store.kind.as_str() {
                "spin" => match store.path {
                    Some(path) => SqliteLocation::File(dir.join(path)),
                    None => SqliteLocation::Memory,
                },
                "libsql" => {
                    let (Some(url), Some(token)) = (store.url, store.token) else {
                        return Err(format!(
                            "sqlite_database.{name}: type \"libsql\" needs both `url` and `token`"
                        ));
                    };
                    SqliteLocation::Remote { url, token }
                }
                other => {
                    return Err(format!(
                        "sqlite_database.{name}: unknown type \"{other}\" (expected \"spin\" or \"libsql\")"
                    ));
                }
            };
            self.sqlite.insert(name, location);
        }
        for (name, store) in raw.key_value_store {
            let location = match store.kind.as_str() {
                "spin" => match store.path {
                    Some(path) => KeyValueLocation::File(dir.join(path)),
                    None => KeyValueLocation::Memory,
                },
                other => {
                    return Err(format!(
                        "key_value_store.{name}: type \"{other}\" is not available here (expected \"spin\")"
                    ));
                }
            };
            self.key_value.insert(name, location);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_live_in_the_state_directory() {
        let c = RuntimeConfig::load(Path::new("/state"), None).unwrap();
        assert_eq!(
            c.sqlite["default"],
            SqliteLocation::File("/state/sqlite_db.db".into())
        );
        assert_eq!(
            c.key_value["default"],
            KeyValueLocation::File("/state/sqlite_key_value.db".into())
        );
    }

    #[test]
    fn a_file_overrides_and_adds_stores() {
        let mut c = RuntimeConfig::defaults(Path::new("/s"));
        c.overlay(
            r#"
[sqlite_database.default]
type = "libsql"
url = "https://db.example.com"
token = "t"
[sqlite_database.scratch]
type = "spin"
[sqlite_database.local]
type = "spin"
path = "data/local.db"
[key_value_store.cache]
type = "spin"
[key_value_store.default]
type = "spin"
path = "kv.db"
[llm_compute]
type = "spin"
"#,
            Path::new("/cfg"),
        )
        .unwrap();
        assert_eq!(
            c.sqlite["default"],
            SqliteLocation::Remote {
                url: "https://db.example.com".into(),
                token: "t".into()
            }
        );
        assert_eq!(c.sqlite["scratch"], SqliteLocation::Memory);
        assert_eq!(
            c.sqlite["local"],
            SqliteLocation::File("/cfg/data/local.db".into())
        );
        assert_eq!(c.key_value["cache"], KeyValueLocation::Memory);
        assert_eq!(
            c.key_value["default"],
            KeyValueLocation::File("/cfg/kv.db".into())
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        for (text, needle) in [
            (
                "[sqlite_database.x]\ntype = \"libsql\"\nurl = \"u\"",
                "needs both",
            ),
            ("[sqlite_database.x]\ntype = \"postgres\"", "unknown type"),
            ("[key_value_store.x]\ntype = \"redis\"", "not available"),
            (
                "[sqlite_database.x]\ntype = \"spin\"\nfoo = 1",
                "unknown field",
            ),
            ("[[[", ""),
        ] {
            let err = RuntimeConfig::default()
                .overlay(text, Path::new("."))
                .unwrap_err();
            assert!(err.contains(needle), "{err} / {needle}");
        }
        let err =
            RuntimeConfig::load(Path::new("."), Some(Path::new("/no/such.toml"))).unwrap_err();
        assert!(err.to_string().contains("/no/such.toml"));
    }
}
