//! The HTTP trigger: routes requests to components, adds Spin's `spin-*` headers, and serves each
//! component through wasmtime's `ProxyHandler`, which reuses WASI 0.3 instances as Spin 4 does.

use crate::app::{App, LoadedComponent};
use crate::routes::{RouteMatch, Router};
use crate::state::InstanceState;
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wasmtime::component::GuestTaskId;
use wasmtime::{Store, StoreContextMut};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyHandler, ShouldAccept, WorkerExpiration, WorkerState, WorkerStatus,
};

/// A response body as the server sends it.
pub type Body = wasmtime_wasi_http::WasiBody;

/// Spin's instance reuse settings (`--max-instance-reuse-count` and friends).
#[derive(Debug, Clone, Copy)]
pub struct ReuseConfig {
    /// Requests one instance serves before it is dropped.
    pub max_instance_reuse_count: usize,
    /// Requests one instance serves at once.
    pub max_instance_concurrent_reuse_count: usize,
    /// How long an idle instance is kept.
    pub idle_instance_timeout: Duration,
    /// How long a request may take.
    pub request_timeout: Option<Duration>,
}

impl Default for ReuseConfig {
    fn default() -> Self {
        Self {
            max_instance_reuse_count: 128,
            max_instance_concurrent_reuse_count: 16,
            idle_instance_timeout: Duration::from_secs(1),
            request_timeout: None,
        }
    }
}

/// One `ProxyHandler` per component.
#[derive(Clone)]
pub struct Handlers {
    handlers: Arc<HashMap<String, ProxyHandler<ComponentHandler>>>,
}

/// Creates instances of one component for its `ProxyHandler`.
pub struct ComponentHandler {
    app: Arc<App>,
    component: Arc<LoadedComponent>,
    reuse: ReuseConfig,
}

impl Handlers {
    /// Handlers for every component of the app.
    pub fn new(app: &Arc<App>, reuse: ReuseConfig) -> Self {
        let handlers = app
            .components
            .values()
            .filter(|component| component.http.is_some())
            .map(|component| {
                let state = ComponentHandler {
                    app: app.clone(),
                    component: component.clone(),
                    reuse,
                };
                (component.id.clone(), ProxyHandler::new(state))
            })
            .collect();
        Self {
            handlers: Arc::new(handlers),
        }
    }

    /// Sends a request to a component, as the HTTP trigger or service chaining does.
    pub async fn handle(
        &self,
        component: &str,
        request: Request<Body>,
    ) -> anyhow::Result<Response<Body>> {
        let handler = self
            .handlers
            .get(component)
            .ok_or_else(|| anyhow::anyhow!("no component '{component}'"))?;
        handler
            .handle((), request)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    }

    /// Service chaining (`http://COMPONENT.spin.internal/...`), which Spin routes in-process.
    pub async fn handle_internal(
        &self,
        component: &str,
        request: Request<Body>,
    ) -> anyhow::Result<Response<Body>> {
        self.handle(component, request).await
    }
}

impl HandlerState for ComponentHandler {
    type StoreData = InstanceState;
    type WorkerExpiration = Expiration;
    type WorkerState = Worker;

    async fn instantiate(&self) -> wasmtime::Result<Instance<InstanceState, Expiration, Worker>> {
        let mut store = self
            .app
            .new_store(&self.component)
            .map_err(|e| wasmtime::format_err!("{e:#}"))?;
        let pre = self.component.http.as_ref().ok_or_else(|| {
            wasmtime::format_err!("component '{}' is not an HTTP handler", self.component.id)
        })?;
        let proxy = pre.instantiate_async(&mut store).await?;
        let request_timeout = self.reuse.request_timeout.unwrap_or(Duration::MAX);
        Ok(Instance {
            store,
            proxy,
            view: |state: &mut InstanceState| wasmtime_wasi_http::WasiHttpView::http(state),
            expiration: Expiration {
                idle_timeout: self.reuse.idle_instance_timeout,
                request_timeout,
                sleep: Box::pin(tokio::time::sleep(Duration::from_secs(86_400))),
            },
            state: Worker {
                component: self.component.id.clone(),
                request_timeout,
                max_reuse: self.reuse.max_instance_reuse_count,
                max_concurrent: self.reuse.max_instance_concurrent_reuse_count,
            },
        })
    }
}

