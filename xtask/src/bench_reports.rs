//! `cargo xtask bench reports`: report query times, the dashboard's first
//! load and the cost of analytics on ingestion, with a large response store.
//!
//! 1. A release-built `manyi seed-responses --count N` (default 1,000,000
//!    over 90 days) fills a database under `target/bench-reports/` (kept and
//!    reused while the count matches: seeding takes minutes), printing how
//!    long writing, analysing and rolling up took.
//! 2. A collector serves that database; every report query of
//!    docs/reports-api.md (30- and 90-day ranges, each grouping, filters) is
//!    timed `--runs` times over loopback: p50 and max per query, target
//!    ≤ 100 ms.
//! 3. The dashboard's first load: the page, its script and style, then the
//!    API calls `dashboard.js` makes on load, six at a time like a browser,
//!    timed end to end (target ≤ 1 s).
//! 4. Ingestion: `loadgen`'s closed loop (as in `bench collector`) against a
//!    fresh collector with `--analytics on` (analysis + rollups, as
//!    deployed) and `--analytics off`, and the ratio (target ≥ 0.90).
//!
//! Figures on a shared 2-core machine move with whatever else runs; the
//! command warns when the CPUs are busy before it starts.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::bench::{Server, thousands, wait_healthy, warn_if_busy};
use crate::tools;

/// Targets from the issue.
const TARGET_QUERY_MS: f64 = 100.0;
const TARGET_FIRST_LOAD_MS: f64 = 1000.0;
const TARGET_INGEST_RATIO: f64 = 0.90;

/// Options of `bench reports`.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    /// Stored responses.
    responses: usize,
    /// Spread over this many days.
    days: u32,
    /// Timed runs per query.
    runs: usize,
    /// Seconds of each ingestion run (0 skips the ingestion comparison).
    ingest_secs: u32,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut o = Options {
            responses: 1_000_000,
            days: 90,
            runs: 10,
            ingest_secs: 10,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            let mut value = || -> Result<String> {
                inline
                    .clone()
                    .or_else(|| it.next().cloned())
                    .with_context(|| format!("{flag} needs a value"))
            };
            match flag {
                "--responses" => o.responses = value()?.parse().context("--responses")?,
                "--days" => o.days = value()?.parse().context("--days")?,
                "--runs" => o.runs = value()?.parse().context("--runs")?,
                "--ingest-duration" => {
                    o.ingest_secs = value()?.parse().context("--ingest-duration")?;
                }
                other => bail!(
                    "unknown option {other:?} (options: --responses N, --days D, --runs R, --ingest-duration S)"
                ),
            }
        }
        if o.runs == 0 {
            bail!("--runs must be at least 1");
        }
        Ok(o)
    }
}

/// `bench reports`.
pub fn reports(args: &[String]) -> Result<()> {
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
    let root = tools::target_dir().join("bench-reports");
    fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    warn_if_busy();

    let data = root.join(format!("data-{}-{}d", options.responses, options.days));
    seed(&manyi, &data, &options)?;
    let token = admin_token(&manyi, &data)?;

    let mut serve = Command::new(&manyi);
    serve
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--dist")
        .arg(tools::target_dir().join("dist"))
        .args(["--rate-limit", "off"]);
    let mut server = Server::start(
        serve,
        "manyi listening on http://",
        &root.join("collector.log"),
    )?;
    wait_healthy(server.addr).context("waiting for the collector's /healthz")?;
    wait_reports_ready(server.addr, &token)?;
    let queries_ok = time_queries(server.addr, &token, &options)?;
    let load_ok = time_first_load(server.addr, &token, &options)?;
    let _ = server.stop();

    let ingest_ok = if options.ingest_secs > 0 {
        ingestion(&manyi, &loadgen, &root, options.ingest_secs)?
    } else {
        println!("\ningestion: skipped (--ingest-duration 0)");
        true
    };
    println!(
        "\nverdict: queries ≤ {TARGET_QUERY_MS} ms {}, first load ≤ {TARGET_FIRST_LOAD_MS} ms {}, ingestion within 10 % {}",
        met(queries_ok),
        met(load_ok),
        met(ingest_ok)
    );
    println!("(2-core machine shared with other work: figures vary between runs)");
    Ok(())
}

