//! Sites: creating one (with its signing secret, shown once), listing them,
//! changing their name, allowed origins or signature requirement, and
//! rotating their signing secret.

use manyi_shared::{ErrorCode, SiteKey, ValidationError};
use secrecy::SecretString;

use super::AdminError;
use crate::store::Store;
use crate::store::site_admin::{SiteChanges, SiteSummary};
use crate::store::sites::NewSite;

/// A site to create.
#[derive(Debug, Clone)]
pub struct SiteSpec<'a> {
    /// The public key, as in `data-site="…"`.
    pub key: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Allowed origins (`*`, or `http(s)://host[:port]`).
    pub origins: &'a [String],
    /// Refuse responses without a valid signature.
    pub require_signature: bool,
}

/// A site just created, with its secret (shown once).
#[derive(Debug)]
pub struct CreatedSite {
    /// The site key.
    pub key: SiteKey,
    /// The allowed origins as stored.
    pub origins: Vec<String>,
    /// The generated signing secret: 64 lowercase hex digits (32 random bytes).
    pub secret: SecretString,
}

/// Creates the site with a fresh signing secret. Fails when the key is
/// taken, or with every field problem ([`AdminError::InvalidFields`]: `key`,
/// `name`, `allowed_origins[i]`).
#[tracing::instrument(skip(store))]
pub async fn create(store: &Store, spec: &SiteSpec<'_>) -> Result<CreatedSite, AdminError> {
    let mut errors = Vec::new();
    let key = SiteKey::parse(spec.key)
        .map_err(|e| {
            errors.push(ValidationError::new(
                "key",
                ErrorCode::WrongType,
                format!("key {:?}: {e}", spec.key),
            ))
        })
        .ok();
    let name = spec.name.trim();
    if name.is_empty() {
        errors.push(ValidationError::new(
            "name",
            ErrorCode::Required,
            "the site name is empty",
        ));
    }
    let origins = checked_origins(spec.origins, &mut errors);
    let Some(key) = key.filter(|_| errors.is_empty()) else {
        return Err(AdminError::InvalidFields(errors));
    };
    let secret = new_secret()?;
    let origin_refs: Vec<&str> = origins.iter().map(String::as_str).collect();
    let created = store
        .insert_site_with_secret_if_absent(
            &NewSite {
                key: &key,
                name,
                allowed_origins: &origin_refs,
                require_signature: spec.require_signature,
            },
            Some(&secret),
        )
        .await?;
    if !created {
        return Err(AdminError::SiteExists(key.to_string()));
    }
    Ok(CreatedSite {
        key,
        origins,
        secret,
    })
}

/// Changes to a site; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SiteUpdate<'a> {
    /// New display name.
    pub name: Option<&'a str>,
    /// New allowed origins (replacing the old list).
    pub origins: Option<&'a [String]>,
    /// New signature requirement.
    pub require_signature: Option<bool>,
    /// Make a new signing secret (returned once; the old one stops
    /// verifying at once, so signatures made with it are refused).
    pub rotate_secret: bool,
}

/// Updates the site `key`: every field problem listed with its path
/// (`name`, `allowed_origins[i]`), [`AdminError::UnknownSite`] when there
/// is no such site. Returns the site as now stored and the new secret when
/// one was made.
#[tracing::instrument(skip(store))]
pub async fn update(
    store: &Store,
    key: &str,
    update: &SiteUpdate<'_>,
) -> Result<(SiteSummary, Option<SecretString>), AdminError> {
    let site_key = SiteKey::parse(key).map_err(|_| AdminError::UnknownSite(key.to_owned()))?;
    let mut errors = Vec::new();
    let name = update.name.map(str::trim);
    if name.is_some_and(str::is_empty) {
        errors.push(ValidationError::new(
            "name",
            ErrorCode::Required,
            "the site name is empty",
        ));
    }
    let origins = update.origins.map(|o| checked_origins(o, &mut errors));
    if !errors.is_empty() {
        return Err(AdminError::InvalidFields(errors));
    }
    let secret = update.rotate_secret.then(new_secret).transpose()?;
    let changed = store
        .update_site(
            &site_key,
            &SiteChanges {
                name,
                allowed_origins: origins.as_deref(),
                require_signature: update.require_signature,
                signing_secret: secret.as_ref(),
            },
        )
        .await?;
    if !changed {
        return Err(AdminError::UnknownSite(key.to_owned()));
    }
    let site = list(store)
        .await?
        .into_iter()
        .find(|s| s.key == site_key)
        .ok_or_else(|| AdminError::UnknownSite(key.to_owned()))?;
    Ok((site, secret))
}

/// The origins normalised; each bad one recorded as `allowed_origins[i]`.
fn checked_origins(origins: &[String], errors: &mut Vec<ValidationError>) -> Vec<String> {
    let mut out = Vec::with_capacity(origins.len());
    for (i, origin) in origins.iter().enumerate() {
        match check_origin(origin) {
            Ok(o) => out.push(o),
            Err(message) => errors.push(ValidationError::new(
                format!("allowed_origins[{i}]"),
                ErrorCode::WrongType,
                message,
            )),
        }
    }
    out
}

/// Every site (never their secrets).
pub async fn list(store: &Store) -> Result<Vec<SiteSummary>, AdminError> {
    Ok(store.list_sites().await?)
}

/// 32 bytes from the OS generator, as 64 lowercase hex digits.
pub fn new_secret() -> Result<SecretString, AdminError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AdminError::Random(e.to_string()))?;
    Ok(SecretString::from(hex::encode(bytes)))
}

/// `*`, or `http(s)://host[:port]` (lower-cased, a trailing `/` dropped):
/// what browsers send in `Origin`, so an exact comparison works.
pub fn normalize_origin(origin: &str) -> Result<String, AdminError> {
    check_origin(origin).map_err(AdminError::InvalidRequest)
}

/// [`normalize_origin`], failing with the message only.
fn check_origin(origin: &str) -> Result<String, String> {
    let origin = origin.trim();
    if origin == "*" {
        return Ok(origin.to_owned());
    }
    let lower = origin.trim_end_matches('/').to_ascii_lowercase();
    let host = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or("");
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !valid {
        return Err(format!(
            "origin {origin:?} is not `*` or an origin like `https://shop.example` or `http://localhost:3000` (no path)"
        ));
    }
    Ok(lower)
}
