//! Exports of stored responses with their flags and tags: the CSV and
//! NDJSON line formats of docs/reports-api.md. The HTTP side streams what
//! these functions produce row by row (`crate::http::admin::exports`).
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

use super::days::REPORT_OFFSET;
use super::query::Filter;
use crate::store::format_timestamp;
use crate::store::reports::{ExportRow, ExportSelection};

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
            from: time::macros::date!(2026 - 11 - 01),
            to: time::macros::date!(2026 - 11 - 02),
            survey: None,
            version: None,
            channel: None,
            segment: None,
            locale: None,
            question: None,
            tag: None,
            include_flagged: true,
        };
        let s = selection(&f);
        assert_eq!(s.received_from, "2026-10-31T16:00:00.000Z");
        assert_eq!(s.received_before, "2026-11-02T16:00:00.000Z");
    }
}
