//! Sites: the embedding web properties, keyed by their public site key.

use manyi_shared::SiteKey;

use super::{Store, StoreError, now_timestamp};

/// A site as the request path needs it. The signing secret is deliberately
/// not loaded here; signature checks will read it where they need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Public key, as in `data-site="…"`.
    pub key: SiteKey,
    /// Display name.
    pub name: String,
    /// Origins allowed to post for this site; `"*"` allows any.
    pub allowed_origins: Vec<String>,
    /// Whether responses must carry a valid signature.
    pub require_signature: bool,
}

/// A site to create.
#[derive(Debug, Clone)]
pub struct NewSite<'a> {
    /// Public key.
    pub key: &'a SiteKey,
    /// Display name.
    pub name: &'a str,
    /// Allowed origins; `"*"` allows any.
    pub allowed_origins: &'a [&'a str],
    /// Whether responses must carry a valid signature.
    pub require_signature: bool,
}

impl Store {
    /// The site with this key, if any.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn find_site(&self, key: &SiteKey) -> Result<Option<Site>, StoreError> {
        let row: Option<(String, String, bool)> = sqlx::query_as(
            "SELECT name, allowed_origins, require_signature FROM sites WHERE key = ?",
        )
        .bind(key.as_str())
        .fetch_optional(&self.reader)
        .await?;
        let Some((name, origins, require_signature)) = row else {
            return Ok(None);
        };
        let allowed_origins = serde_json::from_str(&origins).map_err(|e| {
            StoreError::Inconsistent(format!(
                "sites.allowed_origins of {key} is not a JSON string array: {e}"
            ))
        })?;
        Ok(Some(Site {
            key: key.clone(),
            name,
            allowed_origins,
            require_signature,
        }))
    }

    /// Creates the site unless one with this key exists (then nothing
    /// changes). Returns whether it was created.
    #[tracing::instrument(level = "debug", skip(self, site), fields(key = %site.key))]
    pub async fn insert_site_if_absent(&self, site: &NewSite<'_>) -> Result<bool, StoreError> {
        let origins = serde_json::to_string(site.allowed_origins)?;
        let done = sqlx::query(
            "INSERT INTO sites (key, name, allowed_origins, signing_secret, require_signature, created_at)
             VALUES (?, ?, ?, NULL, ?, ?)
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(site.key.as_str())
        .bind(site.name)
        .bind(origins)
        .bind(site.require_signature)
        .bind(now_timestamp())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
