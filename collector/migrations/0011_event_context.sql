-- manyi collector schema, version 11: impressions with their context, so
-- the response rate is known under version, channel, segment and locale
-- filters and breakdowns.
--
-- Never edit this file once landed: add a new numbered migration instead.
-- Conventions as in 0001 (STRICT tables, fixed-width RFC 3339 UTC text
-- timestamps, JSON as checked TEXT).
--
-- The loader (widget/loader/manyi.js) now sends with every event the
-- survey version it mounted and the channel, segment and locale the
-- response will carry (docs/internal-contracts.md). An event's context is
-- known when `version` is set; events stored before this migration (and
-- from loaders older than it) have none. See docs/reports-api.md for how
-- those count.

ALTER TABLE events ADD COLUMN version INTEGER CHECK (version IS NULL OR version >= 1);
ALTER TABLE events ADD COLUMN channel TEXT;
ALTER TABLE events ADD COLUMN segment TEXT;
ALTER TABLE events ADD COLUMN locale TEXT;

-- 'shown' events per reporting day, survey version and context, beside
-- rollup_shown (day × survey, every event). Same conventions as the
-- response rollups: context columns '' when the event had none. Events
-- without a known context are counted here with version 0 (and '' context)
-- so that a report can tell which days hold impressions it cannot place
-- (collector/src/reports/rate.rs); version 0 never matches a real version.
CREATE TABLE rollup_shown_context (
    day       TEXT    NOT NULL,
    survey_id TEXT    NOT NULL,
    version   INTEGER NOT NULL CHECK (version >= 0),
    channel   TEXT    NOT NULL,
    segment   TEXT    NOT NULL,
    locale    TEXT    NOT NULL,
    shown     INTEGER NOT NULL,
    PRIMARY KEY (day, survey_id, version, channel, segment, locale)
) STRICT, WITHOUT ROWID;

-- Both 'shown' rollups are filled by one pass over the events (one cursor,
-- one transaction per batch): rollup_shown is emptied and the events
-- cursor goes back to 0, so every stored event is folded again, exactly
-- once, into both (same transaction as this migration: no half state).
-- The response rollups are unchanged (their cursor stays).
DELETE FROM rollup_shown;
UPDATE pipeline_cursors SET last_rowid = 0 WHERE name = 'rollup_events';
