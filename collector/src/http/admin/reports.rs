//! `/api/reports/*`: the report endpoints of docs/reports-api.md.
//!
//! Each handler parses the query into a [`Filter`] (every bad parameter is
//! listed in one 422 `invalid_query`), lets the analysis and rollup workers
//! catch up so the figures include every stored response, and calls
//! [`crate::reports`].

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::http::{ApiError, AppState};
use crate::reports::query::{Filter, GroupBy, Params, QueryProblem};
use crate::reports::rollup::{self, Backlog, Needs};
use crate::reports::{self, Breakdown, Heatmap, QuestionsReport, Reasons, Summary, Trend};
use crate::store::StoreError;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(trend))
        .routes(routes!(breakdown))
        .routes(routes!(questions))
        .routes(routes!(heatmap))
        .routes(routes!(reasons))
}

/// The filter parameters every report takes (documentation; parsed by
/// [`Params`]).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterParams {
    /// First reporting day (UTC+08:00), `YYYY-MM-DD`; default `to` − 29 days.
    pub from: Option<String>,
    /// Last reporting day, inclusive; default today.
    pub to: Option<String>,
    /// Survey id.
    pub survey: Option<String>,
    /// Survey version (needs `survey`).
    pub version: Option<i64>,
    /// Channel; empty = responses without one.
    pub channel: Option<String>,
    /// Segment; empty = responses without one.
    pub segment: Option<String>,
    /// Locale; empty = responses without one.
    pub locale: Option<String>,
    /// Question id: rating figures of this question only.
    pub question: Option<String>,
    /// Open-text tag.
    pub tag: Option<String>,
    /// `true` to count flagged responses (default `false`).
    pub include_flagged: Option<bool>,
}

/// `interval` of the trend.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntervalParam {
    /// `day` (default), `week` (ISO, Monday–Sunday) or `month`.
    pub interval: Option<String>,
}

/// `by` of breakdowns and the heat map.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByParam {
    /// `survey`, `version`, `channel`, `segment`, `locale`, `question` or
    /// `tag` (required for the breakdown; heat map default `channel`).
    pub by: Option<String>,
}

/// A report failure: a bad query (422 `invalid_query`, every problem
/// listed), the rollups being rebuilt (503 `reports_warming_up`) or any
/// [`ApiError`].
#[derive(Debug)]
pub enum ReportError {
    /// Bad query parameters.
    InvalidQuery(Vec<QueryProblem>),
    /// The rollups are too far behind to fold within the request (after
    /// an upgrade that rebuilds them): figures would be partial.
    WarmingUp(Backlog),
    /// Anything else.
    Api(ApiError),
}

/// Seconds a client should wait before asking again while warming up.
const WARM_UP_RETRY_SECS: u64 = 5;

/// The 503 body while the rollups are rebuilt.
#[derive(Serialize, ToSchema)]
pub struct WarmingUpBody {
    /// `reports_warming_up`.
    code: &'static str,
    /// For people, with the progress.
    message: String,
    /// Always empty (the error shape of every endpoint).
    errors: Vec<String>,
    /// How far the rebuild is.
    progress: Backlog,
}

impl From<StoreError> for ReportError {
    fn from(e: StoreError) -> Self {
        Self::Api(ApiError::Store(e))
    }
}

#[derive(Serialize)]
struct InvalidQueryBody<'a> {
    code: &'static str,
    message: String,
    errors: &'a [QueryProblem],
}

impl IntoResponse for ReportError {
    fn into_response(self) -> Response {
        match self {
            Self::InvalidQuery(problems) => {
                let message = problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                let body = InvalidQueryBody {
                    code: "invalid_query",
                    message,
                    errors: &problems,
                };
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            Self::WarmingUp(progress) => {
                let body = WarmingUpBody {
                    code: "reports_warming_up",
                    message: format!(
                        "reports are catching up ({:.1} % folded, {} responses and {} events to \
                         go: after an upgrade that rebuilds them, or a burst); figures would be \
                         incomplete: retry in a few seconds",
                        progress.folded_pct, progress.responses_pending, progress.events_pending
                    ),
                    errors: Vec::new(),
                    progress,
                };
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, WARM_UP_RETRY_SECS.to_string())],
                    Json(body),
                )
                    .into_response()
            }
            Self::Api(e) => e.into_response(),
        }
    }
}

