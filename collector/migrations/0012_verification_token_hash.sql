-- manyi collector schema, version 12: verification links stored as hashes
-- and expiring; the time a case was last reopened.
--
-- Never edit this file once landed: add a new numbered migration instead.
-- Conventions as in 0001 (STRICT tables, fixed-width RFC 3339 UTC text
-- timestamps).

-- The verification link's token was stored as is (`verification_token`):
-- anyone reading the database could answer for the customer. From now on
-- only its lowercase hex SHA-256 is stored (see
-- `crate::cases::verification`), and the link is shown once, in the answer
-- of the request that made it.
--
-- SQLite cannot compute SHA-256, so the tokens already stored are hashed
-- by the collector at start (`Store::hash_legacy_verification_tokens`,
-- idempotent: it moves each plaintext token into this column and clears
-- the old one, in one transaction). Those links keep working. The old
-- column stays (a UNIQUE column cannot be dropped without rebuilding the
-- table) and is always NULL once the collector has started.
ALTER TABLE cases ADD COLUMN verification_token_hash TEXT;
CREATE UNIQUE INDEX cases_by_verification_token_hash ON cases (verification_token_hash);

-- When the link stops working. Set for every new link (made + the
-- configured validity, 14 days by default); NULL for links still waiting
-- for the start-up hashing above, which sets it.
ALTER TABLE cases ADD COLUMN verification_expires_at TEXT;

-- When the case was last reopened (by the customer's unhappy answer or by
-- staff), NULL if never: a new response window starts there, and a lowered
-- priority counts its window from it (`crate::cases::due_after_priority_change`).
-- Cases reopened before this version get it from their history.
ALTER TABLE cases ADD COLUMN reopened_at TEXT;
UPDATE cases SET reopened_at = (
    SELECT max(h.at) FROM case_history h
    WHERE h.case_id = cases.id AND h.change = 'status' AND h.to_value = 'open'
);
