//! `spin:key-value/key-value@3.0.0`: stores kept in SQLite files (or memory), as Spin keeps its
//! default store.

use crate::bindings::key_value::{self, Error};
use crate::runtime_config::KeyValueLocation;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::OnceCell;
use wasmtime::component::{Accessor, FutureReader, HasData, Resource, StreamReader};

/// Every key-value store of the app, opened lazily and shared by all instances.
pub struct Stores {
    stores: BTreeMap<String, Store>,
}

struct Store {
    location: KeyValueLocation,
    opened: OnceCell<libsql::Connection>,
}

/// A handle to one opened store.
#[derive(Clone)]
pub struct StoreHandle {
    name: String,
    conn: libsql::Connection,
}

impl Stores {
    /// Stores at the given locations; nothing is opened until a guest asks.
    pub fn new(locations: &BTreeMap<String, KeyValueLocation>) -> Self {
        let stores = locations
            .iter()
            .map(|(name, location)| {
                let store = Store {
                    location: location.clone(),
                    opened: OnceCell::new(),
                };
                (name.clone(), store)
            })
            .collect();
        Self { stores }
    }

    /// Opens a store by name.
    pub async fn open(&self, name: &str) -> Result<StoreHandle, Error> {
        let store = self.stores.get(name).ok_or(Error::NoSuchStore)?;
        let conn = store
            .opened
            .get_or_try_init(|| open(&store.location))
            .await
            .map_err(|e| Error::Other(e.to_string()))?;
        Ok(StoreHandle {
            name: name.to_owned(),
            conn: conn.clone(),
        })
    }
}

async fn open(location: &KeyValueLocation) -> Result<libsql::Connection, libsql::Error> {
    let db = match location {
        KeyValueLocation::File(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    libsql::Error::ConnectionFailed(format!("{}: {e}", dir.display()))
                })?;
            }
            libsql::Builder::new_local(path).build().await?
        }
        KeyValueLocation::Memory => libsql::Builder::new_local(":memory:").build().await?,
    };
    let conn = db.connect()?;
    conn.execute_batch(
        "PRAGMA busy_timeout = 5000;
         CREATE TABLE IF NOT EXISTS spin_key_value (
           store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
           PRIMARY KEY (store, key));",
    )
    .await?;
    Ok(conn)
}

fn other(e: libsql::Error) -> Error {
    Error::Other(e.to_string())
}

impl StoreHandle {
    /// The value of a key.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let mut rows = self
            .conn
            .query(
                "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                (self.name.as_str(), key),
            )
            .await
            .map_err(other)?;
        match rows.next().await.map_err(other)? {
            Some(row) => Ok(Some(row.get::<Vec<u8>>(0).map_err(other)?)),
            None => Ok(None),
        }
    }

    /// Sets a key.
    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                (self.name.as_str(), key, value.to_vec()),
            )
            .await
            .map_err(other)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.conn
            .execute(
                "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
                (self.name.as_str(), key),
            )
            .await
            .map_err(other)?;
        Ok(())
    }

    async fn keys(&self) -> Result<Vec<String>, Error> {
        let mut rows = self
            .conn
            .query(
                "SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key",
                [self.name.as_str()],
            )
            .await
            .map_err(other)?;
        let mut keys = Vec::new();
        while let Some(row) = rows.next().await.map_err(other)? {
            keys.push(row.get::<String>(0).map_err(other)?);
        }
        Ok(keys)
    }
}

/// One instance's view of key-value: what it may open and what it has open.
pub struct KeyValueState {
    stores: Arc<Stores>,
    allowed: Arc<HashSet<String>>,
    open: HashMap<u32, StoreHandle>,
    next_id: u32,
}

impl KeyValueState {
    /// A fresh state for one instance of a component allowed `allowed`.
    pub fn new(stores: Arc<Stores>, allowed: Arc<HashSet<String>>) -> Self {
        Self {
            stores,
            allowed,
            open: HashMap::new(),
            next_id: 0,
        }
    }

    fn handle(&self, store: &Resource<key_value::Store>) -> wasmtime::Result<StoreHandle> {
        self.open
            .get(&store.rep())
            .cloned()
            .ok_or_else(|| wasmtime::format_err!("unknown key-value store handle"))
    }
}

impl HasData for KeyValueState {
    type Data<'a> = &'a mut KeyValueState;
}

impl key_value::Host for KeyValueState {}

