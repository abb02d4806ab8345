//! `confab-bench`: Confab's benchmarks in one command. It starts the release server as a child
//! process on loopback (or, for the token relay, in this process with a model that stamps its
//! text), drives it like many tabs at once, and prints each figure beside its target; a
//! Markdown copy goes to `target/bench/results.md` for BENCHMARKS.md. `scripts/bench.sh`
//! builds everything and runs it, with PostgreSQL when it is installed.

mod scenarios;
mod server;
mod stats;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use server::Launch;
use stats::Report;

#[derive(Parser)]
#[command(about = "Confab's benchmarks: figures against their targets")]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Runs the benchmarks.
    Run {
        /// The server binary to measure (a release build).
        #[arg(long, default_value = "target/release/confab")]
        server: PathBuf,
        /// The built site (`cargo leptos build --release`).
        #[arg(long, default_value = "target/site")]
        site: PathBuf,
        /// Runs of each scenario; the figures pool them.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Only these scenarios (autosave, polling, push, actions, relay, memory, bundle, postgres,
        /// highlight).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// A bare axum server answering a fixed 304: the polling baseline (started by `run`).
    BaselineServer {
        #[arg(long)]
        port: u16,
    },
}

#[tokio::main]
async fn main() {
    match Cli::parse().command {
        Commands::BaselineServer { port } => scenarios::polling::baseline_server(port).await,
        Commands::Run { server, site, runs, only } => {
            let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
            let report = run(server, site, runs, &wanted).await;
            let missed = report.missed();
            let path = PathBuf::from("target/bench/results.md");
            std::fs::create_dir_all("target/bench").expect("target/bench");
            std::fs::write(&path, format!("{}\n{}", machine(), report.markdown())).expect("the results file");
            println!("\n{missed} target(s) missed; the table is in {}", path.display());
        }
    }
}

async fn run(binary: PathBuf, site: PathBuf, runs: usize, wanted: &dyn Fn(&str) -> bool) -> Report {
    let mut report = Report::default();
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Replies at full speed where only the setup waits for them; the server's default pace
    // (a token every 30 ms) where replies stream during the measurement, as they would for users.
    let launch =
        Launch { binary, site: site.clone(), database_url: server::sqlite_in(dir.path()), token_delay_ms: Some(0) };
    let paced_dir = tempfile::tempdir().expect("a temporary folder");
    let paced = Launch { token_delay_ms: None, database_url: server::sqlite_in(paced_dir.path()), ..launch.clone() };

    if wanted("autosave") {
        println!("\n1. auto-save");
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = confab_store::SqliteStore::open(&server::sqlite_in(folder.path())).await.expect("SQLite");
        scenarios::autosave::run(&mut report, "SQLite", &store, runs).await;
    }
    let (server, _) = launch.start().await;
    if wanted("polling") {
        println!("\n2. polling");
        scenarios::polling::run(&mut report, "SQLite", &server, runs).await;
    }
    if wanted("long") {
        println!("\n10. a long conversation in the browser");
        let (paced_server, _) = paced.start().await;
        let root = std::env::current_dir().expect("the repository");
        scenarios::long_view::run(&mut report, &paced_server, &root).await;
    }
    if wanted("push") || wanted("actions") {
        let (paced_server, _) = paced.start().await;
        if wanted("push") {
            println!("\n3. push latency");
            scenarios::push::run(&mut report, &paced_server, 20).await;
        }
        if wanted("actions") {
            println!("\n4. action latency");
            scenarios::actions::run(&mut report, Arc::new(paced_server), runs, None).await;
        }
    }
    let server = Arc::new(server);
    if wanted("actions") {
        scenarios::actions::run(&mut report, server.clone(), runs, Some(0)).await;
    }
    if wanted("relay") {
        println!("\n5. token relay");
        scenarios::relay::run(&mut report, runs).await;
    }
    if wanted("highlight") {
        println!("\n9. highlighting");
        scenarios::highlight::run(&mut report, &server, runs).await;
    }
    if wanted("bundle") {
        println!("\n7. bundle");
        let root = std::env::current_dir().expect("the repository");
        scenarios::bundle::run(&mut report, &server, &site, &root).await;
    }
    drop(server);
    if wanted("memory") {
        println!("\n6. memory and start");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let fresh = Launch { database_url: server::sqlite_in(dir.path()), ..launch.clone() };
        scenarios::memory::run(&mut report, &fresh).await;
    }
    if wanted("postgres") {
        postgres(&mut report, &launch, runs).await;
    }
    report
}

/// 8. Auto-save and polling again on PostgreSQL, and push latency across two processes.
async fn postgres(report: &mut Report, launch: &Launch, runs: usize) {
    println!("\n8. PostgreSQL");
    let Some(url) = confab_store::testsuite::postgres_database().await else {
        report.note("PostgreSQL", "not measured", "no cluster (run through scripts/with-postgres.sh)".into());
        return;
    };
    let store = confab_store::PgStore::open(&url).await.expect("PostgreSQL");
    scenarios::autosave::run(report, "PostgreSQL", &store, runs).await;
    let on_postgres = Launch { database_url: url, ..launch.clone() };
    let (a, _) = on_postgres.start().await;
    scenarios::polling::run(report, "PostgreSQL", &a, runs).await;
    drop(a);
    let paced = Launch { token_delay_ms: None, ..on_postgres };
    let (a, _) = paced.start().await;
    let (b, _) = paced.start().await;
    let id = a.new_context().await;
    let (last, everyone) = scenarios::push::push_rounds(&a, &b, &id, 200, 20).await;
    report.check(
        "push (PostgreSQL)",
        "action on A to last of 200 SSE tabs on B (median/p95/p99)",
        last.summary(),
        "p95 < 100 ms",
        last.p95() < std::time::Duration::from_millis(100),
    );
    report.note("push (PostgreSQL)", "every tab on B (median/p95/p99)", everyone.summary());
}

/// What the figures were measured on.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|m| m.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!(
        "Measured {} on {} ({cores} cores), loopback only.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        model.unwrap_or("an unknown CPU")
    )
}
