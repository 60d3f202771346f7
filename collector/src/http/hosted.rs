//! `GET /s/{survey_id}` and `POST /s/{survey_id}`: the hosted survey page,
//! a plain HTML form that works with JavaScript off (see [`crate::hosted`]).
//!
//! `GET` takes the link parameters the loader's fallback builds (`site`,
//! `order`, `customer`, `channel`, `segment`, `locale`, `sig`, `exp`) and
//! renders every question, follow-ups included with a hint saying when they
//! apply, plus a fresh `response_id` in a hidden field.
//!
//! `POST` turns the form into a response payload (follow-ups that do not
//! apply are dropped first), then [`crate::ingest::accept`]s it like `POST
//! /v1/responses` does: same signature rule, same rule book, same
//! deduplication.
//!
//! Statuses (every one an HTML page): 200 the form, or thank you (also for
//! a repeated post of the same form); 422 the form again with the
//! customer's answers and a message next to each problem; 409 "already
//! answered" (this order was answered, by this form with other answers or
//! by another response; `GET` says so too instead of showing a form that
//! cannot be sent); 401 bad or expired signature when the site requires
//! one; 400 a link or form missing its site or with broken hidden fields;
//! 404 no such published survey for the site; 413 too large; 500 internal.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use manyi_shared::signing::{SignatureError, SignedParts};
use manyi_shared::{
    Context, Locale, ResponseId, ResponsePayload, SiteKey, Survey, SurveyId, Timing,
};
use time::OffsetDateTime;

use super::AppState;
use super::error::InternalErrorDetail;
use crate::hosted::form::{self, FormData};
use crate::hosted::render::{self, FormPage};
use crate::hosted::text::Text;
use crate::hosted::{LinkParams, choose_locale};
use crate::ingest::{self, IngestError};
use crate::store::sites::Site;
use crate::store::{StoreError, format_timestamp};

/// Largest accepted form. Answers with long comments are a few KiB.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{survey_id}", get(show).post(submit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// An HTML page with its status. The headers keep it out of caches (each
/// form carries its own response id), keep the signed link out of
/// `Referer`, and allow no script, frame or foreign resource. The
/// verification page ([`super::verify`]) is sent the same way.
pub(crate) struct Page {
    status: StatusCode,
    html: String,
    /// For 500s: what went wrong, logged by the error middleware.
    internal: Option<String>,
}

impl Page {
    /// `html` sent with `status`.
    pub(crate) fn new(status: StatusCode, html: String) -> Self {
        Self {
            status,
            html,
            internal: None,
        }
    }

    /// The same page carrying `detail` for the log (500s): never shown.
    pub(crate) fn with_internal(self, detail: impl ToString) -> Self {
        Self {
            internal: Some(detail.to_string()),
            ..self
        }
    }

    /// A fixed message page.
    fn fixed(
        status: StatusCode,
        survey: Option<&Survey>,
        locale: Locale,
        heading: Text,
        message: Text,
    ) -> Self {
        Self::new(status, render::fixed_page(survey, locale, heading, message))
    }

    /// An opaque 500 page; the detail goes to the log only.
    fn internal(locale: Locale, detail: impl ToString) -> Self {
        Self::fixed(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            locale,
            Text::ErrorTitle,
            Text::Error,
        )
        .with_internal(detail)
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, Html(self.html)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
            ),
        );
        if let Some(detail) = self.internal {
            response
                .extensions_mut()
                .insert(InternalErrorDetail(detail));
        }
        response
    }
}

impl From<StoreError> for Page {
    fn from(e: StoreError) -> Self {
        Page::internal(Locale::ZhCn, e)
    }
}

/// The page for a refused signature: an expired link says so, anything
/// else is a broken link.
fn signature_page(survey: &Survey, locale: Locale, e: SignatureError) -> Page {
    let message = if e == SignatureError::Expired {
        Text::ExpiredLink
    } else {
        Text::BadLink
    };
    Page::fixed(
        StatusCode::UNAUTHORIZED,
        Some(survey),
        locale,
        Text::BadLinkTitle,
        message,
    )
}

