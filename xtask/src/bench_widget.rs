//! `cargo xtask bench widget [--runs N]`: how fast a customer sees the first
//! question, against SurveyJS rendering the same survey.
//!
//! Both pages load in headless Chromium (`/usr/bin/chromium`, a fresh browser
//! and a fresh `--user-data-dir` for every run) on a phone viewport
//! (360×640 at DPR 2), unthrottled and on the throttled phone profile of the
//! widget issue: CPU ×4, 400 kbit/s down, 150 kbit/s up, 150 ms latency. The
//! timing script is `bench/widget/measure.mjs` (DevTools Protocol over
//! `--remote-debugging-pipe`, no npm dependencies; adapted from the team's
//! `../shared/bench` harness, which measured the peer figures in DESIGN.md).
//! Per side and profile it takes the median of N cold runs (default 5) of:
//! - first question: navigation start → the first rating button is in the
//!   DOM and visible (manyi: `[data-question] [role=radio]` inside the open
//!   shadow root; SurveyJS: `.sd-rating__item`);
//! - bytes: everything on the wire until the network is idle, headers
//!   included (manyi: demo page, loader, glue, wasm, survey definition and
//!   the eligibility and `shown` event calls);
//! - JS heap after a forced GC, and beside it the WebAssembly memory the page
//!   instantiated (linear memory is not part of the JS heap);
//! - a calibration loop that shows whether the CPU throttling was in effect.
//!
//! The manyi side: `dist`, then the release collector
//! (`manyi serve --addr 127.0.0.1:0 --seed-demo --rate-limit off` on a fresh
//! data folder) and `GET /demo?order=BENCH-…` with a fresh order per run, so
//! eligibility never answers "already answered". The collector serves the
//! brotli files `dist` wrote.
//!
//! The SurveyJS side: `survey-core` and `survey-js-ui` [`SURVEYJS_VERSION`]
//! from npm, installed into `target/tools/surveyjs` when missing;
//! `bench/widget/surveyjs.html` (the demo survey translated by hand, zh-CN)
//! with the fontless CSS and the simplified-Chinese strings, brotli
//! precompressed by [`sizes::brotli`] and served by `bench/widget/serve.py`
//! (python3, stdlib only), so both sides send brotli from 127.0.0.1.
//!
//! It prints one table (medians, ratios SurveyJS / manyi) and the verdict on
//! the issue's target: first question ≤ 1.5 s throttled. Loopback only; the
//! runs take about 2 minutes after the builds. Other work on the machine (a
//! build) slows both sides: the bench says when the CPUs were busy.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::bench::{Server, thousands, wait_healthy, warn_if_busy};
use crate::{dist, sizes, tools};

/// survey-core and survey-js-ui, pinned exactly (survey-js-ui 2.5.38, the
/// newest on npm, wants the same survey-core; the peer figures in DESIGN.md
/// are of this version).
pub const SURVEYJS_VERSION: &str = "2.5.38";

/// The issue's target: first question on the throttled phone profile.
const TARGET_FIRST_QUESTION_MS: f64 = 1500.0;

/// manyi's first rating button, inside the widget's open shadow root.
const MANYI_SELECTOR: &str = "[data-question] [role=radio]";
/// SurveyJS's first rating button (its `<label>`; the radio input is hidden).
const SURVEYJS_SELECTOR: &str = ".sd-rating__item";

/// Phone screen for every run.
const VIEWPORT: &str = "360x640@2";

/// Files copied from the npm packages next to the page: (package path, served name).
const SURVEYJS_FILES: &[(&str, &str)] = &[
    ("survey-core/survey.core.min.js", "survey.core.min.js"),
    (
        "survey-core/survey-core.fontless.min.css",
        "survey-core.fontless.min.css",
    ),
    (
        "survey-core/i18n/simplified-chinese.min.js",
        "simplified-chinese.min.js",
    ),
    ("survey-js-ui/survey-js-ui.min.js", "survey-js-ui.min.js"),
];

/// Options of `bench widget`.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    /// Cold runs per side and profile.
    runs: u32,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Options { runs: 5 };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let (flag, inline) = match flag.split_once('=') {
                Some((flag, value)) => (flag, Some(value.to_owned())),
                None => (flag.as_str(), None),
            };
            match flag {
                "--runs" => {
                    let value = inline
                        .or_else(|| args.next().cloned())
                        .context("--runs needs a value")?;
                    options.runs = value.parse().context("--runs")?;
                }
                other => bail!("unknown option `{other}` for `bench widget` (option: --runs N)"),
            }
        }
        if !(1..=20).contains(&options.runs) {
            bail!("--runs must be between 1 and 20");
        }
        Ok(options)
    }
}

