//! `spin:sqlite/sqlite@3.1.0` over the `libsql` crate: embedded files, memory, or remote libSQL.

use crate::bindings::sqlite::{self, Error, QueryResult, RowResult, Value};
use crate::runtime_config::SqliteLocation;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::OnceCell;
use wasmtime::component::{Accessor, FutureReader, HasData, Resource, StreamReader};

/// A guest opens at most this many connections at once.
const MAX_CONNECTIONS: usize = 256;

/// How long an embedded connection waits for another's lock (rusqlite's default, which Spin uses).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Every database the app may use, opened lazily and shared by all instances.
pub struct Databases {
    databases: BTreeMap<String, Database>,
}

struct Database {
    location: SqliteLocation,
    opened: OnceCell<libsql::Database>,
}

impl Databases {
    /// Databases at the given locations; nothing is opened until a guest asks.
    pub fn new(locations: &BTreeMap<String, SqliteLocation>) -> Self {
        let databases = locations
            .iter()
            .map(|(name, location)| {
                let db = Database {
                    location: location.clone(),
                    opened: OnceCell::new(),
                };
                (name.clone(), db)
            })
            .collect();
        Self { databases }
    }

    /// Whether a database of that name is configured.
    pub fn contains(&self, name: &str) -> bool {
        self.databases.contains_key(name)
    }

    /// A new connection to a database. Embedded connections wait up to 5 s for a lock, as
    /// Spin's do; a remote database does not connect until the first query.
    pub async fn connect(&self, name: &str) -> Result<libsql::Connection, Error> {
        let db = self.databases.get(name).ok_or(Error::NoSuchDatabase)?;
        let database = db
            .opened
            .get_or_try_init(|| open(&db.location))
            .await
            .map_err(|e| Error::Io(e.to_string()))?;
        let conn = database.connect().map_err(io_error)?;
        if !matches!(db.location, SqliteLocation::Remote { .. }) {
            conn.busy_timeout(BUSY_TIMEOUT).map_err(io_error)?;
        }
        Ok(conn)
    }

    /// Runs `--sqlite` statements against the `default` database before serving.
    pub async fn execute_batch(&self, name: &str, sql: &str) -> anyhow::Result<()> {
        let conn = self
            .connect(name)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open database '{name}': {e:?}"))?;
        conn.execute_batch(sql)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}

async fn open(location: &SqliteLocation) -> Result<libsql::Database, libsql::Error> {
    match location {
        SqliteLocation::File(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    libsql::Error::ConnectionFailed(format!("{}: {e}", dir.display()))
                })?;
            }
            libsql::Builder::new_local(path).build().await
        }
        SqliteLocation::Memory => libsql::Builder::new_local(":memory:").build().await,
        SqliteLocation::Remote { url, token } => {
            libsql::Builder::new_remote(url.clone(), token.clone())
                .build()
                .await
        }
    }
}

/// One instance's view of SQLite: what it may open and what it has open.
pub struct SqliteState {
    databases: Arc<Databases>,
    allowed: Arc<HashSet<String>>,
    connections: HashMap<u32, libsql::Connection>,
    next_id: u32,
}

impl SqliteState {
    /// A fresh state for one instance of a component allowed `allowed`.
    pub fn new(databases: Arc<Databases>, allowed: Arc<HashSet<String>>) -> Self {
        Self {
            databases,
            allowed,
            connections: HashMap::new(),
            next_id: 0,
        }
    }

    fn connection(
        &self,
        resource: &Resource<sqlite::Connection>,
    ) -> Result<libsql::Connection, Error> {
        self.connections
            .get(&resource.rep())
            .cloned()
            .ok_or(Error::InvalidConnection)
    }

    fn check_open(&self, database: &str) -> Result<Arc<Databases>, Error> {
        if !self.allowed.contains(database) {
            return Err(Error::AccessDenied);
        }
        if !self.databases.contains(database) {
            return Err(Error::NoSuchDatabase);
        }
        if self.connections.len() >= MAX_CONNECTIONS {
            return Err(Error::Io("too many connections opened".into()));
        }
        Ok(self.databases.clone())
    }

    fn insert(&mut self, conn: libsql::Connection) -> Resource<sqlite::Connection> {
        self.next_id = self.next_id.wrapping_add(1);
        self.connections.insert(self.next_id, conn);
        Resource::new_own(self.next_id)
    }
}

impl HasData for SqliteState {
    type Data<'a> = &'a mut SqliteState;
}