/// The locale of a page shown before the survey is known.
fn early_locale(requested: Option<&str>, headers: &HeaderMap) -> Locale {
    requested
        .or_else(|| accept_language(headers))
        .and_then(|t| {
            t.split(',')
                .find_map(|tag| Locale::negotiate(tag.split(';').next().unwrap_or("")))
        })
        .unwrap_or(Locale::ZhCn)
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// The site and the survey's latest published version for it, or the page
/// saying why there is none.
async fn site_and_survey(
    state: &AppState,
    site_key: Option<&str>,
    survey_id: &str,
    version: Option<u32>,
    locale: Locale,
) -> Result<(Site, Survey), Page> {
    let bad_link = || {
        Page::fixed(
            StatusCode::BAD_REQUEST,
            None,
            locale,
            Text::BadLinkTitle,
            Text::BadLink,
        )
    };
    let not_found = || {
        Page::fixed(
            StatusCode::NOT_FOUND,
            None,
            locale,
            Text::NotFoundTitle,
            Text::NotFound,
        )
    };
    let site_key = site_key
        .and_then(|s| SiteKey::parse(s).ok())
        .ok_or_else(bad_link)?;
    let survey_id = SurveyId::parse(survey_id).map_err(|_| not_found())?;
    let site = state
        .store
        .find_site(&site_key)
        .await?
        .ok_or_else(not_found)?;
    let version = match version {
        Some(v) => v,
        None => match state.store.latest_published_survey(&survey_id).await? {
            Some(s) => s.version,
            None => return Err(not_found()),
        },
    };
    // Checks the site as well: a survey of another site is not found.
    let survey = state
        .store
        .published_survey(&site_key, &survey_id, version)
        .await?
        .ok_or_else(not_found)?;
    Ok((site, survey))
}

/// `GET /s/{survey_id}`: the form.
#[tracing::instrument(name = "hosted_show", skip_all, fields(survey_id = %survey_id))]
async fn show(
    State(state): State<AppState>,
    Path(survey_id): Path<String>,
    Query(link): Query<LinkParams>,
    headers: HeaderMap,
) -> Result<Page, Page> {
    let link = link.normalized();
    let locale = early_locale(link.locale.as_deref(), &headers);
    let (site, survey) =
        site_and_survey(&state, link.site.as_deref(), &survey_id, None, locale).await?;
    let locale = choose_locale(link.locale.as_deref(), accept_language(&headers), &survey);
    let exp = parse_exp(link.exp.as_deref()).ok_or_else(|| {
        Page::fixed(
            StatusCode::BAD_REQUEST,
            Some(&survey),
            locale,
            Text::BadLinkTitle,
            Text::BadLink,
        )
    })?;

    let now = OffsetDateTime::now_utc();
    let parts = SignedParts {
        site: site.key.as_str(),
        survey: survey.id.as_str(),
        order_id: link.order.as_deref(),
        customer: link.customer.as_deref(),
        exp,
    };
    if let Err(e) =
        ingest::verify_signature(&site, &parts, link.sig.as_deref(), now.unix_timestamp())
    {
        return Err(signature_page(&survey, locale, e));
    }
    if let Some(order) = link.order.as_deref()
        && state.store.order_answered(&survey.id, order).await?
    {
        return Err(Page::fixed(
            StatusCode::CONFLICT,
            Some(&survey),
            locale,
            Text::AlreadyAnsweredTitle,
            Text::AlreadyAnswered,
        ));
    }

    let response_id = uuid::Uuid::new_v4().to_string();
    let hidden = hidden_fields(&link, &survey, locale, &response_id, &format_timestamp(now));
    Ok(Page::new(
        StatusCode::OK,
        render::form_page(&FormPage {
            survey: &survey,
            locale,
            action: survey.id.as_str(),
            hidden: &hidden,
            values: &FormData::default(),
            errors: &[],
        }),
    ))
}

/// `exp` as unix seconds: `Some(None)` when absent, `None` when not a number.
fn parse_exp(exp: Option<&str>) -> Option<Option<i64>> {
    match exp {
        None => Some(None),
        Some(e) => e.trim().parse().ok().map(Some),
    }
}

/// The hidden fields that carry the link and the rendering through the post.
fn hidden_fields(
    link: &LinkParams,
    survey: &Survey,
    locale: Locale,
    response_id: &str,
    shown_at: &str,
) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        (form::F_RESPONSE_ID, response_id.to_owned()),
        (form::F_VERSION, survey.version.to_string()),
        (form::F_SHOWN_AT, shown_at.to_owned()),
        (form::F_LOCALE, locale.tag().to_owned()),
        (form::F_CHANNEL, link.channel().to_owned()),
    ];
    let optional = [
        (form::F_SITE, &link.site),
        (form::F_ORDER, &link.order),
        (form::F_CUSTOMER, &link.customer),
        (form::F_SEGMENT, &link.segment),
        (form::F_SIG, &link.sig),
        (form::F_EXP, &link.exp),
    ];
    fields.extend(
        optional
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name, v))),
    );
    fields
}

