//! `demo-platform`: generates a tutoring-platform history and sends it to the
//! app's ingestion endpoint. All the logic lives in [`demo::cli`].

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    demo::cli::main_entry()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
