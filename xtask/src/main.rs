//! Build automation for manyi (matklad's cargo-xtask convention): run it as
//! `cargo xtask <command>` from anywhere in the workspace.
//!
//! Every step lives in Rust rather than in shell scripts so that it behaves the
//! same on a laptop and on a fresh CI machine, says which tool is missing and
//! how to get it, and writes its outputs under `target/`.

mod bench;
mod bench_reports;
mod bench_widget;
mod dist;
mod seed;
mod serve;
mod sizes;
mod test;
mod tools;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  dist                    build the widget and write target/dist (hashed, precompressed, size-checked)
  serve [collector args]  run dist, then the collector on http://127.0.0.1:8080 with demo data
  test                    fmt, clippy (host + wasm32), dist, size budgets, browser check, cargo test --workspace
  seed [--responses N]    fill serve's database with generated responses (default 1,000,000)
  bench [name]            run one benchmark (without a name: list them)
  help                    this text";

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line: "step: cause: cause".
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    match command.as_deref() {
        Some("dist") => {
            no_extra_args("dist", &rest)?;
            dist::dist().map(drop)
        }
        Some("serve") => serve::serve(&rest),
        Some("test") => {
            no_extra_args("test", &rest)?;
            test::test()
        }
        Some("bench") => bench::bench(&rest),
        Some("seed") => seed::seed(&rest),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
        None => bail!("missing command\n\n{USAGE}"),
    }
}

fn no_extra_args(command: &str, rest: &[String]) -> Result<()> {
    if !rest.is_empty() {
        bail!(
            "`cargo xtask {command}` takes no arguments (got {})\n\n{USAGE}",
            rest.join(" ")
        );
    }
    Ok(())
}
