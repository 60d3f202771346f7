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

/// A token as the admin API lists it (never the token, nor its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminTokenListing {
    /// Row id: what `DELETE /api/tokens/{id}` and `manyi admin-token revoke` take.
    pub id: i64,
    /// What the token is for.
    pub name: String,
    /// When it was created (RFC 3339 UTC).
    pub created_at: String,
    /// When it was last used, if ever (RFC 3339 UTC, about a minute precise).
    pub last_used_at: Option<String>,
}

impl Store {
    /// Every token, oldest first.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn list_admin_tokens(&self) -> Result<Vec<AdminTokenListing>, StoreError> {
        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, name, created_at, last_used_at FROM admin_tokens ORDER BY id",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, last_used_at)| AdminTokenListing {
                id,
                name,
                created_at,
                last_used_at,
            })
            .collect())
    }

    /// Revokes (deletes) the token with this id; `false` when there is none.
    /// Requests are authenticated by looking the hash up on every call, so
    /// the very next request with that token is refused.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn delete_admin_token(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM admin_tokens WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
