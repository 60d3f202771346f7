//! Exports of stored responses with their flags and tags: the CSV and
//! NDJSON line formats of docs/reports-api.md, and the task that reads an
//! export page by page and encodes it into chunks for the HTTP side
//! (`crate::http::admin::exports`) to stream.
//!
//! # Reading: keyset pages over a snapshot
//!
//! An export reads [`PAGE_ROWS`] responses at a time in rowid (storage)
//! order, `rowid > last`, each page one short statement, encoded as it is
//! read, whose connection is back in the pool before the page is sent
//! ([`Store::export_page`]). A slow or stalled client therefore holds no
//! database connection and no read transaction (which would also keep WAL
//! checkpoints from resetting the log); memory stays at one encoded page
//! plus the chunks in flight, whatever the export's size.
//!
//! The snapshot: an export holds the responses of its filter whose rowid is
//! at most the analysis cursor when it starts ([`Pages::start`]), i.e.
//! every response stored before the request (the handler lets the analysis
//! catch up first) and none stored later. Rowids only grow and a response's
//! analysis is written once, with the cursor, so a page read late sees the
//! same rows, flags and tags as it would have at the start: the export is a
//! complete list with no response twice, missing or half included, even
//! while new responses arrive.
//!
//! CSV is meant for Excel: the body starts with a UTF-8 byte-order mark (or
//! Excel reads Chinese as mojibake), fields are quoted by the `csv` crate
//! when they hold a comma, quote or line break, and free text that starts
//! with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` so
//! that Excel shows it instead of evaluating it as a formula (CSV
//! injection).

use manyi_shared::Survey;
use serde_json::{Value, json};
use time::{PrimitiveDateTime, Time};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::days::REPORT_OFFSET;
use super::query::Filter;
use crate::store::exports::{ExportRow, ExportSelection};
use crate::store::{Store, StoreError, format_timestamp};

/// Responses read per page: one short statement, at most about a megabyte
/// of rows in memory.
pub const PAGE_ROWS: u32 = 1000;

/// Bytes gathered before a chunk is handed on.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// Chunks waiting for the client: a slow client stops the reader after
/// this many instead of letting chunks pile up.
const CHUNKS_IN_FLIGHT: usize = 4;

/// The UTF-8 byte-order mark that opens every CSV export.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The fixed CSV columns, before the per-question ones.
pub const COLUMNS: [&str; 16] = [
    "response_id",
    "survey_id",
    "survey_version",
    "received_at",
    "submitted_at",
    "shown_at",
    "duration_ms",
    "order_id",
    "customer",
    "channel",
    "segment",
    "locale",
    "flagged",
    "flags",
    "tags",
    "answers",
];

/// The responses `filter` selects: its reporting days as UTC receive
/// times.
pub fn selection(filter: &Filter) -> ExportSelection {
    let at_midnight = |d: time::Date| {
        format_timestamp(PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(REPORT_OFFSET))
    };
    ExportSelection {
        received_from: at_midnight(filter.from),
        // The day after `to`; `to` is at most year 9999 in practice, and a
        // last day without successor simply keeps `to` itself open-ended.
        received_before: filter
            .to
            .next_day()
            .map_or_else(|| "9999-12-31T23:59:59.999Z".to_owned(), at_midnight),
        survey: filter.survey.clone(),
        version: filter.version,
        channel: filter.channel.clone(),
        segment: filter.segment.clone(),
        locale: filter.locale.clone(),
        tag: filter.tag.clone(),
        include_flagged: filter.include_flagged,
    }
}

/// An export being read: its selection, its snapshot and how far it got.
#[derive(Debug, Clone)]
pub struct Pages {
    selection: ExportSelection,
    /// Every rowid up to this one has been read.
    after: i64,
    /// The last rowid of the snapshot.
    snapshot: i64,
    page_rows: u32,
}

