//! `GET /metrics`: the collector's counters and histograms in the
//! Prometheus text format, and the middleware that times every request.
//!
//! Each [`crate::App`] has its own [`Metrics`] (a local Prometheus recorder
//! whose handles are registered directly, not through the `metrics` crate's
//! global recorder): a global recorder can be installed once per process,
//! and tests run many collectors in one process.
//!
//! Series:
//! - `manyi_responses_accepted_total`: responses stored (201, or the hosted
//!   page's thank-you for a new response);
//! - `manyi_responses_retried_total`: identical retries answered 200;
//! - `manyi_responses_rejected_total{code}`: responses refused with a 4xx,
//!   by error code (`invalid_response`, `already_answered`, …);
//! - `manyi_write_batch_size`: rows per group commit (histogram);
//! - `manyi_write_queue_depth`: responses waiting for the writer (gauge);
//! - `manyi_http_request_duration_seconds{route,status}`: latency by
//!   matched route (`unmatched` for the fallback, so that scanners probing
//!   random paths cannot create series) and status.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{
    Counter, Histogram, Key, KeyName, Label, Level, Metadata, Recorder as _, SharedString,
};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use super::AppState;
use crate::ingest::{IngestError, Ingested};
use crate::store::writer::{MAX_BATCH, WriterMetrics};

const ACCEPTED: &str = "manyi_responses_accepted_total";
const RETRIED: &str = "manyi_responses_retried_total";
const REJECTED: &str = "manyi_responses_rejected_total";
const BATCH_SIZE: &str = "manyi_write_batch_size";
const QUEUE_DEPTH: &str = "manyi_write_queue_depth";
const REQUEST_DURATION: &str = "manyi_http_request_duration_seconds";

/// Request latency buckets, seconds: a commit on this disk is ~0.1 ms to a
/// few ms, a slow request is anything near a second.
const DURATION_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How often histogram samples are folded into their buckets when nobody
/// scrapes (rendering folds them too); keeps memory flat between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Registration metadata (the recorder ignores it, the API wants one).
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// One collector's metrics.
#[derive(Debug)]
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    accepted: Counter,
    retried: Counter,
    /// `manyi_http_request_duration_seconds` handles by route, then status.
    /// Registering a labelled series builds and hashes its key (two label
    /// strings, a Vec) and looks it up in the recorder's registry, about
    /// 1,200 instructions and four allocations per request (callgrind);
    /// this read-locked lookup is a fraction of that. Routes are the
    /// router's patterns and statuses a few codes, so the map stays small.
    durations: RwLock<HashMap<String, HashMap<u16, Histogram>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh recorder with the collector's series described.
    pub fn new() -> Self {
        let batch_buckets: Vec<f64> = std::iter::successors(Some(1.0), |b| Some(b * 2.0))
            .take_while(|&b| b <= MAX_BATCH as f64)
            .collect();
        let builder = PrometheusBuilder::new();
        // Both bucket lists are non-empty constants, the only way these fail.
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), &batch_buckets)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), DURATION_BUCKETS)
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let describe = |name: &'static str, help: &'static str| {
            recorder.describe_counter(KeyName::from(name), None, SharedString::from(help));
        };
        describe(ACCEPTED, "Responses stored (answered 201).");
        describe(
            RETRIED,
            "Identical retries of a stored response (answered 200).",
        );
        describe(REJECTED, "Responses refused with a 4xx, by error code.");
        describe(BATCH_SIZE, "Responses per group commit of the writer.");
        describe(
            QUEUE_DEPTH,
            "Responses waiting for the writer, the batch being written included.",
        );
        describe(
            REQUEST_DURATION,
            "HTTP request latency by matched route and status.",
        );
        let handle = recorder.handle();
        let accepted = recorder.register_counter(&Key::from_static_name(ACCEPTED), &METADATA);
        let retried = recorder.register_counter(&Key::from_static_name(RETRIED), &METADATA);
        Self {
            recorder,
            handle,
            accepted,
            retried,
            durations: RwLock::default(),
        }
    }

    /// The request-duration histogram of `route` and `status`, registered
    /// on first use.
    fn duration(&self, route: &str, status: StatusCode) -> Histogram {
        let cached = self
            .durations
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
            .and_then(|by_status| by_status.get(&status.as_u16()).cloned());
        if let Some(histogram) = cached {
            return histogram;
        }
        let key = Key::from_parts(
            REQUEST_DURATION,
            vec![
                Label::new("route", route.to_owned()),
                Label::new("status", status.as_str().to_owned()),
            ],
        );
        let histogram = self.recorder.register_histogram(&key, &METADATA);
        self.durations
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(route.to_owned())
            .or_default()
            .insert(status.as_u16(), histogram.clone());
        histogram
    }

    /// Handles for the response writer.
    pub fn writer(&self) -> WriterMetrics {
        WriterMetrics {
            batch_size: self
                .recorder
                .register_histogram(&Key::from_static_name(BATCH_SIZE), &METADATA),
            queue_depth: self
                .recorder
                .register_gauge(&Key::from_static_name(QUEUE_DEPTH), &METADATA),
        }
    }

    /// Counts a response taken in (`created`: new, else an identical retry).
    pub fn accepted(&self, created: bool) {
        if created {
            self.accepted.increment(1);
        } else {
            self.retried.increment(1);
        }
    }

    /// Counts a response refused with a 4xx `code`.
    pub fn rejected(&self, code: &'static str) {
        let key = Key::from_parts(REJECTED, vec![Label::from_static_parts("code", code)]);
        self.recorder.register_counter(&key, &METADATA).increment(1);
    }

    /// Counts the outcome of [`crate::ingest::accept`] (failures of the
    /// store are not refusals and count nowhere here).
    pub fn ingested(&self, result: &Result<Ingested, IngestError>) {
        match result {
            Ok(ingested) => self.accepted(ingested.created),
            Err(e) => {
                if let Some(code) = e.code() {
                    self.rejected(code);
                }
            }
        }
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

/// Folds histogram samples into buckets every [`UPKEEP_EVERY`] until the
/// metrics are dropped.
pub fn spawn_upkeep(metrics: &Arc<Metrics>) {
    let weak: Weak<Metrics> = Arc::downgrade(metrics);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        tick.tick().await; // the first tick completes at once
        loop {
            tick.tick().await;
            let Some(metrics) = weak.upgrade() else { break };
            metrics.handle.run_upkeep();
        }
    });
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

