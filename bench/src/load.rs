//! `loadgen run`: the load itself.
//!
//! Each worker task owns one keep-alive HTTP/1 connection and sends one
//! request at a time on it, like a browser posting one response.
//!
//! - Closed loop (no `--rate`): each worker sends its next request as soon as
//!   the previous answer arrived; the run measures the most the server takes.
//!   Latency is from send to answer.
//! - Open loop (`--rate R`): request `k` falls due at `start + k / R`
//!   whatever the server does. A pacer on its own OS thread releases each
//!   request at its due time (`std::thread::sleep` is precise to tens of
//!   microseconds, where tokio's timer ticks in whole milliseconds) into a
//!   queue that the free connections take from. Latency is measured from the
//!   *due* time, so waiting for a free connection behind a slow server
//!   counts (no "coordinated omission", as in wrk2); that wait is also
//!   reported on its own as `send_delay_ms`.
//!
//! Retries: with probability `--dup-ratio` a worker re-sends, byte for byte,
//! one of its recent responses that was answered 201, and expects 200 (the
//! idempotent replay). Every other send is a new unique response and expects
//! 201.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;

use crate::payload::Generator;

/// `loadgen run` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Where to POST, e.g. `http://127.0.0.1:8080/v1/responses` (plain HTTP only).
    #[arg(long)]
    pub url: String,
    /// Connections, each with one request in flight at a time.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds to run (default 10 when `--count` is not given either).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Total requests to send instead of (or, with `--rate`, besides) a duration.
    #[arg(long)]
    pub count: Option<u64>,
    /// Open loop: requests per second on a fixed schedule. Without it the
    /// run is closed loop (as fast as answers come).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Share of sends that re-send an earlier accepted response unchanged.
    #[arg(long, default_value_t = 0.1)]
    pub dup_ratio: f64,
    /// Client runtime threads; the client competes with the server for the
    /// same cores, so keep this small.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Seconds before one request counts as timed out (and its connection is replaced).
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Where requests go.
#[derive(Debug)]
struct Target {
    addr: SocketAddr,
    host: HeaderValue,
    path: Uri,
}

/// When and how many requests a worker sends.
#[derive(Debug, Clone)]
enum Schedule {
    Closed {
        end: Option<Instant>,
        /// Requests left to claim, shared by all workers (with `--count`).
        remaining: Option<Arc<AtomicU64>>,
    },
    Open {
        /// Due times released by the pacer, taken by whichever worker is free.
        queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Instant>>>,
        /// After this, queued requests are given up on and reported as
        /// `unsent` rather than letting a stalled server keep the bench
        /// running for ever.
        give_up: Instant,
    },
}

/// What one worker (and, merged, the run) saw.
#[derive(Debug)]
struct Stats {
    latency_us: Histogram<u64>,
    /// Open loop: from due time to actual send (waiting for a free
    /// connection, plus the pacer's own lateness); part of the latency.
    send_delay_us: Histogram<u64>,
    unique_sent: u64,
    dup_sent: u64,
    statuses: BTreeMap<u16, u64>,
    errors: BTreeMap<String, u64>,
    /// 201 to a unique response.
    created: u64,
    /// 200 to a re-sent response.
    replayed: u64,
    /// Any other status, or 201/200 where the other was expected.
    unexpected: u64,
    /// Open loop only: scheduled but never sent before giving up.
    unsent: u64,
}

impl Stats {
    fn new() -> Result<Self> {
        Ok(Self {
            // 1 µs .. 60 s at 3 significant digits.
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)
                .context("creating the latency histogram")?,
            send_delay_us: Histogram::new_with_bounds(1, 60_000_000, 3)
                .context("creating the send-delay histogram")?,
            unique_sent: 0,
            dup_sent: 0,
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
            created: 0,
            replayed: 0,
            unexpected: 0,
            unsent: 0,
        })
    }

    fn merge(&mut self, other: Stats) -> Result<()> {
        self.latency_us
            .add(&other.latency_us)
            .context("merging latency histograms")?;
        self.send_delay_us
            .add(&other.send_delay_us)
            .context("merging send-delay histograms")?;
        self.unique_sent += other.unique_sent;
        self.dup_sent += other.dup_sent;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (error, n) in other.errors {
            *self.errors.entry(error).or_default() += n;
        }
        self.created += other.created;
        self.replayed += other.replayed;
        self.unexpected += other.unexpected;
        self.unsent += other.unsent;
        Ok(())
    }
}

