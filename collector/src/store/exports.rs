//! The export query: stored responses with their analysis, read in pages by
//! keyset (rowid) so that a download never holds a connection for longer
//! than one page.
//!
//! A download is paced by its client: reading it from one open cursor kept
//! one of the few reader connections and a read
//! transaction for as long as the slowest client took, and an open read
//! transaction keeps the WAL from being reset by checkpoints. Here each
//! page is one short statement, `rowid > after … ORDER BY rowid LIMIT n`,
//! whose connection goes back to the pool before the page is sent.
//!
//! The key is the rowid: storage order (the order exports are documented
//! in), unique, and only ever growing, because responses are never deleted
//! (so no rowid is reused) and one writer commits them in rowid order. The
//! post-commit workers' cursors (`pipeline_cursors`) rely on the same.

use sqlx::{QueryBuilder, Sqlite};
use tokio_stream::StreamExt as _;

use super::{Store, StoreError};

/// How many rowids one page statement may scan per row it may return. A
/// filter that matches few responses would otherwise scan the whole table
/// for one page; with this bound every statement is short and a sparse
/// export takes more, equally short, pages.
const SCAN_PER_ROW: i64 = 16;

/// Which responses to export.
#[derive(Debug, Clone, Default)]
pub struct ExportSelection {
    /// First `received_at` included (UTC timestamp text).
    pub received_from: String,
    /// First `received_at` no longer included.
    pub received_before: String,
    /// Only this survey.
    pub survey: Option<String>,
    /// Only this version.
    pub version: Option<i64>,
    /// Only this channel ('' = none).
    pub channel: Option<String>,
    /// Only this segment ('' = none).
    pub segment: Option<String>,
    /// Only this locale ('' = none).
    pub locale: Option<String>,
    /// Only responses with this tag.
    pub tag: Option<String>,
    /// Include flagged responses.
    pub include_flagged: bool,
}

/// One exported response with its analysis.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExportRow {
    /// Response id.
    pub response_id: String,
    /// Survey id.
    pub survey_id: String,
    /// Survey version.
    pub survey_version: i64,
    /// Collector receive time.
    pub received_at: String,
    /// Client submit time.
    pub submitted_at: Option<String>,
    /// Client shown time.
    pub shown_at: Option<String>,
    /// Completion time (analysis).
    pub duration_ms: Option<i64>,
    /// Order id.
    pub order_id: Option<String>,
    /// Customer.
    pub customer: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Segment.
    pub segment: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// 1 when flagged.
    pub flagged: i64,
    /// JSON array of flag codes.
    pub flags: String,
    /// JSON array of tags.
    pub tags: String,
    /// Answers JSON.
    pub answers: String,
}

/// A row with its keyset key.
#[derive(sqlx::FromRow)]
struct Keyed {
    rowid: i64,
    #[sqlx(flatten)]
    row: ExportRow,
}

/// How many reader connections there are and how many are idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderConnections {
    /// Open connections.
    pub open: u32,
    /// Open connections not in use.
    pub idle: usize,
}

impl Store {
    /// Hands `each` the responses of `sel` with a rowid in `(after, upto]`,
    /// in rowid order: at most `limit` of them, from at most `limit` ×
    /// [`SCAN_PER_ROW`] rowids. Returns the rowid up to which the range has
    /// been looked at (the next page starts after it; `upto` once done).
    ///
    /// One statement on one pooled connection, back in the pool when this
    /// returns. `each` runs while the statement reads (it cannot wait: it
    /// is not async), so rows are processed as they arrive instead of being
    /// collected first. Measured on the 1M-response bench database, a whole
    /// export this way still costs about twice the CPU of the former single
    /// cursor (CSV: 23–29 s vs 11–14 s under load); the cause is not found
    /// yet (perf: futex wake-ups between the SQLite worker threads and the
    /// runtime, not the SQL: the same pages in Python's sqlite3 cost +8 %).
    #[tracing::instrument(level = "debug", skip(self, sel, each))]
    pub async fn export_page(
        &self,
        sel: &ExportSelection,
        after: i64,
        upto: i64,
        limit: u32,
        mut each: impl FnMut(ExportRow) + Send,
    ) -> Result<i64, StoreError> {
        let limit = limit.max(1);
        let window_end = after
            .saturating_add(i64::from(limit).saturating_mul(SCAN_PER_ROW))
            .min(upto);
        let mut qb = QueryBuilder::<Sqlite>::new(
            // NOT INDEXED: walk the table by rowid. Given a survey, SQLite
            // would otherwise pick responses_by_survey_received and sort
            // the survey's whole range by rowid for every page.
            "SELECT r.rowid AS rowid, r.response_id, r.survey_id, r.survey_version,
                    r.received_at, r.submitted_at, r.shown_at, a.duration_ms, r.order_id,
                    r.customer, r.channel, r.segment, r.locale,
                    COALESCE(a.flagged, 0) AS flagged, COALESCE(a.flags, '[]') AS flags,
                    COALESCE(a.tags, '[]') AS tags, r.answers
             FROM responses r NOT INDEXED
             LEFT JOIN response_analysis a ON a.response_id = r.response_id
             WHERE r.rowid > ",
        );
        qb.push_bind(after)
            .push(" AND r.rowid <= ")
            .push_bind(window_end)
            .push(" AND r.received_at >= ")
            .push_bind(sel.received_from.as_str())
            .push(" AND r.received_at < ")
            .push_bind(sel.received_before.as_str());
        if let Some(s) = &sel.survey {
            qb.push(" AND r.survey_id = ").push_bind(s.as_str());
        }
        if let Some(v) = sel.version {
            qb.push(" AND r.survey_version = ").push_bind(v);
        }
        for (column, value) in [
            ("channel", &sel.channel),
            ("segment", &sel.segment),
            ("locale", &sel.locale),
        ] {
            if let Some(v) = value {
                qb.push(format!(" AND COALESCE(r.{column}, '') = "))
                    .push_bind(v.as_str());
            }
        }
        if let Some(t) = &sel.tag {
            qb.push(" AND EXISTS (SELECT 1 FROM response_tags t WHERE t.tag = ")
                .push_bind(t.as_str())
                .push(" AND t.response_id = r.response_id)");
        }
        if !sel.include_flagged {
            qb.push(" AND COALESCE(a.flagged, 0) = 0");
        }
        qb.push(" ORDER BY r.rowid LIMIT ")
            .push_bind(i64::from(limit));
        let mut rows = qb.build_query_as::<Keyed>().fetch(&self.reader);
        let (mut read, mut last) = (0_usize, after);
        while let Some(keyed) = rows.next().await {
            let keyed = keyed?;
            read += 1;
            last = keyed.rowid;
            each(keyed.row);
        }
        // A full page may have stopped before the window's end: continue
        // after its last row. A short one looked at the whole window.
        Ok(if read == limit as usize {
            last
        } else {
            window_end
        })
    }

    /// The reader pool's connections, open and idle: an export between
    /// pages holds none of them.
    pub fn reader_connections(&self) -> ReaderConnections {
        ReaderConnections {
            open: self.reader.size(),
            idle: self.reader.num_idle(),
        }
    }
}