fn io_error(e: libsql::Error) -> Error {
    match e {
        // SQLITE_FULL
        libsql::Error::SqliteFailure(13, _) => Error::DatabaseFull,
        other => Error::Io(other.to_string()),
    }
}

fn to_libsql(value: Value) -> libsql::Value {
    match value {
        Value::Integer(i) => libsql::Value::Integer(i),
        Value::Real(f) => libsql::Value::Real(f),
        Value::Text(s) => libsql::Value::Text(s),
        Value::Blob(b) => libsql::Value::Blob(b),
        Value::Null => libsql::Value::Null,
    }
}

fn from_libsql(value: libsql::Value) -> Value {
    match value {
        libsql::Value::Integer(i) => Value::Integer(i),
        libsql::Value::Real(f) => Value::Real(f),
        libsql::Value::Text(s) => Value::Text(s),
        libsql::Value::Blob(b) => Value::Blob(b),
        libsql::Value::Null => Value::Null,
    }
}

/// Runs one statement and buffers its rows, as Spin does. Embedded SQLite works (and waits for
/// locks) synchronously, so it runs on a blocking thread, never on the server's workers.
async fn query(
    conn: &libsql::Connection,
    statement: &str,
    parameters: Vec<Value>,
) -> Result<QueryResult, Error> {
    let conn = conn.clone();
    let statement = statement.to_owned();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(query_now(&conn, &statement, parameters)))
        .await
        .map_err(|e| Error::Io(format!("query task failed: {e}")))?
}

async fn query_now(
    conn: &libsql::Connection,
    statement: &str,
    parameters: Vec<Value>,
) -> Result<QueryResult, Error> {
    let params: Vec<libsql::Value> = parameters.into_iter().map(to_libsql).collect();
    let mut rows = conn.query(statement, params).await.map_err(io_error)?;
    let count = rows.column_count();
    let columns = (0..count)
        .map(|i| rows.column_name(i).unwrap_or_default().to_owned())
        .collect();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.map_err(io_error)? {
        let values = (0..count)
            .map(|i| row.get_value(i).map(from_libsql).map_err(io_error))
            .collect::<Result<_, _>>()?;
        out.push(RowResult { values });
    }
    Ok(QueryResult { columns, rows: out })
}

impl sqlite::Host for SqliteState {}

impl sqlite::HostConnection for SqliteState {
    async fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<sqlite::Connection>, Error>> {
        let databases = match self.check_open(&database) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        Ok(databases.connect(&database).await.map(|c| self.insert(c)))
    }

    async fn execute(
        &mut self,
        connection: Resource<sqlite::Connection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<Result<QueryResult, Error>> {
        let conn = match self.connection(&connection) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(query(&conn, &statement, parameters).await)
    }

    async fn last_insert_rowid(
        &mut self,
        connection: Resource<sqlite::Connection>,
    ) -> wasmtime::Result<i64> {
        Ok(self
            .connection(&connection)
            .map(|c| c.last_insert_rowid())
            .unwrap_or(0))
    }

    async fn changes(&mut self, connection: Resource<sqlite::Connection>) -> wasmtime::Result<u64> {
        Ok(self
            .connection(&connection)
            .map(|c| c.changes())
            .unwrap_or(0))
    }

    async fn drop(&mut self, connection: Resource<sqlite::Connection>) -> wasmtime::Result<()> {
        self.connections.remove(&connection.rep());
        Ok(())
    }
}

impl<T> sqlite::HostConnectionWithStore<T> for SqliteState {
    async fn open_async(
        accessor: &Accessor<T, Self>,
        database: String,
    ) -> wasmtime::Result<Result<Resource<sqlite::Connection>, Error>> {
        let databases = match accessor.with(|mut a| a.get().check_open(&database)) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let conn = match databases.connect(&database).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(accessor.with(|mut a| a.get().insert(conn))))
    }

    async fn execute_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<sqlite::Connection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<
        Result<
            (
                Vec<String>,
                StreamReader<RowResult>,
                FutureReader<Result<(), Error>>,
            ),
            Error,
        >,
    > {
        let conn = match accessor.with(|mut a| a.get().connection(&connection)) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let result = match query(&conn, &statement, parameters).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        accessor.with(|mut a| {
            let rows = StreamReader::new(&mut a, result.rows)?;
            let done = FutureReader::new(&mut a, async {
                wasmtime::Result::<Result<(), Error>>::Ok(Ok(()))
            })?;
            Ok(Ok((result.columns, rows, done)))
        })
    }

