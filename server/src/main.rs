//! `confab`: parses flags (with environment fallbacks), sets up logging, runs the server.

use std::process::ExitCode;

use clap::Parser;
use confab_server::Config;
use tracing_subscriber::EnvFilter;

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
