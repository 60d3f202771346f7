//! The verification survey: when a case is resolved the merchant sends the
//! customer a secret link (`/v/{token}`, by SMS or WeChat); the customer
//! says whether the issue is resolved and how satisfied they are now.
//!
//! **Satisfied** means "resolved: yes" *and* a score of at least
//! [`SATISFIED_FROM`] on the 1–5 scale (the top-2 box, as CSAT counts it):
//! only then is the case verified. Any other answer reopens it, so a
//! merchant cannot close the loop on a customer who says it is still broken.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::hosted::form::FormData;

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
}