/// `bench widget`.
pub fn widget(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    tools::ensure_chromium().context("bench widget needs Chromium")?;
    tools::ensure_node().context("bench widget runs bench/widget/measure.mjs with node")?;
    if !tools::exists("python3") {
        bail!(
            "`python3` not found: bench widget serves the SurveyJS page with bench/widget/serve.py"
        );
    }

    let built = dist::build().context("bench widget: building the dist")?;
    if let Err(err) = built.check_budgets() {
        println!("warning: {err:#} (`cargo xtask dist` and CI fail on this)");
    }
    let mut build = tools::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "manyi-collector",
        "--bin",
        "manyi",
    ]);
    tools::run(&mut build).context("building the collector")?;
    let manyi = tools::target_dir().join("release").join("manyi");
    let packages = ensure_surveyjs()?;

    let scratch = std::env::temp_dir().join(format!("manyi-bench-widget-{}", std::process::id()));
    if scratch.exists() {
        fs::remove_dir_all(&scratch).with_context(|| format!("clearing {}", scratch.display()))?;
    }
    let result = measure(&options, &manyi, &built.dir, &packages, &scratch);
    match &result {
        Ok(()) => {
            let _ = fs::remove_dir_all(&scratch);
        }
        Err(_) => eprintln!("kept {} (server logs) for a look", scratch.display()),
    }
    result
}

/// Installs the pinned SurveyJS packages under `target/tools/surveyjs` unless
/// they are there already; returns its `node_modules`.
fn ensure_surveyjs() -> Result<PathBuf> {
    let prefix = tools::target_dir().join("tools").join("surveyjs");
    let modules = prefix.join("node_modules");
    let installed = |name: &str| {
        let text = fs::read_to_string(modules.join(name).join("package.json")).ok()?;
        let json: Value = serde_json::from_str(&text).ok()?;
        json.get("version")?.as_str().map(str::to_owned)
    };
    let complete = || {
        ["survey-core", "survey-js-ui"]
            .iter()
            .all(|name| installed(name).as_deref() == Some(SURVEYJS_VERSION))
            && SURVEYJS_FILES
                .iter()
                .all(|(path, _)| modules.join(path).is_file())
    };
    if complete() {
        return Ok(modules);
    }
    fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    let mut install = Command::new("npm");
    install
        .current_dir(tools::workspace_root())
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-save", "--no-audit", "--no-fund", "--no-package-lock"])
        .arg(format!("survey-core@{SURVEYJS_VERSION}"))
        .arg(format!("survey-js-ui@{SURVEYJS_VERSION}"))
        .stdin(Stdio::null());
    tools::run(&mut install).with_context(|| {
        format!("installing SurveyJS {SURVEYJS_VERSION} from npm (needs registry.npmjs.org)")
    })?;
    if !complete() {
        bail!(
            "npm finished but {} does not hold survey-core and survey-js-ui {SURVEYJS_VERSION} \
             with the files the bench serves",
            modules.display()
        );
    }
    Ok(modules)
}

/// Copies the SurveyJS page and its files into `site` with `.br` siblings.
/// Returns the brotli bytes of the page plus its files (the first load).
fn write_surveyjs_site(packages: &Path, site: &Path) -> Result<u64> {
    fs::create_dir_all(site).with_context(|| format!("creating {}", site.display()))?;
    let page = tools::workspace_root().join("bench/widget/surveyjs.html");
    let mut files = vec![(page, "surveyjs.html")];
    files.extend(
        SURVEYJS_FILES
            .iter()
            .map(|(path, name)| (packages.join(path), *name)),
    );
    let mut total = 0;
    for (from, name) in files {
        let data = fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
        let br = sizes::brotli(&data).with_context(|| format!("compressing {}", from.display()))?;
        total += br.len() as u64;
        fs::write(site.join(name), &data).with_context(|| format!("writing {name}"))?;
        fs::write(site.join(format!("{name}.br")), &br)
            .with_context(|| format!("writing {name}.br"))?;
    }
    Ok(total)
}

/// One side × profile: the medians and the first run's resources.
struct Measured {
    median: Value,
    resources: Value,
}

impl Measured {
    fn get(&self, key: &str) -> f64 {
        self.median[key].as_f64().unwrap_or(f64::NAN)
    }
}