/// Set once the server has stopped and its in-flight requests are done. Instances still alive
/// then are dropped with the runtime, which reports them as failed workers: that is shutdown,
/// not a failure to report.
static SHUTTING_DOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks the shutdown (see [`SHUTTING_DOWN`]).
pub fn shutdown_done() {
    SHUTTING_DOWN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Decides when an instance is dropped: idle too long, or a request past its deadline.
pub struct Expiration {
    idle_timeout: Duration,
    request_timeout: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WorkerExpiration for Expiration {
    fn poll(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        let me = self.get_mut();
        let timeout = match status {
            WorkerStatus::Idle => me.idle_timeout,
            WorkerStatus::Requests | WorkerStatus::PostReturn => me.request_timeout,
        };
        let Some(deadline) = start.checked_add(timeout) else {
            return Poll::Pending;
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        if me.sleep.deadline() != deadline {
            me.sleep.as_mut().reset(deadline);
        }
        me.sleep.as_mut().poll(cx)
    }
}

/// How many requests an instance takes, and when a request expires.
pub struct Worker {
    component: String,
    request_timeout: Duration,
    max_reuse: usize,
    max_concurrent: usize,
}

impl WorkerState for Worker {
    type StoreData = InstanceState;
    type RequestData = ();

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= self.max_reuse {
            ShouldAccept::Never
        } else if concurrent >= self.max_concurrent {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    fn on_request_start(
        &self,
        _: StoreContextMut<'_, InstanceState>,
        _: (),
        _: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        if self.request_timeout == Duration::MAX {
            Box::pin(std::future::pending())
        } else {
            Box::pin(tokio::time::sleep(self.request_timeout))
        }
    }

    fn drop(&self, store: Store<InstanceState>, result: wasmtime::Result<()>) {
        if let Err(error) = result
            && !SHUTTING_DOWN.load(std::sync::atomic::Ordering::Relaxed)
        {
            eprintln!("component '{}' instance failed: {error:#}", self.component);
        }
        drop(store);
    }
}

/// The trigger: a router over the handlers.
pub struct HttpTrigger {
    router: Router,
    handlers: Handlers,
    listen: SocketAddr,
}

impl HttpTrigger {
    /// A trigger serving `router` on `listen`.
    pub fn new(router: Router, handlers: Handlers, listen: SocketAddr) -> Self {
        Self {
            router,
            handlers,
            listen,
        }
    }

    /// Handles one request from a client at `client`.
    pub async fn serve_request(
        &self,
        request: Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> Response<Body> {
        match self.dispatch(request, client).await {
            Ok(response) => response,
            Err(error) => {
                eprintln!("{error:#}");
                status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    async fn dispatch(
        &self,
        request: Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> anyhow::Result<Response<Body>> {
        let path = request.uri().path().to_owned();
        let Some(matched) = self.router.route(&path) else {
            return Ok(status(StatusCode::NOT_FOUND));
        };
        let component = matched.route.component.clone();
        let request = self.prepare(request, &matched, client)?;
        self.handlers.handle(&component, request).await
    }

    /// Makes the URI absolute and adds the `spin-*` headers, as Spin does.
    fn prepare(
        &self,
        request: Request<hyper::body::Incoming>,
        matched: &RouteMatch<'_>,
        client: SocketAddr,
    ) -> anyhow::Result<Request<Body>> {
        let (mut parts, body) = request.into_parts();
        let authority = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| self.listen.to_string());
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let full_url = format!("http://{authority}{path_and_query}");
        parts.uri = full_url.parse::<Uri>()?;
        let route = matched.route;
        let headers = [
            ("spin-full-url", full_url.as_str()),
            ("spin-path-info", matched.path_info.as_str()),
            ("spin-matched-route", route.raw.as_str()),
            ("spin-raw-component-route", route.raw.as_str()),
            ("spin-component-route", route.prefix.as_str()),
            ("spin-base-path", "/"),
        ];
        for (name, value) in headers {
            parts.headers.insert(name, HeaderValue::from_str(value)?);
        }
        parts.headers.insert(
            "spin-client-addr",
            HeaderValue::from_str(&client.to_string())?,
        );
        let body = Lingering(Some(body)).map_err(wasmtime_wasi_http::Error::from);
        Ok(Request::from_parts(parts, body.boxed_unsync()))
    }
}

/// How much of a request body a component left unread is still read after it answered.
const LINGER_BYTES: usize = 16 << 20;
/// How long that reading may take.
const LINGER_TIME: Duration = Duration::from_secs(5);

/// A request body that, dropped before its end (a component answered without reading it all,
/// as a 401 or a 413 does), is read to its end in the background, up to [`LINGER_BYTES`] and
/// [`LINGER_TIME`]. Closing the connection with the client's bytes unread would reset it, and
/// a client still sending would get a broken pipe instead of the component's answer.
struct Lingering(Option<hyper::body::Incoming>);

impl hyper::body::Body for Lingering {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, hyper::Error>>> {
        match self.0.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0.as_ref().is_none_or(|body| body.is_end_stream())
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.0
            .as_ref()
            .map(|body| body.size_hint())
            .unwrap_or_else(|| hyper::body::SizeHint::with_exact(0))
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(mut body) = self.0.take() else {
            return;
        };
        if hyper::body::Body::is_end_stream(&body) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let mut left = LINGER_BYTES;
            let drain = async {
                while let Some(Ok(frame)) = body.frame().await {
                    let read = frame.data_ref().map_or(0, |data| data.len());
                    left = left.saturating_sub(read);
                    if left == 0 {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(LINGER_TIME, drain).await;
        });
    }
}

/// An empty response with a status.
pub fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Empty::new().map_err(|never| match never {}).boxed_unsync());
    *response.status_mut() = code;
    response
}
