-- manyi collector schema, version 4: admin API tokens.
--
-- Never edit this file once landed: add a new numbered migration instead.
-- Conventions as in 0001 (STRICT tables, fixed-width RFC 3339 UTC text
-- timestamps).

-- Bearer tokens of the admin API (`/api/...`). A token is 32 random bytes
-- shown once, as `manyi_<base64url>`, when created (`manyi admin-token
-- create`, or the `demo` token of `--seed-demo`); only its SHA-256 is kept,
-- so a copy of the database does not hand out admin access.
CREATE TABLE admin_tokens (
    id           INTEGER NOT NULL PRIMARY KEY,
    -- Who or what the token is for, e.g. 'ops laptop', 'demo'. Not unique:
    -- a person may hold several tokens.
    name         TEXT    NOT NULL,
    -- Lowercase hex SHA-256 of the whole token string (prefix included).
    -- Requests are authenticated by looking this up (see
    -- collector/src/admin/tokens.rs for why no constant-time comparison).
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    -- Updated on use (at most about once a minute per token); NULL: never used.
    last_used_at TEXT
) STRICT;
