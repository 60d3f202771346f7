//! `loadgen`: the load generator behind `cargo xtask bench collector`.
//!
//! Subcommands:
//! - `run`: POSTs valid responses to the demo survey (`site: demo`,
//!   `survey_id: post-payment`, version 1) over many keep-alive HTTP/1
//!   connections, re-sending a share of earlier responses byte for byte (the
//!   retries a flaky mobile link makes), and prints what came back: statuses,
//!   accepted/s and latency percentiles. Closed loop (every connection sends
//!   as fast as answers come) unless `--rate` asks for an open-loop schedule.
//! - `hello`: a hello-world axum server, the ceiling that manyi is compared
//!   with: the same HTTP stack doing no work.
//! - `count-rows`: counts the rows of the `responses` table of a stopped
//!   collector's SQLite file, to check that stored rows equal unique
//!   submissions.
//!
//! Only ever meant for loopback: it has no TLS, no proxy support and no
//! politeness.

mod hello;
mod load;
mod payload;
mod rows;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};

/// The `loadgen` command line.
#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Load generator and hello-world ceiling for manyi's collector benchmark"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send responses to a collector and print a summary.
    Run(load::RunArgs),
    /// Serve a hello-world axum app (`GET /hello`, `POST /v1/responses` → 201)
    /// until SIGTERM or Ctrl-C; prints `hello listening on http://ADDR`.
    Hello {
        /// Address to listen on (port 0: the OS picks one).
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: std::net::SocketAddr,
    },
    /// Print the number of rows in the `responses` table of a collector database.
    CountRows {
        /// The SQLite file (`<data-dir>/manyi.db`); the collector should be stopped.
        db: PathBuf,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            // The client shares the machine's cores with the server under
            // test, so its thread count is a knob (default 1) rather than
            // "one per core".
            // One thread (the default) is a current-thread runtime: a
            // one-worker multi-thread runtime would hand every wake-up from
            // the I/O driver to its worker thread, CPU the server needs.
            let runtime = if args.threads <= 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(args.threads)
                    .enable_all()
                    .build()
            }
            .context("starting the tokio runtime")?;
            runtime.block_on(load::run(args))
        }
        Command::Hello { addr } => {
            // Default runtime, like `#[tokio::main]` in manyi: the ceiling
            // should differ from the collector only in the work it does.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the tokio runtime")?;
            runtime.block_on(hello::serve(addr))
        }
        Command::CountRows { db } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the tokio runtime")?;
            let rows = runtime.block_on(rows::count(&db))?;
            println!("{rows}");
            Ok(())
        }
    }
}
