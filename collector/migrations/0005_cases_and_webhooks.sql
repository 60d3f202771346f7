-- manyi collector schema, version 5: the closed loop (follow-up cases with
-- owners, priorities, due times, notes, history and a verification survey)
-- and webhooks (a transactional outbox fanned out into per-endpoint
-- deliveries, with a log of every attempt).
--
-- Never edit this file once landed: add a new numbered migration instead.
-- Conventions as in 0001 (STRICT tables, fixed-width RFC 3339 UTC text
-- timestamps, JSON as checked TEXT).

-- Cases, rebuilt: SQLite cannot change a CHECK constraint in place, and the
-- workflow is now open → contacted → resolved → verified (or closed without
-- verification). Rows of version 3 keep their id; 'in_progress' becomes
-- 'contacted'.
CREATE TABLE cases_v5 (
    id                       INTEGER NOT NULL PRIMARY KEY,
    site_key                 TEXT    NOT NULL REFERENCES sites (key),
    customer                 TEXT    NOT NULL,
    survey_id                TEXT,
    -- The response that opened the case, when one did: at most one case per
    -- response, so re-running the rules never opens a second one.
    response_id              TEXT    UNIQUE REFERENCES responses (response_id),
    -- 'open' and 'contacted' count as open (the customer is not surveyed
    -- again); 'resolved' waits for the customer's verification; 'verified'
    -- and 'closed' are final.
    status                   TEXT    NOT NULL DEFAULT 'open'
                                     CHECK (status IN ('open', 'contacted', 'resolved', 'verified', 'closed')),
    -- Sets the due time: urgent 1 h, high 4 h, normal 24 h after opening.
    priority                 TEXT    NOT NULL DEFAULT 'normal'
                                     CHECK (priority IN ('urgent', 'high', 'normal')),
    -- What opened it, for people: e.g. 'NPS 3 ≤ 6', 'alert keyword 欺诈'.
    reason                   TEXT,
    -- The id of the rule that opened it (NULL: opened by hand).
    rule                     TEXT,
    -- Who calls the customer back (a person or a team name).
    owner                    TEXT,
    due_at                   TEXT    NOT NULL,
    -- Overdue handling: how many times it escalated, and when last.
    escalation_level         INTEGER NOT NULL DEFAULT 0 CHECK (escalation_level >= 0),
    escalated_at             TEXT,
    -- The verification survey: a secret link token sent to the customer when
    -- the case is resolved, and the customer's answer.
    verification_token       TEXT    UNIQUE,
    verification_sent_at     TEXT,
    verification_score       INTEGER,
    verification_comment     TEXT,
    verified_at              TEXT,
    created_at               TEXT    NOT NULL,
    updated_at               TEXT    NOT NULL,
    contacted_at             TEXT,
    resolved_at              TEXT,
    closed_at                TEXT
) STRICT;

INSERT INTO cases_v5 (id, site_key, customer, survey_id, response_id, status, priority,
                      reason, due_at, created_at, updated_at, closed_at)
SELECT id, site_key, customer, survey_id, response_id,
       CASE status WHEN 'in_progress' THEN 'contacted' ELSE status END,
       'normal', reason,
       strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+24 hours'),
       created_at, COALESCE(closed_at, created_at), closed_at
FROM cases;

DROP INDEX cases_open_by_customer;
DROP TABLE cases;
ALTER TABLE cases_v5 RENAME TO cases;

-- The eligibility check looks up a customer's unresolved cases.
CREATE INDEX cases_open_by_customer ON cases (site_key, customer)
    WHERE status IN ('open', 'contacted');
-- The case queue: open work by due time; the overdue sweep reads the same.
CREATE INDEX cases_queue ON cases (status, due_at);

-- Notes people leave on a case ("called, no answer", "refund issued").
CREATE TABLE case_notes (
    id         INTEGER NOT NULL PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    author     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
) STRICT;
CREATE INDEX case_notes_by_case ON case_notes (case_id, id);

-- Every change of a case (status, owner, priority, escalation), for the
-- audit trail shown with the case.
CREATE TABLE case_history (
    id         INTEGER NOT NULL PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    -- e.g. 'opened', 'status', 'owner', 'priority', 'escalated', 'verification'.
    change     TEXT    NOT NULL,
    from_value TEXT,
    to_value   TEXT,
    -- Who made it: an admin token's name, 'system', or 'customer'.
    actor      TEXT    NOT NULL,
    at         TEXT    NOT NULL
) STRICT;
CREATE INDEX case_history_by_case ON case_history (case_id, id);

-- Where webhooks go. The secret is the Standard Webhooks `whsec_…` key.
CREATE TABLE webhook_endpoints (
    id          INTEGER NOT NULL PRIMARY KEY,
    -- NULL: events of every site.
    site_key    TEXT    REFERENCES sites (key),
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    -- JSON array of event types, e.g. ["case.opened", "case.verified"].
    event_types TEXT    NOT NULL CHECK (json_valid(event_types) AND json_type(event_types) = 'array'),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT    NOT NULL
) STRICT;

-- The transactional outbox: an event is written in the same transaction as
-- the change it reports, so it exists exactly when the change does. Only
-- events some active endpoint subscribes to are written.
CREATE TABLE outbox (
    id          INTEGER NOT NULL PRIMARY KEY,
    -- The Standard Webhooks `webhook-id`, stable across re-sends: `msg_…`.
    message_id  TEXT    NOT NULL UNIQUE,
    site_key    TEXT,
    event_type  TEXT    NOT NULL
                        CHECK (event_type IN ('response.created', 'case.opened', 'case.overdue', 'case.verified')),
    -- The JSON body sent: {"type": …, "timestamp": …, "data": {…}}.
    payload     TEXT    NOT NULL CHECK (json_valid(payload)),
    created_at  TEXT    NOT NULL
) STRICT;

-- One row per (event, endpoint): what the delivery worker works through.
CREATE TABLE webhook_deliveries (
    id               INTEGER NOT NULL PRIMARY KEY,
    outbox_id        INTEGER NOT NULL REFERENCES outbox (id),
    endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    -- 'pending' until a 2xx; 'failed' once the back-off gives up (a manual
    -- re-send makes it 'pending' again).
    status           TEXT    NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    last_status_code INTEGER,
    last_error       TEXT,
    delivered_at     TEXT,
    created_at       TEXT    NOT NULL,
    UNIQUE (outbox_id, endpoint_id)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    id           INTEGER NOT NULL PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at TEXT    NOT NULL,
    -- NULL when no HTTP answer came (connection refused, timeout).
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
