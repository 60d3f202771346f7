//! Command-line and environment configuration.
//!
//! Every flag can also be set through its `MANYI_*` environment variable, so
//! the same binary runs from a terminal, a systemd unit or a container without
//! a config file. [`Config`] is also built directly in code by tests
//! ([`Config::for_tests`]).

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The `manyi` command line.
#[derive(Debug, Parser)]
#[command(
    name = "manyi",
    version,
    about = "manyi (满意): embeddable customer-satisfaction surveys — the collector"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `manyi` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector: widget assets, survey definitions, response intake and the demo page.
    Serve(Config),
}

/// Settings of a running collector.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on. Use port 0 to let the OS pick a free port.
    #[arg(long, env = "MANYI_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Folder for the collector's own files; the SQLite database is
    /// `<data-dir>/manyi.db`. Created when missing.
    #[arg(long, env = "MANYI_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// SQLite URL overriding `<data-dir>/manyi.db`, e.g. `sqlite:///var/lib/manyi/manyi.db`.
    #[arg(long, env = "MANYI_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Folder written by `cargo xtask dist` (manyi.js and assets/). The
    /// collector still runs without it, but cannot serve the widget.
    #[arg(long, env = "MANYI_DIST", default_value = "target/dist")]
    pub dist: PathBuf,

    /// Create the `demo` site and publish the `post-payment` survey (version 1)
    /// when they are missing, so `/demo` works out of the box. Idempotent.
    #[arg(long, env = "MANYI_SEED_DEMO")]
    pub seed_demo: bool,
}

impl Config {
    /// A config for tests: an OS-chosen port on 127.0.0.1, the database in
    /// `data_dir`, the widget from `dist`, and the demo site and survey seeded
    /// (so responses to `post-payment` can be posted right away).
    pub fn for_tests(data_dir: impl Into<PathBuf>, dist: impl Into<PathBuf>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            database_url: None,
            dist: dist.into(),
            seed_demo: true,
        }
    }

    /// The default database file, `<data-dir>/manyi.db` (ignored when
    /// `database_url` is set).
    pub fn default_db_path(&self) -> PathBuf {
        self.data_dir.join("manyi.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults() {
        let cli = Cli::try_parse_from(["manyi", "serve"]).expect("parses");
        let Command::Serve(c) = cli.command;
        assert_eq!(c.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert_eq!(c.dist, PathBuf::from("target/dist"));
        assert_eq!(c.database_url, None);
        assert_eq!(c.default_db_path(), PathBuf::from("data/manyi.db"));
    }

    #[test]
    fn serve_flags() {
        let cli = Cli::try_parse_from([
            "manyi",
            "serve",
            "--addr",
            "0.0.0.0:9000",
            "--data-dir",
            "/tmp/m",
            "--dist",
            "d",
            "--seed-demo",
        ])
        .expect("parses");
        let Command::Serve(c) = cli.command;
        assert_eq!(c.addr.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/m"));
        assert_eq!(c.dist, PathBuf::from("d"));
        assert!(c.seed_demo);
    }
}
