//! `/api/cases`: the follow-up case queue, one case with its response,
//! notes, history and verification, changes of status / owner / priority,
//! notes, a fresh verification link. The contract is `docs/cases-api.md`;
//! the workflow rules are in [`crate::cases::workflow`], the SQL in
//! [`crate::store::cases`].
//!
//! A verification link is in the answer of the request that made it
//! (`PATCH` to `resolved`, `POST …/verification-link`) and nowhere else:
//! only its hash is stored.
//!
//! The calling admin token (which `super::require_token` puts in the
//! request's extensions, as for `GET /api/tokens`) is recorded by name as
//! the actor of changes and the author of notes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, json_body};
use crate::cases::verification::{self, LinkFilter, LinkState};
use crate::cases::{CaseError, Priority, Status};
use crate::http::{ApiError, AppState};
use crate::store::admin_tokens::AdminToken;
use crate::store::cases::{CaseChange, CaseQuery, CaseRow, HistoryRow, NoteRow};
use crate::store::{StoreError, format_timestamp};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases))
        .routes(routes!(show_case, update_case))
        .routes(routes!(add_note))
        .routes(routes!(renew_link))
}

/// The default and largest page sizes.
const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 200;
/// Longest owner name and note, in characters.
const MAX_OWNER_CHARS: usize = 100;
const MAX_NOTE_CHARS: usize = 2000;

/// The JSON error of the admin API (`{code, message, errors: []}`), for
/// refusals of this module and of `super::webhooks`; internal failures
/// stay the opaque, logged 500 of [`ApiError`].
pub(crate) fn refusal(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "errors": []})),
    )
        .into_response()
}

impl IntoResponse for CaseError {
    fn into_response(self) -> Response {
        let status = match &self {
            CaseError::NotFound(_) => StatusCode::NOT_FOUND,
            CaseError::InvalidTransition { .. }
            | CaseError::Final { .. }
            | CaseError::NotAwaitingVerification { .. } => StatusCode::CONFLICT,
            CaseError::InvalidRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CaseError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        match self {
            CaseError::Store(e) => ApiError::Store(e).into_response(),
            refused => refusal(status, refused.code(), refused.to_string()),
        }
    }
}

/// A case in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    /// Case id.
    pub id: i64,
    /// Site key.
    pub site: String,
    /// The customer to call back.
    pub customer: String,
    /// The survey whose answer opened it.
    pub survey_id: Option<String>,
    /// The response that opened it.
    pub response_id: Option<String>,
    /// `open`, `contacted`, `resolved`, `verified`, `closed`.
    pub status: String,
    /// `urgent`, `high`, `normal`.
    pub priority: String,
    /// What opened it, e.g. `NPS 2 ≤ 6`.
    pub reason: Option<String>,
    /// The rule that opened it.
    pub rule: Option<String>,
    /// Who calls back.
    pub owner: Option<String>,
    /// When the merchant must have acted.
    pub due_at: String,
    /// Open or contacted and past due now.
    pub overdue: bool,
    /// How many times it escalated.
    pub escalation_level: i64,
    /// When opened.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl CaseSummary {
    fn of(row: &CaseRow, now: &str) -> Self {
        Self {
            id: row.id,
            site: row.site_key.clone(),
            customer: row.customer.clone(),
            survey_id: row.survey_id.clone(),
            response_id: row.response_id.clone(),
            status: row.status.clone(),
            priority: row.priority.clone(),
            reason: row.reason.clone(),
            rule: row.rule.clone(),
            owner: row.owner.clone(),
            due_at: row.due_at.clone(),
            overdue: row.is_overdue(now),
            escalation_level: row.escalation_level,
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// A page of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    /// The cases, soonest due first.
    pub items: Vec<CaseSummary>,
    /// How many match in all.
    pub total: i64,
    /// This page (from 1).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
}

/// The response that opened a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseResponseView {
    /// Response id.
    pub response_id: String,
    /// Survey version answered.
    pub survey_version: i64,
    /// Merchant's order id.
    pub order_id: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// When accepted.
    pub received_at: String,
    /// The answers, by question id.
    #[schema(value_type = Object)]
    pub answers: Value,
}

/// The verification survey of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// The customer's link, relative to the collector's origin (`/v/…`):
    /// only in the answer of the request that made it (only its hash is
    /// stored), `null` otherwise.
    pub link: Option<String>,
    /// When the link was made (the case was resolved, or the link renewed).
    pub sent_at: Option<String>,
    /// When the link stops working.
    pub expires_at: Option<String>,
    /// Whether it has (unanswered: the customer can no longer answer).
    pub expired: bool,
    /// Whether the customer answered.
    pub answered: bool,
    /// The customer's "resolved?".
    pub resolved: Option<bool>,
    /// The customer's score, 1–5.
    pub score: Option<i64>,
    /// The customer's comment.
    pub comment: Option<String>,
    /// When the customer answered.
    pub answered_at: Option<String>,
}

