-- manyi collector schema, version 10: a tag-only rollup level.
--
-- Never edit this file once landed: add a new numbered migration instead.
--
-- Measured with 1,000,000 responses: `breakdown?by=tag` over 90 days read
-- level 2 (tag × channel × segment × locale), which holds every context
-- combination per tag, and took 170–190 ms. One more level holds the tag
-- alone, so a query on tags without a context filter or grouping reads a
-- few rows per tag and day:
--     6 tag       tag as stored, channel = segment = locale = ''.
-- Level 2 stays for tags combined with a context column (see
-- collector/src/reports/query.rs for which level a query reads).
--
-- SQLite cannot widen a CHECK in place, and every tagged response must now
-- also be counted at level 6: the three response rollup tables are
-- recreated empty and the response rollup cursor goes back to 0, so the
-- worker folds every stored response again, exactly once (same transaction
-- as this migration: no half state). rollup_shown has no levels and stays
-- as it is, with its own cursor ('rollup_events').

DROP TABLE rollup_responses;
CREATE TABLE rollup_responses (
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 6),
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
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 6),
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
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 6),
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

UPDATE pipeline_cursors SET last_rowid = 0 WHERE name = 'rollups';