/// Waits while reports answer 503 `reports_warming_up`: after an upgrade
/// that rebuilds rollups (e.g. migration 0011 refolds every impression) the
/// collector first folds its backlog. Timing reports before that would time
/// the 503s; the wait is printed, since an upgraded deployment sees it too.
fn wait_reports_ready(addr: SocketAddr, token: &str) -> Result<()> {
    let path = format!("/api/reports/summary?{}", range(1));
    let started = Instant::now();
    loop {
        let (status, body) = get(addr, &path, token)?;
        match status {
            200 => break,
            503 if started.elapsed() < Duration::from_secs(1800) => {
                std::thread::sleep(Duration::from_secs(2));
            }
            _ => bail!(
                "{path} answered {status}: {}",
                String::from_utf8_lossy(&body)
            ),
        }
    }
    let waited = started.elapsed().as_secs_f64();
    if waited > 1.0 {
        println!("reports warming up (rollups catching up after an upgrade): {waited:.0} s");
    }
    Ok(())
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// Seeds `data` unless it already holds the same seeded count.
fn seed(manyi: &Path, data: &Path, options: &Options) -> Result<()> {
    let marker = data.join("seeded");
    if marker.exists() {
        println!(
            "reusing {} ({} responses over {} days)",
            data.display(),
            thousands(options.responses as f64),
            options.days
        );
        return Ok(());
    }
    if data.exists() {
        fs::remove_dir_all(data).with_context(|| format!("clearing {}", data.display()))?;
    }
    fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    println!(
        "seeding {} responses over {} days into {} …",
        thousands(options.responses as f64),
        options.days,
        data.display()
    );
    let started = Instant::now();
    let mut cmd = Command::new(manyi);
    cmd.args(["seed-responses", "--count"])
        .arg(options.responses.to_string())
        .arg("--days")
        .arg(options.days.to_string())
        .arg("--data-dir")
        .arg(data);
    let out = tools::output(&mut cmd).context("manyi seed-responses")?;
    println!(
        "seed: {} (total {:.1} s)",
        out.trim(),
        started.elapsed().as_secs_f64()
    );
    fs::write(&marker, out).with_context(|| format!("writing {}", marker.display()))?;
    Ok(())
}

/// A fresh admin token for the bench.
fn admin_token(manyi: &Path, data: &Path) -> Result<String> {
    let mut cmd = Command::new(manyi);
    cmd.args([
        "admin-token",
        "create",
        "--name",
        "bench-reports",
        "--data-dir",
    ])
    .arg(data);
    let out = tools::output(&mut cmd).context("manyi admin-token create")?;
    let token = out.trim().to_owned();
    if !token.starts_with("manyi_") {
        bail!("unexpected admin-token output {token:?}");
    }
    Ok(token)
}

/// One `GET` over a fresh connection (HTTP/1.1, `Connection: close`), read
/// to the end: (status, body bytes).
fn get(addr: SocketAddr, path: &str, token: &str) -> Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    // Long: the first report after a schema change refolds every response.
    stream.set_read_timeout(Some(Duration::from_secs(900)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of the response head")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP answer: {:?}", head.lines().next()))?;
    Ok((status, raw[head_end + 4..].to_vec()))
}