/// Runs the load described by `args` and prints the summary.
pub async fn run(args: RunArgs) -> Result<()> {
    let target = Arc::new(target(&args.url).await?);
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    if !(0.0..1.0).contains(&args.dup_ratio) {
        bail!("--dup-ratio must be in [0, 1)");
    }
    let duration = match (args.duration, args.count) {
        (Some(secs), _) => Some(Duration::try_from_secs_f64(secs).context("--duration")?),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    let timeout = Duration::try_from_secs_f64(args.timeout).context("--timeout")?;
    // Distinguishes this run's order ids from any earlier run's against the
    // same database (which would be answered 409 "already answered").
    let run_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);

    let start = Instant::now();
    // Open loop: how many requests were planned and how many the pacer
    // released before giving up (the rest count as unsent).
    let mut scheduled = 0;
    let released = Arc::new(AtomicU64::new(0));
    let schedule = match args.rate {
        None => Schedule::Closed {
            end: duration.map(|d| start + d),
            remaining: args.count.map(|n| Arc::new(AtomicU64::new(n))),
        },
        Some(rate) => {
            if !(rate.is_finite() && rate > 0.0) {
                bail!("--rate must be a positive number");
            }
            let total = match (args.count, duration) {
                (Some(n), _) => n,
                (None, Some(d)) => (d.as_secs_f64() * rate).round() as u64,
                (None, None) => unreachable!("a duration is defaulted when --count is absent"),
            };
            let planned = Duration::from_secs_f64(total as f64 / rate);
            let give_up = start + planned + Duration::from_secs(10);
            let (sender, queue) = mpsc::unbounded_channel();
            let interval = Duration::from_secs_f64(1.0 / rate);
            let pacer_released = Arc::clone(&released);
            std::thread::Builder::new()
                .name("pacer".to_owned())
                .spawn(move || pace(start, interval, total, give_up, &sender, &pacer_released))
                .context("starting the pacer thread")?;
            scheduled = total;
            Schedule::Open {
                queue: Arc::new(tokio::sync::Mutex::new(queue)),
                give_up,
            }
        }
    };

    let mut tasks = Vec::with_capacity(args.concurrency);
    for worker in 0..args.concurrency {
        let worker_ctx = Worker {
            target: Arc::clone(&target),
            schedule: schedule.clone(),
            dup_ratio: args.dup_ratio,
            timeout,
            generator: Generator::new(run_id, worker),
            rng: fastrand::Rng::with_seed(run_id.wrapping_add(worker as u64)),
        };
        tasks.push(tokio::spawn(worker_ctx.run()));
    }
    let mut total = Stats::new()?;
    for task in tasks {
        total.merge(task.await.context("a worker panicked")??)?;
    }
    // The workers end only once the pacer dropped its sender, so this is final.
    total.unsent += scheduled - released.load(Ordering::Relaxed).min(scheduled);
    let elapsed = start.elapsed();
    let summary = summary(&args, &total, elapsed);
    if args.json {
        println!("{summary}");
    } else {
        print_text(&summary);
    }
    Ok(())
}

/// Parses `http://host:port/path` and resolves the host once, up front.
async fn target(url: &str) -> Result<Target> {
    let uri: Uri = url.parse().with_context(|| format!("--url {url:?}"))?;
    if uri.scheme_str() != Some("http") {
        bail!("--url must start with http:// (got {url:?})");
    }
    let authority = uri
        .authority()
        .with_context(|| format!("--url {url:?} has no host"))?
        .clone();
    let port = authority.port_u16().unwrap_or(80);
    let addr = tokio::net::lookup_host((authority.host(), port))
        .await
        .with_context(|| format!("resolving {}", authority.host()))?
        .next()
        .with_context(|| format!("{} resolves to no address", authority.host()))?;
    let path: Uri = uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .context("the URL's path")?;
    Ok(Target {
        addr,
        host: HeaderValue::from_str(authority.as_str()).context("the URL's host")?,
        path,
    })
}

