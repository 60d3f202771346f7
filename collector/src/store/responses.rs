//! Responses: storing a validated response exactly once.
//!
//! Deduplication is done by the database's constraints, never by a lookup
//! before the insert (two concurrent submissions would both see "absent"):
//! `INSERT … ON CONFLICT DO NOTHING`, and only when nothing was inserted, a
//! lookup in the same transaction to tell which constraint fired and what it
//! means (the SQL is in [`super::writer`], which runs it for every
//! response):
//! - same `response_id`, same payload hash → an idempotent retry;
//! - same `response_id`, other hash → the id was reused for another body;
//! - same `(survey_id, order_id)` → that order was already answered.

use manyi_shared::{AnswerValue, QuestionId, ResponsePayload};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use super::{Store, StoreError};

/// A validated response, ready to store: the payload as received and the
/// typed answers [`manyi_shared::rules::validate_response`] returned for it.
#[derive(Debug, Clone, Copy)]
pub struct NewResponse<'a> {
    /// The payload as received (ids, context, timing).
    pub payload: &'a ResponsePayload,
    /// The validated answers of visible questions.
    pub answers: &'a BTreeMap<QuestionId, AnswerValue>,
}

/// What storing a response did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored now, at `received_at`.
    Created {
        /// The collector's receive time, as stored.
        received_at: String,
    },
    /// This exact response was stored before (a retry); nothing changed.
    Duplicate {
        /// The receive time of the first acceptance.
        received_at: String,
    },
    /// The `response_id` is taken by a response with a different body.
    ResponseIdConflict,
    /// Another response already answered this survey for this order.
    AlreadyAnswered,
}

/// The stored columns whose values define "the same response" come in a
/// fixed order, as the compact JSON object
/// `{"response_id":…,"site":…,"survey_id":…,"survey_version":…,"order_id":…,
/// "customer":…,"channel":…,"segment":…,"locale":…,"page":…,"answers":{…},
/// "shown_at":…,"submitted_at":…}` (absent values as `null`), whose SHA-256
/// is the payload hash. Stored hashes depend on these exact bytes: change
/// nothing here (the test `hash_bytes_are_those_of_the_canonical_struct`
/// holds them to the original single-struct serialisation).
///
/// Serialising structs (not maps) keeps the byte layout independent of
/// serde_json's map ordering features. The signature is left out on
/// purpose: it authenticates the response but is not part of it, and is
/// not stored.
///
/// The object is hashed in three pieces, this head, the answers text (the
/// same text that is stored) and [`CanonicalTail`], so that the answers are
/// serialised once per request rather than once for the hash and once for
/// the column.
#[derive(Serialize)]
struct CanonicalHead<'a> {
    response_id: &'a str,
    site: &'a str,
    survey_id: &'a str,
    survey_version: u32,
    order_id: Option<&'a str>,
    customer: Option<&'a str>,
    channel: Option<&'a str>,
    segment: Option<&'a str>,
    locale: Option<&'a str>,
    page: Option<&'a str>,
}

/// The canonical fields after the answers (see [`CanonicalHead`]).
#[derive(Serialize)]
struct CanonicalTail<'a> {
    shown_at: Option<&'a str>,
    submitted_at: Option<&'a str>,
}

impl NewResponse<'_> {
    /// The answers column: typed answers re-serialised in their wire shape,
    /// keyed by question id (sorted, as the map is).
    pub fn answers_json(&self) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .answers
            .iter()
            .map(|(id, a)| (id.as_str().to_owned(), a.to_json()))
            .collect();
        serde_json::Value::Object(map)
    }

    /// [`NewResponse::answers_json`] as compact JSON text, written
    /// directly (keys in the map's sorted order, as `serde_json::Value`
    /// writes its objects): the `answers` column.
    pub fn answers_text(&self) -> Result<String, StoreError> {
        let mut out = Vec::with_capacity(16 * self.answers.len() + 2);
        out.push(b'{');
        for (i, (id, answer)) in self.answers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, id.as_str())?;
            out.push(b':');
            serde_json::to_writer(&mut out, &answer.to_json())?;
        }
        out.push(b'}');
        String::from_utf8(out).map_err(|e| {
            // serde_json writes UTF-8 only.
            StoreError::Inconsistent(format!("answers JSON is not UTF-8: {e}"))
        })
    }

    /// SHA-256 (lower-case hex) of the canonical form of what is stored.
    pub fn payload_hash(&self) -> Result<String, StoreError> {
        let response_id = self.payload.response_id.to_string();
        self.hash_with(&response_id, &self.answers_text()?)
    }

    /// The payload hash given the response id and answers as text.
    fn hash_with(&self, response_id: &str, answers: &str) -> Result<String, StoreError> {
        let p = self.payload;
        let head = serde_json::to_vec(&CanonicalHead {
            response_id,
            site: p.site.as_str(),
            survey_id: p.survey_id.as_str(),
            survey_version: p.survey_version,
            order_id: p.context.order_id.as_deref(),
            customer: p.context.customer.as_deref(),
            channel: p.context.channel.as_deref(),
            segment: p.context.segment.as_deref(),
            locale: p.context.locale.as_deref(),
            page: p.context.page.as_deref(),
        })?;
        let tail = serde_json::to_vec(&CanonicalTail {
            shown_at: p.timing.shown_at.as_deref(),
            submitted_at: p.timing.submitted_at.as_deref(),
        })?;
        // `{head…}` and `{tail…}` joined around the answers:
        // `{head…,"answers":{…},tail…}`. Both objects have fields, so each
        // is at least `{"…":…}` and the slices below are in bounds.
        let mut hasher = Sha256::new();
        hasher.update(&head[..head.len() - 1]);
        hasher.update(b",\"answers\":");
        hasher.update(answers.as_bytes());
        hasher.update(b",");
        hasher.update(&tail[1..]);
        Ok(hex::encode(hasher.finalize()))
    }
}