/// `from=…&to=…` for the last `days` reporting days (UTC+08:00).
fn range(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let today = (now + 8 * 3600).div_euclid(86_400);
    format!("from={}&to={}", civil(today - days + 1), civil(today))
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
fn civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Every report query, timed.
fn time_queries(addr: SocketAddr, token: &str, options: &Options) -> Result<bool> {
    let r30 = range(30);
    let r90 = range(i64::from(options.days));
    let mut paths = Vec::new();
    for (label, r) in [("30d", &r30), ("90d", &r90)] {
        paths.push((
            format!("summary {label}"),
            format!("/api/reports/summary?{r}"),
        ));
        for interval in ["day", "week", "month"] {
            paths.push((
                format!("trend {interval} {label}"),
                format!("/api/reports/trend?{r}&interval={interval}"),
            ));
        }
        for by in [
            "survey", "version", "channel", "segment", "locale", "question", "tag",
        ] {
            paths.push((
                format!("breakdown {by} {label}"),
                format!("/api/reports/breakdown?{r}&by={by}"),
            ));
        }
        paths.push((
            format!("questions {label}"),
            format!("/api/reports/questions?{r}"),
        ));
        paths.push((
            format!("heatmap channel {label}"),
            format!("/api/reports/heatmap?{r}&by=channel"),
        ));
        paths.push((
            format!("reasons {label}"),
            format!("/api/reports/reasons?{r}"),
        ));
    }
    for (label, extra) in [
        ("summary 90d survey", "&survey=post-payment"),
        ("summary 90d channel", "&channel=wechat"),
        ("summary 90d channel+segment", "&channel=wechat&segment=vip"),
        ("summary 90d tag", "&tag=logistics_slow"),
        ("summary 90d incl. flagged", "&include_flagged=true"),
        ("trend day 90d channel", "&channel=app"),
    ] {
        let base = if label.starts_with("trend") {
            format!("/api/reports/trend?{r90}&interval=day")
        } else {
            format!("/api/reports/summary?{r90}")
        };
        paths.push((label.to_owned(), format!("{base}{extra}")));
    }
    println!(
        "\nreport queries ({} runs each, after one warm-up; target ≤ {TARGET_QUERY_MS} ms):",
        options.runs
    );
    println!(
        "{:<32} {:>9} {:>9} {:>9}",
        "query", "p50 ms", "max ms", "bytes"
    );
    let mut all_ok = true;
    let mut worst = 0.0f64;
    for (label, path) in &paths {
        let (status, body) = get(addr, path, token)?;
        if status != 200 {
            bail!(
                "{path} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let mut times = Vec::with_capacity(options.runs);
        for _ in 0..options.runs {
            let t = Instant::now();
            let (status, _) = get(addr, path, token)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                bail!("{path} answered {status}");
            }
        }
        times.sort_by(f64::total_cmp);
        let p50 = percentile(&times, 0.5);
        let max = times.last().copied().unwrap_or(f64::NAN);
        worst = worst.max(max);
        let ok = max <= TARGET_QUERY_MS;
        all_ok &= ok;
        println!(
            "{label:<32} {p50:>9.1} {max:>9.1} {:>9}{}",
            body.len(),
            if ok { "" } else { "  over target" }
        );
    }
    println!("slowest single query: {worst:.1} ms");
    Ok(all_ok)
}

/// The dashboard's first load: the page and its assets, then the calls
/// dashboard.js makes on load (filter choices, then the figures, cases and
/// the definitions of surveys with reasons), at most six at a time.
fn time_first_load(addr: SocketAddr, token: &str, options: &Options) -> Result<bool> {
    let base = range(30);
    let calls: Vec<String> = vec![
        "/api/surveys".into(),
        format!("/api/reports/breakdown?{base}&include_flagged=true&by=channel"),
        format!("/api/reports/breakdown?{base}&include_flagged=true&by=segment"),
        format!("/api/reports/breakdown?{base}&include_flagged=true&by=locale"),
        format!("/api/reports/breakdown?{base}&include_flagged=true&by=tag"),
        format!("/api/reports/summary?{base}"),
        format!("/api/reports/trend?{base}&interval=day"),
        format!("/api/reports/breakdown?{base}&by=channel"),
        format!("/api/reports/heatmap?{base}&by=channel"),
        format!("/api/reports/reasons?{base}"),
        "/api/cases?status=open%2Ccontacted&per_page=1".into(),
        "/api/cases?status=open%2Ccontacted&overdue=true&per_page=1".into(),
        "/api/cases?per_page=200&status=open%2Ccontacted".into(),
    ];
    let page = [
        "/admin/dashboard",
        "/admin/dashboard/dashboard.js",
        "/admin/dashboard/dashboard.css",
    ];
    let mut times = Vec::new();
    let mut defs_times = Vec::new();
    for _ in 0..options.runs.min(5) {
        let t = Instant::now();
        parallel(
            addr,
            token,
            &page.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
        )?;
        let results = parallel(addr, token, &calls)?;
        // Then the definitions of the surveys that have reasons.
        let reasons: Value = serde_json::from_slice(&results[9]).unwrap_or(Value::Null);
        let mut defs: Vec<String> = reasons["questions"]
            .as_array()
            .map(|qs| {
                qs.iter()
                    .filter_map(|q| q["survey_id"].as_str())
                    .map(|s| format!("/api/surveys/{s}"))
                    .collect()
            })
            .unwrap_or_default();
        defs.dedup();
        let d = Instant::now();
        parallel(addr, token, &defs)?;
        defs_times.push(d.elapsed().as_secs_f64() * 1000.0);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    defs_times.sort_by(f64::total_cmp);
    times.sort_by(f64::total_cmp);
    let p50 = percentile(&times, 0.5);
    let max = times.last().copied().unwrap_or(f64::NAN);
    println!(
        "\ndashboard first load ({} runs; page + script + style, then {} API calls and the reason surveys' definitions, 6 at a time): p50 {p50:.0} ms, max {max:.0} ms (target ≤ {TARGET_FIRST_LOAD_MS} ms)",
        times.len(),
        calls.len()
    );
    println!(
        "  of which GET /api/surveys/{{id}} for the reasons' surveys (admin survey detail, counts responses per version): p50 {:.0} ms",
        percentile(&defs_times, 0.5)
    );
    Ok(max <= TARGET_FIRST_LOAD_MS)
}

/// GETs `paths` with at most six requests in flight; the bodies in order.
fn parallel(addr: SocketAddr, token: &str, paths: &[String]) -> Result<Vec<Vec<u8>>> {
    let mut out = vec![Vec::new(); paths.len()];
    for (chunk_no, chunk) in paths.chunks(6).enumerate() {
        let results: Vec<Result<(u16, Vec<u8>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|p| s.spawn(move || get(addr, p, token)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a request thread panicked")))
                })
                .collect()
        });
        for (i, r) in results.into_iter().enumerate() {
            let (status, body) = r?;
            let path = &chunk[i];
            if status != 200 {
                bail!(
                    "{path} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            out[chunk_no * 6 + i] = body;
        }
    }
    Ok(out)
}

/// Accepted responses per second with analytics on and off.
fn ingestion(manyi: &Path, loadgen: &Path, root: &Path, secs: u32) -> Result<bool> {
    println!("\ningestion: loadgen closed loop, 64 connections, {secs} s, analytics on vs off …");
    let mut rates = Vec::new();
    for analytics in ["off", "on"] {
        let data = root.join(format!("ingest-{analytics}"));
        if data.exists() {
            fs::remove_dir_all(&data).with_context(|| format!("clearing {}", data.display()))?;
        }
        fs::create_dir_all(&data)?;
        let mut serve = Command::new(manyi);
        serve
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .arg("--dist")
            .arg(tools::target_dir().join("dist"))
            .args([
                "--seed-demo",
                "--rate-limit",
                "off",
                "--analytics",
                analytics,
            ]);
        let mut server = Server::start(
            serve,
            "manyi listening on http://",
            &root.join(format!("ingest-{analytics}.log")),
        )?;
        wait_healthy(server.addr)?;
        let url = format!("http://{}/v1/responses", server.addr);
        let mut cmd = Command::new(loadgen);
        cmd.args(["run", "--json", "--url", &url, "--concurrency", "64"])
            .args(["--duration", &secs.to_string(), "--dup-ratio", "0.1"]);
        let summary: Value = serde_json::from_str(tools::output(&mut cmd)?.trim())
            .context("reading loadgen's JSON summary")?;
        let _ = server.stop();
        let _ = fs::remove_dir_all(&data);
        let rate = summary["accepted_per_s"].as_f64().unwrap_or(0.0);
        println!("  analytics {analytics:<3}: {} accepted/s", thousands(rate));
        rates.push(rate);
    }
    let ratio = if rates[0] > 0.0 {
        rates[1] / rates[0]
    } else {
        0.0
    };
    println!(
        "  ratio on / off: {ratio:.3} (target ≥ {TARGET_INGEST_RATIO}: analysis, tags, cases and rollups cost at most 10 %)"
    );
    Ok(ratio >= TARGET_INGEST_RATIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_default_and_override() {
        let d = Options::parse(&[]).unwrap();
        assert_eq!(
            (d.responses, d.days, d.runs, d.ingest_secs),
            (1_000_000, 90, 10, 10)
        );
        let o = Options::parse(&strings(&[
            "--responses=5000",
            "--runs",
            "3",
            "--ingest-duration",
            "0",
        ]))
        .unwrap();
        assert_eq!((o.responses, o.runs, o.ingest_secs), (5000, 3, 0));
        assert!(Options::parse(&strings(&["--runs", "0"])).is_err());
        assert!(Options::parse(&strings(&["--colour", "red"])).is_err());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_415), "2025-11-23");
        assert_eq!(civil(11_016), "2000-02-29");
    }
}