fn measure(
    options: &Options,
    manyi: &Path,
    dist_dir: &Path,
    packages: &Path,
    scratch: &Path,
) -> Result<()> {
    let data_dir = scratch.join("data");
    let site = scratch.join("surveyjs");
    fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let surveyjs_brotli = write_surveyjs_site(packages, &site)?;

    let mut serve = Command::new(manyi);
    serve
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .arg("--dist")
        .arg(dist_dir)
        .args(["--seed-demo", "--rate-limit", "off"]);
    let mut collector = Server::start(
        serve,
        "manyi listening on http://",
        &scratch.join("collector.log"),
    )?;
    wait_healthy(collector.addr).context("waiting for the collector's /healthz")?;

    let mut static_cmd = Command::new("python3");
    static_cmd
        .arg(tools::workspace_root().join("bench/widget/serve.py"))
        .arg(&site);
    let mut statics = Server::start(
        static_cmd,
        "serve.py listening on http://",
        &scratch.join("serve-py.log"),
    )?;

    warn_if_busy();
    let manyi_url = |tag: &str| format!("http://{}/demo?order=BENCH-{tag}{{run}}", collector.addr);
    let surveyjs_url = format!("http://{}/surveyjs.html", statics.addr);
    let runs = options.runs;
    let manyi_plain = run_measure(
        "manyi, unthrottled",
        &manyi_url("U"),
        MANYI_SELECTOR,
        runs,
        false,
    )?;
    let surveyjs_plain = run_measure(
        "SurveyJS, unthrottled",
        &surveyjs_url,
        SURVEYJS_SELECTOR,
        runs,
        false,
    )?;
    let manyi_slow = run_measure(
        "manyi, throttled",
        &manyi_url("T"),
        MANYI_SELECTOR,
        runs,
        true,
    )?;
    let surveyjs_slow = run_measure(
        "SurveyJS, throttled",
        &surveyjs_url,
        SURVEYJS_SELECTOR,
        runs,
        true,
    )?;

    let _ = statics.stop();
    let exit = collector.stop()?;
    if !exit.success() {
        println!("warning: the collector exited with {exit} after SIGTERM");
    }

    println!();
    print_resources("manyi, first throttled run", &manyi_slow);
    print_resources("SurveyJS, first throttled run", &surveyjs_slow);
    println!(
        "  SurveyJS page + files, brotli q11 on disk: {}",
        kb(surveyjs_brotli as f64)
    );
    report(
        options,
        [
            ("manyi", "unthrottled", &manyi_plain),
            ("SurveyJS", "unthrottled", &surveyjs_plain),
            ("manyi", "throttled", &manyi_slow),
            ("SurveyJS", "throttled", &surveyjs_slow),
        ],
    );
    Ok(())
}

/// Runs `bench/widget/measure.mjs` for one side and profile; fails when any
/// run did not see the first question.
fn run_measure(
    label: &str,
    url: &str,
    selector: &str,
    runs: u32,
    throttle: bool,
) -> Result<Measured> {
    println!("measuring {label}: {runs} cold runs of {url} …");
    let mut cmd = Command::new("node");
    cmd.arg(tools::workspace_root().join("bench/widget/measure.mjs"))
        .args([url, selector, "--runs", &runs.to_string()])
        .args(["--viewport", VIEWPORT, "--timeout-ms", "30000"])
        .args(["--chromium", tools::CHROMIUM]);
    if throttle {
        cmd.arg("--throttle");
    }
    let out = tools::output(&mut cmd).with_context(|| format!("measuring {label}"))?;
    let json: Value = serde_json::from_str(out.trim())
        .with_context(|| format!("reading measure.mjs's JSON ({label})"))?;
    let failed: Vec<String> = json["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|run| {
            run["error"]
                .as_str()
                .map(|err| format!("{}: {err}", run["url"].as_str().unwrap_or(url)))
        })
        .collect();
    if !failed.is_empty() {
        bail!(
            "{label}: {} of {runs} runs failed:\n  {}",
            failed.len(),
            failed.join("\n  ")
        );
    }
    let measured = Measured {
        median: json["median"].clone(),
        resources: json["resources_first_run"].clone(),
    };
    println!(
        "  first question {:.0} ms, {} on the wire, JS heap {}",
        measured.get("selector_visible_ms"),
        kb(measured.get("bytes_total")),
        mb(measured.get("js_heap_used_after_gc_bytes")),
    );
    Ok(measured)
}

/// Per-resource wire bytes, encodings and timing of the first run: where
/// the time to the first question goes.
fn print_resources(title: &str, measured: &Measured) {
    println!(
        "{title} (first question at {:.0} ms):",
        measured.get("selector_visible_ms")
    );
    println!(
        "  {:>10}  {:<8} {:>3} {:>15}  request",
        "wire", "encoding", "", "sent → done"
    );
    for resource in measured.resources.as_array().into_iter().flatten() {
        let url = resource["url"].as_str().unwrap_or("?");
        // Path and query only: the host is always 127.0.0.1.
        let path = url.splitn(4, '/').nth(3).map_or(url, |p| p);
        let ms = |key: &str| {
            resource[key]
                .as_f64()
                .map_or_else(|| "…".to_owned(), |v| format!("{v:.0}"))
        };
        println!(
            "  {:>10}  {:<8} {:>3} {:>15}  /{path}",
            kb(resource["wire"].as_f64().unwrap_or(0.0)),
            resource["enc"].as_str().unwrap_or("-"),
            resource["status"],
            format!("{} → {} ms", ms("start_ms"), ms("end_ms")),
        );
    }
}

