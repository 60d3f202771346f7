//! `manyi seed-responses`: realistic generated answers for the demo site,
//! for dashboards and the reports benchmark (`cargo xtask seed`).
//!
//! It publishes the demo survey and every template (as surveys of the demo
//! site, ids = template ids) when absent, then writes `count` responses
//! spread evenly over the last `days` days, in receive order, with their
//! 'shown' events, in large transactions; then lets the analysis pipeline
//! and the rollups catch up, so reports are ready when it returns.
//!
//! What the answers look like (deterministic for a given `--seed`):
//! - each response has a latent satisfaction that every rating follows
//!   with some noise: about 60 % happy, 25 % lukewarm, 15 % unhappy, a
//!   little better for `vip` and slowly improving over the period, so NPS
//!   lands around +20…+30 and CSAT top-2-box around 70 %;
//! - channels wechat 45 % / app 25 % / web 20 % / miniprogram 10 %, segments
//!   regular 70 % / vip 15 % / new 15 %, locales zh-CN 82 % / zh-TW 10 % /
//!   en 8 %;
//! - follow-up reasons only where the survey shows them, first options more
//!   often; about a third of responses leave a comment, unhappy ones in
//!   their locale with keywords the tagger knows (物流太慢, 态度, 退款, 投诉,
//!   and rarely 欺诈);
//! - completion times around the survey's estimate (log-normal); about 3 %
//!   implausibly fast, 1 % straight-lined, 1 % the same customer again within
//!   minutes for another order (what data quality flags);
//! - about 1.9 'shown' events per response (a response rate near 53 %).

use anyhow::Context as _;
use manyi_shared::survey::OTHER_OPTION;
use manyi_shared::{AnswerValue, OptionId, QuestionId, QuestionKind, SiteKey, Survey, visibility};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::Instant;
use time::{Duration, OffsetDateTime};

use crate::seed::{self, DEMO_SITE};
use crate::store::generated::{GeneratedEvent, GeneratedResponse};
use crate::store::surveys::SurveyStatus;
use crate::store::{Store, format_timestamp};
use crate::templates;

/// Responses per transaction.
const TRANSACTION: usize = 20_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Responses.
    pub count: usize,
    /// Spread over the last this many days.
    pub days: u32,
    /// Random seed.
    pub seed: u64,
}

/// What was done, with timings.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Responses written.
    pub responses: usize,
    /// Events written.
    pub events: usize,
    /// Seconds writing rows.
    pub write_secs: f64,
    /// Seconds of the analysis catch-up.
    pub analysis_secs: f64,
    /// Seconds of the rollup catch-up.
    pub rollup_secs: f64,
}

/// A survey to answer, with its share of responses.
struct Target {
    survey: Survey,
    weight: f64,
}

/// Share of responses per survey id (the others of the library: 0.03).
fn weight_of(id: &str) -> f64 {
    match id {
        "post-payment" => 0.30,
        "post-payment-csat" => 0.15,
        "nps" | "delivery" => 0.10,
        "ces-support" => 0.08,
        "servqual-short" | "live-chat" => 0.07,
        "after-sales" => 0.05,
        _ => 0.04,
    }
}

/// Publishes the demo survey and every template on the demo site (when
/// absent) and returns them to answer.
async fn targets(store: &Store) -> anyhow::Result<Vec<Target>> {
    seed::seed_demo(store).await?;
    let site = SiteKey::parse(DEMO_SITE).context("demo site key")?;
    let mut out = vec![Target {
        survey: seed::demo_survey()?,
        weight: weight_of("post-payment"),
    }];
    for t in templates::all() {
        store
            .insert_survey_if_absent(&site, &t.survey, SurveyStatus::Published)
            .await
            .with_context(|| format!("publishing template {}", t.meta.id))?;
        out.push(Target {
            weight: weight_of(t.survey.id.as_str()),
            survey: t.survey.clone(),
        });
    }
    Ok(out)
}

