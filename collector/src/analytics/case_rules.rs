//! The rules that open follow-up cases: which answers someone must call
//! back about, how urgently, and who does it.
//!
//! A rule holds conditions that must all hold (a score at most a
//! threshold, an alert keyword, a tag, a segment), a priority and an owner.
//! Of the rules that match a response, the one of highest priority wins
//! (then lowest `position`, then the order given): one case per response.
//! An alert keyword in the comments makes the case urgent whatever rule
//! opened it (fraud, security and complaints cannot wait a day).
//!
//! A site without rules of its own uses [`builtin`]: CSAT ≤ 2, NPS ≤ 6,
//! CES ≤ 3 open a normal case; VIP customers get a high-priority case
//! already for a lesser complaint (NPS ≤ 7, CSAT ≤ 3, CES ≤ 4); an alert
//! keyword opens an urgent one.

use std::collections::BTreeSet;

use super::facts::{Score, ScoreKind};
use crate::cases::Priority;

/// The owner of the built-in rules' cases: the customer-service team.
pub const BUILTIN_OWNER: &str = "customer-service";

/// Longest owner, segment name accepted (characters).
pub const MAX_NAME_CHARS: usize = 100;

/// A score condition: the lowest answer to a question of `kind` is at most
/// `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreAtMost {
    /// The question kind.
    pub kind: ScoreKind,
    /// The threshold (inclusive).
    pub max: i64,
}

/// What must hold for a rule to match: every condition given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// A score at most a threshold.
    pub score: Option<ScoreAtMost>,
    /// An alert keyword matched.
    pub alert: bool,
    /// This tag was found.
    pub tag: Option<String>,
    /// The response's segment is this one (e.g. `vip`).
    pub segment: Option<String>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `builtin:…` for built-in rules, the row id for a site's own.
    pub id: String,
    /// Only this survey's responses; `None`: every survey of the site.
    pub survey_id: Option<String>,
    /// What must hold.
    pub conditions: Conditions,
    /// The case's priority (an alert keyword still makes it urgent).
    pub priority: Priority,
    /// Who calls back.
    pub owner: Option<String>,
    /// Tie-break among rules of equal priority: lower first.
    pub position: i64,
}

/// What the rules look at in one response.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The survey answered.
    pub survey_id: &'a str,
    /// Answered rating questions.
    pub scores: &'a [Score],
    /// Tags found in the texts.
    pub tags: &'a BTreeSet<String>,
    /// Alert keywords found.
    pub alert_keywords: &'a BTreeSet<String>,
    /// The customer's segment.
    pub segment: Option<&'a str>,
}

/// The case to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The rule that matched.
    pub rule: String,
    /// The case priority.
    pub priority: Priority,
    /// Who calls back.
    pub owner: Option<String>,
    /// What opened it, for people: e.g. `NPS 3 ≤ 6`, `alert keyword 欺诈`.
    pub reason: String,
}

/// The built-in rules.
pub fn builtin() -> Vec<Rule> {
    let rule = |id: &str, score: Option<(ScoreKind, i64)>, alert, segment: Option<&str>, p| Rule {
        id: format!("builtin:{id}"),
        survey_id: None,
        conditions: Conditions {
            score: score.map(|(kind, max)| ScoreAtMost { kind, max }),
            alert,
            tag: None,
            segment: segment.map(str::to_owned),
        },
        priority: p,
        owner: Some(BUILTIN_OWNER.to_owned()),
        position: 0,
    };
    use ScoreKind::{Ces, Csat, Nps};
    vec![
        rule("alert_keyword", None, true, None, Priority::Urgent),
        rule(
            "vip_nps",
            Some((Nps, 7)),
            false,
            Some("vip"),
            Priority::High,
        ),
        rule(
            "vip_csat",
            Some((Csat, 3)),
            false,
            Some("vip"),
            Priority::High,
        ),
        rule(
            "vip_ces",
            Some((Ces, 4)),
            false,
            Some("vip"),
            Priority::High,
        ),
        rule("csat_low", Some((Csat, 2)), false, None, Priority::Normal),
        rule(
            "nps_detractor",
            Some((Nps, 6)),
            false,
            None,
            Priority::Normal,
        ),
        rule("ces_hard", Some((Ces, 3)), false, None, Priority::Normal),
    ]
}

