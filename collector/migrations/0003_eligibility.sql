-- manyi collector schema, version 3: who may be asked (sampling, recontact
-- and trigger windows), follow-up cases, and widget events.
--
-- Never edit this file once landed: add a new numbered migration instead.
-- Conventions as in 0001 (STRICT tables, fixed-width RFC 3339 UTC text
-- timestamps, JSON as checked TEXT).

-- Per-survey, per-segment eligibility settings, read by POST /v1/eligibility.
-- The row for the customer's segment applies, else the row whose segment is
-- 'default', else the built-in defaults (rate 1, recontact 30 days, trigger
-- 24 hours; see collector/src/eligibility.rs).
CREATE TABLE survey_sampling (
    survey_id      TEXT    NOT NULL,
    -- A merchant's segment name (e.g. 'vip'), or 'default' for everyone else.
    segment        TEXT    NOT NULL,
    -- Share of eligible customers asked, 0..1. The draw is a hash of
    -- survey|customer|order, so repeated checks for one order agree.
    rate           REAL    NOT NULL CHECK (rate >= 0.0 AND rate <= 1.0),
    -- Do not ask a customer again within this many days of their last
    -- response to any survey of the site; 0 disables the rule.
    recontact_days INTEGER NOT NULL DEFAULT 30 CHECK (recontact_days >= 0),
    -- Ask only within this many hours after the triggering event (payment,
    -- ticket close).
    trigger_hours  INTEGER NOT NULL DEFAULT 24 CHECK (trigger_hours >= 1),
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (survey_id, segment)
) STRICT;

-- Follow-up cases opened for unhappy customers. Minimal on purpose: the
-- analytics work extends it (rules, assignees, notes) in a later migration.
-- A customer with a case that is not yet resolved is not surveyed again.
CREATE TABLE cases (
    id          INTEGER NOT NULL PRIMARY KEY,
    site_key    TEXT    NOT NULL REFERENCES sites (key),
    customer    TEXT    NOT NULL,
    survey_id   TEXT,
    -- The response that opened the case, when one did.
    response_id TEXT    REFERENCES responses (response_id),
    -- 'open' and 'in_progress' count as open; 'resolved' and 'closed' do not.
    status      TEXT    NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    reason      TEXT,
    created_at  TEXT    NOT NULL,
    closed_at   TEXT
) STRICT;

-- The eligibility check looks up a customer's unresolved cases.
CREATE INDEX cases_open_by_customer ON cases (site_key, customer)
    WHERE status IN ('open', 'in_progress');

-- The recontact window looks up a customer's latest response on a site.
CREATE INDEX responses_by_site_customer ON responses (site_key, customer, received_at);

-- Widget impressions (POST /v1/events), the denominator of the response rate.
CREATE TABLE events (
    id          INTEGER NOT NULL PRIMARY KEY,
    site_key    TEXT    NOT NULL REFERENCES sites (key),
    survey_id   TEXT    NOT NULL,
    event       TEXT    NOT NULL CHECK (event IN ('shown', 'started', 'dismissed')),
    response_id TEXT,
    order_id    TEXT,
    received_at TEXT    NOT NULL
) STRICT;

-- Response-rate reports count one survey's events of one kind over time.
CREATE INDEX events_by_survey ON events (survey_id, event, received_at);