/// One connection's worth of load.
struct Worker {
    target: Arc<Target>,
    schedule: Schedule,
    dup_ratio: f64,
    timeout: Duration,
    generator: Generator,
    rng: fastrand::Rng,
}

/// Accepted bodies kept for re-sending: a retry follows its original closely.
const RETRY_WINDOW: usize = 64;

impl Worker {
    async fn run(mut self) -> Result<Stats> {
        let mut stats = Stats::new()?;
        let mut conn: Option<SendRequest<Full<Bytes>>> = None;
        let mut accepted: VecDeque<Bytes> = VecDeque::with_capacity(RETRY_WINDOW);
        loop {
            // When this request should go out (latency counts from then).
            let intended = match &self.schedule {
                Schedule::Closed { end, remaining } => {
                    if end.is_some_and(|end| Instant::now() >= end) {
                        break;
                    }
                    if let Some(remaining) = remaining {
                        let claimed =
                            remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                                n.checked_sub(1)
                            });
                        if claimed.is_err() {
                            break;
                        }
                    }
                    Instant::now()
                }
                Schedule::Open { queue, give_up } => {
                    let due = queue.lock().await.recv().await;
                    let Some(due) = due else { break };
                    let now = Instant::now();
                    if now >= *give_up {
                        stats.unsent += 1;
                        continue;
                    }
                    stats
                        .send_delay_us
                        .saturating_record(now.saturating_duration_since(due).as_micros() as u64);
                    due
                }
            };

            let retry = !accepted.is_empty() && self.rng.f64() < self.dup_ratio;
            let body = if retry {
                stats.dup_sent += 1;
                accepted[self.rng.usize(..accepted.len())].clone()
            } else {
                stats.unique_sent += 1;
                self.generator.next_body()
            };
            let outcome =
                tokio::time::timeout(self.timeout, send(&mut conn, &self.target, body.clone()))
                    .await;
            let latency = intended.elapsed();
            stats
                .latency_us
                .saturating_record((latency.as_micros() as u64).max(1));
            match outcome {
                Ok(Ok(status)) => {
                    *stats.statuses.entry(status.as_u16()).or_default() += 1;
                    match (retry, status) {
                        (false, StatusCode::CREATED) => {
                            stats.created += 1;
                            if accepted.len() == RETRY_WINDOW {
                                accepted.pop_front();
                            }
                            accepted.push_back(body);
                        }
                        (true, StatusCode::OK) => stats.replayed += 1,
                        _ => stats.unexpected += 1,
                    }
                }
                Ok(Err(err)) => {
                    *stats.errors.entry(format!("{err:#}")).or_default() += 1;
                    conn = None;
                }
                Err(_) => {
                    *stats.errors.entry("timeout".to_owned()).or_default() += 1;
                    // The answer may still come on this connection; a fresh
                    // one keeps the next request's status unambiguous.
                    conn = None;
                }
            }
        }
        Ok(stats)
    }
}

