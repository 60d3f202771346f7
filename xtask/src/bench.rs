//! `cargo xtask bench <name>`: dispatches to the benchmarks. None is written
//! yet; each reports "not yet implemented" rather than printing made-up figures.

use anyhow::{Result, bail};

/// Every benchmark name with what it will measure.
const BENCHES: &[(&str, &str)] = &[
    (
        "widget",
        "first-load bytes, time to first question and JS heap in headless Chromium (plain and throttled)",
    ),
    (
        "collector",
        "accepted responses per second and latency of POST /v1/responses",
    ),
    ("reports", "report query times over a large response store"),
];

/// Runs the named benchmark; without a name, lists them.
pub fn bench(args: &[String]) -> Result<()> {
    let Some(name) = args.first() else {
        println!("usage: cargo xtask bench <name>\n\nbenchmarks:");
        for (name, what) in BENCHES {
            println!("  {name:<10} {what}");
        }
        return Ok(());
    };
    if !BENCHES.iter().any(|(known, _)| known == name) {
        let names: Vec<&str> = BENCHES.iter().map(|(known, _)| *known).collect();
        bail!(
            "unknown benchmark `{name}`; available: {}",
            names.join(", ")
        );
    }
    bail!("not yet implemented: {name}")
}
