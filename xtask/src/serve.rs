//! `cargo xtask serve [collector args]`: builds the dist, then runs the
//! collector in release mode on 127.0.0.1:8080 with demo data seeded.
//!
//! On the first start (no database yet in the data folder, no
//! `--database-url`), the demo also gets [`DEMO_HISTORY`] generated
//! responses over the past 90 days (`manyi seed-responses`, as `cargo xtask
//! seed` does), so the dashboard at /admin/dashboard and the case queue
//! show something the first time they are opened; later starts keep what
//! the database holds.
//!
//! Extra arguments go to `manyi serve` as they are. A default flag is left
//! out when the extra arguments or its environment variable (`MANYI_ADDR`,
//! `MANYI_DATA_DIR`, `MANYI_DIST`, `MANYI_SEED_DEMO`) already set it, so they
//! always win. Unlike `dist`, an exceeded size budget only warns here: a
//! widget being worked on should still be viewable.

use anyhow::{Context, Result};
use std::process::Command;

use crate::{dist, tools};

/// Generated responses a fresh demo database starts with: enough for every
/// template's figures to be past the low-sample mark on a 30-day view,
/// seeded in a few seconds.
const DEMO_HISTORY: u32 = 20_000;

/// `(flag, value, env var)` passed to `manyi serve` unless overridden.
const DEFAULTS: &[(&str, Option<&str>, Option<&str>)] = &[
    ("--addr", Some("127.0.0.1:8080"), Some("MANYI_ADDR")),
    ("--data-dir", Some("data"), Some("MANYI_DATA_DIR")),
    ("--dist", Some("target/dist"), Some("MANYI_DIST")),
    ("--seed-demo", None, Some("MANYI_SEED_DEMO")),
];

/// Runs dist, then the collector (blocks until it exits).
pub fn serve(extra: &[String]) -> Result<()> {
    let built = dist::build().context("serve: building the dist")?;
    if let Err(err) = built.check_budgets() {
        println!("warning: {err:#} (`cargo xtask dist` and CI fail on this)");
    }

    let args = collector_args(extra, |var| std::env::var_os(var).is_some());
    let addr = flag_value(&args, "--addr")
        .or_else(|| std::env::var("MANYI_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    println!("starting the collector: open http://{addr}/demo (Ctrl-C to stop)");

    let mut build = tools::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "manyi-collector",
        "--bin",
        "manyi",
    ]);
    tools::run(&mut build).context("serve: building the collector")?;
    let manyi = tools::target_dir().join("release").join("manyi");

    let database_url =
        flag_value(&args, "--database-url").or_else(|| std::env::var("MANYI_DATABASE_URL").ok());
    let data_dir = flag_value(&args, "--data-dir")
        .or_else(|| std::env::var("MANYI_DATA_DIR").ok())
        .unwrap_or_else(|| "data".to_owned());
    let root = tools::workspace_root();
    if database_url.is_none() && !root.join(&data_dir).join("manyi.db").exists() {
        println!("first start: generating {DEMO_HISTORY} demo responses over 90 days");
        let mut seed = Command::new(&manyi);
        seed.current_dir(&root).args([
            "seed-responses",
            "--count",
            &DEMO_HISTORY.to_string(),
            "--days",
            "90",
            "--data-dir",
            &data_dir,
        ]);
        tools::run(&mut seed).context("serve: generating the demo history")?;
    }

    let mut cmd = Command::new(&manyi);
    cmd.current_dir(&root).arg("serve").args(&args);
    tools::run(&mut cmd).context("serve: running the collector")
}

/// The defaults not overridden, followed by the extra arguments.
fn collector_args(extra: &[String], env_set: impl Fn(&str) -> bool) -> Vec<String> {
    let mut args = Vec::new();
    for &(flag, value, env) in DEFAULTS {
        let given = extra
            .iter()
            .any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")));
        if given || env.is_some_and(&env_set) {
            continue;
        }
        args.push(flag.to_owned());
        args.extend(value.map(str::to_owned));
    }
    args.extend(extra.iter().cloned());
    args
}

/// The value of `--flag value` or `--flag=value` (the last one wins, like clap).
fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let mut found = None;
    for (i, arg) in args.iter().enumerate() {
        if arg == flag {
            found = args.get(i + 1).cloned();
        } else if let Some(value) = arg.strip_prefix(flag).and_then(|v| v.strip_prefix('=')) {
            found = Some(value.to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_apply_when_nothing_overrides_them() {
        let args = collector_args(&[], |_| false);
        assert_eq!(
            args,
            strings(&[
                "--addr",
                "127.0.0.1:8080",
                "--data-dir",
                "data",
                "--dist",
                "target/dist",
                "--seed-demo"
            ])
        );
    }

    #[test]
    fn extra_args_and_env_vars_replace_the_defaults() {
        let extra = strings(&["--addr=0.0.0.0:9000", "--seed-demo", "--verbose"]);
        let args = collector_args(&extra, |var| var == "MANYI_DIST");
        assert_eq!(
            args,
            strings(&[
                "--data-dir",
                "data",
                "--addr=0.0.0.0:9000",
                "--seed-demo",
                "--verbose"
            ])
        );
        assert_eq!(flag_value(&args, "--addr").as_deref(), Some("0.0.0.0:9000"));
    }
}