/// `GET /metrics`.
async fn render(State(state): State<AppState>) -> Response {
    let mut response = (StatusCode::OK, state.metrics.render()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Middleware: times every request into
/// `manyi_http_request_duration_seconds{route,status}`.
pub async fn time_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // The matched path is an `Arc<str>` inside the extension: take a
    // cheap clone rather than a String, since the request moves on.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    state
        .metrics
        .duration(route, response.status())
        .record(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_render_with_labels_and_buckets() {
        let m = Metrics::new();
        m.accepted(true);
        m.accepted(false);
        m.rejected("invalid_response");
        m.rejected("invalid_response");
        let writer = m.writer();
        writer.batch_size.record(3.0);
        writer.queue_depth.set(2.0);
        let text = m.render();
        assert!(text.contains("manyi_responses_accepted_total 1"), "{text}");
        assert!(text.contains("manyi_responses_retried_total 1"), "{text}");
        assert!(
            text.contains(r#"manyi_responses_rejected_total{code="invalid_response"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"manyi_write_batch_size_bucket{le="4"} 1"#),
            "{text}"
        );
        assert!(text.contains("manyi_write_queue_depth 2"), "{text}");
        assert!(
            text.contains("# HELP manyi_responses_accepted_total"),
            "{text}"
        );
    }

    #[test]
    fn request_durations_are_counted_per_route_and_status_through_the_cache() {
        let m = Metrics::new();
        m.duration("/v1/responses", StatusCode::CREATED)
            .record(0.001);
        m.duration("/v1/responses", StatusCode::CREATED)
            .record(0.002);
        m.duration("/v1/responses", StatusCode::OK).record(0.001);
        m.duration("unmatched", StatusCode::NOT_FOUND).record(0.001);
        let text = m.render();
        for series in [
            r#"manyi_http_request_duration_seconds_count{route="/v1/responses",status="201"} 2"#,
            r#"manyi_http_request_duration_seconds_count{route="/v1/responses",status="200"} 1"#,
            r#"manyi_http_request_duration_seconds_count{route="unmatched",status="404"} 1"#,
        ] {
            assert!(text.contains(series), "{series} in {text}");
        }
    }

    #[test]
    fn two_collectors_count_apart() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.accepted(true);
        assert!(a.render().contains("manyi_responses_accepted_total 1"));
        assert!(b.render().contains("manyi_responses_accepted_total 0"));
    }
}
