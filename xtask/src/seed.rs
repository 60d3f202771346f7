//! `cargo xtask seed [--responses N] [--days D] [--seed S] [--data-dir DIR]`:
//! fills the database `cargo xtask serve` uses (`data/` unless
//! `--data-dir` or `MANYI_DATA_DIR` says otherwise) with generated,
//! realistic responses via the release-built `manyi seed-responses`, so the
//! dashboard has something to show. Stop `serve` first: the generator
//! writes in large transactions and would make a running collector wait.

use anyhow::{Context, Result, bail};
use std::process::Command;
use std::time::Instant;

use crate::tools;

/// The arguments for `manyi seed-responses` (defaults: 1,000,000 over 90
/// days into `data`).
fn manyi_args(args: &[String]) -> Result<Vec<String>> {
    let mut out = vec!["seed-responses".to_owned()];
    let mut count = "1000000".to_owned();
    let mut data_dir = std::env::var("MANYI_DATA_DIR").unwrap_or_else(|_| "data".to_owned());
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .with_context(|| format!("{flag} needs a value"))
        };
        match flag {
            "--responses" => count = value()?,
            "--data-dir" => data_dir = value()?,
            "--days" | "--seed" => {
                out.push(flag.to_owned());
                out.push(value()?);
            }
            other => bail!(
                "unknown option {other:?} (options: --responses N, --days D, --seed S, --data-dir DIR)"
            ),
        }
    }
    count
        .parse::<u64>()
        .with_context(|| format!("--responses takes a number, not {count:?}"))?;
    out.extend([
        "--count".to_owned(),
        count,
        "--data-dir".to_owned(),
        data_dir,
    ]);
    Ok(out)
}

/// `cargo xtask seed`.
pub fn seed(args: &[String]) -> Result<()> {
    let manyi_args = manyi_args(args)?;
    let mut build = tools::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "manyi-collector",
        "--bin",
        "manyi",
    ]);
    tools::run(&mut build).context("building manyi")?;
    let started = Instant::now();
    let mut cmd = Command::new(tools::target_dir().join("release").join("manyi"));
    cmd.current_dir(tools::workspace_root()).args(&manyi_args);
    tools::run(&mut cmd).context("manyi seed-responses")?;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn arguments_for_the_generator() {
        let a = manyi_args(&strings(&[
            "--responses",
            "5000",
            "--days=30",
            "--data-dir",
            "d",
        ]))
        .unwrap();
        assert_eq!(
            a,
            strings(&[
                "seed-responses",
                "--days",
                "30",
                "--count",
                "5000",
                "--data-dir",
                "d"
            ])
        );
        assert!(manyi_args(&strings(&["--responses", "lots"])).is_err());
        assert!(manyi_args(&strings(&["--colour", "red"])).is_err());
    }
}
