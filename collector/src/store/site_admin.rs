//! Site listings and updates for the admin API (creation is in
//! [`super::sites`]).

use manyi_shared::SiteKey;
use secrecy::{ExposeSecret as _, SecretString};

use super::{Store, StoreError};

/// What to change on a site; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SiteChanges<'a> {
    /// New display name.
    pub name: Option<&'a str>,
    /// New allowed origins (already normalised).
    pub allowed_origins: Option<&'a [String]>,
    /// New signature requirement.
    pub require_signature: Option<bool>,
    /// New signing secret (the old one stops verifying at once).
    pub signing_secret: Option<&'a SecretString>,
}

/// A site as the admin API lists it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSummary {
    /// Public key.
    pub key: SiteKey,
    /// Display name.
    pub name: String,
    /// Allowed origins; `"*"` allows any.
    pub allowed_origins: Vec<String>,
    /// Whether responses must carry a valid signature.
    pub require_signature: bool,
    /// Whether a signing secret is set.
    pub has_secret: bool,
    /// When it was created (RFC 3339 UTC).
    pub created_at: String,
}

impl Store {
    /// Every site, by key.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn list_sites(&self) -> Result<Vec<SiteSummary>, StoreError> {
        let rows: Vec<(String, String, String, bool, bool, String)> = sqlx::query_as(
            "SELECT key, name, allowed_origins, require_signature,
                    signing_secret IS NOT NULL, created_at
             FROM sites ORDER BY key",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(
                |(key, name, origins, require_signature, has_secret, created_at)| {
                    let allowed_origins = serde_json::from_str(&origins).map_err(|e| {
                        StoreError::Inconsistent(format!(
                            "sites.allowed_origins of {key} is not a JSON string array: {e}"
                        ))
                    })?;
                    Ok(SiteSummary {
                        key: SiteKey::parse(key.as_str()).map_err(|e| {
                            StoreError::Inconsistent(format!("sites.key {key:?}: {e}"))
                        })?,
                        name,
                        allowed_origins,
                        require_signature,
                        has_secret,
                        created_at,
                    })
                },
            )
            .collect()
    }
}

impl Store {
    /// Applies `changes` to the site `key`; `false` when there is no such
    /// site. Sites are cached by the catalog (read on every response), so
    /// the catalog is cleared after the change commits.
    #[tracing::instrument(level = "debug", skip(self, changes))]
    pub async fn update_site(
        &self,
        key: &SiteKey,
        changes: &SiteChanges<'_>,
    ) -> Result<bool, StoreError> {
        let origins = changes
            .allowed_origins
            .map(serde_json::to_string)
            .transpose()?;
        let done = sqlx::query(
            "UPDATE sites SET
                name = COALESCE(?, name),
                allowed_origins = COALESCE(?, allowed_origins),
                require_signature = COALESCE(?, require_signature),
                signing_secret = COALESCE(?, signing_secret)
             WHERE key = ?",
        )
        .bind(changes.name)
        .bind(origins)
        .bind(changes.require_signature)
        .bind(changes.signing_secret.map(|s| s.expose_secret().to_owned()))
        .bind(key.as_str())
        .execute(&self.writer)
        .await?;
        self.catalog.invalidate();
        Ok(done.rows_affected() == 1)
    }
}
