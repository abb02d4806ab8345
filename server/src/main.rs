//! `confab`: parses flags (with environment fallbacks), sets up logging, runs the server.

use std::process::ExitCode;

use clap::Parser;
use confab_server::Config;
use tracing_subscriber::EnvFilter;

/// jemalloc, with its background threads, hands freed memory back to the system within
/// seconds of a burst of traffic ending (glibc's allocator keeps most of it in per-thread
/// arenas), so a quiet server stays small.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let config = Config::parse();
    match confab_server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "confab stopped");
            eprintln!("confab: {error}");
            ExitCode::FAILURE
        }
    }
}
