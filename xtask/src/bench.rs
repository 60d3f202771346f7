//! `cargo xtask bench <name>`: dispatches to the benchmarks. Those not
//! written yet report "not yet implemented" rather than made-up figures.
//!
//! `cargo xtask bench collector [--duration S] [--concurrency N] [--rate R]
//! [--analytics on|off]` measures `POST /v1/responses` of a release-built
//! collector over loopback with `loadgen` (the `manyi-bench` crate); the
//! collector runs its response-analysis pipeline as deployed (`on`, the
//! default) or not (`off`), to show what the pipeline costs ingestion:
//!
//! 1. closed loop, N connections (default 64) for S seconds (default 10):
//!    the most accepted responses per second (target ≥ 15,000/s);
//! 2. open loop at R requests/s (default 10,000) for S seconds: p50/p99
//!    latency counted from each request's scheduled send time (target p99
//!    ≤ 20 ms);
//! 3. the collector is stopped and its database counted: stored rows must
//!    equal the 201s, and every unique submission must have been a 201
//!    (10 % of sends are byte-identical retries, which must be 200s and add
//!    no row). A mismatch fails the command;
//! 4. the same closed-loop load against an axum hello-world server (the
//!    ceiling: same HTTP stack, no work), and the ratio manyi / ceiling.
//!
//! Also printed: the collector's CPU time (user + system) per request in
//! phases 1 and 2, the figure other work on the machine disturbs least.
//!
//! Everything listens on 127.0.0.1 only and uses a fresh data folder under
//! the system temp dir, removed afterwards unless the check failed. The whole
//! run takes about 3 × S seconds plus the build.

use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::tools;

/// Every benchmark name with what it will measure.
const BENCHES: &[(&str, &str)] = &[
    (
        "widget",
        "first question, bytes and JS heap in headless Chromium, plain and throttled, vs SurveyJS (option: --runs N)",
    ),
    (
        "collector",
        "accepted responses per second and latency of POST /v1/responses (options: --duration S, --concurrency N, --rate R, --analytics on|off)",
    ),
    (
        "reports",
        "report query times and the dashboard's first load with 1,000,000 stored responses, ingestion with analytics on vs off (options: --responses N, --days D, --runs R, --ingest-duration S)",
    ),
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
    match name.as_str() {
        "collector" => collector(&args[1..]),
        "widget" => crate::bench_widget::widget(&args[1..]),
        "reports" => crate::bench_reports::reports(&args[1..]),
        _ => bail!("not yet implemented: {name}"),
    }
}

/// Targets from the issue, for these 2-core machines.
const TARGET_ACCEPTED_PER_S: f64 = 15_000.0;
const TARGET_P99_MS: f64 = 20.0;

/// Options of `bench collector`.
#[derive(Debug, Clone)]
struct Options {
    /// Seconds per phase.
    duration: f64,
    concurrency: usize,
    /// Open-loop rate of phase 2.
    rate: f64,
    /// The collector's `--analytics` switch (the analysis pipeline that
    /// tails committed responses), `on` as deployed.
    analytics: &'static str,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Options {
            duration: 10.0,
            concurrency: 64,
            rate: 10_000.0,
            analytics: "on",
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let (flag, inline) = match flag.split_once('=') {
                Some((flag, value)) => (flag, Some(value.to_owned())),
                None => (flag.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .with_context(|| format!("{flag} needs a value"))
            };
            match flag {
                "--duration" => options.duration = value()?.parse().context("--duration")?,
                "--concurrency" => {
                    options.concurrency = value()?.parse().context("--concurrency")?;
                }
                "--rate" => options.rate = value()?.parse().context("--rate")?,
                "--analytics" => {
                    options.analytics = match value()?.as_str() {
                        "on" => "on",
                        "off" => "off",
                        other => bail!("--analytics takes on or off, not {other:?}"),
                    };
                }
                other => bail!(
                    "unknown option `{other}` for `bench collector` \
                     (options: --duration S, --concurrency N, --rate R, --analytics on|off)"
                ),
            }
        }
        if !(options.duration > 0.0 && options.duration <= 120.0) {
            bail!("--duration must be in (0, 120] seconds");
        }
        if options.concurrency == 0 || !(options.rate.is_finite() && options.rate > 0.0) {
            bail!("--concurrency and --rate must be positive");
        }
        Ok(options)
    }
}

