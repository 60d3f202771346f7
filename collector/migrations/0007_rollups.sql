-- manyi collector schema, version 7: report rollups.
--
-- Never edit this file once landed: add a new numbered migration instead.
-- Conventions as in 0001 (STRICT tables, fixed-width RFC 3339 UTC text
-- timestamps, JSON as checked TEXT).
--
-- Reports read these pre-aggregated counts instead of the responses, so a
-- query over a million responses stays within tens of milliseconds. The
-- rollup worker (collector/src/reports/rollup.rs) tails `responses` by
-- rowid behind the analysis worker (only rows whose rowid is at most the
-- 'analysis' cursor, so their flags and tags are known) and adds each batch
-- with its cursor advance in one transaction: every response is counted
-- exactly once, also across crashes.
--
-- The grain: a reporting day × survey × version × channel × segment ×
-- locale × tag × flagged. Counts are additive, so any date range, filter or
-- grouping is a SUM over rows, and every figure that only depends on the
-- distribution of answers (NPS, top-2-box, means, medians, margins of
-- error) is exact.
--
-- * `day` is the calendar day of `received_at` in the reporting offset
--   (UTC+08:00, see collector/src/reports/days.rs), as 'YYYY-MM-DD'.
-- * `level` says which context columns are real, so that the common
--   unfiltered query reads few rows:
--     0 total    channel = segment = locale = tag = '' (every response once);
--     1 context  channel, segment, locale as stored ('' when NULL), tag = '';
--     2 tagged   like 1, once per open-text tag of the response (tag set).
--   A query uses exactly one level, never mixes them.
-- * `flagged` is response_analysis.flagged (1: excluded from reports by
--   default).
-- Every table is WITHOUT ROWID with the grain as its primary key, so rows of
-- a level and date range are contiguous on disk.

-- Responses per grain, and their completion times.
CREATE TABLE rollup_responses (
    level     INTEGER NOT NULL CHECK (level IN (0, 1, 2)),
    day       TEXT    NOT NULL,
    survey_id TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    channel   TEXT    NOT NULL,
    segment   TEXT    NOT NULL,
    locale    TEXT    NOT NULL,
    tag       TEXT    NOT NULL,
    flagged   INTEGER NOT NULL CHECK (flagged IN (0, 1)),
    responses INTEGER NOT NULL,
    -- Responses with a completion time (response_analysis.duration_ms).
    timed     INTEGER NOT NULL,
    -- Completion-time histogram as a JSON object {"bucket": count}; buckets
    -- are defined in collector/src/reports/durations.rs.
    durations TEXT    NOT NULL CHECK (json_valid(durations)),
    PRIMARY KEY (level, day, survey_id, version, channel, segment, locale, tag, flagged)
) STRICT, WITHOUT ROWID;

-- Rating answers per grain and question: how many of each value. `kind` is
-- the question's type ('nps', 'csat', 'ces', 'likert') and `dimension` its
-- SERVQUAL dimension ('' when none), copied from the survey version's
-- definition so reports group by them without reading definitions.
-- v0 … v10 count the answers of value 0 … 10 (every rating scale fits).
CREATE TABLE rollup_scores (
    level     INTEGER NOT NULL CHECK (level IN (0, 1, 2)),
    day       TEXT    NOT NULL,
    survey_id TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    channel   TEXT    NOT NULL,
    segment   TEXT    NOT NULL,
    locale    TEXT    NOT NULL,
    tag       TEXT    NOT NULL,
    flagged   INTEGER NOT NULL CHECK (flagged IN (0, 1)),
    question  TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('nps', 'csat', 'ces', 'likert')),
    dimension TEXT    NOT NULL,
    v0 INTEGER NOT NULL, v1 INTEGER NOT NULL, v2 INTEGER NOT NULL, v3 INTEGER NOT NULL,
    v4 INTEGER NOT NULL, v5 INTEGER NOT NULL, v6 INTEGER NOT NULL, v7 INTEGER NOT NULL,
    v8 INTEGER NOT NULL, v9 INTEGER NOT NULL, v10 INTEGER NOT NULL,
    PRIMARY KEY (level, day, survey_id, version, channel, segment, locale, tag, flagged, question)
) STRICT, WITHOUT ROWID;

-- Choice answers per grain and question: how often each option was picked.
-- The row with option '' counts the responses that answered the question
-- (the denominator of "% of respondents").
CREATE TABLE rollup_choices (
    level     INTEGER NOT NULL CHECK (level IN (0, 1, 2)),
    day       TEXT    NOT NULL,
    survey_id TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    channel   TEXT    NOT NULL,
    segment   TEXT    NOT NULL,
    locale    TEXT    NOT NULL,
    tag       TEXT    NOT NULL,
    flagged   INTEGER NOT NULL CHECK (flagged IN (0, 1)),
    question  TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('single_choice', 'multi_choice')),
    option    TEXT    NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (level, day, survey_id, version, channel, segment, locale, tag, flagged, question, option)
) STRICT, WITHOUT ROWID;

-- 'shown' events per reporting day and survey: the denominator of the
-- response rate. Events carry no version or context, so the rate exists
-- only per survey and day.
CREATE TABLE rollup_shown (
    day       TEXT    NOT NULL,
    survey_id TEXT    NOT NULL,
    shown     INTEGER NOT NULL,
    PRIMARY KEY (day, survey_id)
) STRICT, WITHOUT ROWID;

-- The rollup worker's cursors: 'rollups' over responses.rowid (never past
-- 'analysis'), 'rollup_events' over events.id.
INSERT INTO pipeline_cursors (name, last_rowid) VALUES ('rollups', 0), ('rollup_events', 0);