/// A note.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    /// Note id.
    pub id: i64,
    /// The admin token's name.
    pub author: String,
    /// Text.
    pub body: String,
    /// When written.
    pub created_at: String,
}

impl From<NoteRow> for NoteView {
    fn from(n: NoteRow) -> Self {
        Self {
            id: n.id,
            author: n.author,
            body: n.body,
            created_at: n.created_at,
        }
    }
}

/// One change in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    /// Row id.
    pub id: i64,
    /// `opened`, `status`, `owner`, `priority`, `escalated`, `verification`.
    pub change: String,
    /// Before.
    pub from: Option<String>,
    /// After.
    pub to: Option<String>,
    /// Admin token name, `system` or `customer`.
    pub actor: String,
    /// When.
    pub at: String,
}

impl From<HistoryRow> for HistoryView {
    fn from(h: HistoryRow) -> Self {
        Self {
            id: h.id,
            change: h.change,
            from: h.from_value,
            to: h.to_value,
            actor: h.actor,
            at: h.at,
        }
    }
}

/// One case with everything about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    /// The queue fields.
    #[serde(flatten)]
    pub summary: CaseSummary,
    /// When first contacted.
    pub contacted_at: Option<String>,
    /// When (last) resolved.
    pub resolved_at: Option<String>,
    /// When closed.
    pub closed_at: Option<String>,
    /// When last escalated.
    pub escalated_at: Option<String>,
    /// When the customer's verification verified it.
    pub verified_at: Option<String>,
    /// The response that opened it (`null`: opened by hand).
    pub response: Option<CaseResponseView>,
    /// The verification (`null` until first resolved).
    pub verification: Option<VerificationView>,
    /// Notes, oldest first.
    pub notes: Vec<NoteView>,
    /// History, oldest first.
    pub history: Vec<HistoryView>,
}

/// Everything about `row`; `new_token` is the token of a verification link
/// this very request made (shown now, never again).
async fn detail(
    state: &AppState,
    row: CaseRow,
    new_token: Option<&str>,
) -> Result<CaseDetail, CaseError> {
    let store = state.store();
    let now = format_timestamp(OffsetDateTime::now_utc());
    let response = match &row.response_id {
        Some(id) => match store.case_response(id).await? {
            Some(r) => Some(CaseResponseView {
                answers: serde_json::from_str(&r.answers).map_err(StoreError::from)?,
                response_id: r.response_id,
                survey_version: r.survey_version,
                order_id: r.order_id,
                channel: r.channel,
                locale: r.locale,
                received_at: r.received_at,
            }),
            None => None,
        },
        None => None,
    };
    let expired = row.link_state(&now)? == LinkState::Expired;
    let verification = row
        .verification_token_hash
        .as_deref()
        .map(|_| VerificationView {
            link: new_token.map(verification::link),
            sent_at: row.verification_sent_at.clone(),
            expires_at: row.verification_expires_at.clone(),
            expired,
            answered: row.verification_answered_at.is_some(),
            resolved: row.verification_resolved.map(|r| r != 0),
            score: row.verification_score,
            comment: row.verification_comment.clone(),
            answered_at: row.verification_answered_at.clone(),
        });
    let notes = store.case_notes(row.id).await?;
    let history = store.case_history(row.id).await?;
    Ok(CaseDetail {
        summary: CaseSummary::of(&row, &now),
        contacted_at: row.contacted_at,
        resolved_at: row.resolved_at,
        closed_at: row.closed_at,
        escalated_at: row.escalated_at,
        verified_at: row.verified_at,
        response,
        verification,
        notes: notes.into_iter().map(NoteView::from).collect(),
        history: history.into_iter().map(HistoryView::from).collect(),
    })
}

/// Filters of `GET /api/cases` (every one optional).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseFilters {
    /// Comma-separated statuses, e.g. `open,contacted`.
    pub status: Option<String>,
    /// Comma-separated priorities, e.g. `urgent,high`.
    pub priority: Option<String>,
    /// Exact owner; empty: unassigned cases.
    pub owner: Option<String>,
    /// `true`: open or contacted and past due; `false`: the others.
    pub overdue: Option<String>,
    /// `awaiting` (resolved, link unanswered and valid), `expired`
    /// (resolved, link unanswered and expired), `answered`.
    pub verification: Option<String>,
    /// Site key.
    pub site: Option<String>,
    /// Survey id.
    pub survey: Option<String>,
    /// Page, from 1 (default 1).
    pub page: Option<String>,
    /// Page size, 1–200 (default 50).
    pub per_page: Option<String>,
}

