//! The verification survey: when a case is resolved the merchant sends the
//! customer a secret link (`/v/{token}`, by SMS or WeChat); the customer
//! says whether the issue is resolved and how satisfied they are now.
//!
//! **Satisfied** means "resolved: yes" *and* a score of at least
//! [`SATISFIED_FROM`] on the 1–5 scale (the top-2 box, as CSAT counts it):
//! only then is the case verified. Any other answer reopens it, so a
//! merchant cannot close the loop on a customer who says it is still broken.
//!
//! **The link's token** is a secret capability: 256 random bits, shown once
//! (in the answer of the request that made it) and stored only as its
//! SHA-256 ([`token_hash`]), like admin tokens: the database alone opens no
//! verification page. A link expires [`DEFAULT_LINK_TTL`] after it is made
//! (`--verification-link-days`); it answers only once; a new resolution, or
//! a renewal by staff, replaces it. What a link shows is [`link_state`].
//!
//! Links made before hashing (schema version 11 and older stored the token
//! itself) are hashed at start by `Store::hash_legacy_verification_tokens`,
//! and get a full validity period from that upgrade: they never had a
//! deadline, and a customer holding one should not find it dead the day
//! after.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use time::Duration;

use super::Status;
use crate::hosted::form::FormData;

/// How long a verification link stays valid by default: two weeks is
/// enough for a customer who reads the SMS late, short enough that old
/// links lying in chat histories stop working.
pub const DEFAULT_LINK_TTL: Duration = Duration::days(14);

/// The lowest score (1–5) that counts as satisfied.
pub const SATISFIED_FROM: u8 = 4;

/// The longest accepted comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// The token's prefix (tells a verification token from other secrets).
const TOKEN_PREFIX: &str = "vt_";

/// The customer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Has the issue been resolved?
    pub resolved: bool,
    /// How satisfied now, 1–5.
    pub score: u8,
    /// Optional comment (trimmed, never empty).
    pub comment: Option<String>,
}

impl Answer {
    /// Whether this answer verifies the case (see the module docs).
    pub fn is_satisfied(&self) -> bool {
        self.resolved && self.score >= SATISFIED_FROM
    }
}

/// A problem with a posted answer; the page shows it next to its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerProblem {
    /// "Resolved?" not answered (or not yes/no).
    MissingResolved,
    /// Score missing or not 1–5.
    MissingScore,
    /// Comment longer than [`MAX_COMMENT_CHARS`].
    CommentTooLong,
}

impl AnswerProblem {
    /// The form field it belongs to.
    pub fn field(self) -> &'static str {
        match self {
            AnswerProblem::MissingResolved => "resolved",
            AnswerProblem::MissingScore => "score",
            AnswerProblem::CommentTooLong => "comment",
        }
    }
}

/// Parses the posted form fields (`resolved=yes|no`, `score=1..5`,
/// `comment=…`, decoded like the hosted survey's form); every problem is
/// listed.
pub fn parse_answer(fields: &FormData) -> Result<Answer, Vec<AnswerProblem>> {
    let mut problems = Vec::new();
    let resolved = match fields.get("resolved").map(|v| v.trim()) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => {
            problems.push(AnswerProblem::MissingResolved);
            None
        }
    };
    let score = fields
        .get("score")
        .and_then(|v| v.trim().parse::<u8>().ok())
        .filter(|s| (1..=5).contains(s));
    if score.is_none() {
        problems.push(AnswerProblem::MissingScore);
    }
    let comment = fields
        .get("comment")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        problems.push(AnswerProblem::CommentTooLong);
    }
    match (resolved, score) {
        (Some(resolved), Some(score)) if problems.is_empty() => Ok(Answer {
            resolved,
            score,
            comment: comment.map(str::to_owned),
        }),
        _ => Err(problems),
    }
}

/// A fresh link token: `vt_` + 32 random bytes in URL-safe base64 (256 bits:
/// unguessable, and short enough for an SMS).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Lowercase hex SHA-256 of the token string, as stored
/// (`cases.verification_token_hash`). No salt or slow hash is needed: the
/// token has 256 random bits, so there is no dictionary to try.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a known link shows, from the case's stored fields (`now` and
/// `expires_at` as stored timestamps: text order is time order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// The form: the case waits for this answer.
    Awaited,
    /// Answered already: a second answer changes nothing (single use).
    Answered,
    /// Past its expiry.
    Expired,
    /// The case no longer waits for it (closed, or reopened by staff).
    NoLongerAwaited,
}

/// A queue filter on the verification (`GET /api/cases?verification=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkFilter {
    /// Resolved, its link unanswered and still valid: waiting for the customer.
    Awaiting,
    /// Resolved, its link unanswered and expired: send a new link or close.
    Expired,
    /// The customer answered the current link.
    Answered,
}

impl LinkFilter {
    /// Parses `awaiting`, `expired`, `answered`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "awaiting" => Some(Self::Awaiting),
            "expired" => Some(Self::Expired),
            "answered" => Some(Self::Answered),
            _ => None,
        }
    }
}

