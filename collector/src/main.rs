//! The `manyi` binary: parses the command line, sets up logging and runs the
//! collector until Ctrl-C or SIGTERM, or one admin subcommand. Everything
//! else is in the library.

use anyhow::Context as _;
use clap::Parser as _;
use manyi_collector::config::SiteCommand;
use manyi_collector::{App, Cli, Command, commands, shutdown_signal};
use secrecy::ExposeSecret as _;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // RUST_LOG overrides, e.g. RUST_LOG=debug,sqlx=warn. Logs go to stderr,
    // so that what `sign` and `site create` print on stdout is only their
    // result.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
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
        Command::Sign(args) => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let signature = commands::sign(&args, now)?;
            if args.json {
                let json = serde_json::to_string_pretty(&signature).context("encoding JSON")?;
                println!("{json}");
            } else {
                println!("{}", signature.sig);
            }
            Ok(())
        }
        Command::Site(SiteCommand::Create(args)) => {
            let site = commands::create_site(&args).await?;
            let origins = if site.origins.is_empty() {
                "none: only the collector's own pages".to_owned()
            } else {
                site.origins.join(", ")
            };
            let signatures = if args.require_signature {
                "required"
            } else {
                "optional"
            };
            eprintln!(
                "created site {} (origins: {origins}; signatures {signatures})",
                site.key
            );
            eprintln!("its signing secret follows; it is shown only now: keep it on your servers");
            println!("{}", site.secret.expose_secret());
            Ok(())
        }
    }
}