/// The case id of the path: not a number → 422 `invalid_request`.
fn case_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, CaseError> {
    path.map(|Path(id)| id)
        .map_err(|_| CaseError::InvalidRequest("id: expected a case number".to_owned()))
}

/// Parses a comma-separated list with `parse`, naming `field` on failure.
fn list_of<T>(
    raw: Option<&str>,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, CaseError> {
    raw.map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()))
        .into_iter()
        .flatten()
        .map(|item| {
            parse(item).ok_or_else(|| {
                CaseError::InvalidRequest(format!("{field}: unknown value {item:?}"))
            })
        })
        .collect()
}

/// Parses a page number or size in `1..=max`.
fn page_number(raw: Option<&str>, field: &str, default: u32, max: u32) -> Result<u32, CaseError> {
    match raw {
        None => Ok(default),
        Some(s) => s
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                CaseError::InvalidRequest(format!("{field}: expected a number from 1 to {max}"))
            }),
    }
}

impl CaseFilters {
    fn to_query(&self, now: String) -> Result<(CaseQuery, u32, u32), CaseError> {
        let page = page_number(self.page.as_deref(), "page", 1, u32::MAX / MAX_PER_PAGE)?;
        let per_page = page_number(
            self.per_page.as_deref(),
            "per_page",
            DEFAULT_PER_PAGE,
            MAX_PER_PAGE,
        )?;
        let overdue = match self.overdue.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(CaseError::InvalidRequest(format!(
                    "overdue: expected true or false, not {other:?}"
                )));
            }
        };
        let verification = match self.verification.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => Some(LinkFilter::parse(v).ok_or_else(|| {
                CaseError::InvalidRequest(format!(
                    "verification: expected awaiting, expired or answered, not {v:?}"
                ))
            })?),
        };
        let blank_is_none = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok((
            CaseQuery {
                statuses: list_of(self.status.as_deref(), "status", Status::parse)?,
                priorities: list_of(self.priority.as_deref(), "priority", Priority::parse)?,
                owner: self
                    .owner
                    .as_ref()
                    .map(|o| Some(o.trim().to_owned()).filter(|o| !o.is_empty())),
                overdue,
                verification,
                site: blank_is_none(&self.site),
                survey: blank_is_none(&self.survey),
                now,
                offset: (page - 1) * per_page,
                limit: per_page,
            },
            page,
            per_page,
        ))
    }
}

