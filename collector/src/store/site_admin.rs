//! Site listings for the admin API (creation is in [`super::sites`]).

use manyi_shared::SiteKey;

use super::{Store, StoreError};

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
