//! `spin:key-value/key-value@3.0.0` and `wasi:keyvalue/store@0.2.0-draft2`, two views of the same
//! stores, kept in SQLite files (or memory) as Spin keeps its default store.

use crate::bindings::key_value::{self, Error};
use crate::bindings::wasi_key_value as wasi;
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

    async fn exists(&self, key: &str) -> Result<bool, Error> {
        Ok(self.get(key).await?.is_some())
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

    /// The store behind a handle of either interface; an unknown handle is a host bug, so a trap.
    fn handle<R: 'static>(&self, store: &Resource<R>) -> wasmtime::Result<StoreHandle> {
        self.open
            .get(&store.rep())
            .cloned()
            .ok_or_else(|| wasmtime::format_err!("unknown key-value store handle"))
    }

    /// The stores, if this component lists `label` in its `key_value_stores`.
    fn check_open(&self, label: &str) -> Result<Arc<Stores>, Error> {
        if self.allowed.contains(label) {
            Ok(self.stores.clone())
        } else {
            Err(Error::AccessDenied)
        }
    }

    fn insert<R: 'static>(&mut self, handle: StoreHandle) -> Resource<R> {
        self.next_id = self.next_id.wrapping_add(1);
        self.open.insert(self.next_id, handle);
        Resource::new_own(self.next_id)
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
        let stores = match accessor.with(|mut a| a.get().check_open(&label)) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let handle = match stores.open(&label).await {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(accessor.with(|mut a| a.get().insert(handle))))
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
        Ok(handle.exists(&key).await)
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

/// As Spin maps `spin:key-value` errors to `wasi:keyvalue` ones.
fn wasi_error(e: Error) -> wasi::Error {
    match e {
        Error::StoreTableFull => wasi::Error::Other("store table full".to_owned()),
        Error::NoSuchStore => wasi::Error::NoSuchStore,
        Error::AccessDenied => wasi::Error::AccessDenied,
        Error::Other(m) => wasi::Error::Other(m),
    }
}

type WasiResult<T> = wasmtime::Result<Result<T, wasi::Error>>;

// Synchronous in WIT (the guest waits for each call), served by async host functions.
impl wasi::Host for KeyValueState {
    async fn open(&mut self, identifier: String) -> WasiResult<Resource<wasi::Bucket>> {
        let stores = match self.check_open(&identifier) {
            Ok(s) => s,
            Err(e) => return Ok(Err(wasi_error(e))),
        };
        Ok(stores
            .open(&identifier)
            .await
            .map(|h| self.insert(h))
            .map_err(wasi_error))
    }
}

impl wasi::HostBucket for KeyValueState {
    async fn get(
        &mut self,
        bucket: Resource<wasi::Bucket>,
        key: String,
    ) -> WasiResult<Option<Vec<u8>>> {
        Ok(self.handle(&bucket)?.get(&key).await.map_err(wasi_error))
    }