/// The state of a case's link (see [`LinkState`]). An answer is reported
/// before expiry (a customer who answered should hear so, not that the
/// link died), and expiry before the case's status (the link is what the
/// customer holds).
pub fn link_state(
    status: Status,
    answered: bool,
    expires_at: Option<&str>,
    now: &str,
) -> LinkState {
    if answered {
        LinkState::Answered
    } else if expires_at.is_some_and(|e| e <= now) {
        LinkState::Expired
    } else if status != Status::Resolved {
        LinkState::NoLongerAwaited
    } else {
        LinkState::Awaited
    }
}

/// Whether `token` has the shape [`new_token`] makes (checked before any
/// lookup, so junk never reaches the database).
pub fn is_well_formed(token: &str) -> bool {
    token.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The customer's link for `token`, relative to the collector's origin.
pub fn link(token: &str) -> String {
    format!("/v/{token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn satisfied_needs_yes_and_four_or_more() {
        let answer = |resolved, score| Answer {
            resolved,
            score,
            comment: None,
        };
        assert!(answer(true, 4).is_satisfied());
        assert!(answer(true, 5).is_satisfied());
        assert!(!answer(true, 3).is_satisfied());
        assert!(!answer(false, 5).is_satisfied());
    }

    #[test]
    fn a_complete_form_parses_and_blank_comments_are_none() {
        assert_eq!(
            parse_answer(&form(&[
                ("resolved", "yes"),
                ("score", "5"),
                ("comment", " ")
            ])),
            Ok(Answer {
                resolved: true,
                score: 5,
                comment: None
            })
        );
        assert_eq!(
            parse_answer(&form(&[
                ("resolved", "no"),
                ("score", "2"),
                ("comment", "还是坏的")
            ]))
            .map(|a| a.comment),
            Ok(Some("还是坏的".to_owned()))
        );
    }

    #[test]
    fn every_problem_is_listed() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [AnswerProblem]);
        let cases: &[Case<'_>] = &[
            (
                &[],
                &[AnswerProblem::MissingResolved, AnswerProblem::MissingScore],
            ),
            (
                &[("resolved", "maybe"), ("score", "3")],
                &[AnswerProblem::MissingResolved],
            ),
            (
                &[("resolved", "yes"), ("score", "6")],
                &[AnswerProblem::MissingScore],
            ),
            (
                &[("resolved", "yes"), ("score", "0")],
                &[AnswerProblem::MissingScore],
            ),
            (
                &[("resolved", "yes"), ("score", "x")],
                &[AnswerProblem::MissingScore],
            ),
        ];
        for (fields, expected) in cases {
            assert_eq!(
                parse_answer(&form(fields)),
                Err(expected.to_vec()),
                "{fields:?}"
            );
        }
        let long = "好".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            parse_answer(&form(&[
                ("resolved", "yes"),
                ("score", "4"),
                ("comment", &long)
            ])),
            Err(vec![AnswerProblem::CommentTooLong])
        );
    }

    #[test]
    fn tokens_are_random_and_well_formed() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_ne!(a, b);
        assert!(is_well_formed(&a), "{a}");
        assert!(!is_well_formed("vt_short"));
        assert!(!is_well_formed(&a.replace("vt_", "xx_")));
        assert_eq!(link("vt_x"), "/v/vt_x");
    }

    #[test]
    fn the_stored_hash_is_the_hex_sha256_of_the_token() {
        // `printf %s vt_x | sha256sum`
        assert_eq!(
            token_hash("vt_x"),
            "b6d86135a6d6526fd908f25f7ee1b0a3eea2ec7e59f6e4afb6d8727565d8201f"
        );
        let t = new_token().expect("token");
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), t);
    }

    #[test]
    fn a_link_is_awaited_only_while_resolved_unanswered_and_unexpired() {
        let now = "2026-11-23T08:00:00.000Z";
        let later = Some("2026-12-07T08:00:00.000Z");
        let state = |status, answered, expires| link_state(status, answered, expires, now);
        assert_eq!(state(Status::Resolved, false, later), LinkState::Awaited);
        // Links without an expiry (none are made any more) stay valid.
        assert_eq!(state(Status::Resolved, false, None), LinkState::Awaited);
        assert_eq!(state(Status::Open, true, later), LinkState::Answered);
        assert_eq!(
            state(Status::Verified, true, Some(now)),
            LinkState::Answered
        );
        // Expired at the instant it expires.
        assert_eq!(
            state(Status::Resolved, false, Some(now)),
            LinkState::Expired
        );
        assert_eq!(
            state(Status::Closed, false, Some("2026-11-01T00:00:00.000Z")),
            LinkState::Expired
        );
        assert_eq!(
            state(Status::Closed, false, later),
            LinkState::NoLongerAwaited
        );
        assert_eq!(
            state(Status::Open, false, later),
            LinkState::NoLongerAwaited
        );
    }
}
