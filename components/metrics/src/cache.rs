//! The dashboards' rendered responses in Spin's `default` key-value store: a separate
//! store from the metrics' database, so keeping a response never waits for a refresh's
//! write transaction.

use spin_sdk::key_value::Store;

/// The `default` store, or nothing if this component may not open it (then every read
/// is rendered).
pub struct KvCache(Option<Store>);

impl KvCache {
    /// Opens the `default` store.
    pub async fn open() -> KvCache {
        match Store::open_default().await {
            Ok(store) => KvCache(Some(store)),
            Err(e) => {
                eprintln!("metrics: responses are not cached: key-value store 'default': {e:?}");
                KvCache(None)
            }
        }
    }
}

impl metrics::ResponseCache for KvCache {
    async fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        let store = self.0.as_ref()?;
        store.get(key).await.unwrap_or_else(|e| warn("get", key, e))
    }

    async fn put(&mut self, key: &str, value: &[u8]) {
        if let Some(store) = &self.0
            && let Err(e) = store.set(key, value).await
        {
            warn::<()>("set", key, e);
        }
    }

    async fn remove_all(&mut self, prefix: &str) {
        let Some(store) = &self.0 else { return };
        let keys = match store.get_keys().await.collect().await {
            Ok(keys) => keys,
            Err(e) => return warn("list", prefix, e),
        };
        for key in keys.iter().filter(|k| k.starts_with(prefix)) {
            if let Err(e) = store.delete(key).await {
                warn::<()>("delete", key, e);
            }
        }
    }
}

/// Logs a failed cache operation; the read goes on without it.
fn warn<T: Default>(operation: &str, key: &str, error: spin_sdk::key_value::Error) -> T {
    eprintln!("metrics: response cache {operation} {key}: {error:?}");
    T::default()
}