/// `bench collector`.
fn collector(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;

    let mut build = tools::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "manyi-collector",
        "-p",
        "manyi-bench",
        "--bins",
    ]);
    tools::run(&mut build).context("building manyi and loadgen")?;
    let release = tools::target_dir().join("release");
    let manyi = release.join("manyi");
    let loadgen = release.join("loadgen");

    let scratch = std::env::temp_dir().join(format!("manyi-bench-{}", std::process::id()));
    if scratch.exists() {
        fs::remove_dir_all(&scratch).with_context(|| format!("clearing {}", scratch.display()))?;
    }
    let data_dir = scratch.join("data");
    fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;

    let result = measure(&options, &manyi, &loadgen, &scratch, &data_dir);
    match &result {
        Ok(()) => {
            let _ = fs::remove_dir_all(&scratch);
        }
        Err(_) => eprintln!(
            "kept {} (database and server logs) for a look",
            scratch.display()
        ),
    }
    result
}

fn measure(
    options: &Options,
    manyi: &Path,
    loadgen: &Path,
    scratch: &Path,
    data_dir: &Path,
) -> Result<()> {
    let concurrency = options.concurrency.to_string();
    let duration = options.duration.to_string();
    let rate = options.rate.to_string();

    // The collector, exactly as deployed except for the rate limits, which
    // would otherwise throttle one machine posting for one site.
    let mut serve = Command::new(manyi);
    serve
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--dist")
        .arg(tools::target_dir().join("dist"))
        .args(["--seed-demo", "--rate-limit", "off"])
        .args(["--analytics", options.analytics]);
    let mut server = Server::start(
        serve,
        "manyi listening on http://",
        &scratch.join("collector.log"),
    )?;
    wait_healthy(server.addr).context("waiting for the collector's /healthz")?;
    warn_if_busy();
    let url = format!("http://{}/v1/responses", server.addr);
    println!("collector up on {}", server.addr);

    let load = |extra: &[&str]| -> Result<Value> {
        let mut cmd = Command::new(loadgen);
        cmd.args([
            "run",
            "--json",
            "--url",
            &url,
            "--concurrency",
            &concurrency,
        ])
        .args(["--duration", &duration, "--dup-ratio", "0.1"])
        .args(extra);
        let out = tools::output(&mut cmd)?;
        serde_json::from_str(out.trim()).context("reading loadgen's JSON summary")
    };

    println!("phase 1: closed loop, {concurrency} connections, {duration} s …");
    let cpu_before = server.cpu_seconds();
    let closed = load(&[]).context("closed-loop phase")?;
    let cpu_closed = server.cpu_seconds();
    print_phase(&closed);
    println!("phase 2: open loop at {rate}/s, {concurrency} connections, {duration} s …");
    let open = load(&["--rate", &rate]).context("open-loop phase")?;
    let cpu_open = server.cpu_seconds();
    print_phase(&open);
    // CPU time per request is the figure a busy machine disturbs least
    // (throughput and latency drop with every other process).
    let per_request = |from: Option<f64>, to: Option<f64>, summary: &Value| {
        let requests = summary["sent"].as_f64().unwrap_or(0.0);
        Some((to? - from?) * 1e6 / requests.max(1.0))
    };
    let cpu = [
        per_request(cpu_before, cpu_closed, &closed),
        per_request(cpu_closed, cpu_open, &open),
    ];

    let exit = server.stop()?;
    if !exit.success() {
        println!("warning: the collector exited with {exit} after SIGTERM");
    }
    let db = data_dir.join("manyi.db");
    let mut count = Command::new(loadgen);
    count.arg("count-rows").arg(&db);
    let rows: u64 = tools::output(&mut count)
        .context("counting stored responses")?
        .trim()
        .parse()
        .context("reading the row count")?;

    println!("phase 3: ceiling: axum hello world, closed loop, same load …");
    let mut hello_cmd = Command::new(loadgen);
    hello_cmd.args(["hello", "--addr", "127.0.0.1:0"]);
    let mut hello = Server::start(
        hello_cmd,
        "hello listening on http://",
        &scratch.join("hello.log"),
    )?;
    let url = format!("http://{}/v1/responses", hello.addr);
    let mut cmd = Command::new(loadgen);
    cmd.args([
        "run",
        "--json",
        "--url",
        &url,
        "--concurrency",
        &concurrency,
    ])
    .args(["--duration", &duration, "--dup-ratio", "0.1"]);
    let ceiling: Value = serde_json::from_str(tools::output(&mut cmd)?.trim())
        .context("reading loadgen's JSON summary (hello)")?;
    let _ = hello.stop();
    print_phase(&ceiling);

    report(options, &closed, &open, &ceiling, rows, cpu)
}

