//! Sites: creating one (with its signing secret, shown once) and listing them.

use manyi_shared::{ErrorCode, SiteKey, ValidationError};
use secrecy::SecretString;

use super::AdminError;
use crate::store::Store;
use crate::store::site_admin::SiteSummary;
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
    let mut origins = Vec::with_capacity(spec.origins.len());
    for (i, origin) in spec.origins.iter().enumerate() {
        match check_origin(origin) {
            Ok(o) => origins.push(o),
            Err(message) => errors.push(ValidationError::new(
                format!("allowed_origins[{i}]"),
                ErrorCode::WrongType,
                message,
            )),
        }
    }
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
