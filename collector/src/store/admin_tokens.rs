//! Admin API tokens: stored as SHA-256 hashes only (see
//! [`crate::admin::tokens`]).

use super::{Store, StoreError, now_timestamp};

/// A stored token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminToken {
    /// Row id.
    pub id: i64,
    /// What the token is for.
    pub name: String,
    /// When it was last used, if ever (RFC 3339 UTC).
    pub last_used_at: Option<String>,
}

impl Store {
    /// Stores a new token's hash under `name`; returns its id.
    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    pub async fn insert_admin_token(
        &self,
        name: &str,
        token_hash: &str,
    ) -> Result<i64, StoreError> {
        let done =
            sqlx::query("INSERT INTO admin_tokens (name, token_hash, created_at) VALUES (?, ?, ?)")
                .bind(name)
                .bind(token_hash)
                .bind(now_timestamp())
                .execute(&self.writer)
                .await?;
        Ok(done.last_insert_rowid())
    }

    /// Replaces every token named `name` by one new token (hash given), in
    /// one transaction: what `--seed-demo` does on each start. Returns how
    /// many old tokens were revoked.
    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    pub async fn replace_admin_tokens_named(
        &self,
        name: &str,
        token_hash: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let revoked = sqlx::query("DELETE FROM admin_tokens WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("INSERT INTO admin_tokens (name, token_hash, created_at) VALUES (?, ?, ?)")
            .bind(name)
            .bind(token_hash)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// The token with this hash, if any.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_admin_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<AdminToken>, StoreError> {
        let row: Option<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, name, last_used_at FROM admin_tokens WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|(id, name, last_used_at)| AdminToken {
            id,
            name,
            last_used_at,
        }))
    }

    /// Records that the token was used now.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn touch_admin_token(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE admin_tokens SET last_used_at = ? WHERE id = ?")
            .bind(now_timestamp())
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