/// Prints the final table; fails when the stored rows do not add up.
fn report(
    options: &Options,
    closed: &Value,
    open: &Value,
    ceiling: &Value,
    rows: u64,
    cpu_per_request_us: [Option<f64>; 2],
) -> Result<()> {
    let f = |v: &Value, key: &str| v[key].as_f64().unwrap_or(0.0);
    let n = |v: &Value, key: &str| v[key].as_u64().unwrap_or(0);
    let p = |v: &Value, q: &str| v["latency_ms"][q].as_f64().unwrap_or(f64::NAN);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };

    let accepted = f(closed, "accepted_per_s");
    let p99 = p(open, "p99");
    let achieved = f(open, "requests_per_s");
    let ceiling_rps = f(ceiling, "requests_per_s");
    let manyi_rps = f(closed, "requests_per_s");
    let created = n(closed, "created") + n(open, "created");
    let unique = n(closed, "unique_sent") + n(open, "unique_sent");
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    // An open-loop run that fell behind its schedule has not shown the
    // latency *at* the target rate: say so rather than pass it.
    let kept_up = n(open, "unsent") == 0 && achieved >= 0.95 * options.rate;

    println!();
    println!(
        "manyi collector: POST /v1/responses over loopback, {cores} cores, {} connections, \
         {} s per phase, 10 % byte-identical retries, analytics {}",
        options.concurrency, options.duration, options.analytics
    );
    println!("{:<40} {:>24} {:>12}  verdict", "", "measured", "target");
    println!(
        "{:<40} {:>24} {:>12}  {}",
        "accepted responses/s (closed loop)",
        format!("{}/s", thousands(accepted)),
        format!("≥ {}/s", thousands(TARGET_ACCEPTED_PER_S)),
        verdict(accepted >= TARGET_ACCEPTED_PER_S)
    );
    println!(
        "{:<40} {:>24}",
        "  latency p50 / p99 (closed loop)",
        format!("{:.2} / {:.2} ms", p(closed, "p50"), p(closed, "p99"))
    );
    println!(
        "{:<40} {:>24} {:>12}  {}",
        format!("p99 latency at {}/s (open loop)", thousands(options.rate)),
        format!("{p99:.2} ms"),
        format!("≤ {TARGET_P99_MS:.0} ms"),
        verdict(p99 <= TARGET_P99_MS && kept_up)
    );
    println!(
        "{:<40} {:>24}",
        "  p50 / p90 / max (open loop)",
        format!(
            "{:.2} / {:.2} / {:.1} ms",
            p(open, "p50"),
            p(open, "p90"),
            p(open, "max")
        )
    );
    println!(
        "{:<40} {:>24}{}",
        "  rate achieved",
        format!("{}/s", thousands(achieved)),
        if kept_up {
            ""
        } else {
            "  (fell behind the schedule)"
        }
    );
    let us = |v: Option<f64>| v.map_or_else(|| "?".to_owned(), |v| format!("{v:.0}"));
    println!(
        "{:<40} {:>24}",
        "server CPU per request (closed / open)",
        format!(
            "{} / {} µs",
            us(cpu_per_request_us[0]),
            us(cpu_per_request_us[1])
        )
    );
    println!(
        "{:<40} {:>24}",
        "hello-world ceiling (requests/s)",
        format!("{}/s", thousands(ceiling_rps))
    );
    println!(
        "{:<40} {:>24}",
        "manyi / ceiling (requests/s, closed)",
        format!(
            "{:.1} %",
            100.0 * manyi_rps / ceiling_rps.max(f64::MIN_POSITIVE)
        )
    );

    let mut problems = Vec::new();
    if rows != created {
        problems.push(format!(
            "{rows} rows stored but {created} responses were answered 201"
        ));
    }
    if created != unique {
        problems.push(format!(
            "{unique} unique responses sent but only {created} answered 201"
        ));
    }
    for (phase, summary) in [("closed loop", closed), ("open loop", open)] {
        if n(summary, "unexpected") > 0
            || summary["errors"].as_object().is_some_and(|e| !e.is_empty())
        {
            problems.push(format!(
                "{phase}: {} unexpected statuses (of {}), errors {}",
                n(summary, "unexpected"),
                summary["statuses"],
                summary["errors"]
            ));
        }
    }
    println!(
        "{:<40} {:>24} {:>12}  {}",
        "stored rows = unique submissions",
        format!("{} = {}", thousands(rows as f64), thousands(unique as f64)),
        "equal",
        if problems.is_empty() { "ok" } else { "FAILED" }
    );
    if !problems.is_empty() {
        bail!(
            "stored rows do not match what was sent and answered:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// The client and server share the machine's cores, so anything else running
/// (a build, a test suite) lowers the figures: measure how busy the CPUs are
/// for one second while the collector idles, and say so up front. (Not the
/// load average: it still remembers the build that just ran.)
pub(crate) fn warn_if_busy() {
    /// (busy, total) jiffies of all CPUs together, from /proc/stat (Linux).
    fn cpu_times() -> Option<(u64, u64)> {
        let stat = fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let total: u64 = fields.iter().sum();
        // Fields 3 and 4 are idle and iowait.
        let idle = fields.get(3)? + fields.get(4).unwrap_or(&0);
        Some((total - idle, total))
    }
    let Some((busy_before, total_before)) = cpu_times() else {
        return;
    };
    std::thread::sleep(Duration::from_secs(1));
    let Some((busy_after, total_after)) = cpu_times() else {
        return;
    };
    let busy = (busy_after - busy_before) as f64 / (total_after - total_before).max(1) as f64;
    if busy > 0.15 {
        println!(
            "warning: the CPUs were {:.0} % busy before the load started: other work on \
             this machine will lower the figures",
            busy * 100.0
        );
    }
}

/// `15000.4` → `15,000`.
pub(crate) fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < -0.5 {
        out.insert(0, '-');
    }
    out
}

fn print_phase(summary: &Value) {
    let lat = |q: &str| summary["latency_ms"][q].as_f64().unwrap_or(f64::NAN);
    println!(
        "  sent {} (unique {}, re-sent {}), statuses {}, errors {}, unsent {}",
        summary["sent"],
        summary["unique_sent"],
        summary["dup_sent"],
        summary["statuses"],
        summary["errors"],
        summary["unsent"]
    );
    println!(
        "  {:.0} accepted/s, {:.0} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
        summary["accepted_per_s"].as_f64().unwrap_or(0.0),
        summary["requests_per_s"].as_f64().unwrap_or(0.0),
        lat("p50"),
        lat("p99"),
        lat("max")
    );
    if summary["mode"] == "open"
        && let Some(delay) = summary["send_delay_ms"]["p99"].as_f64()
    {
        println!("  of which waiting to be sent (due → sent): p99 {delay:.2} ms");
    }
}

/// A server process started by the bench; killed on drop if still running,
/// so an error or Ctrl-C path never leaves it behind.
pub(crate) struct Server {
    child: Child,
    /// Where the server listens.
    pub(crate) addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts `cmd` and waits for the stdout line `<prefix>ADDR…` that says
    /// where it listens (both manyi and `loadgen hello` print one after
    /// binding port 0, so no port is guessed). Stderr goes to `log`.
    pub(crate) fn start(mut cmd: Command, prefix: &'static str, log: &Path) -> Result<Server> {
        let log_file =
            fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        let shown = tools::display(&cmd);
        println!("$ {shown}");
        let mut child = cmd
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        let stdout = child.stdout.take().context("the child's stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps reading after the address line so that the child never
            // blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix(prefix) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
        let mut server = Server {
            child,
            // Replaced below; only read after that.
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log: log.to_owned(),
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => {
                server.addr = addr
                    .trim_end_matches('/')
                    .parse()
                    .with_context(|| format!("`{shown}` printed an odd address {addr:?}"))?;
                Ok(server)
            }
            Err(_) => bail!(
                "`{shown}` did not say where it listens within 60 s; its log:\n{}",
                server.log_tail()
            ),
        }
    }

    /// CPU seconds (user + system) the server has used so far, from
    /// `/proc/<pid>/stat` (Linux; `None` elsewhere). Fields 14 and 15 count
    /// clock ticks, 100 per second on Linux (`USER_HZ`, fixed for
    /// userspace whatever the kernel's tick rate).
    pub(crate) fn cpu_seconds(&self) -> Option<f64> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // The command name (field 2) may hold spaces: count after its `)`.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
        // After `)`: field 3 (state) is index 0, so fields 14 and 15 are 11 and 12.
        Some((ticks(11)? + ticks(12)?) / 100.0)
    }

    /// SIGTERM (graceful: in-flight requests finish, the store closes), then
    /// SIGKILL if it has not exited within 15 s.
    pub(crate) fn stop(&mut self) -> Result<std::process::ExitStatus> {
        if let Some(status) = self.child.try_wait().context("polling the server")? {
            bail!(
                "the server had already exited ({status}); its log:\n{}",
                self.log_tail()
            );
        }
        // No libc here (unsafe is forbidden): the `kill` command sends the signal.
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        while sent && Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().context("polling the server")? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        println!("warning: the server did not stop on SIGTERM within 15 s: killing it");
        self.child.kill().context("killing the server")?;
        self.child.wait().context("waiting for the server")
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `GET /healthz` until it answers 200 (30 s at most).
pub(crate) fn wait_healthy(addr: SocketAddr) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::from("no answer yet");
    while Instant::now() < deadline {
        match get_status(addr, "/healthz") {
            Ok(200) => return Ok(()),
            Ok(status) => last = format!("status {status}"),
            Err(err) => last = format!("{err:#}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("no 200 from http://{addr}/healthz within 30 s (last: {last})")
}

/// One HTTP/1.1 GET with std only (xtask has no HTTP client), returning the status.
fn get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = String::new();
    stream.take(4096).read_to_string(&mut head)?;
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP answer: {:?}", head.lines().next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_default_and_override() {
        let defaults = Options::parse(&[]).unwrap();
        assert_eq!(defaults.concurrency, 64);
        assert_eq!(defaults.rate, 10_000.0);
        assert_eq!(defaults.analytics, "on");
        let custom = Options::parse(&strings(&[
            "--duration",
            "3",
            "--concurrency=8",
            "--rate",
            "500",
            "--analytics=off",
        ]))
        .unwrap();
        assert_eq!(custom.duration, 3.0);
        assert_eq!(custom.concurrency, 8);
        assert_eq!(custom.rate, 500.0);
        assert_eq!(custom.analytics, "off");
        assert!(Options::parse(&strings(&["--analytics", "maybe"])).is_err());
        assert!(Options::parse(&strings(&["--bogus"])).is_err());
        assert!(Options::parse(&strings(&["--duration"])).is_err());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(15_000.0), "15,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }
}