/// Picks from `(item, weight)` pairs.
fn pick<T: Copy>(rng: &mut fastrand::Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.f64() * total;
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = rng.f64().max(1e-12);
    let v = rng.f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

const COMPLAINTS: &[(&str, &[&str])] = &[
    (
        "zh-CN",
        &[
            "物流太慢了，等了一个星期",
            "客服态度不好，很不耐烦",
            "商品有问题，要求退款",
            "价格太贵了",
            "我要投诉，一直没人处理",
            "怀疑是欺诈，扣了两次钱",
            "配送慢，包装也破了",
        ],
    ),
    (
        "zh-TW",
        &[
            "物流太慢了，等了一個星期",
            "客服態度不好",
            "商品有問題，要求退款",
            "我要投訴，一直沒人處理",
        ],
    ),
    (
        "en",
        &[
            "slow delivery, took a week",
            "support was rude",
            "I want a refund",
            "too expensive",
        ],
    ),
];

const PRAISE: &[(&str, &[&str])] = &[
    (
        "zh-CN",
        &["很满意，下次还来", "速度很快，赞", "服务很好", "挺好的"],
    ),
    ("zh-TW", &["很滿意，下次還來", "服務很好"]),
    ("en", &["great service", "fast and easy", "all good"]),
];

fn phrase(rng: &mut fastrand::Rng, table: &[(&str, &[&'static str])], locale: &str) -> String {
    let list = table
        .iter()
        .find(|(l, _)| *l == locale)
        .map_or(table[0].1, |(_, p)| *p);
    list[rng.usize(..list.len())].to_owned()
}

/// A rating on `lo..=hi` following satisfaction `s` (0..1), with noise.
fn rating(rng: &mut fastrand::Rng, s: f64, lo: i64, hi: i64) -> i64 {
    let span = (hi - lo) as f64;
    let v = lo as f64 + s * span + normal(rng) * span * 0.12;
    (v.round() as i64).clamp(lo, hi)
}

/// The answers of one response to `survey` at satisfaction `s`.
fn answers(
    rng: &mut fastrand::Rng,
    survey: &Survey,
    s: f64,
    locale: &str,
    straight: bool,
) -> BTreeMap<QuestionId, AnswerValue> {
    let mut answers: BTreeMap<QuestionId, AnswerValue> = BTreeMap::new();
    let straight_value = rng.i64(1..=5);
    for (i, q) in survey.questions.iter().enumerate() {
        if !visibility::visible_flags(survey, &answers)[i] {
            continue;
        }
        let answer = match &q.kind {
            QuestionKind::Likert { .. } | QuestionKind::Csat { .. } if straight => {
                AnswerValue::Score(straight_value)
            }
            QuestionKind::Nps { .. } => AnswerValue::Score(rating(rng, s.powf(0.8), 0, 10)),
            kind @ (QuestionKind::Likert { .. }
            | QuestionKind::Csat { .. }
            | QuestionKind::Ces { .. }) => {
                let (lo, hi) = kind.scale().unwrap_or((1, 5));
                AnswerValue::Score(rating(rng, s, lo, hi))
            }
            QuestionKind::SingleChoice { options, .. } => {
                // Options are listed best first (yes, partly, no).
                let idx = if s > 0.6 {
                    0
                } else if s > 0.35 {
                    1
                } else {
                    options.len() - 1
                };
                AnswerValue::Single {
                    choice: options[idx.min(options.len() - 1)].id.clone(),
                    other_text: None,
                }
            }
            QuestionKind::MultiChoice {
                options,
                allow_other,
                max_selections,
            } => {
                let max = usize::from(max_selections.unwrap_or(3)).clamp(1, 3);
                let want = 1 + usize::from(rng.f64() < 0.35) + usize::from(rng.f64() < 0.1);
                let weights: Vec<(usize, f64)> = (0..options.len())
                    .map(|i| (i, 1.0 / (1.0 + i as f64 * 0.6)))
                    .collect();
                let mut chosen: Vec<OptionId> = Vec::new();
                for _ in 0..want.min(max) {
                    let id = options[pick(rng, &weights)].id.clone();
                    if !chosen.contains(&id) {
                        chosen.push(id);
                    }
                }
                let mut other_text = None;
                if *allow_other
                    && rng.f64() < 0.05
                    && chosen.len() < max
                    && let Ok(other) = OptionId::parse(OTHER_OPTION)
                {
                    chosen.push(other);
                    other_text = Some(phrase(rng, COMPLAINTS, locale));
                }
                AnswerValue::Multi {
                    choices: chosen,
                    other_text,
                }
            }
            QuestionKind::Text { .. } => {
                if rng.f64() > 0.33 {
                    continue;
                }
                let table = if s < 0.5 { COMPLAINTS } else { PRAISE };
                AnswerValue::Text(phrase(rng, table, locale))
            }
        };
        answers.insert(q.id.clone(), answer);
    }
    answers
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Writes the responses and events of `plan` and lets the pipelines catch
/// up.
pub async fn run(store: &Store, plan: &Plan) -> anyhow::Result<Seeded> {
    let targets = targets(store).await?;
    let weights: Vec<(usize, f64)> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (i, t.weight))
        .collect();
    let mut rng = fastrand::Rng::with_seed(plan.seed);
    let now = OffsetDateTime::now_utc();
    let span = Duration::days(i64::from(plan.days.max(1)));
    let start = now - span;
    let count = plan.count;
    let run_id = format!("{:08x}", rng.u32(..));
    let mut out = Seeded::default();
    let begun = Instant::now();
    let mut recent_customers: Vec<String> = Vec::new();
    let mut writing: Option<tokio::task::JoinHandle<Result<(), crate::store::StoreError>>> = None;
    let mut batch = Vec::with_capacity(TRANSACTION);
    let mut events = Vec::with_capacity(TRANSACTION * 2);
    for i in 0..count {
        let target = &targets[pick(&mut rng, &weights)];
        let survey = &target.survey;
        // Evenly spread, in order: receive order is rowid order.
        let progress = (i as f64 + rng.f64()) / count.max(1) as f64;
        let received = start + span * progress;
        let channel = pick(
            &mut rng,
            &[
                ("wechat", 0.45),
                ("app", 0.25),
                ("web", 0.20),
                ("miniprogram", 0.10),
            ],
        );
        let segment = pick(&mut rng, &[("regular", 0.70), ("vip", 0.15), ("new", 0.15)]);
        let locale = pick(&mut rng, &[("zh-CN", 0.82), ("zh-TW", 0.10), ("en", 0.08)]);
        let mood = pick(&mut rng, &[(0, 0.60), (1, 0.25), (2, 0.15)]);
        let mut s = match mood {
            0 => 0.75 + rng.f64() * 0.25,
            1 => 0.45 + rng.f64() * 0.30,
            _ => rng.f64() * 0.45,
        };
        if segment == "vip" {
            s += 0.04;
        }
        if channel == "miniprogram" {
            s -= 0.03;
        }
        // A slow improvement over the period.
        s = (s - 0.04 + 0.08 * progress).clamp(0.0, 1.0);
        let straight = rng.f64() < 0.01;
        let answers = answers(&mut rng, survey, s, locale, straight);
        let answers_json = serde_json::Value::Object(
            answers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_json()))
                .collect(),
        )
        .to_string();
        let estimate = f64::from(survey.display.estimated_seconds.unwrap_or(30));
        let seconds = if rng.f64() < 0.03 {
            0.5 + rng.f64() * 2.0
        } else {
            (estimate * (normal(&mut rng) * 0.45).exp()).clamp(3.0, 1800.0)
        };
        let submitted = received - Duration::milliseconds(200);
        let shown = submitted - Duration::seconds_f64(seconds);
        let response_id = uuid(&mut rng);
        let customer = if rng.f64() < 0.01 && !recent_customers.is_empty() {
            recent_customers[rng.usize(..recent_customers.len())].clone()
        } else {
            format!("c-{run_id}-{}", rng.u32(..2_000_000))
        };
        if recent_customers.len() < 64 {
            recent_customers.push(customer.clone());
        } else {
            let slot = rng.usize(..64);
            recent_customers[slot] = customer.clone();
        }
        let hash = hex::encode(Sha256::digest(format!("{response_id}|{answers_json}")));
        let shown_at = format_timestamp(shown);
        // Impressions carry the context the response carries (as the
        // loader sends it), so the demo has response rates per channel,
        // segment, locale and version.
        let impression = |received_at: String| GeneratedEvent {
            survey_id: survey.id.as_str().to_owned(),
            event: "shown",
            version: i64::from(survey.version),
            channel,
            segment,
            locale,
            received_at,
        };
        events.push(impression(shown_at.clone()));
        if rng.f64() < 0.9 {
            events.push(impression(format_timestamp(
                shown - Duration::seconds(rng.i64(60..7200)),
            )));
        }
        batch.push(GeneratedResponse {
            response_id,
            survey_id: survey.id.as_str().to_owned(),
            version: i64::from(survey.version),
            order_id: format!("G{run_id}-{i}"),
            customer,
            channel,
            segment,
            locale,
            answers: answers_json,
            payload_hash: hash,
            shown_at,
            submitted_at: format_timestamp(submitted),
            received_at: format_timestamp(received),
        });
        if batch.len() == TRANSACTION || i + 1 == count {
            // SQLite writes the previous batch on its own thread while this
            // one is generated: both cores busy.
            if let Some(previous) = writing.take() {
                previous.await.context("the insert task panicked")??;
            }
            out.responses += batch.len();
            out.events += events.len();
            let (rows, evs) = (std::mem::take(&mut batch), std::mem::take(&mut events));
            let store = store.clone();
            writing = Some(tokio::spawn(async move {
                store.insert_generated(DEMO_SITE, &rows, &evs).await
            }));
            if out.responses % 200_000 == 0 {
                tracing::info!(written = out.responses, "generated responses");
            }
        }
    }
    if let Some(previous) = writing.take() {
        previous.await.context("the insert task panicked")??;
    }
    out.write_secs = begun.elapsed().as_secs_f64();
    let analysing = Instant::now();
    crate::analytics::Pipeline::manual(store.clone())
        .catch_up()
        .await
        .context("analysing the generated responses")?;
    out.analysis_secs = analysing.elapsed().as_secs_f64();
    let rolling = Instant::now();
    crate::reports::rollup::catch_up(store)
        .await
        .context("rolling up the generated responses")?;
    out.rollup_secs = rolling.elapsed().as_secs_f64();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_answers_pass_the_rule_book() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut surveys = vec![seed::demo_survey().unwrap()];
        surveys.extend(templates::all().iter().map(|t| t.survey.clone()));
        for survey in &surveys {
            for k in 0..200 {
                let s = k as f64 / 200.0;
                let a = answers(&mut rng, survey, s, "zh-CN", k % 50 == 0);
                let wire: serde_json::Map<String, serde_json::Value> = a
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_json()))
                    .collect();
                let payload: manyi_shared::ResponsePayload =
                    serde_json::from_value(serde_json::json!({
                        "response_id": uuid(&mut rng), "site": DEMO_SITE,
                        "survey_id": survey.id.as_str(), "survey_version": survey.version,
                        "answers": wire,
                    }))
                    .unwrap();
                let result = manyi_shared::validate_response(survey, &payload);
                assert!(
                    result.is_ok(),
                    "{}: {:?} → {:?}",
                    survey.id,
                    a,
                    result.err()
                );
            }
        }
    }

    #[test]
    fn ratings_follow_satisfaction_within_the_scale() {
        let mut rng = fastrand::Rng::with_seed(1);
        let low: f64 = (0..1000)
            .map(|_| rating(&mut rng, 0.1, 0, 10) as f64)
            .sum::<f64>()
            / 1000.0;
        let high: f64 = (0..1000)
            .map(|_| rating(&mut rng, 0.9, 0, 10) as f64)
            .sum::<f64>()
            / 1000.0;
        assert!(low < 2.5 && high > 7.5, "{low} {high}");
        assert!((0..1000).all(|_| (1..=5).contains(&rating(&mut rng, 1.0, 1, 5))));
    }
}