impl Pages {
    /// Starts an export of `selection` in pages of `page_rows`, over the
    /// responses the analysis has processed (see the module docs): call it
    /// after [`crate::analytics::Pipeline::catch_up`] so that this is every stored response.
    pub async fn start(
        store: &Store,
        selection: ExportSelection,
        page_rows: u32,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            snapshot: store.analysis_cursor().await?,
            selection,
            after: 0,
            page_rows: page_rows.max(1),
        })
    }

    /// The last rowid this export includes.
    pub fn snapshot(&self) -> i64 {
        self.snapshot
    }

    /// Reads the next page, handing each row to `each` as it is read (see
    /// [`Store::export_page`]: `each` cannot wait, the page's statement
    /// holds a connection meanwhile). `false` once the snapshot is read. A
    /// page may have no rows (a stretch of the table the filter does not
    /// select). No connection is held between calls.
    pub async fn read_page(
        &mut self,
        store: &Store,
        each: impl FnMut(ExportRow) + Send,
    ) -> Result<bool, StoreError> {
        if self.after >= self.snapshot {
            return Ok(false);
        }
        self.after = store
            .export_page(
                &self.selection,
                self.after,
                self.snapshot,
                self.page_rows,
                each,
            )
            .await?;
        Ok(true)
    }

    /// The next page as rows, or `None` once the snapshot is read.
    pub async fn next_page(&mut self, store: &Store) -> Result<Option<Vec<ExportRow>>, StoreError> {
        let mut rows = Vec::new();
        let more = self.read_page(store, |row| rows.push(row)).await?;
        Ok(more.then_some(rows))
    }
}

/// A chunk of an export's bytes, or the error that ended it.
pub type Chunk = Result<Vec<u8>, StoreError>;

