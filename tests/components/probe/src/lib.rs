//! A test component that exercises every interface the host provides, one path each.

use serde_json::{Value, json};
use spin_sdk::http::{EmptyBody, FullBody, IntoResponse, Request, body::IncomingBodyExt};
use spin_sdk::http_service;
use spin_sdk::key_value::Store;
use spin_sdk::sqlite::{Connection, Value as SqlValue};
use std::sync::atomic::{AtomicU64, Ordering};

wit_bindgen::generate!({ world: "greeter-user", path: "../wit" });

/// Counts requests served by this instance: state in a static lives as long as the instance.
static SERVED: AtomicU64 = AtomicU64::new(0);

type Response = http::Response<String>;

#[http_service]
async fn probe(req: Request) -> anyhow::Result<impl IntoResponse> {
    let served = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
    let path = req
        .headers()
        .get("spin-path-info")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_owned()
    };
    match path.as_str() {
        "/headers" => {
            let headers: serde_json::Map<String, Value> = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or_default())))
                .collect();
            json_response(
                json!({ "uri": req.uri().to_string(), "method": req.method().to_string(), "headers": headers }),
            )
        }
        "/served" => text(200, served.to_string()),
        "/sleep" => {
            let ms: u64 = param("ms").parse().unwrap_or(100);
            spin_sdk::time::sleep(std::time::Duration::from_millis(ms)).await;
            text(200, format!("slept {ms}"))
        }
        "/sqlite/exec" => {
            let db = param("db");
            let sql = String::from_utf8(req.into_body().bytes().await?.to_vec())?;
            match sql_exec(&db, &sql).await {
                Ok(v) => json_response(v),
                Err(e) => text(500, e),
            }
        }
        "/kv" => kv(req, &param("store"), &param("key")).await,
        "/variable" => match spin_sdk::variables::get(param("name")).await {
            Ok(v) => text(200, v),
            Err(e) => text(500, format!("{e:?}")),
        },
        "/chain" => {
            let url = param("url");
            let outbound =
                http::Request::post(url).body(FullBody::new(bytes::Bytes::from("ping")))?;
            match spin_sdk::http::send(outbound).await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let echoed = resp
                        .headers()
                        .get("x-echo-uri")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let body = resp.into_body().bytes().await?;
                    json_response(
                        json!({ "status": status, "echoedUri": echoed, "body": String::from_utf8_lossy(&body) }),
                    )
                }
                Err(e) => text(502, format!("{e:?}")),
            }
        }
        "/llm/embed" => {
            let body = String::from_utf8(req.into_body().bytes().await?.to_vec())?;
            let texts: Vec<String> = body.lines().map(str::to_owned).collect();
            let model = spin_sdk::llm::EmbeddingModel::Other(&param("model"));
            match spin_sdk::llm::generate_embeddings(model, &texts) {
                Ok(result) => json_response(json!({
                    "embeddings": result.embeddings,
                    "promptTokenCount": result.usage.prompt_token_count,
                })),
                Err(e) => llm_error(e),
            }
        }
        "/llm/infer" => {
            let model = spin_sdk::llm::InferencingModel::Other(&param("model"));
            match spin_sdk::llm::infer(model, "Say hello") {
                Ok(result) => text(200, result.text),
                Err(e) => llm_error(e),
            }
        }
        "/greet" => text(200, test::deps::greeter::greet(&param("name"))),
        "/trap" => panic!("the probe was asked to trap"),
        _ => {
            let _ = EmptyBody::new();
            text(404, format!("no probe at {path}"))
        }
    }
}

async fn sql_exec(db: &str, sql: &str) -> Result<Value, String> {
    let conn = Connection::open(db)
        .await
        .map_err(|e| format!("open: {e:?}"))?;
    let mut last = Value::Null;
    for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let mut result = conn
            .execute(statement, Vec::<SqlValue>::new())
            .await
            .map_err(|e| format!("execute: {e:?}"))?;
        let columns = result.columns().to_vec();
        let mut rows = Vec::new();
        while let Some(row) = result.next().await {
            let values: Vec<Value> = (0..columns.len())
                .map(|i| match row.get::<i64>(i) {
                    Some(n) => json!(n),
                    None => row.get::<&str>(i).map(|s| json!(s)).unwrap_or(Value::Null),
                })
                .collect();
            rows.push(values);
        }
        result
            .result()
            .await
            .map_err(|e| format!("result: {e:?}"))?;
        last = json!({ "columns": columns, "rows": rows, "changes": conn.changes().await });
    }
    Ok(last)
}

async fn kv(req: Request, store: &str, key: &str) -> anyhow::Result<Response> {
    let store = match Store::open(store).await {
        Ok(s) => s,
        Err(e) => return text(500, format!("open: {e:?}")),
    };
    match req.method().as_str() {
        "PUT" => {
            let body = req.into_body().bytes().await?;
            store.set(key, &body).await?;
            text(200, "stored".into())
        }
        "DELETE" => {
            store.delete(key).await?;
            text(200, "deleted".into())
        }
        _ => match store.get(key).await? {
            Some(v) => text(200, String::from_utf8_lossy(&v).into_owned()),
            None => text(404, "absent".into()),
        },
    }
}

/// An LLM error as JSON: its WIT case and message.
fn llm_error(error: spin_sdk::llm::Error) -> anyhow::Result<Response> {
    use spin_sdk::llm::Error;
    let (case, message) = match error {
        Error::ModelNotSupported => ("model-not-supported", String::new()),
        Error::RuntimeError(m) => ("runtime-error", m),
        Error::InvalidInput(m) => ("invalid-input", m),
    };
    let body = json!({ "error": case, "message": message }).to_string();
    Ok(http::Response::builder().status(500).body(body)?)
}

fn text(status: u16, body: String) -> anyhow::Result<Response> {
    Ok(http::Response::builder().status(status).body(body)?)
}

fn json_response(value: Value) -> anyhow::Result<Response> {
    Ok(http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(value.to_string())?)
}