    async fn set(
        &mut self,
        bucket: Resource<wasi::Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> WasiResult<()> {
        let handle = self.handle(&bucket)?;
        Ok(handle.set(&key, &value).await.map_err(wasi_error))
    }

    async fn delete(&mut self, bucket: Resource<wasi::Bucket>, key: String) -> WasiResult<()> {
        Ok(self.handle(&bucket)?.delete(&key).await.map_err(wasi_error))
    }

    async fn exists(&mut self, bucket: Resource<wasi::Bucket>, key: String) -> WasiResult<bool> {
        Ok(self.handle(&bucket)?.exists(&key).await.map_err(wasi_error))
    }

    // Spin returns every key in one response and accepts no cursor.
    async fn list_keys(
        &mut self,
        bucket: Resource<wasi::Bucket>,
        cursor: Option<String>,
    ) -> WasiResult<wasi::KeyResponse> {
        if cursor.is_some() {
            let message = "list_keys: cursor not supported".to_owned();
            return Ok(Err(wasi::Error::Other(message)));
        }
        let keys = self.handle(&bucket)?.keys().await;
        Ok(keys
            .map(|keys| wasi::KeyResponse { keys, cursor: None })
            .map_err(wasi_error))
    }

    async fn drop(&mut self, bucket: Resource<wasi::Bucket>) -> wasmtime::Result<()> {
        self.open.remove(&bucket.rep());
        Ok(())
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

    /// An instance allowed `allowed`, with stores `default` and `cache` defined.
    fn state(allowed: &[&str]) -> KeyValueState {
        let mut locations = BTreeMap::new();
        locations.insert("default".to_owned(), KeyValueLocation::Memory);
        locations.insert("cache".to_owned(), KeyValueLocation::Memory);
        let allowed = allowed.iter().map(|s| s.to_string()).collect();
        KeyValueState::new(Arc::new(Stores::new(&locations)), Arc::new(allowed))
    }

    fn bucket(rep: u32) -> Resource<wasi::Bucket> {
        Resource::new_own(rep)
    }

    /// The value of a call that neither trapped nor failed.
    fn ok<T>(r: WasiResult<T>) -> T {
        r.unwrap().unwrap()
    }

    #[tokio::test]
    async fn wasi_open_denies_unlisted_stores_and_reports_undefined_ones() {
        let mut s = state(&["default", "missing"]);
        let denied = wasi::Host::open(&mut s, "cache".into()).await.unwrap();
        assert!(matches!(denied, Err(wasi::Error::AccessDenied)));
        let undefined = wasi::Host::open(&mut s, "missing".into()).await.unwrap();
        assert!(matches!(undefined, Err(wasi::Error::NoSuchStore)));
        ok(wasi::Host::open(&mut s, "default".into()).await);
    }

    #[tokio::test]
    async fn wasi_bucket_reads_writes_lists_and_frees_its_handle() {
        use wasi::HostBucket as B;
        let mut s = state(&["default"]);
        let rep = ok(wasi::Host::open(&mut s, "default".into()).await).rep();
        ok(B::set(&mut s, bucket(rep), "b".into(), b"2".to_vec()).await);
        ok(B::set(&mut s, bucket(rep), "a".into(), b"1".to_vec()).await);
        let got = ok(B::get(&mut s, bucket(rep), "a".into()).await);
        assert_eq!(got, Some(b"1".to_vec()));
        assert!(ok(B::exists(&mut s, bucket(rep), "b".into()).await));
        ok(B::delete(&mut s, bucket(rep), "b".into()).await);
        assert!(!ok(B::exists(&mut s, bucket(rep), "b".into()).await));
        ok(B::set(&mut s, bucket(rep), "c".into(), b"3".to_vec()).await);
        let page = ok(B::list_keys(&mut s, bucket(rep), None).await);
        assert_eq!(page.keys, ["a", "c"]);
        assert_eq!(page.cursor, None);

        let paged = B::list_keys(&mut s, bucket(rep), Some("a".into())).await;
        let cursor_error = "list_keys: cursor not supported";
        assert!(matches!(paged.unwrap(), Err(wasi::Error::Other(m)) if m == cursor_error));

        // A dropped (or never opened) handle traps rather than returning an error.
        B::drop(&mut s, bucket(rep)).await.unwrap();
        assert!(B::get(&mut s, bucket(rep), "a".into()).await.is_err());
    }

    #[tokio::test]
    async fn wasi_and_spin_key_value_see_the_same_data() {
        use key_value::HostStoreWithStore as Spin;
        let mut s = state(&["default"]);
        let b = ok(wasi::Host::open(&mut s, "default".into()).await);
        ok(wasi::HostBucket::set(&mut s, b, "k".into(), b"v".to_vec()).await);

        // The async interface needs an `Accessor`, so it runs in a store, as a guest's call does.
        let mut store = wasmtime::Store::new(&wasmtime::Engine::default(), s);
        let got = store
            .run_concurrent(async |a| {
                let a = a.with_getter::<KeyValueState>(|s| s);
                let store = Spin::open(&a, "default".into()).await?.unwrap();
                Spin::get(&a, store, "k".into()).await
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.unwrap(), Some(b"v".to_vec()));
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
