//! GraphQL over HTTP: `POST /graphql` with a JSON body (one operation or a batch) and `GET
//! /graphql?query=...` for queries, with the body limit and the statuses of the GraphQL over
//! HTTP specification (`application/json` responses: errors of execution are 200).

use std::sync::{Arc, OnceLock};

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request, Response, ValidationMode};
use serde_json::json;

use crate::backend::Backend;
use crate::documents::ParsedDocuments;
use crate::loader::{RecommendationLoader, loads_once};
use crate::schema::{Caller, SubgraphSchema, build_schema, default_schema_builder};

/// The largest request body accepted: a router's `_entities` call for hundreds of users
/// fits many times over.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// An HTTP request, as the component received it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The raw query string, for GET.
    pub query_string: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The body (at most [`MAX_BODY_BYTES`]; the component stops reading beyond).
    pub body: &'a [u8],
}

/// The response to send.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    /// The status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// The `Allow` header, on 405.
    pub allow: Option<&'static str>,
}

impl HttpResponse {
    fn error(status: u16, code: &str, message: &str) -> HttpResponse {
        HttpResponse {
            status,
            body: json!({"errors": [{"message": message, "extensions": {"code": code}}]})
                .to_string(),
            allow: None,
        }
    }
}

/// The schema and the backend it resolves against.
pub struct Subgraph {
    schema: SubgraphSchema,
    /// The same schema in async-graphql's fast validation mode, for documents that passed
    /// the full validation before (see [`ParsedDocuments`]); built at the first of them.
    revalidating: OnceLock<SubgraphSchema>,
    backend: Arc<dyn Backend>,
    introspection: bool,
    documents: ParsedDocuments,
}

impl Subgraph {
    /// The subgraph over `backend`.
    pub fn new(backend: Arc<dyn Backend>, introspection: bool) -> Subgraph {
        Subgraph {
            schema: build_schema(backend.clone(), introspection),
            revalidating: OnceLock::new(),
            backend,
            introspection,
            documents: ParsedDocuments::default(),
        }
    }

    /// The schema.
    pub fn schema(&self) -> &SubgraphSchema {
        &self.schema
    }

    /// Answers one HTTP request for `caller`.
    pub async fn serve(&self, req: HttpRequest<'_>, caller: Caller) -> HttpResponse {
        let batch = match parse(req) {
            Ok(batch) => batch,
            Err(response) => return response,
        };
        let body = match batch {
            BatchRequest::Single(mut request) => {
                let validated = self.documents.prepare(&mut request);
                if matches!(req.method, "GET" | "HEAD") && is_mutation(&mut request) {
                    let mut response = HttpResponse::error(
                        405,
                        "BAD_REQUEST",
                        "only queries may be sent with GET; send mutations with POST",
                    );
                    response.allow = Some("POST");
                    return response;
                }
                let loader = Arc::new(match request.parsed_query() {
                    Ok(document) if loads_once(document) => {
                        RecommendationLoader::unbatched(self.backend.clone())
                    }
                    _ => RecommendationLoader::new(self.backend.clone()),
                });
                let answer = self.execute(request, validated, &caller, &loader).await;
                serde_json::to_string(&answer)
            }
            BatchRequest::Batch(requests) => {
                // One loader for the whole batch: its operations' lookups share backend calls.
                let loader = Arc::new(RecommendationLoader::new(self.backend.clone()));
                let mut answers = Vec::with_capacity(requests.len());
                for mut request in requests {
                    let validated = self.documents.prepare(&mut request);
                    answers.push(self.execute(request, validated, &caller, &loader).await);
                }
                serde_json::to_string(&answers)
            }
        };
        match body {
            Ok(body) => HttpResponse {
                status: 200,
                body,
                allow: None,
            },
            Err(_) => HttpResponse::error(500, "INTERNAL_SERVER_ERROR", "internal error"),
        }
    }

    /// Runs one operation: fully validated the first time its document passes, and in the
    /// fast mode after that.
    async fn execute(
        &self,
        request: Request,
        validated: bool,
        caller: &Caller,
        loader: &Arc<RecommendationLoader>,
    ) -> Response {
        let request = request.data(caller.clone()).data(loader.clone());
        if validated {
            let fast = self.revalidating.get_or_init(|| {
                default_schema_builder(self.backend.clone(), self.introspection)
                    .validation_mode(ValidationMode::Fast)
                    .finish()
            });
            return fast.execute(request).await;
        }
        let query = request.query.clone();
        let response = self.schema.execute(request).await;
        // A document that failed validation always answers errors.
        if response.errors.is_empty() {
            self.documents.validated(&query);
        }
        response
    }
}

/// Whether the operation is a mutation (or a subscription). A text that does not parse is
/// not: executing it reports why.
fn is_mutation(request: &mut Request) -> bool {
    request.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .any(|(_, op)| op.node.ty != OperationType::Query)
    })
}

fn parse(req: HttpRequest<'_>) -> Result<BatchRequest, HttpResponse> {
    match req.method {
        "GET" | "HEAD" => {
            let request = async_graphql::http::parse_query_string(req.query_string.unwrap_or(""))
                .map_err(|e| HttpResponse::error(400, "BAD_REQUEST", &e.to_string()))?;
            if request.query.is_empty() {
                return Err(HttpResponse::error(
                    400,
                    "BAD_REQUEST",
                    "missing the `query` parameter",
                ));
            }
            // Whether it is a query is checked once it is parsed (`Subgraph::serve`).
            Ok(BatchRequest::Single(request))
        }
        "POST" => {
            if req.body.len() > MAX_BODY_BYTES {
                return Err(HttpResponse::error(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    &format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                ));
            }
            let json_body = req.content_type.is_some_and(|t| {
                let essence = t.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json")
                    || essence.eq_ignore_ascii_case("application/graphql-response+json")
            });
            if !json_body {
                return Err(HttpResponse::error(
                    415,
                    "BAD_REQUEST",
                    "send the operation as `Content-Type: application/json`",
                ));
            }
            serde_json::from_slice::<BatchRequest>(req.body).map_err(|e| {
                HttpResponse::error(
                    400,
                    "BAD_REQUEST",
                    &format!("the body is not a GraphQL request: {e}"),
                )
            })
        }
        _ => {
            let mut response =
                HttpResponse::error(405, "BAD_REQUEST", "use POST (or GET for queries)");
            response.allow = Some("GET, POST");
            Err(response)
        }
    }
}
