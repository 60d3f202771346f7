//! `/api/exports/responses.csv` and `.ndjson`: stored responses with flags
//! and tags for a filter and date range, streamed.
//!
//! The handler checks the filter, lets the analysis catch up (or, while
//! the background analysis has a large backlog, answers 503
//! `reports_warming_up` at once: see [`analyse_first`]), fixes the
//! export's snapshot and answers with a body fed by
//! [`export::spawn_chunks`]: a task that reads the export in keyset pages
//! (no database connection held while the client is slow; see
//! [`crate::reports::export`]) and sends chunks of about 64 KB over a small
//! bounded channel, so memory stays flat whatever the export's size. A
//! database failure mid-way aborts the body (the client sees a broken
//! transfer, not a silently short file).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use manyi_shared::Survey;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::reports::{FilterParams, ReportError, WarmingUpBody, analyse_first, pairs};
use crate::http::AppState;
use crate::reports::days::format_day;
use crate::reports::export::{self, BOM, PAGE_ROWS, Pages};
use crate::reports::query::{Filter, Params};
use crate::reports::rollup::Needs;
use crate::store::Store;
use crate::store::exports::ExportRow;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(responses_csv))
        .routes(routes!(responses_ndjson))
}

type Pairs =
    Result<axum::extract::Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>;

/// The filter (flagged responses included unless `include_flagged=false`;
/// no `question`), after the analysis caught up so flags and tags are
/// current: 503 `reports_warming_up` instead, before analysing any, when
/// the background analysis has more left than a request should wait for
/// (see [`analyse_first`]).
async fn prepare(state: &AppState, query: Pairs) -> Result<Filter, ReportError> {
    let pairs = pairs(query)?;
    let mut p = Params::new(&pairs, &[]);
    let filter = p.filter(true);
    if p.get("question").is_some() {
        p.reject(
            "question",
            "unknown_parameter",
            "exports have every question; question is a report filter",
        );
    }
    p.finish().map_err(ReportError::InvalidQuery)?;
    analyse_first(state, Needs::Analysed).await?;
    Ok(filter)
}

/// The export of `filter` as a streamed body: `first`, then every row
/// `encode`d. The snapshot is taken here, before the response starts.
async fn stream(
    store: &Store,
    filter: &Filter,
    first: Vec<u8>,
    encode: impl FnMut(&ExportRow, &mut Vec<u8>) + Send + 'static,
) -> Result<Body, ReportError> {
    let pages = Pages::start(store, export::selection(filter), PAGE_ROWS).await?;
    // The task ends by itself when the body is dropped (client gone).
    let (chunks, _task) = export::spawn_chunks(store.clone(), pages, first, encode);
    let body = ReceiverStream::new(chunks).map(|chunk| match chunk {
        Ok(bytes) => Ok(Bytes::from(bytes)),
        Err(e) => {
            tracing::error!(error = %e, "export failed mid-stream");
            Err(std::io::Error::other("the export failed"))
        }
    });
    Ok(Body::from_stream(body))
}

/// The response around a streamed body.
fn download(body: Body, content_type: &'static str, filter: &Filter, ext: &str) -> Response {
    let name = format!(
        "attachment; filename=\"responses-{}_{}.{ext}\"",
        format_day(filter.from),
        format_day(filter.to)
    );
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Appends one CSV record (RFC 4180 quoting) to `buf`.
fn csv_row(buf: &mut Vec<u8>, record: &[String]) {
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(1024)
        .from_writer(buf);
    // Writing into a Vec cannot fail; dropping the writer flushes it.
    let _ = writer.write_record(record);
    let _ = writer.flush();
}

/// The question columns: every question of the survey's latest version
/// when one survey is exported.
async fn question_columns(store: &Store, filter: &Filter) -> Result<Vec<String>, ReportError> {
    let Some(survey) = &filter.survey else {
        return Ok(Vec::new());
    };
    let defs = store
        .latest_definitions(std::slice::from_ref(survey))
        .await?;
    Ok(defs
        .first()
        .and_then(|(_, json)| serde_json::from_str::<Survey>(json).ok())
        .map(|s| export::question_columns(&s))
        .unwrap_or_default())
}

/// CSV for Excel: UTF-8 with BOM, RFC 4180 quoting, flags and tags
/// `;`-joined, the answers JSON, and one column per question when `survey`
/// is given.
#[utoipa::path(get, path = "/api/exports/responses.csv", tag = "exports",
    params(FilterParams),
    responses(
        (status = 200, description = "The CSV file, streamed", content_type = "text/csv"),
        (status = 422, description = "`invalid_query`", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: the background analysis is far behind (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn responses_csv(
    State(state): State<AppState>,
    query: Pairs,
) -> Result<Response, ReportError> {
    let filter = prepare(&state, query).await?;
    let questions = question_columns(state.store(), &filter).await?;
    let mut first = BOM.to_vec();
    csv_row(&mut first, &export::header(&questions));
    let body = stream(state.store(), &filter, first, move |row, buf| {
        csv_row(buf, &export::csv_record(row, &questions))
    })
    .await?;
    Ok(download(body, "text/csv; charset=utf-8", &filter, "csv"))
}

/// NDJSON: one JSON object per response and line.
#[utoipa::path(get, path = "/api/exports/responses.ndjson", tag = "exports",
    params(FilterParams),
    responses(
        (status = 200, description = "One response per line, streamed", content_type = "application/x-ndjson"),
        (status = 422, description = "`invalid_query`", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: the background analysis is far behind (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn responses_ndjson(
    State(state): State<AppState>,
    query: Pairs,
) -> Result<Response, ReportError> {
    let filter = prepare(&state, query).await?;
    let body = stream(state.store(), &filter, Vec::new(), |row, buf| {
        buf.extend_from_slice(export::ndjson_line(row).as_bytes());
        buf.push(b'\n');
    })
    .await?;
    Ok(download(body, "application/x-ndjson", &filter, "ndjson"))
}