/// Why `rule` matches `facts` (the reason text), or `None` when it does not.
fn matches(rule: &Rule, facts: &Facts<'_>) -> Option<String> {
    if rule
        .survey_id
        .as_deref()
        .is_some_and(|s| s != facts.survey_id)
    {
        return None;
    }
    let c = &rule.conditions;
    let mut why = Vec::new();
    if let Some(segment) = &c.segment {
        if facts.segment != Some(segment.as_str()) {
            return None;
        }
        why.push(format!("segment {segment}"));
    }
    if let Some(cond) = c.score {
        let lowest = facts
            .scores
            .iter()
            .filter(|s| s.kind == cond.kind)
            .map(|s| s.value)
            .min()?;
        if lowest > cond.max {
            return None;
        }
        why.push(format!("{} {lowest} ≤ {}", cond.kind.label(), cond.max));
    }
    if c.alert {
        let words: Vec<&str> = facts.alert_keywords.iter().map(String::as_str).collect();
        if words.is_empty() {
            return None;
        }
        why.push(format!("alert keyword {}", words.join(", ")));
    }
    if let Some(tag) = &c.tag {
        if !facts.tags.contains(tag) {
            return None;
        }
        why.push(format!("tag {tag}"));
    }
    // A rule without conditions is refused when created; should one exist,
    // it must not open a case for every answer.
    (!why.is_empty()).then(|| why.join(", "))
}

/// The case `rules` open for `facts`, if any (see the module docs).
pub fn decide(rules: &[Rule], facts: &Facts<'_>) -> Option<Decision> {
    let (rule, reason) = rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| matches(r, facts).map(|why| (i, r, why)))
        // Priority orders Urgent first.
        .min_by_key(|(i, r, _)| (r.priority, r.position, *i))
        .map(|(_, r, why)| (r, why))?;
    let alert = !facts.alert_keywords.is_empty();
    let (priority, reason) = if alert && rule.priority != Priority::Urgent {
        let words: Vec<&str> = facts.alert_keywords.iter().map(String::as_str).collect();
        (
            Priority::Urgent,
            format!("{reason}; alert keyword {}", words.join(", ")),
        )
    } else {
        (rule.priority, reason)
    };
    Some(Decision {
        rule: rule.id.clone(),
        priority,
        owner: rule.owner.clone(),
        reason,
    })
}

/// A problem with a rule given through the admin API: (field, code, message).
pub type RuleProblem = (&'static str, &'static str, String);

/// A rule as the admin API receives it, before checking.
#[derive(Debug, Clone, Default)]
pub struct RuleInput<'a> {
    /// `nps`, `csat`, `ces`, `likert`.
    pub score_kind: Option<&'a str>,
    /// Threshold of the score condition.
    pub score_max: Option<i64>,
    /// Alert keyword condition.
    pub alert: bool,
    /// Tag condition.
    pub tag: Option<&'a str>,
    /// Segment condition.
    pub segment: Option<&'a str>,
    /// `urgent`, `high`, `normal`.
    pub priority: &'a str,
    /// Who calls back.
    pub owner: Option<&'a str>,
}

/// The checked conditions and priority of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRule {
    /// The conditions.
    pub conditions: Conditions,
    /// The priority.
    pub priority: Priority,
}