/// A response with every column computed, owned, so that it can travel to
/// the writer task ([`super::writer`]), which binds it as is. Hashing and
/// JSON encoding happen here, in the request's task, to keep the single
/// writer doing nothing but SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedResponse {
    /// The idempotency key.
    pub response_id: String,
    /// `site_key`.
    pub site: String,
    /// `survey_id`.
    pub survey_id: String,
    /// `survey_version`.
    pub survey_version: u32,
    /// `order_id`.
    pub order_id: Option<String>,
    /// `customer`.
    pub customer: Option<String>,
    /// `channel`.
    pub channel: Option<String>,
    /// `segment`.
    pub segment: Option<String>,
    /// `locale`.
    pub locale: Option<String>,
    /// `page`.
    pub page: Option<String>,
    /// The `answers` column ([`NewResponse::answers_json`] as text).
    pub answers: String,
    /// [`NewResponse::payload_hash`].
    pub payload_hash: String,
    /// `shown_at` (client clock).
    pub shown_at: Option<String>,
    /// `submitted_at` (client clock).
    pub submitted_at: Option<String>,
    /// Whether the signature verified (the `signed` column).
    pub signed: bool,
}

impl NewResponse<'_> {
    /// The owned row to store, with `signed` telling whether its signature
    /// verified against the site's secret.
    pub fn prepare(&self, signed: bool) -> Result<PreparedResponse, StoreError> {
        let p = self.payload;
        let response_id = p.response_id.to_string();
        let answers = self.answers_text()?;
        let payload_hash = self.hash_with(&response_id, &answers)?;
        Ok(PreparedResponse {
            response_id,
            site: p.site.as_str().to_owned(),
            survey_id: p.survey_id.as_str().to_owned(),
            survey_version: p.survey_version,
            order_id: p.context.order_id.clone(),
            customer: p.context.customer.clone(),
            channel: p.context.channel.clone(),
            segment: p.context.segment.clone(),
            locale: p.context.locale.clone(),
            page: p.context.page.clone(),
            answers,
            payload_hash,
            shown_at: p.timing.shown_at.clone(),
            submitted_at: p.timing.submitted_at.clone(),
            signed,
        })
    }
}

impl Store {
    /// Stores an unsigned response once (see [`Store::insert_response_signed`]).
    pub async fn insert_response(
        &self,
        new: &NewResponse<'_>,
    ) -> Result<InsertOutcome, StoreError> {
        self.insert_response_signed(new, false).await
    }