/// Reads `pages` in a task and sends `first`, then each row as `encode`
/// appends it, in chunks of about [`CHUNK_BYTES`] over a small bounded
/// channel: the returned receiver (the response body) paces the reader.
///
/// The task ends after the last chunk, after an error (sent as the last
/// item), or as soon as the receiver is dropped (the client went away):
/// at its next send, or before reading another page. It never holds a
/// database connection while it waits for the receiver: a page is encoded
/// as its statement reads it and sent after (so up to one page of encoded
/// bytes waits in memory besides the chunks in flight).
pub fn spawn_chunks(
    store: Store,
    mut pages: Pages,
    first: Vec<u8>,
    mut encode: impl FnMut(&ExportRow, &mut Vec<u8>) + Send + 'static,
) -> (mpsc::Receiver<Chunk>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let task = tokio::spawn(async move {
        let mut buf = first;
        // A page is encoded while it is read and sent once its statement
        // is done: waiting for the client never holds the connection.
        let mut ready: Vec<Vec<u8>> = Vec::new();
        loop {
            if tx.is_closed() {
                return;
            }
            let read = pages
                .read_page(&store, |row| {
                    encode(&row, &mut buf);
                    if buf.len() >= CHUNK_BYTES {
                        ready.push(std::mem::take(&mut buf));
                    }
                })
                .await;
            for chunk in ready.drain(..) {
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
            match read {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    // The receiver may be gone: nobody left to tell.
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        if !buf.is_empty() {
            let _ = tx.send(Ok(buf)).await;
        }
    });
    (rx, task)
}

/// The question ids of a survey that get their own CSV column, in order
/// (every question).
pub fn question_columns(survey: &Survey) -> Vec<String> {
    survey
        .questions
        .iter()
        .map(|q| q.id.as_str().to_owned())
        .collect()
}

/// The CSV header: the fixed columns, then `q.<id>` per question.
pub fn header(questions: &[String]) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(questions.iter().map(|q| format!("q.{q}")))
        .collect()
}

/// Free text made safe from formula evaluation in spreadsheets.
pub fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A JSON array of strings joined with `;` (flags, tags).
fn joined(json: &str) -> String {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .join(";")
}

/// One answer as a cell: a score as a number, choices `;`-joined (with
/// `other: <text>` for the free-text option), text as is.
pub fn answer_cell(answer: &Value) -> String {
    let ids = |items: &Vec<Value>| {
        items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(";")
    };
    let other = |o: &serde_json::Map<String, Value>| {
        o.get("other_text")
            .and_then(Value::as_str)
            .map(|t| format!(";other: {t}"))
            .unwrap_or_default()
    };
    let cell = match answer {
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => ids(items),
        Value::Object(o) => match (o.get("choice"), o.get("choices")) {
            (Some(Value::String(c)), _) => format!("{c}{}", other(o)),
            (_, Some(Value::Array(items))) => format!("{}{}", ids(items), other(o)),
            _ => answer.to_string(),
        },
        Value::Bool(b) => b.to_string(),
    };
    defuse(&cell)
}

/// One CSV record for `row`, with a cell per question in `questions`.
pub fn csv_record(row: &ExportRow, questions: &[String]) -> Vec<String> {
    let opt = |v: &Option<String>| v.as_deref().map(defuse).unwrap_or_default();
    let answers: serde_json::Map<String, Value> =
        serde_json::from_str(&row.answers).unwrap_or_default();
    let mut record = vec![
        row.response_id.clone(),
        row.survey_id.clone(),
        row.survey_version.to_string(),
        row.received_at.clone(),
        // Client clock strings, as sent: only checked to be strings at
        // ingest, so anybody could send a formula.
        opt(&row.submitted_at),
        opt(&row.shown_at),
        row.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
        opt(&row.order_id),
        opt(&row.customer),
        opt(&row.channel),
        opt(&row.segment),
        opt(&row.locale),
        (row.flagged == 1).to_string(),
        joined(&row.flags),
        joined(&row.tags),
        row.answers.clone(),
    ];
    record.extend(
        questions
            .iter()
            .map(|q| answers.get(q).map(answer_cell).unwrap_or_default()),
    );
    record
}

/// One NDJSON line (without the newline).
pub fn ndjson_line(row: &ExportRow) -> String {
    let array = |j: &str| serde_json::from_str::<Value>(j).unwrap_or_else(|_| json!([]));
    let answers = serde_json::from_str::<Value>(&row.answers).unwrap_or(Value::Null);
    json!({
        "response_id": row.response_id,
        "survey_id": row.survey_id,
        "survey_version": row.survey_version,
        "received_at": row.received_at,
        "submitted_at": row.submitted_at,
        "shown_at": row.shown_at,
        "duration_ms": row.duration_ms,
        "order_id": row.order_id,
        "customer": row.customer,
        "channel": row.channel,
        "segment": row.segment,
        "locale": row.locale,
        "flagged": row.flagged == 1,
        "flags": array(&row.flags),
        "tags": array(&row.tags),
        "answers": answers,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_defused_and_other_text_kept() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-5"), "'-5");
        assert_eq!(defuse("物流慢"), "物流慢");
        assert_eq!(answer_cell(&json!(9)), "9");
        assert_eq!(answer_cell(&json!(["slow", "price"])), "slow;price");
        assert_eq!(
            answer_cell(&json!({"choices": ["slow", "other"], "other_text": "太贵"})),
            "slow;other;other: 太贵"
        );
        assert_eq!(
            answer_cell(&json!({"choice": "other", "other_text": "x"})),
            "other;other: x"
        );
        assert_eq!(answer_cell(&json!("=1+1")), "'=1+1");
    }

    #[test]
    fn reporting_days_become_utc_receive_times() {
        let f = Filter {
            include_flagged: true,
            ..Filter::range(
                time::macros::date!(2026 - 11 - 01),
                time::macros::date!(2026 - 11 - 02),
            )
        };
        let s = selection(&f);
        assert_eq!(s.received_from, "2026-10-31T16:00:00.000Z");
        assert_eq!(s.received_before, "2026-11-02T16:00:00.000Z");
    }
}
