//! Survey management, the domain behind the admin API (`/api/...`) and the
//! admin subcommands of the `manyi` binary: both call these functions, so
//! the CLI and the API can never disagree.
//!
//! - [`tokens`]: admin bearer tokens (created, shown once, stored hashed);
//! - [`surveys`]: surveys from templates with overrides, versions, publish
//!   and pause;
//! - [`sites`]: sites, their keys, allowed origins and signing secrets.

pub mod sites;
pub mod surveys;
pub mod tokens;

use manyi_shared::ValidationError;

use crate::config::DatabaseArgs;
use crate::store::{self, Store, StoreError};

/// Everything a survey-management operation can fail with. The HTTP layer
/// maps each to a status and a stable code ([`AdminError::code`]).
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No usable `Authorization: Bearer …` header (absent, another scheme,
    /// or not shaped like a manyi token).
    #[error("an admin token is required: send `Authorization: Bearer manyi_…`")]
    Unauthorized,
    /// A well-formed token that is not (or no longer) known.
    #[error("the admin token is unknown or revoked")]
    InvalidToken,
    /// No template has this id.
    #[error("no template {0:?}")]
    TemplateNotFound(String),
    /// No survey has this id.
    #[error("no survey {0:?}")]
    SurveyNotFound(String),
    /// No site has this key.
    #[error("no site has the key {0:?}")]
    UnknownSite(String),
    /// The survey id is taken.
    #[error("a survey with the id {0:?} already exists")]
    SurveyExists(String),
    /// The site key is taken.
    #[error("a site with the key {0:?} already exists")]
    SiteExists(String),
    /// The resulting definition (or an override) breaks the rule book;
    /// every problem is listed with its path.
    #[error("the survey is invalid ({} problem(s))", .0.len())]
    InvalidSurvey(Vec<ValidationError>),
    /// A request field is wrong (e.g. a body that is not an object).
    #[error("{0}")]
    InvalidRequest(String),
    /// Request fields are wrong (e.g. a malformed site key or origin); every
    /// problem is listed with the field's path (`key`, `allowed_origins[1]`),
    /// so a form can show each next to its field. Code `invalid_request`.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    InvalidFields(Vec<ValidationError>),
    /// No admin token has this id.
    #[error("no admin token has the id {0}")]
    TokenNotFound(i64),
    /// Pausing a survey none of whose versions was ever published.
    #[error("survey {0:?} has no published version to pause")]
    NotPublished(String),
    /// Another edit changed the survey meanwhile; retry.
    #[error("survey {0:?} changed during the edit; retry")]
    EditConflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The OS random generator failed.
    #[error("the OS random generator failed: {0}")]
    Random(String),
}

impl AdminError {
    /// The stable machine-readable code (public contract of the admin API).
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::Unauthorized => "unauthorized",
            AdminError::InvalidToken => "invalid_token",
            AdminError::TemplateNotFound(_) => "template_not_found",
            AdminError::SurveyNotFound(_) => "survey_not_found",
            AdminError::UnknownSite(_) => "unknown_site",
            AdminError::SurveyExists(_) => "survey_exists",
            AdminError::SiteExists(_) => "site_exists",
            AdminError::InvalidSurvey(_) => "invalid_survey",
            AdminError::InvalidRequest(_) | AdminError::InvalidFields(_) => "invalid_request",
            AdminError::TokenNotFound(_) => "token_not_found",
            AdminError::NotPublished(_) => "not_published",
            AdminError::EditConflict(_) => "edit_conflict",
            AdminError::Store(_) | AdminError::Random(_) => "internal",
        }
    }
}

/// Opens (and migrates) the database named by `--data-dir` /
/// `--database-url`, for the admin subcommands.
pub async fn open_store(db: &DatabaseArgs) -> anyhow::Result<Store> {
    let options =
        store::connect_options_at(&db.data_dir.join("manyi.db"), db.database_url.as_deref())?;
    Store::open(options).await
}