/// The pacer: releases request `k` at `start + k × interval` until `total`
/// or `give_up`, counting releases in `released`. A plain OS thread with
/// `std::thread::sleep`, because tokio's timer would round each due time up
/// to the next millisecond and add that to every latency.
fn pace(
    start: Instant,
    interval: Duration,
    total: u64,
    give_up: Instant,
    sender: &mpsc::UnboundedSender<Instant>,
    released: &AtomicU64,
) {
    for k in 0..total {
        let due = start + interval.mul_f64(k as f64);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        if Instant::now() >= give_up || sender.send(due).is_err() {
            return;
        }
        released.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends one POST on the worker's connection, (re)connecting when needed,
/// and reads the whole answer so that the connection can be reused.
async fn send(
    conn: &mut Option<SendRequest<Full<Bytes>>>,
    target: &Target,
    body: Bytes,
) -> Result<StatusCode> {
    if conn.as_ref().is_some_and(SendRequest::is_closed) {
        *conn = None;
    }
    let sender = match conn {
        Some(sender) => sender,
        None => conn.insert(connect(target.addr).await?),
    };
    sender.ready().await.context("connection not ready")?;
    let request = Request::post(target.path.clone())
        .header(HOST, target.host.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(Full::new(body))
        .context("building the request")?;
    let response = sender
        .send_request(request)
        .await
        .context("sending the request")?;
    let status = response.status();
    response
        .into_body()
        .collect()
        .await
        .context("reading the answer")?;
    Ok(status)
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    // Requests are small and sent whole: never wait for Nagle.
    stream.set_nodelay(true).context("TCP_NODELAY")?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1 handshake")?;
    // The connection task ends when the sender is dropped or the server
    // closes; its error, if any, surfaces on the next send.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

fn summary(args: &RunArgs, stats: &Stats, elapsed: Duration) -> serde_json::Value {
    let secs = elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    let answered: u64 = stats.statuses.values().sum();
    let ms = |q: f64| stats.latency_us.value_at_quantile(q) as f64 / 1000.0;
    serde_json::json!({
        "url": args.url,
        "mode": if args.rate.is_some() { "open" } else { "closed" },
        "target_rate": args.rate,
        "concurrency": args.concurrency,
        "elapsed_s": secs,
        "sent": stats.unique_sent + stats.dup_sent,
        "unique_sent": stats.unique_sent,
        "dup_sent": stats.dup_sent,
        "answered": answered,
        "statuses": stats.statuses,
        "errors": stats.errors,
        "created": stats.created,
        "replayed": stats.replayed,
        "unexpected": stats.unexpected,
        "unsent": stats.unsent,
        "accepted_per_s": stats.created as f64 / secs,
        "requests_per_s": answered as f64 / secs,
        "latency_ms": {
            "p50": ms(0.50),
            "p90": ms(0.90),
            "p99": ms(0.99),
            "p999": ms(0.999),
            "max": stats.latency_us.max() as f64 / 1000.0,
        },
        "send_delay_ms": {
            "p50": stats.send_delay_us.value_at_quantile(0.5) as f64 / 1000.0,
            "p99": stats.send_delay_us.value_at_quantile(0.99) as f64 / 1000.0,
            "max": stats.send_delay_us.max() as f64 / 1000.0,
        },
    })
}

fn print_text(summary: &serde_json::Value) {
    let num = |key: &str| summary[key].as_f64().unwrap_or(0.0);
    let lat = |key: &str| summary["latency_ms"][key].as_f64().unwrap_or(0.0);
    println!(
        "{} loop, {} connections, {:.1} s against {}",
        summary["mode"].as_str().unwrap_or("?"),
        summary["concurrency"],
        num("elapsed_s"),
        summary["url"].as_str().unwrap_or("?"),
    );
    if let Some(rate) = summary["target_rate"].as_f64() {
        println!("target rate      {rate:.0}/s");
    }
    println!(
        "sent             {} ({} unique, {} re-sent)",
        summary["sent"], summary["unique_sent"], summary["dup_sent"]
    );
    println!("statuses         {}", summary["statuses"]);
    if summary["errors"].as_object().is_some_and(|e| !e.is_empty()) {
        println!("errors           {}", summary["errors"]);
    }
    println!(
        "created (201)    {}   replayed (200) {}   unexpected {}   unsent {}",
        summary["created"], summary["replayed"], summary["unexpected"], summary["unsent"]
    );
    println!(
        "accepted/s       {:.0}   requests/s {:.0}",
        num("accepted_per_s"),
        num("requests_per_s")
    );
    println!(
        "latency ms       p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        lat("p50"),
        lat("p90"),
        lat("p99"),
        lat("p999"),
        lat("max")
    );
    if summary["target_rate"].is_number() {
        let lag = |key: &str| summary["send_delay_ms"][key].as_f64().unwrap_or(0.0);
        println!(
            "send delay       p50 {:.2}  p99 {:.2}  max {:.2} ms (due → sent, included above)",
            lag("p50"),
            lag("p99"),
            lag("max")
        );
    }
}