/// `POST /s/{survey_id}`: the answers.
#[tracing::instrument(name = "hosted_submit", skip_all, fields(survey_id = %survey_id, response_id))]
async fn submit(
    State(state): State<AppState>,
    Path(survey_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, Page> {
    let early = early_locale(None, &headers);
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        Page::fixed(status, None, early, Text::ErrorTitle, Text::Error)
    })?;
    let data = FormData::parse(&body);
    let link = LinkParams {
        site: data.get(form::F_SITE).map(str::to_owned),
        order: data.get(form::F_ORDER).map(str::to_owned),
        customer: data.get(form::F_CUSTOMER).map(str::to_owned),
        channel: data.get(form::F_CHANNEL).map(str::to_owned),
        segment: data.get(form::F_SEGMENT).map(str::to_owned),
        locale: data.get(form::F_LOCALE).map(str::to_owned),
        sig: data.get(form::F_SIG).map(str::to_owned),
        exp: data.get(form::F_EXP).map(str::to_owned),
    }
    .normalized();
    let locale = early_locale(link.locale.as_deref(), &headers);
    let bad_link = |survey: Option<&Survey>| {
        Page::fixed(
            StatusCode::BAD_REQUEST,
            survey,
            locale,
            Text::BadLinkTitle,
            Text::BadLink,
        )
    };
    let version = data
        .get(form::F_VERSION)
        .and_then(|v| v.trim().parse::<u32>().ok())
        .ok_or_else(|| bad_link(None))?;
    let (site, survey) = site_and_survey(
        &state,
        link.site.as_deref(),
        &survey_id,
        Some(version),
        locale,
    )
    .await?;
    let locale = choose_locale(link.locale.as_deref(), None, &survey);
    let response_id = data
        .get(form::F_RESPONSE_ID)
        .and_then(|id| ResponseId::parse(id).ok())
        .ok_or_else(|| bad_link(Some(&survey)))?;
    tracing::Span::current().record("response_id", tracing::field::display(&response_id));
    let exp = parse_exp(link.exp.as_deref()).ok_or_else(|| bad_link(Some(&survey)))?;

    let answers = form::prune_hidden(&survey, &form::raw_answers(&survey, &data));
    let payload = ResponsePayload {
        response_id,
        site: site.key.clone(),
        survey_id: survey.id.clone(),
        survey_version: survey.version,
        answers,
        context: Context {
            order_id: link.order.clone(),
            customer: link.customer.clone(),
            channel: Some(link.channel().to_owned()),
            segment: link.segment.clone(),
            locale: Some(locale.tag().to_owned()),
            page: None,
            exp,
        },
        // No submitted_at: the collector's received_at is the submission
        // time here, and a value that changed on every post would make a
        // repeated post of the same form look like a different response.
        timing: Timing {
            shown_at: data.non_blank(form::F_SHOWN_AT).map(str::to_owned),
            submitted_at: None,
        },
        sig: link.sig.clone(),
    };

    let now = OffsetDateTime::now_utc().unix_timestamp();
    let result = ingest::accept(&state.store, &site, &survey, &payload, now).await;
    state.metrics.ingested(&result);
    match result {
        Ok(_) => Ok(Page::new(
            StatusCode::OK,
            render::thank_you_page(&survey, locale),
        )),
        Err(IngestError::Invalid(errors)) => {
            let hidden: Vec<(&'static str, String)> = hidden_fields(
                &link,
                &survey,
                locale,
                &response_id.to_string(),
                data.get(form::F_SHOWN_AT).unwrap_or_default(),
            );
            Err(Page::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                render::form_page(&FormPage {
                    survey: &survey,
                    locale,
                    action: survey.id.as_str(),
                    hidden: &hidden,
                    values: &data,
                    errors: &errors,
                }),
            ))
        }
        Err(IngestError::ResponseIdConflict(_) | IngestError::AlreadyAnswered { .. }) => {
            Err(Page::fixed(
                StatusCode::CONFLICT,
                Some(&survey),
                locale,
                Text::AlreadyAnsweredTitle,
                Text::AlreadyAnswered,
            ))
        }
        Err(IngestError::Signature(e)) => Err(signature_page(&survey, locale, e)),
        Err(IngestError::UnknownSite(_) | IngestError::SurveyNotFound { .. }) => Err(Page::fixed(
            StatusCode::NOT_FOUND,
            Some(&survey),
            locale,
            Text::NotFoundTitle,
            Text::NotFound,
        )),
        Err(IngestError::Store(e)) => Err(Page::internal(locale, e)),
    }
}
