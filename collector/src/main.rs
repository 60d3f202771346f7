//! The `manyi` binary: parses the command line, sets up logging and runs the
//! collector until Ctrl-C or SIGTERM. Everything else is in the library.

use anyhow::Context as _;
use clap::Parser as _;
use manyi_collector::{App, Cli, Command, shutdown_signal};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // RUST_LOG overrides, e.g. RUST_LOG=debug,sqlx=warn.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();

    let Cli { command } = Cli::parse();
    match command {
        Command::Serve(config) => {
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("binding {}", config.addr))?;
            let addr = listener.local_addr().context("reading the bound address")?;
            let app = App::build(&config).await?;
            println!("manyi listening on http://{addr} — demo: http://{addr}/demo");
            app.serve(listener, shutdown_signal()).await
        }
    }
}
