-- manyi collector schema, version 6: the response-analysis pipeline
-- (data-quality flags, open-text tags, the rules that open follow-up cases)
-- and the cursors of the post-commit workers.
--
-- Never edit this file once landed: add a new numbered migration instead.
-- Conventions as in 0001 (STRICT tables, fixed-width RFC 3339 UTC text
-- timestamps, JSON as checked TEXT).
--
-- The analysis runs after ingest, not inside it: a background worker tails
-- `responses` by rowid and writes everything below for a batch in one
-- transaction together with its cursor, so every response is analysed
-- exactly once, also across crashes (see collector/src/analytics/).

-- One row per analysed response.
CREATE TABLE response_analysis (
    response_id TEXT    NOT NULL PRIMARY KEY REFERENCES responses (response_id),
    -- JSON array of data-quality codes, in a fixed order:
    -- 'straight_lining', 'too_fast', 'contradictory', 'suspected_duplicate'.
    flags       TEXT    NOT NULL DEFAULT '[]'
                        CHECK (json_valid(flags) AND json_type(flags) = 'array'),
    -- 1 when `flags` is not empty: reports exclude these by default.
    flagged     INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    -- JSON array of the open-text tags, sorted (also in response_tags).
    tags        TEXT    NOT NULL DEFAULT '[]'
                        CHECK (json_valid(tags) AND json_type(tags) = 'array'),
    -- 1 when an alert keyword (fraud, security, complaint …) matched.
    alert       INTEGER NOT NULL DEFAULT 0 CHECK (alert IN (0, 1)),
    -- submitted_at − shown_at by the client's clock; NULL when either is
    -- missing, or the difference is negative or longer than a day.
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    analyzed_at TEXT    NOT NULL
) STRICT;

-- Reports exclude flagged responses by default: a partial index keeps the
-- few flagged ones at hand.
CREATE INDEX response_analysis_flagged ON response_analysis (response_id) WHERE flagged = 1;

-- One row per (tag, response), denormalised with the survey and time so
-- reports and exports filter by tag without touching the answers.
CREATE TABLE response_tags (
    tag         TEXT NOT NULL,
    response_id TEXT NOT NULL REFERENCES responses (response_id),
    survey_id   TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (tag, response_id)
) STRICT;

CREATE INDEX response_tags_by_survey ON response_tags (survey_id, tag, received_at);
CREATE INDEX response_tags_by_response ON response_tags (response_id);

-- How far each post-commit worker has read `responses` (by rowid). The
-- analysis worker's row is 'analysis'; the rollups worker ('rollups') only
-- folds rows whose rowid is at most the analysis cursor.
CREATE TABLE pipeline_cursors (
    name       TEXT    NOT NULL PRIMARY KEY,
    last_rowid INTEGER NOT NULL CHECK (last_rowid >= 0)
) STRICT;

INSERT INTO pipeline_cursors (name, last_rowid) VALUES ('analysis', 0);

-- Per-survey data-quality settings. Without a row: too fast below the
-- survey's own display.min_seconds, else below 2 seconds per answered
-- question; duplicates within 1440 minutes (a day). See
-- collector/src/analytics/quality.rs.
CREATE TABLE survey_quality (
    survey_id                TEXT    NOT NULL PRIMARY KEY,
    -- A response submitted faster than this is flagged 'too_fast'; 0 disables.
    min_seconds              INTEGER NOT NULL CHECK (min_seconds >= 0 AND min_seconds <= 3600),
    -- Another response of the same site and customer for a different order
    -- within this many minutes is flagged 'suspected_duplicate'; 0 disables.
    duplicate_window_minutes INTEGER NOT NULL
                                     CHECK (duplicate_window_minutes >= 0 AND duplicate_window_minutes <= 525600),
    updated_at               TEXT    NOT NULL
) STRICT;

-- Keywords added to the built-in dictionaries (collector/src/analytics/
-- keywords.json), per site or for every site.
CREATE TABLE tag_keywords (
    id         INTEGER NOT NULL PRIMARY KEY,
    -- NULL: every site.
    site_key   TEXT    REFERENCES sites (key),
    -- 'zh-CN', 'zh-TW' or 'en'. Matching ignores the response's locale (a
    -- customer may write in any of them); the locale says which dictionary
    -- the word belongs to.
    locale     TEXT    NOT NULL CHECK (locale IN ('zh-CN', 'zh-TW', 'en')),
    -- Matched case-insensitively as a substring of every free-text answer.
    keyword    TEXT    NOT NULL CHECK (length(keyword) BETWEEN 1 AND 100),
    -- e.g. 'logistics_slow': lowercase letters, digits and '_'.
    tag        TEXT    NOT NULL CHECK (length(tag) BETWEEN 1 AND 64),
    -- 1: an alert keyword (raises a case to urgent).
    alert      INTEGER NOT NULL DEFAULT 0 CHECK (alert IN (0, 1)),
    created_at TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX tag_keywords_unique ON tag_keywords (COALESCE(site_key, ''), locale, keyword, tag);

-- Rules that open follow-up cases. A site without rules uses the built-in
-- ones (collector/src/analytics/case_rules.rs). A rule matches when all of
-- its conditions hold; of the matching rules the one of highest priority,
-- then lowest position, opens the one case of the response.
CREATE TABLE case_rules (
    id         INTEGER NOT NULL PRIMARY KEY,
    site_key   TEXT    NOT NULL REFERENCES sites (key),
    -- NULL: every survey of the site.
    survey_id  TEXT,
    -- Condition: the answer to a question of this kind is at most
    -- `score_max` (the lowest answered one, when several).
    score_kind TEXT    CHECK (score_kind IN ('nps', 'csat', 'ces', 'likert')),
    score_max  INTEGER,
    -- Condition: an alert keyword matched.
    alert      INTEGER NOT NULL DEFAULT 0 CHECK (alert IN (0, 1)),
    -- Condition: this tag was found.
    tag        TEXT,
    -- Condition: the response's segment is this one (e.g. 'vip').
    segment    TEXT,
    priority   TEXT    NOT NULL CHECK (priority IN ('urgent', 'high', 'normal')),
    owner      TEXT,
    -- Tie-break among rules of equal priority: lower first.
    position   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL,
    CHECK ((score_kind IS NULL) = (score_max IS NULL)),
    -- A rule without any condition would open a case for every answer.
    CHECK (score_kind IS NOT NULL OR alert = 1 OR tag IS NOT NULL OR segment IS NOT NULL)
) STRICT;

CREATE INDEX case_rules_by_site ON case_rules (site_key, position, id);
