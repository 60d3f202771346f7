-- manyi collector schema, version 1: sites, survey versions and responses.
--
-- Never edit this file once landed: add a new numbered migration instead
-- (sqlx records a checksum of every applied migration and refuses to start
-- when one changed).
--
-- Conventions:
-- * STRICT tables, so SQLite rejects a value of the wrong type instead of
--   silently storing it.
-- * Timestamps are TEXT in RFC 3339 UTC with a fixed width
--   (`2026-11-23T08:00:41.123Z`), so text order is time order and range
--   queries on the (survey_id, received_at) index work.
-- * JSON columns are TEXT checked with json_valid().

-- A site is one embedding web property, identified by the public key used in
-- `<script data-site="SITE_KEY">`.
CREATE TABLE sites (
    key               TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    -- JSON array of allowed origins, e.g. ["https://shop.example"]; "*" allows any.
    allowed_origins   TEXT    NOT NULL DEFAULT '[]'
                              CHECK (json_valid(allowed_origins) AND json_type(allowed_origins) = 'array'),
    -- HMAC secret for the merchant backend's signatures; NULL when the site signs nothing.
    signing_secret    TEXT,
    -- 1: responses without a valid signature are refused.
    require_signature INTEGER NOT NULL DEFAULT 0 CHECK (require_signature IN (0, 1)),
    created_at        TEXT    NOT NULL
) STRICT;

-- Every version of every survey. Survey ids are globally unique for now (not
-- per site), hence the key (survey_id, version). A published version is
-- immutable: editing makes a new version, so stored responses always refer to
-- the exact definition they answered.
CREATE TABLE surveys (
    site_key   TEXT    NOT NULL REFERENCES sites (key),
    survey_id  TEXT    NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    -- The definition as the shared `Survey` type serialises it.
    definition TEXT    NOT NULL CHECK (json_valid(definition)),
    status     TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'paused')),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (survey_id, version)
) STRICT;

CREATE INDEX surveys_by_site ON surveys (site_key);

-- One row per accepted response.
CREATE TABLE responses (
    -- The client-made UUID v4: the idempotency key.
    response_id    TEXT    NOT NULL PRIMARY KEY,
    site_key       TEXT    NOT NULL REFERENCES sites (key),
    survey_id      TEXT    NOT NULL,
    survey_version INTEGER NOT NULL,
    order_id       TEXT,
    customer       TEXT,
    channel        TEXT,
    segment        TEXT,
    locale         TEXT,
    page           TEXT,
    -- The validated, typed answers of visible questions, re-serialised in
    -- their wire shape: {"nps": 9, "reason": ["price"], ...}.
    answers        TEXT    NOT NULL CHECK (json_valid(answers)),
    -- SHA-256 (hex) of the canonical stored response: an identical retry has
    -- the same hash (answered 200), a different body reusing the
    -- response_id does not (answered 409).
    payload_hash   TEXT    NOT NULL,
    -- Client clock, as sent (RFC 3339); NULL when not sent.
    shown_at       TEXT,
    submitted_at   TEXT,
    -- Collector clock at acceptance; what reports and the 200 replay use.
    received_at    TEXT    NOT NULL,
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version),
    -- One answer per order and survey. SQLite treats NULLs as distinct, so
    -- responses without an order id are never "already answered".
    UNIQUE (survey_id, order_id)
) STRICT;

-- Reports and exports read one survey's responses by time.
CREATE INDEX responses_by_survey_received ON responses (survey_id, received_at);
