-- manyi collector schema, version 2: remember whether a response was signed.
--
-- Never edit this file once landed (see 0001_initial.sql).
--
-- 1 when the response carried a signature that verified against its site's
-- secret (see docs/signing.md); 0 when it was accepted unsigned (the site
-- does not require signatures) — including every response stored before
-- this migration. Reports can then separate answers tied to a real order
-- from ones anybody could have posted.
ALTER TABLE responses ADD COLUMN signed INTEGER NOT NULL DEFAULT 0 CHECK (signed IN (0, 1));