    /// Stores a response once, with `signed` telling whether its signature
    /// verified against the site's secret (the `responses.signed` column; not
    /// part of the payload hash, so a retry is a duplicate whether or not it
    /// is signed, and the first acceptance's flag stays).
    ///
    /// The row goes to the single writer task, which commits it together
    /// with whatever else is queued (group commit); this returns only after
    /// that commit succeeded, so an `Ok` is durable (up to `synchronous =
    /// NORMAL`: a process crash loses nothing, a power cut at most the last
    /// commits). A failed commit, or a writer that has stopped, is an error.
    #[tracing::instrument(
        level = "debug",
        skip(self, new),
        fields(response_id = %new.payload.response_id, survey_id = %new.payload.survey_id)
    )]
    pub async fn insert_response_signed(
        &self,
        new: &NewResponse<'_>,
        signed: bool,
    ) -> Result<InsertOutcome, StoreError> {
        let row = new.prepare(signed)?;
        self.responses.write(row).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(json: serde_json::Value) -> ResponsePayload {
        serde_json::from_value(json).expect("valid payload")
    }

    fn base() -> serde_json::Value {
        serde_json::json!({
            "response_id": "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "site": "demo", "survey_id": "post-payment", "survey_version": 1,
            "answers": {},
            "context": { "order_id": "A1001" },
        })
    }

    fn hash(p: &ResponsePayload, answers: &BTreeMap<QuestionId, AnswerValue>) -> String {
        NewResponse {
            payload: p,
            answers,
        }
        .payload_hash()
        .expect("hashes")
    }

    fn nps(n: i64) -> BTreeMap<QuestionId, AnswerValue> {
        BTreeMap::from([(QuestionId::parse("nps").expect("id"), AnswerValue::Score(n))])
    }

    #[test]
    fn hash_is_stable_hex_sha256() {
        let p = payload(base());
        let h = hash(&p, &nps(9));
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(h, hash(&p, &nps(9)));
    }

    #[test]
    fn hash_changes_with_answers_and_context() {
        let p = payload(base());
        assert_ne!(hash(&p, &nps(9)), hash(&p, &nps(8)));
        let mut other = base();
        other["context"]["order_id"] = "A1002".into();
        assert_ne!(hash(&p, &nps(9)), hash(&payload(other), &nps(9)));
    }

    #[test]
    fn hash_ignores_the_signature() {
        let mut signed = base();
        signed["sig"] = "abc".into();
        assert_eq!(
            hash(&payload(base()), &nps(9)),
            hash(&payload(signed), &nps(9))
        );
    }

    /// The payload hash as first defined: SHA-256 of one struct holding
    /// every canonical field. Stored hashes were made this way, so the
    /// piecewise hash must give the same bytes.
    fn original_hash(p: &ResponsePayload, answers: &BTreeMap<QuestionId, AnswerValue>) -> String {
        #[derive(Serialize)]
        struct Canonical<'a> {
            response_id: String,
            site: &'a str,
            survey_id: &'a str,
            survey_version: u32,
            order_id: Option<&'a str>,
            customer: Option<&'a str>,
            channel: Option<&'a str>,
            segment: Option<&'a str>,
            locale: Option<&'a str>,
            page: Option<&'a str>,
            answers: &'a serde_json::Value,
            shown_at: Option<&'a str>,
            submitted_at: Option<&'a str>,
        }
        let answers = NewResponse {
            payload: p,
            answers,
        }
        .answers_json();
        let canonical = Canonical {
            response_id: p.response_id.to_string(),
            site: p.site.as_str(),
            survey_id: p.survey_id.as_str(),
            survey_version: p.survey_version,
            order_id: p.context.order_id.as_deref(),
            customer: p.context.customer.as_deref(),
            channel: p.context.channel.as_deref(),
            segment: p.context.segment.as_deref(),
            locale: p.context.locale.as_deref(),
            page: p.context.page.as_deref(),
            answers: &answers,
            shown_at: p.timing.shown_at.as_deref(),
            submitted_at: p.timing.submitted_at.as_deref(),
        };
        hex::encode(Sha256::digest(
            serde_json::to_vec(&canonical).expect("serialises"),
        ))
    }

    #[test]
    fn hash_bytes_are_those_of_the_canonical_struct() {
        let full = serde_json::json!({
            "response_id": "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "site": "demo", "survey_id": "post-payment", "survey_version": 7,
            "answers": {},
            "context": { "order_id": "A\"1001\\", "customer": "c-42", "channel": "wechat",
                         "segment": "vip", "locale": "zh-CN",
                         "page": "https://shop.example/支付?x=1&y=\u{7f}" },
            "timing": { "shown_at": "2026-11-23T08:00:00Z",
                        "submitted_at": "2026-11-23T08:00:41Z" },
        });
        let answers = BTreeMap::from([
            (QuestionId::parse("nps").expect("id"), AnswerValue::Score(3)),
            (
                QuestionId::parse("comment").expect("id"),
                AnswerValue::Text("快递很慢, \"really\"\n\tslow".into()),
            ),
        ]);
        for (p, answers) in [
            (payload(base()), nps(9)),
            (payload(base()), BTreeMap::new()),
            (payload(full.clone()), answers.clone()),
            (payload(full), nps(0)),
        ] {
            assert_eq!(hash(&p, &answers), original_hash(&p, &answers));
            let new = NewResponse {
                payload: &p,
                answers: &answers,
            };
            assert_eq!(
                new.prepare(false).expect("prepares").answers,
                new.answers_json().to_string()
            );
        }
    }

    #[test]
    fn answers_json_uses_wire_shapes() {
        let p = payload(base());
        let answers = nps(3);
        assert_eq!(
            NewResponse {
                payload: &p,
                answers: &answers,
            }
            .answers_json(),
            serde_json::json!({"nps": 3})
        );
    }
}
