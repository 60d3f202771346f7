//! `cargo xtask test`: what CI runs (`.ci/run`). In order: rustfmt check,
//! clippy on the host and on wasm32 for the widget, the dist build, its size
//! budgets, the browser and node checks, then `cargo test --workspace
//! --no-fail-fast` pointed at the fresh dist and at Debian's Chromium. Each
//! step is named as it starts and timed.
//!
//! A failed check (formatting, clippy, size budgets, tests) does not stop the
//! run: a CI run is long, so it reports every failure at once and exits
//! non-zero at the end. A failure that makes later steps meaningless (no dist
//! could be built, no browser) stops it at once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{dist, tools};

/// Runs every step; see the module docs.
pub fn test() -> Result<()> {
    let started = Instant::now();
    let mut run = Run::default();
    let result = run_steps(&mut run);

    println!();
    println!("xtask test timings:");
    for (name, took, ok) in &run.timings {
        let mark = if *ok { "ok    " } else { "FAILED" };
        println!("  {mark} {:>7.1} s  {name}", took.as_secs_f64());
    }
    println!("         {:>7.1} s  total", started.elapsed().as_secs_f64());

    result?;
    if !run.failed.is_empty() {
        bail!("failed steps: {}", run.failed.join("; "));
    }
    Ok(())
}

/// Timings and the checks that failed so far.
#[derive(Debug, Default)]
struct Run {
    timings: Vec<(&'static str, Duration, bool)>,
    failed: Vec<String>,
}

impl Run {
    /// Announces, runs and times one step.
    fn step<T>(&mut self, name: &'static str, body: impl FnOnce() -> Result<T>) -> Result<T> {
        println!();
        println!("==> [{}] {name}", self.timings.len() + 1);
        let started = Instant::now();
        let result = body();
        let took = started.elapsed();
        self.timings.push((name, took, result.is_ok()));
        match &result {
            Ok(_) => println!("<== {name}: ok in {:.1} s", took.as_secs_f64()),
            Err(err) => println!(
                "<== {name}: FAILED after {:.1} s: {err:#}",
                took.as_secs_f64()
            ),
        }
        result.with_context(|| format!("step `{name}` failed"))
    }

    /// A step whose failure is recorded and reported at the end.
    fn check(&mut self, name: &'static str, body: impl FnOnce() -> Result<()>) {
        if let Err(err) = self.step(name, body) {
            self.failed.push(format!("{err:#}"));
        }
    }
}

fn run_steps(run: &mut Run) -> Result<()> {
    run.check("cargo fmt --check", || {
        tools::ensure_component("fmt", "rustfmt")?;
        tools::run(tools::cargo().args(["fmt", "--all", "--", "--check"]))
            .context("formatting differs: run `cargo fmt --all`")
    });
    run.check("clippy (host, all targets)", || {
        tools::ensure_component("clippy", "clippy")?;
        tools::run(tools::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    run.check("clippy (widget, wasm32)", || {
        tools::ensure_component("clippy", "clippy")?;
        tools::ensure_wasm_target()?;
        tools::run(tools::cargo().args([
            "clippy",
            "-p",
            "manyi-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    });
    let built = run.step("dist", dist::build)?;
    run.check("size budgets", || built.check_budgets());
    run.step("browser and node check", || {
        tools::ensure_chromium()?;
        tools::ensure_node()
    })?;
    let dist_dir: PathBuf = built.dir;
    run.check("cargo test --workspace", || {
        tools::run(
            tools::cargo()
                // --no-fail-fast: run every test binary, report all failures.
                .args(["test", "--workspace", "--no-fail-fast"])
                .env("MANYI_DIST", &dist_dir)
                .env("CHROMEDRIVER", tools::CHROMEDRIVER)
                .env("CHROMIUM", tools::CHROMIUM),
        )
    });
    Ok(())
}