/// Prints the table, the ratios and the target verdict.
fn report(options: &Options, rows: [(&str, &str, &Measured); 4]) {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!();
    println!(
        "widget first load: headless Chromium, phone viewport {VIEWPORT}, median of {} cold runs, \
         {cores} cores; throttled = CPU ×4, 400 kbit/s down, 150 kbit/s up, 150 ms latency",
        options.runs
    );
    println!(
        "{:<10} {:<12} {:>15} {:>12} {:>12} {:>12} {:>11} {:>7}",
        "", "profile", "first question", "bytes", "(at 1st q)", "JS heap", "wasm mem", "calib"
    );
    for (side, profile, m) in &rows {
        println!(
            "{:<10} {:<12} {:>15} {:>12} {:>12} {:>12} {:>11} {:>7}",
            side,
            profile,
            format!("{} ms", thousands(m.get("selector_visible_ms"))),
            kb(m.get("bytes_total")),
            kb(m.get("bytes_at_visible")),
            mb(m.get("js_heap_used_after_gc_bytes")),
            mb(m.get("wasm_memory_bytes")),
            format!("{:.0} ms", m.get("calib_loop_ms")),
        );
    }
    println!(
        "(calib: a fixed busy loop in the page, ~7 ms unthrottled and ~30 ms at CPU ×4 on an idle machine)"
    );
    let [
        (_, _, manyi_plain),
        (_, _, sjs_plain),
        (_, _, manyi_slow),
        (_, _, sjs_slow),
    ] = rows;
    for (profile, manyi, sjs) in [
        ("unthrottled", manyi_plain, sjs_plain),
        ("throttled", manyi_slow, sjs_slow),
    ] {
        println!(
            "SurveyJS / manyi, {profile:<11}: first question {:.1}×, bytes {:.1}×, JS heap {:.1}×",
            ratio(
                sjs.get("selector_visible_ms"),
                manyi.get("selector_visible_ms")
            ),
            ratio(sjs.get("bytes_total"), manyi.get("bytes_total")),
            ratio(
                sjs.get("js_heap_used_after_gc_bytes"),
                manyi.get("js_heap_used_after_gc_bytes")
            ),
        );
    }
    let first = manyi_slow.get("selector_visible_ms");
    println!(
        "target: manyi first question ≤ {} ms throttled: {} ms, {}",
        thousands(TARGET_FIRST_QUESTION_MS),
        thousands(first),
        if first <= TARGET_FIRST_QUESTION_MS {
            "met"
        } else {
            "NOT met"
        }
    );
}

fn ratio(a: f64, b: f64) -> f64 {
    a / b.max(f64::MIN_POSITIVE)
}

/// Bytes as KB (1 KB = 1024 bytes, as in the size table).
fn kb(bytes: f64) -> String {
    format!("{:.1} KB", bytes / 1024.0)
}

/// Bytes as MB (1 MB = 2^20 bytes).
fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options() {
        assert_eq!(Options::parse(&[]).unwrap(), Options { runs: 5 });
        assert_eq!(Options::parse(&strings(&["--runs", "3"])).unwrap().runs, 3);
        assert_eq!(Options::parse(&strings(&["--runs=1"])).unwrap().runs, 1);
        assert!(Options::parse(&strings(&["--runs", "0"])).is_err());
        assert!(Options::parse(&strings(&["--runs"])).is_err());
        assert!(Options::parse(&strings(&["--throttle"])).is_err());
    }

    #[test]
    fn the_page_and_the_files_exist_where_the_bench_looks() {
        let root = tools::workspace_root().join("bench/widget");
        for file in ["measure.mjs", "serve.py", "surveyjs.html"] {
            assert!(root.join(file).is_file(), "bench/widget/{file} is missing");
        }
        let page = fs::read_to_string(root.join("surveyjs.html")).unwrap();
        for (_, name) in SURVEYJS_FILES {
            assert!(page.contains(name), "surveyjs.html does not load {name}");
        }
    }

    #[test]
    fn units() {
        assert_eq!(kb(2048.0), "2.0 KB");
        assert_eq!(mb(1_572_864.0), "1.5 MB");
        assert_eq!(ratio(3.0, 2.0), 1.5);
    }
}
