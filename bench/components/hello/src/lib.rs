//! The trivial route of the host benchmark: the same bytes the native baseline answers.

use spin_sdk::{http::Request, http_service};

#[http_service]
async fn hello(_req: Request) -> &'static str {
    "Hello, world!"
}