/// The decoded query pairs; undecodable → `invalid_query`.
pub(crate) fn pairs(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Vec<(String, String)>, ReportError> {
    query.map(|Query(p)| p).map_err(|e| {
        ReportError::InvalidQuery(vec![QueryProblem {
            question: "query".into(),
            code: "bad_value",
            message: format!("the query string does not decode: {e}"),
        }])
    })
}

/// Lets the analysis pipeline and then the rollups fold every stored
/// response, so a report sees all of them with their flags and tags; when
/// far more are pending than a request should wait for (see
/// [`rollup::WARM_UP_RESPONSES`]), answers 503 `reports_warming_up` with
/// the progress instead: the background workers are at them, and a
/// partial figure must never look complete.
pub(crate) async fn catch_up(state: &AppState) -> Result<(), ReportError> {
    analyse_first(state, Needs::Folded).await?;
    ready_for(state, Needs::Folded).await?;
    rollup::catch_up(state.store()).await?;
    Ok(())
}

/// Lets the analysis pipeline analyse every stored response, so flags and
/// tags are current (what exports need); 503 `reports_warming_up` instead
/// when the background analysis is running and the backlog that `needs`
/// waits for is past the thresholds.
///
/// With the analysis running in the background (the default), the backlog
/// is counted before any response is analysed here: a burst, a restore or
/// an upgrade that analyses again would otherwise hold the request (and
/// every report the dashboard asks for at once, or an export) for the
/// whole backlog. Without it (`--analytics off`), requests analyse what
/// they need.
pub(crate) async fn analyse_first(state: &AppState, needs: Needs) -> Result<(), ReportError> {
    if state.analytics().is_running() {
        ready_for(state, needs).await?;
    }
    state.analytics().catch_up().await?;
    Ok(())
}

/// 503 `reports_warming_up` when more of what `needs` waits for is pending
/// than a request processes itself.
async fn ready_for(state: &AppState, needs: Needs) -> Result<(), ReportError> {
    let backlog = Backlog::of(state.store()).await?;
    if backlog.holds_up(needs) {
        return Err(ReportError::WarmingUp(backlog));
    }
    Ok(())
}

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Parses the filter and the endpoint's own parameters with `own`.
fn parse<T>(
    query: Pairs,
    extra: &[&str],
    own: impl FnOnce(&mut Params<'_>) -> T,
) -> Result<(Filter, T), ReportError> {
    let pairs = pairs(query)?;
    let mut p = Params::new(&pairs, extra);
    let filter = p.filter(false);
    let t = own(&mut p);
    p.finish().map_err(ReportError::InvalidQuery)?;
    Ok((filter, t))
}

/// KPI tiles: responses, response rate, NPS, CSAT, CES, median time, for
/// the range and the previous range of equal length, with the change.
#[utoipa::path(get, path = "/api/reports/summary", tag = "reports",
    params(FilterParams),
    responses(
        (status = 200, description = "Figures of the period and the previous one", body = Summary),
        (status = 422, description = "`invalid_query`", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: rollups being rebuilt (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn summary(
    State(state): State<AppState>,
    query: Pairs,
) -> Result<Json<Summary>, ReportError> {
    let (filter, ()) = parse(query, &[], |_| ())?;
    catch_up(&state).await?;
    Ok(Json(reports::summary(state.store(), &filter).await?))
}

/// Figures per day, ISO week or calendar month (every bucket of the range,
/// clipped to it).
#[utoipa::path(get, path = "/api/reports/trend", tag = "reports",
    params(FilterParams, IntervalParam),
    responses(
        (status = 200, description = "One bucket per day, week or month", body = Trend),
        (status = 422, description = "`invalid_query`", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: rollups being rebuilt (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn trend(State(state): State<AppState>, query: Pairs) -> Result<Json<Trend>, ReportError> {
    let (filter, interval) = parse(query, &["interval"], |p| p.interval())?;
    catch_up(&state).await?;
    Ok(Json(
        reports::trend(state.store(), &filter, interval).await?,
    ))
}

/// Figures per survey, version, channel, segment, locale, question or tag.
#[utoipa::path(get, path = "/api/reports/breakdown", tag = "reports",
    params(FilterParams, ByParam),
    responses(
        (status = 200, description = "One group per value, most responses first", body = Breakdown),
        (status = 422, description = "`invalid_query` (`by` missing or unknown)", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: rollups being rebuilt (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn breakdown(
    State(state): State<AppState>,
    query: Pairs,
) -> Result<Json<Breakdown>, ReportError> {
    let (filter, by) = parse(query, &["by"], |p| p.group_by(None))?;
    // group_by reported the problem when None, so finish() failed already.
    let by = by.unwrap_or(GroupBy::Survey);
    catch_up(&state).await?;
    Ok(Json(reports::breakdown(state.store(), &filter, by).await?))
}

/// Every rating question's distribution, mean, median and margin, and the
/// Likert mean of each SERVQUAL dimension.
#[utoipa::path(get, path = "/api/reports/questions", tag = "reports",
    params(FilterParams),
    responses(
        (status = 200, description = "Questions and dimensions", body = QuestionsReport),
        (status = 422, description = "`invalid_query`", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: rollups being rebuilt (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn questions(
    State(state): State<AppState>,
    query: Pairs,
) -> Result<Json<QuestionsReport>, ReportError> {
    let (filter, ()) = parse(query, &[], |_| ())?;
    catch_up(&state).await?;
    Ok(Json(reports::questions(state.store(), &filter).await?))
}

/// Likert mean per SERVQUAL dimension × group (default: channel).
#[utoipa::path(get, path = "/api/reports/heatmap", tag = "reports",
    params(FilterParams, ByParam),
    responses(
        (status = 200, description = "Cells of dimension × group", body = Heatmap),
        (status = 422, description = "`invalid_query`", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: rollups being rebuilt (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn heatmap(
    State(state): State<AppState>,
    query: Pairs,
) -> Result<Json<Heatmap>, ReportError> {
    let (filter, by) = parse(query, &["by"], |p| p.group_by(Some(GroupBy::Channel)))?;
    let by = by.unwrap_or(GroupBy::Channel);
    catch_up(&state).await?;
    Ok(Json(reports::heatmap(state.store(), &filter, by).await?))
}

/// How often each option of each choice question (the follow-up reasons)
/// was picked, of the responses that answered it.
#[utoipa::path(get, path = "/api/reports/reasons", tag = "reports",
    params(FilterParams),
    responses(
        (status = 200, description = "Choice questions and their options", body = Reasons),
        (status = 422, description = "`invalid_query`", body = ErrorBody),
        (status = 503, description = "`reports_warming_up`: rollups being rebuilt (Retry-After)", body = WarmingUpBody),
    ))]
#[tracing::instrument(skip_all)]
async fn reasons(
    State(state): State<AppState>,
    query: Pairs,
) -> Result<Json<Reasons>, ReportError> {
    let (filter, ()) = parse(query, &[], |_| ())?;
    catch_up(&state).await?;
    Ok(Json(reports::reasons(state.store(), &filter).await?))
}
