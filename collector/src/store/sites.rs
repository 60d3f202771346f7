//! Sites: the embedding web properties, keyed by their public site key.
//!
//! Reads go through the store's [`super::catalog`] (a site is read on every
//! request); every function here that writes `sites` must end with
//! `self.catalog.invalidate()` so that the next request sees the change.

use manyi_shared::SiteKey;
use secrecy::{ExposeSecret as _, SecretString};
use std::sync::Arc;

use super::{Store, StoreError, now_timestamp};

/// A site as the request path needs it: one read per request gives the
/// origin rule and the signature policy. The secret's `Debug` is redacted.
#[derive(Debug, Clone)]
pub struct Site {
    /// Public key, as in `data-site="…"`.
    pub key: SiteKey,
    /// Display name.
    pub name: String,
    /// Origins allowed to post for this site; `"*"` allows any.
    pub allowed_origins: Vec<String>,
    /// Whether responses must carry a valid signature.
    pub require_signature: bool,
    /// The HMAC key of the merchant backend's signatures (its UTF-8 bytes);
    /// `None` when the site signs nothing.
    pub signing_secret: Option<SecretString>,
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
    /// The site with this key, if any (an owned copy of [`Store::site`]).
    pub async fn find_site(&self, key: &SiteKey) -> Result<Option<Site>, StoreError> {
        Ok(self.site(key).await?.map(|site| Site::clone(&site)))
    }

    /// The site with this key, if any, from the catalog when it holds a
    /// fresh copy (see [`super::catalog`] for how fresh), else from the
    /// database. Unknown keys are not cached: each asks the database.
    pub async fn site(&self, key: &SiteKey) -> Result<Option<Arc<Site>>, StoreError> {
        if let Some(site) = self.catalog.site(key.as_str()) {
            return Ok(Some(site));
        }
        let generation = self.catalog.generation();
        let site = self.load_site(key).await?.map(Arc::new);
        if let Some(site) = &site {
            self.catalog.put_site(generation, Arc::clone(site));
        }
        Ok(site)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn load_site(&self, key: &SiteKey) -> Result<Option<Site>, StoreError> {
        let row: Option<(String, String, bool, Option<String>)> = sqlx::query_as(
            "SELECT name, allowed_origins, require_signature, signing_secret FROM sites WHERE key = ?",
        )
        .bind(key.as_str())
        .fetch_optional(&self.reader)
        .await?;
        let Some((name, origins, require_signature, secret)) = row else {
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
            signing_secret: secret.map(SecretString::from),
        }))
    }

    /// Creates the site, without a signing secret, unless one with this key
    /// exists (then nothing changes). Returns whether it was created.
    pub async fn insert_site_if_absent(&self, site: &NewSite<'_>) -> Result<bool, StoreError> {
        self.insert_site_with_secret_if_absent(site, None).await
    }

    /// Creates the site with `secret` (or none) unless one with this key
    /// exists (then nothing changes). Returns whether it was created.
    #[tracing::instrument(level = "debug", skip(self, site, secret), fields(key = %site.key))]
    pub async fn insert_site_with_secret_if_absent(
        &self,
        site: &NewSite<'_>,
        secret: Option<&SecretString>,
    ) -> Result<bool, StoreError> {
        let origins = serde_json::to_string(site.allowed_origins)?;
        let done = sqlx::query(
            "INSERT INTO sites (key, name, allowed_origins, signing_secret, require_signature, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(site.key.as_str())
        .bind(site.name)
        .bind(origins)
        .bind(secret.map(|s| s.expose_secret().to_owned()))
        .bind(site.require_signature)
        .bind(now_timestamp())
        .execute(&self.writer)
        .await?;
        self.catalog.invalidate();
        Ok(done.rows_affected() == 1)
    }
}