    async fn last_insert_rowid_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<sqlite::Connection>,
    ) -> wasmtime::Result<i64> {
        Ok(accessor.with(|mut a| {
            a.get()
                .connection(&connection)
                .map(|c| c.last_insert_rowid())
                .unwrap_or(0)
        }))
    }

    async fn changes_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<sqlite::Connection>,
    ) -> wasmtime::Result<u64> {
        Ok(accessor.with(|mut a| {
            a.get()
                .connection(&connection)
                .map(|c| c.changes())
                .unwrap_or(0)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlite::HostConnection as _;

    fn state(allowed: &[&str]) -> SqliteState {
        let mut locations = BTreeMap::new();
        locations.insert("default".to_owned(), SqliteLocation::Memory);
        locations.insert("other".to_owned(), SqliteLocation::Memory);
        let allowed = allowed.iter().map(|s| s.to_string()).collect();
        SqliteState::new(Arc::new(Databases::new(&locations)), Arc::new(allowed))
    }

    #[tokio::test]
    async fn the_synchronous_interface_reads_writes_and_reports_errors() {
        let mut s = state(&["default", "missing"]);
        let conn = s.open("default".into()).await.unwrap().unwrap();
        let conn = Resource::<sqlite::Connection>::new_own(conn.rep());
        let run = |sql: &str, params: Vec<Value>| (sql.to_owned(), params);
        for (sql, params) in [
            run(
                "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)",
                vec![],
            ),
            run(
                "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                vec![
                    Value::Integer(7),
                    Value::Real(1.5),
                    Value::Text("x".into()),
                    Value::Blob(vec![1, 2]),
                    Value::Null,
                ],
            ),
        ] {
            let reused = Resource::new_own(conn.rep());
            s.execute(reused, sql, params).await.unwrap().unwrap();
        }
        assert_eq!(s.changes(Resource::new_own(conn.rep())).await.unwrap(), 1);
        assert_eq!(
            s.last_insert_rowid(Resource::new_own(conn.rep()))
                .await
                .unwrap(),
            1
        );
        let result = s
            .execute(
                Resource::new_own(conn.rep()),
                "SELECT * FROM t".into(),
                vec![],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(result.columns, ["i", "r", "s", "b", "n"]);
        assert!(matches!(
            result.rows[0].values.as_slice(),
            [Value::Integer(7), Value::Real(r), Value::Text(t), Value::Blob(b), Value::Null]
                if *r == 1.5 && t == "x" && b == &[1, 2]
        ));
        let err = s
            .execute(Resource::new_own(conn.rep()), "SELEC".into(), vec![])
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, Error::Io(m) if m.contains("syntax error")));

        // Access rules: not listed, listed but not configured, a closed handle.
        assert!(matches!(
            s.open("other".into()).await.unwrap(),
            Err(Error::AccessDenied)
        ));
        assert!(matches!(
            s.open("missing".into()).await.unwrap(),
            Err(Error::NoSuchDatabase)
        ));
        s.drop(Resource::new_own(conn.rep())).await.unwrap();
        let closed = s.execute(Resource::new_own(conn.rep()), "SELECT 1".into(), vec![]);
        assert!(matches!(
            closed.await.unwrap(),
            Err(Error::InvalidConnection)
        ));
        assert_eq!(s.changes(Resource::new_own(conn.rep())).await.unwrap(), 0);
        assert_eq!(
            s.last_insert_rowid(Resource::new_own(conn.rep()))
                .await
                .unwrap(),
            0
        );
    }

    #[tokio::test]
    async fn databases_are_files_created_on_first_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/db.sqlite");
        let mut locations = BTreeMap::new();
        locations.insert("default".to_owned(), SqliteLocation::File(path.clone()));
        let dbs = Databases::new(&locations);
        assert!(!path.exists());
        dbs.execute_batch("default", "CREATE TABLE x (v); INSERT INTO x VALUES (1);")
            .await
            .unwrap();
        assert!(path.exists());
        let err = dbs.execute_batch("default", "NOT SQL").await.unwrap_err();
        assert!(err.to_string().contains("syntax error"), "{err}");
        let err = dbs.execute_batch("nope", "SELECT 1").await.unwrap_err();
        assert!(err.to_string().contains("NoSuchDatabase"), "{err}");
    }

    #[test]
    fn sqlite_full_is_reported_as_database_full() {
        let full = libsql::Error::SqliteFailure(13, "database or disk is full".into());
        assert!(matches!(io_error(full), Error::DatabaseFull));
        assert!(matches!(
            io_error(libsql::Error::Misuse("x".into())),
            Error::Io(_)
        ));
    }
}