impl key_value::HostStore for KeyValueState {
    async fn drop(&mut self, store: Resource<key_value::Store>) -> wasmtime::Result<()> {
        self.open.remove(&store.rep());
        Ok(())
    }
}

type KvResult<T> = wasmtime::Result<Result<T, Error>>;

impl<T> key_value::HostStoreWithStore<T> for KeyValueState {
    async fn open(
        accessor: &Accessor<T, Self>,
        label: String,
    ) -> KvResult<Resource<key_value::Store>> {
        let stores = accessor.with(|mut a| {
            let state = a.get();
            state.allowed.contains(&label).then(|| state.stores.clone())
        });
        let Some(stores) = stores else {
            return Ok(Err(Error::AccessDenied));
        };
        let handle = match stores.open(&label).await {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(accessor.with(|mut a| {
            let state = a.get();
            state.next_id = state.next_id.wrapping_add(1);
            state.open.insert(state.next_id, handle);
            Resource::new_own(state.next_id)
        })))
    }

    async fn get(
        accessor: &Accessor<T, Self>,
        store: Resource<key_value::Store>,
        key: String,
    ) -> KvResult<Option<Vec<u8>>> {
        let handle = accessor.with(|mut a| a.get().handle(&store))?;
        Ok(handle.get(&key).await)
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        store: Resource<key_value::Store>,
        key: String,
        value: Vec<u8>,
    ) -> KvResult<()> {
        let handle = accessor.with(|mut a| a.get().handle(&store))?;
        Ok(handle.set(&key, &value).await)
    }

    async fn delete(
        accessor: &Accessor<T, Self>,
        store: Resource<key_value::Store>,
        key: String,
    ) -> KvResult<()> {
        let handle = accessor.with(|mut a| a.get().handle(&store))?;
        Ok(handle.delete(&key).await)
    }

    async fn exists(
        accessor: &Accessor<T, Self>,
        store: Resource<key_value::Store>,
        key: String,
    ) -> KvResult<bool> {
        let handle = accessor.with(|mut a| a.get().handle(&store))?;
        Ok(handle.get(&key).await.map(|v| v.is_some()))
    }

    async fn get_keys(
        accessor: &Accessor<T, Self>,
        store: Resource<key_value::Store>,
    ) -> wasmtime::Result<(StreamReader<String>, FutureReader<Result<(), Error>>)> {
        let handle = accessor.with(|mut a| a.get().handle(&store))?;
        let (keys, result) = match handle.keys().await {
            Ok(keys) => (keys, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        };
        accessor.with(|mut a| {
            let keys = StreamReader::new(&mut a, keys)?;
            let done = FutureReader::new(&mut a, async move {
                wasmtime::Result::<Result<(), Error>>::Ok(result)
            })?;
            Ok((keys, done))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_keep_keys_apart_and_persist_in_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut locations = BTreeMap::new();
        locations.insert(
            "default".to_owned(),
            KeyValueLocation::File(dir.path().join("kv.db")),
        );
        locations.insert("cache".to_owned(), KeyValueLocation::Memory);
        let stores = Stores::new(&locations);
        let default = stores.open("default").await.unwrap();
        let cache = stores.open("cache").await.unwrap();
        default.set("b", b"2").await.unwrap();
        default.set("a", b"1").await.unwrap();
        default.set("a", b"one").await.unwrap();
        cache.set("a", b"cached").await.unwrap();
        assert_eq!(default.get("a").await.unwrap(), Some(b"one".to_vec()));
        assert_eq!(cache.get("a").await.unwrap(), Some(b"cached".to_vec()));
        assert_eq!(default.keys().await.unwrap(), ["a", "b"]);
        default.delete("a").await.unwrap();
        assert_eq!(default.get("a").await.unwrap(), None);
        assert!(matches!(stores.open("nope").await, Err(Error::NoSuchStore)));

        // A second `Stores` over the same file sees the data, as after a restart.
        let again = Stores::new(&locations).open("default").await.unwrap();
        assert_eq!(again.get("b").await.unwrap(), Some(b"2".to_vec()));
    }

    #[tokio::test]
    async fn handles_are_per_instance() {
        let stores = Arc::new(Stores::new(&BTreeMap::new()));
        let mut state = KeyValueState::new(stores, Arc::new(HashSet::new()));
        let unknown = Resource::<key_value::Store>::new_own(42);
        assert!(state.handle(&unknown).is_err());
        key_value::HostStore::drop(&mut state, unknown)
            .await
            .unwrap();
    }
}