/// The case queue, soonest due first.
#[utoipa::path(get, path = "/api/cases", tag = "cases",
    params(CaseFilters),
    responses(
        (status = 200, description = "A page of the queue", body = CasePage),
        (status = 422, description = "`invalid_request`: unknown status or priority, bad page", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn list_cases(
    State(state): State<AppState>,
    filters: Result<Query<CaseFilters>, QueryRejection>,
) -> Result<Json<CasePage>, CaseError> {
    let Query(filters) = filters.map_err(|e| CaseError::InvalidRequest(e.body_text()))?;
    let now = format_timestamp(OffsetDateTime::now_utc());
    let (query, page, per_page) = filters.to_query(now.clone())?;
    let (rows, total) = state.store().list_cases(&query).await?;
    Ok(Json(CasePage {
        items: rows.iter().map(|r| CaseSummary::of(r, &now)).collect(),
        total,
        page,
        per_page,
    }))
}

/// One case with its response, notes, history and verification.
#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases",
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case", body = CaseDetail),
        (status = 404, description = "`case_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn show_case(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<CaseDetail>, CaseError> {
    let id = case_id(id)?;
    let row = state
        .store()
        .case(id)
        .await?
        .ok_or(CaseError::NotFound(id))?;
    Ok(Json(detail(&state, row, None).await?))
}

/// `PATCH /api/cases/{id}`: each field optional, at least one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseUpdate {
    /// The new status (see the workflow in `docs/cases-api.md`).
    pub status: Option<String>,
    /// The new owner; `null` unassigns.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    /// The new priority: `urgent`, `high`, `normal`.
    pub priority: Option<String>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl CaseUpdate {
    fn to_change(&self) -> Result<CaseChange, CaseError> {
        let bad = |m: String| CaseError::InvalidRequest(m);
        let status = self
            .status
            .as_deref()
            .map(|s| Status::parse(s).ok_or_else(|| bad(format!("status: unknown status {s:?}"))))
            .transpose()?;
        let priority = self
            .priority
            .as_deref()
            .map(|p| {
                Priority::parse(p).ok_or_else(|| bad(format!("priority: unknown priority {p:?}")))
            })
            .transpose()?;
        let owner = match &self.owner {
            Some(Some(o)) if o.trim().is_empty() => Some(None),
            Some(Some(o)) if o.trim().chars().count() > MAX_OWNER_CHARS => {
                return Err(bad(format!("owner: at most {MAX_OWNER_CHARS} characters")));
            }
            Some(o) => Some(o.as_ref().map(|o| o.trim().to_owned())),
            None => None,
        };
        if status.is_none() && priority.is_none() && owner.is_none() {
            return Err(bad(
                "name at least one of status, owner, priority".to_owned()
            ));
        }
        Ok(CaseChange {
            status,
            owner,
            priority,
        })
    }
}

/// Changes a case's status, owner or priority (one history row per change).
#[utoipa::path(patch, path = "/api/cases/{id}", tag = "cases",
    params(("id" = i64, Path, description = "Case id")),
    request_body = CaseUpdate,
    responses(
        (status = 200, description = "The case after the change", body = CaseDetail),
        (status = 404, description = "`case_not_found`", body = ErrorBody),
        (status = 409, description = "`invalid_transition`, or `case_final` for owner/priority of a verified or closed case", body = ErrorBody),
        (status = 422, description = "`invalid_request`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state, actor, body))]
async fn update_case(
    State(state): State<AppState>,
    Extension(actor): Extension<AdminToken>,
    id: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Json<CaseDetail>, Response> {
    let id = case_id(id).map_err(IntoResponse::into_response)?;
    let request: CaseUpdate =
        serde_json::from_value(json_body(&body).map_err(|e| e.into_response())?)
            .map_err(|e| CaseError::InvalidRequest(e.to_string()).into_response())?;
    let change = request.to_change().map_err(IntoResponse::into_response)?;
    let updated = state
        .store()
        .update_case(
            id,
            &change,
            &actor.name,
            OffsetDateTime::now_utc(),
            state.cases().link_ttl,
        )
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(
        detail(&state, updated.case, updated.new_token.as_deref())
            .await
            .map_err(IntoResponse::into_response)?,
    ))
}

/// Replaces the verification link of a resolved case (lost or expired):
/// the old link stops working at once; the new one is in this answer only.
#[utoipa::path(post, path = "/api/cases/{id}/verification-link", tag = "cases",
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case with its new `verification.link`", body = CaseDetail),
        (status = 404, description = "`case_not_found`", body = ErrorBody),
        (status = 409, description = "`not_awaiting_verification`: the case is not resolved", body = ErrorBody),
        (status = 422, description = "`invalid_request`: id not a number", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state, actor))]
async fn renew_link(
    State(state): State<AppState>,
    Extension(actor): Extension<AdminToken>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<CaseDetail>, CaseError> {
    let id = case_id(id)?;
    let (row, token) = state
        .store()
        .renew_verification_link(
            id,
            &actor.name,
            OffsetDateTime::now_utc(),
            state.cases().link_ttl,
        )
        .await?;
    Ok(Json(detail(&state, row, Some(&token)).await?))
}

/// `POST /api/cases/{id}/notes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// The text, 1–2000 characters.
    pub body: String,
}

/// Adds a note; its author is the admin token's name.
#[utoipa::path(post, path = "/api/cases/{id}/notes", tag = "cases",
    params(("id" = i64, Path, description = "Case id")),
    request_body = NewNote,
    responses(
        (status = 201, description = "The note", body = NoteView),
        (status = 404, description = "`case_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_request`: empty or too long", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state, actor, body))]
async fn add_note(
    State(state): State<AppState>,
    Extension(actor): Extension<AdminToken>,
    id: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<(StatusCode, Json<NoteView>), Response> {
    let id = case_id(id).map_err(IntoResponse::into_response)?;
    let note: NewNote = serde_json::from_value(json_body(&body).map_err(|e| e.into_response())?)
        .map_err(|e| CaseError::InvalidRequest(e.to_string()).into_response())?;
    let text = note.body.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(
            CaseError::InvalidRequest(format!("body: 1 to {MAX_NOTE_CHARS} characters"))
                .into_response(),
        );
    }
    let stored = state
        .store()
        .add_case_note(id, &actor.name, text, OffsetDateTime::now_utc())
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((StatusCode::CREATED, Json(NoteView::from(stored))))
}
