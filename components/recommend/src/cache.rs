//! The decoded indexes and the catalog rows read since the last fold (`recommend::IndexCache`),
//! kept in a thread-local between the requests one instance serves (Spin reuses an instance
//! for up to 128 requests, 16 at once).

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use recommend::IndexCache;

thread_local! {
    static CACHE: RefCell<Option<IndexCache>> = const { RefCell::new(None) };
}

/// The instance's [`IndexCache`], taken for one request and put back when dropped (on
/// success or error). A request running while another holds it gets an empty cache of its
/// own; whichever is put back last is kept. No borrow is ever held across an `await`.
pub struct CacheGuard(Option<IndexCache>);

impl CacheGuard {
    /// Takes the cache (or a new one).
    pub fn take() -> CacheGuard {
        CacheGuard(Some(CACHE.take().unwrap_or_default()))
    }
}

impl Deref for CacheGuard {
    type Target = IndexCache;

    fn deref(&self) -> &IndexCache {
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl DerefMut for CacheGuard {
    fn deref_mut(&mut self) -> &mut IndexCache {
        self.0
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for CacheGuard {
    fn drop(&mut self) {
        if let Some(cache) = self.0.take() {
            CACHE.set(Some(cache));
        }
    }
}