/// Checks a rule from the admin API: a known kind with a threshold inside
/// its scale (both or neither), a well-formed tag, non-empty short names, a
/// known priority, and at least one condition.
pub fn check_rule(input: &RuleInput<'_>) -> Result<CheckedRule, Vec<RuleProblem>> {
    let mut problems: Vec<RuleProblem> = Vec::new();
    let score = match (input.score_kind, input.score_max) {
        (None, None) => None,
        (Some(kind), max) => match (ScoreKind::parse(kind), max) {
            (None, _) => {
                problems.push((
                    "score_kind",
                    "unknown_kind",
                    "score_kind must be nps, csat, ces or likert".to_owned(),
                ));
                None
            }
            (Some(_), None) => {
                problems.push((
                    "score_max",
                    "required",
                    "score_max is required with score_kind".to_owned(),
                ));
                None
            }
            (Some(kind), Some(max)) => {
                let (lo, hi) = kind.widest_scale();
                if (lo..=hi).contains(&max) {
                    Some(ScoreAtMost { kind, max })
                } else {
                    problems.push((
                        "score_max",
                        "out_of_range",
                        format!("score_max for {} must be {lo}..={hi}", kind.as_str()),
                    ));
                    None
                }
            }
        },
        (None, Some(_)) => {
            problems.push((
                "score_kind",
                "required",
                "score_kind is required with score_max".to_owned(),
            ));
            None
        }
    };
    if let Some(tag) = input.tag
        && let Some((code, message)) = super::keywords::check_tag(tag)
    {
        problems.push(("tag", code, message));
    }
    for (field, value) in [("segment", input.segment), ("owner", input.owner)] {
        if let Some(v) = value {
            if v.trim().is_empty() {
                problems.push((field, "required", format!("{field} is empty")));
            } else if v.chars().count() > MAX_NAME_CHARS {
                problems.push((
                    field,
                    "too_long",
                    format!("{field} has at most {MAX_NAME_CHARS} characters"),
                ));
            }
        }
    }
    let priority = Priority::parse(input.priority);
    if priority.is_none() {
        problems.push((
            "priority",
            "unknown_priority",
            "priority must be urgent, high or normal".to_owned(),
        ));
    }
    if input.score_kind.is_none()
        && input.score_max.is_none()
        && !input.alert
        && input.tag.is_none()
        && input.segment.is_none()
    {
        problems.push((
            "conditions",
            "no_condition",
            "a rule needs at least one condition (score_kind + score_max, alert, tag or segment)"
                .to_owned(),
        ));
    }
    match priority {
        Some(priority) if problems.is_empty() => Ok(CheckedRule {
            conditions: Conditions {
                score,
                alert: input.alert,
                tag: input.tag.map(str::to_owned),
                segment: input.segment.map(str::to_owned),
            },
            priority,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        scores: Vec<Score>,
        tags: BTreeSet<String>,
        alerts: BTreeSet<String>,
        segment: Option<&'static str>,
    }

    impl Case {
        fn new(scores: &[(ScoreKind, i64)]) -> Self {
            Self {
                scores: scores.iter().map(|&(k, v)| Score::new(k, v)).collect(),
                tags: BTreeSet::new(),
                alerts: BTreeSet::new(),
                segment: None,
            }
        }

        fn facts(&self) -> Facts<'_> {
            Facts {
                survey_id: "s1",
                scores: &self.scores,
                tags: &self.tags,
                alert_keywords: &self.alerts,
                segment: self.segment,
            }
        }
    }

    fn decide_builtin(case: &Case) -> Option<(String, Priority, String)> {
        decide(&builtin(), &case.facts()).map(|d| (d.rule, d.priority, d.reason))
    }

    #[test]
    fn builtin_thresholds_open_normal_cases() {
        use ScoreKind::*;
        let d = |s| decide_builtin(&Case::new(s));
        assert_eq!(
            d(&[(Nps, 3)]),
            Some((
                "builtin:nps_detractor".into(),
                Priority::Normal,
                "NPS 3 ≤ 6".into()
            ))
        );
        assert_eq!(d(&[(Nps, 6)]).map(|x| x.1), Some(Priority::Normal));
        assert_eq!(d(&[(Nps, 7)]), None);
        assert_eq!(
            d(&[(Csat, 2)]).map(|x| x.0),
            Some("builtin:csat_low".into())
        );
        assert_eq!(d(&[(Csat, 3)]), None);
        assert_eq!(d(&[(Ces, 3)]).map(|x| x.0), Some("builtin:ces_hard".into()));
        assert_eq!(d(&[(Ces, 4)]), None);
        assert_eq!(d(&[]), None);
    }

    #[test]
    fn the_lowest_answer_of_a_kind_counts() {
        use ScoreKind::*;
        assert_eq!(
            decide_builtin(&Case::new(&[(Csat, 5), (Csat, 1)])).map(|x| x.2),
            Some("CSAT 1 ≤ 2".into())
        );
    }

    #[test]
    fn vip_customers_get_a_high_case_for_a_lesser_complaint() {
        use ScoreKind::*;
        let mut c = Case::new(&[(Nps, 7)]);
        c.segment = Some("vip");
        assert_eq!(
            decide_builtin(&c),
            Some((
                "builtin:vip_nps".into(),
                Priority::High,
                "segment vip, NPS 7 ≤ 7".into()
            ))
        );
        // A VIP detractor matches both; the higher priority wins.
        let mut c = Case::new(&[(Nps, 2)]);
        c.segment = Some("vip");
        assert_eq!(decide_builtin(&c).map(|x| x.1), Some(Priority::High));
        c.segment = Some("regular");
        assert_eq!(decide_builtin(&c).map(|x| x.1), Some(Priority::Normal));
    }

    #[test]
    fn an_alert_keyword_opens_an_urgent_case_even_for_a_promoter() {
        use ScoreKind::*;
        let mut c = Case::new(&[(Nps, 9)]);
        c.alerts.insert("欺诈".into());
        c.tags.insert("fraud".into());
        assert_eq!(
            decide_builtin(&c),
            Some((
                "builtin:alert_keyword".into(),
                Priority::Urgent,
                "alert keyword 欺诈".into()
            ))
        );
    }

    #[test]
    fn an_alert_keyword_raises_a_site_rule_to_urgent() {
        let rules = vec![Rule {
            id: "7".into(),
            survey_id: None,
            conditions: Conditions {
                score: Some(ScoreAtMost {
                    kind: ScoreKind::Csat,
                    max: 3,
                }),
                ..Conditions::default()
            },
            priority: Priority::Normal,
            owner: Some("alice".into()),
            position: 0,
        }];
        let mut c = Case::new(&[(ScoreKind::Csat, 3)]);
        c.alerts.insert("投诉".into());
        let d = decide(&rules, &c.facts()).expect("case");
        assert_eq!(d.priority, Priority::Urgent);
        assert_eq!(d.rule, "7");
        assert_eq!(d.owner.as_deref(), Some("alice"));
        assert_eq!(d.reason, "CSAT 3 ≤ 3; alert keyword 投诉");
    }

    #[test]
    fn site_rules_respect_survey_tag_and_position() {
        let rule = |id: &str, survey: Option<&str>, tag: Option<&str>, p, position| Rule {
            id: id.into(),
            survey_id: survey.map(str::to_owned),
            conditions: Conditions {
                tag: tag.map(str::to_owned),
                score: Some(ScoreAtMost {
                    kind: ScoreKind::Nps,
                    max: 6,
                }),
                ..Conditions::default()
            },
            priority: p,
            owner: Some(format!("owner-{id}")),
            position,
        };
        let rules = vec![
            rule("1", Some("other"), None, Priority::Urgent, 0),
            rule("2", None, Some("refund"), Priority::High, 5),
            rule("3", None, None, Priority::High, 1),
            rule("4", None, None, Priority::Normal, 0),
        ];
        let mut c = Case::new(&[(ScoreKind::Nps, 4)]);
        // Rule 1 is for another survey; 3 beats 2 (same priority, lower
        // position) once 2 matches at all.
        assert_eq!(decide(&rules, &c.facts()).map(|d| d.rule), Some("3".into()));
        c.tags.insert("refund".into());
        assert_eq!(decide(&rules, &c.facts()).map(|d| d.rule), Some("3".into()));
        let d = decide(&rules[..2], &c.facts()).expect("rule 2");
        assert_eq!(
            (d.rule.as_str(), d.reason.as_str()),
            ("2", "NPS 4 ≤ 6, tag refund")
        );
        assert_eq!(decide(&rules[..1], &c.facts()), None);
    }

    #[test]
    fn rules_from_the_api_are_checked_per_field() {
        let codes = |input: RuleInput<'_>| -> Vec<(&'static str, &'static str)> {
            match check_rule(&input) {
                Ok(_) => vec![],
                Err(p) => p.into_iter().map(|(f, c, _)| (f, c)).collect(),
            }
        };
        let ok = RuleInput {
            score_kind: Some("csat"),
            score_max: Some(2),
            priority: "high",
            ..RuleInput::default()
        };
        assert_eq!(codes(ok.clone()), vec![]);
        assert_eq!(
            codes(RuleInput {
                score_kind: Some("stars"),
                ..ok.clone()
            }),
            vec![("score_kind", "unknown_kind")]
        );
        assert_eq!(
            codes(RuleInput {
                score_max: Some(6),
                ..ok.clone()
            }),
            vec![("score_max", "out_of_range")]
        );
        assert_eq!(
            codes(RuleInput {
                score_max: None,
                ..ok.clone()
            }),
            vec![("score_max", "required")]
        );
        assert_eq!(
            codes(RuleInput {
                priority: "low",
                ..ok.clone()
            }),
            vec![("priority", "unknown_priority")]
        );
        assert_eq!(
            codes(RuleInput {
                tag: Some("Bad Tag"),
                owner: Some(" "),
                ..ok.clone()
            }),
            vec![("tag", "bad_tag"), ("owner", "required")]
        );
        assert_eq!(
            codes(RuleInput {
                priority: "normal",
                ..RuleInput::default()
            }),
            vec![("conditions", "no_condition")]
        );
        assert_eq!(
            codes(RuleInput {
                alert: true,
                priority: "urgent",
                ..RuleInput::default()
            }),
            vec![]
        );
    }
}
