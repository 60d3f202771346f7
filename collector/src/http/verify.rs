//! The customer's verification page, `GET/POST /v/{token}`: the link the
//! merchant sends once a case is resolved (see
//! [`crate::cases::verification`]). Server-rendered HTML that works with
//! JavaScript off, in zh-CN, zh-TW or en ([`render`]).
//!
//! Locale: `?locale=` (or the posted `locale` field), else
//! `Accept-Language`, else the locale the customer answered the survey in,
//! else zh-CN.
//!
//! Statuses (every one an HTML page): 200 the form, or thank you; 422 the
//! form again with the answers and a message per problem; 409 already
//! answered (a second answer is refused, nothing changes); 404 unknown (or
//! replaced) link; 410 expired link ("link expired"), or the case no longer
//! waits for this answer (closed or reopened by staff: "follow-up closed");
//! 500 internal. Which one is [`crate::cases::verification::link_state`];
//! the store decides again inside its write transaction.
//!
//! Like the hosted survey, the form carries no CSRF token: it acts on no
//! session or cookie, and the secret token in the URL is the capability.

pub mod render;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use manyi_shared::Locale;
use serde::Deserialize;
use time::OffsetDateTime;

use self::render::{Text, Values};
use super::AppState;
use super::hosted::Page;
use crate::cases::verification::{self, LinkState, parse_answer};
use crate::hosted::form::FormData;
use crate::store::cases::{AnswerOutcome, CaseRow};
use crate::store::{StoreError, format_timestamp};

/// Largest accepted form (a 2000-character comment is ~18 KiB encoded).
const MAX_BODY_BYTES: usize = 32 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v/{token}", get(show).post(answer))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

// Every answer is a hosted-survey `Page`, sent as that page is: not
// cached, no `Referer` (the URL is a secret), no script at all. The
// functions below make this page's messages with its own texts.

/// A message page: `heading` and `body` in `locale`.
fn message(status: StatusCode, locale: Locale, heading: Text, body: Text) -> Page {
    Page::new(status, render::message(locale, heading, body))
}

/// 404: unknown or replaced link.
fn not_found(locale: Locale) -> Page {
    message(
        StatusCode::NOT_FOUND,
        locale,
        Text::NotFoundTitle,
        Text::NotFound,
    )
}

/// 409: answered already.
fn already_answered(locale: Locale) -> Page {
    message(
        StatusCode::CONFLICT,
        locale,
        Text::AlreadyAnsweredTitle,
        Text::AlreadyAnswered,
    )
}

/// 410: the case no longer waits for this answer.
fn gone(locale: Locale) -> Page {
    message(StatusCode::GONE, locale, Text::GoneTitle, Text::Gone)
}

/// 410: the link expired.
fn expired(locale: Locale) -> Page {
    message(StatusCode::GONE, locale, Text::ExpiredTitle, Text::Expired)
}

/// 500: opaque to the customer, `e` logged.
fn internal(locale: Locale, e: &StoreError) -> Page {
    Page::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        render::internal_error(locale),
    )
    .with_internal(e)
}

/// `?locale=` of the link.
#[derive(Debug, Default, Deserialize)]
struct LinkQuery {
    locale: Option<String>,
}

/// The page's locale (see the module docs); `answered_in` is the locale of
/// the customer's survey response, when known.
fn page_locale(requested: Option<&str>, headers: &HeaderMap, answered_in: Option<&str>) -> Locale {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.split(',')
                .find_map(|tag| Locale::negotiate(tag.split(';').next().unwrap_or("")))
        });
    requested
        .and_then(Locale::negotiate)
        .or(accept)
        .or_else(|| answered_in.and_then(Locale::negotiate))
        .unwrap_or(Locale::ZhCn)
}

/// The case of a well-formed, known token, with the locale of its response.
async fn find(
    state: &AppState,
    token: &str,
) -> Result<Option<(CaseRow, Option<String>)>, StoreError> {
    if !verification::is_well_formed(token) {
        return Ok(None);
    }
    let Some(case) = state.store().case_by_token(token).await? else {
        return Ok(None);
    };
    let locale = match &case.response_id {
        Some(id) => state
            .store()
            .case_response(id)
            .await?
            .and_then(|r| r.locale),
        None => None,
    };
    Ok(Some((case, locale)))
}

/// Whether the case still waits for this link's answer now; the refusal
/// page otherwise.
fn still_awaited(case: &CaseRow, locale: Locale) -> Result<(), Page> {
    let now = format_timestamp(OffsetDateTime::now_utc());
    match case.link_state(&now).map_err(|e| internal(locale, &e))? {
        LinkState::Awaited => Ok(()),
        LinkState::Answered => Err(already_answered(locale)),
        LinkState::Expired => Err(expired(locale)),
        LinkState::NoLongerAwaited => Err(gone(locale)),
    }
}

/// `GET /v/{token}`: the form.
#[tracing::instrument(name = "verify_show", skip_all)]
async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(link): Query<LinkQuery>,
    headers: HeaderMap,
) -> Result<Page, Page> {
    let early = page_locale(link.locale.as_deref(), &headers, None);
    let (case, answered_in) = find(&state, &token)
        .await
        .map_err(|e| internal(early, &e))?
        .ok_or_else(|| not_found(early))?;
    let locale = page_locale(link.locale.as_deref(), &headers, answered_in.as_deref());
    still_awaited(&case, locale)?;
    Ok(Page::new(
        StatusCode::OK,
        render::form_page(locale, &token, &Values::default(), &[]),
    ))
}

/// `POST /v/{token}`: the answer (`application/x-www-form-urlencoded`).
#[tracing::instrument(name = "verify_answer", skip_all)]
async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, Page> {
    let early = page_locale(None, &headers, None);
    let body =
        body.map_err(|rejection| Page::new(rejection.status(), render::internal_error(early)))?;
    let form = FormData::parse(&body);
    let requested = form.non_blank("locale");
    let (case, answered_in) = find(&state, &token)
        .await
        .map_err(|e| internal(early, &e))?
        .ok_or_else(|| not_found(page_locale(requested, &headers, None)))?;
    let locale = page_locale(requested, &headers, answered_in.as_deref());
    still_awaited(&case, locale)?;
    let answer = parse_answer(&form).map_err(|problems| {
        let values = Values {
            resolved: form.get("resolved"),
            score: form.get("score"),
            comment: form.get("comment"),
        };
        Page::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            render::form_page(locale, &token, &values, &problems),
        )
    })?;
    let outcome = state
        .store()
        .answer_verification(&token, &answer, OffsetDateTime::now_utc())
        .await
        .map_err(|e| internal(locale, &e))?;
    match outcome {
        AnswerOutcome::Verified => Ok(message(
            StatusCode::OK,
            locale,
            Text::ThanksTitle,
            Text::ThanksSatisfied,
        )),
        AnswerOutcome::Reopened => Ok(message(
            StatusCode::OK,
            locale,
            Text::ThanksTitle,
            Text::ThanksUnsatisfied,
        )),
        // Lost a race with another answer or a change by staff since `find`.
        AnswerOutcome::AlreadyAnswered => Err(already_answered(locale)),
        AnswerOutcome::Expired => Err(expired(locale)),
        AnswerOutcome::NoLongerAwaited => Err(gone(locale)),
        AnswerOutcome::UnknownToken => Err(not_found(locale)),
    }
}
