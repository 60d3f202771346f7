-- manyi collector schema, version 9: single-dimension rollup levels.
--
-- Never edit this file once landed: add a new numbered migration instead.
--
-- Measured with 1,000,000 responses: a report filtered or grouped by one of
-- channel, segment or locale read every row of level 1 (day × survey ×
-- version × channel × segment × locale × flagged: ~500 rows a day) and took
-- 0.4–0.6 s. Three more levels hold one context column each, so those
-- reports read a few dozen rows a day:
--     3 channel   channel as stored, segment = locale = tag = '';
--     4 segment   segment as stored, channel = locale = tag = '';
--     5 locale    locale as stored, channel = segment = tag = ''.
-- Level 1 stays for filters combining several of them (see
-- collector/src/reports/query.rs for which level a query reads).
--
-- SQLite cannot widen a CHECK in place, and every response must now also
-- be counted at the new levels: the rollup tables are recreated empty and
-- the rollup cursors go back to 0, so the worker folds every stored
-- response and event again, exactly once (same transaction as this
-- migration: no half state).

DROP TABLE rollup_responses;
CREATE TABLE rollup_responses (
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 5),
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

DROP TABLE rollup_scores;
CREATE TABLE rollup_scores (
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 5),
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

DROP TABLE rollup_choices;
CREATE TABLE rollup_choices (
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 5),
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

DELETE FROM rollup_shown;
UPDATE pipeline_cursors SET last_rowid = 0 WHERE name IN ('rollups', 'rollup_events');
