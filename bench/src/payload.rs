//! Valid responses to the demo survey `post-payment` version 1
//! (`collector/seed/post-payment.json`): `nps` 0–10 is required; `reason`
//! (multi choice, 1–3 of four options) is required exactly when nps ≤ 6 and
//! must be absent otherwise (hidden questions carry no answer); `comment` is
//! optional text. Every response gets a fresh UUID v4 and its own order id,
//! so that no two unique responses collide on `UNIQUE (survey_id, order_id)`.

use bytes::Bytes;

/// The option ids of the `reason` question, in the survey's order.
const REASONS: [&str; 4] = [
    "slow_delivery",
    "product_quality",
    "service_attitude",
    "price",
];

/// Comments of realistic length, Chinese and English (the widget's locales).
const COMMENTS: [&str; 4] = [
    "快递很快，包装也很好，下次还会再来。",
    "客服回复有点慢，希望可以改进。",
    "Delivery was quick and the packaging was fine.",
    "The price went up since my last order.",
];

/// Makes the bodies of unique responses for one worker.
#[derive(Debug)]
pub struct Generator {
    /// Makes order ids unique across runs and workers: `B<run>-<worker>-<seq>`.
    order_prefix: String,
    seq: u64,
    rng: fastrand::Rng,
}

impl Generator {
    /// A generator for worker `worker` of run `run` (any number that differs
    /// between runs against the same database).
    pub fn new(run: u64, worker: usize) -> Self {
        Self {
            order_prefix: format!("B{run:x}-{worker}"),
            seq: 0,
            rng: fastrand::Rng::with_seed(
                run ^ (worker as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ),
        }
    }

    /// The JSON body of a new, unique, valid response.
    pub fn next_body(&mut self) -> Bytes {
        self.seq += 1;
        let response_id = uuid::Builder::from_random_bytes(self.rng.u128(..).to_le_bytes())
            .into_uuid()
            .hyphenated();
        let nps = self.rng.u8(0..=10);
        let mut answers = format!("{{\"nps\":{nps}");
        if nps <= 6 {
            // A non-empty subset of at most three options (max_selections: 3).
            let mask = loop {
                let mask = self.rng.u8(1..16);
                if mask.count_ones() <= 3 {
                    break mask;
                }
            };
            let picked: Vec<String> = REASONS
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, id)| format!("\"{id}\""))
                .collect();
            answers.push_str(&format!(",\"reason\":[{}]", picked.join(",")));
        }
        if self.rng.bool() {
            let comment = COMMENTS[self.rng.usize(..COMMENTS.len())];
            answers.push_str(&format!(",\"comment\":\"{comment}\""));
        }
        answers.push('}');
        let channel = ["web", "wechat", "h5"][self.rng.usize(..3)];
        let body = format!(
            concat!(
                "{{\"response_id\":\"{id}\",\"site\":\"demo\",\"survey_id\":\"post-payment\",",
                "\"survey_version\":1,\"answers\":{answers},",
                "\"context\":{{\"order_id\":\"{prefix}-{seq}\",\"customer\":\"c-{customer}\",",
                "\"channel\":\"{channel}\",\"segment\":\"vip\",\"locale\":\"zh-CN\",",
                "\"page\":\"https://shop.example/paid\"}},",
                "\"timing\":{{\"shown_at\":\"2026-11-23T08:00:00Z\",\"submitted_at\":\"2026-11-23T08:00:41Z\"}}}}"
            ),
            id = response_id,
            answers = answers,
            prefix = self.order_prefix,
            seq = self.seq,
            customer = self.rng.u32(..1_000_000),
            channel = channel,
        );
        Bytes::from(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_with_reason_exactly_when_detractor_or_passive() {
        let mut generator = Generator::new(7, 3);
        let mut ids = std::collections::HashSet::new();
        for _ in 0..500 {
            let body = generator.next_body();
            let json: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
            let nps = json["answers"]["nps"].as_u64().expect("nps");
            assert!(nps <= 10);
            let reasons = json["answers"].get("reason").and_then(|r| r.as_array());
            match reasons {
                Some(reasons) => {
                    assert!(nps <= 6);
                    assert!((1..=3).contains(&reasons.len()));
                }
                None => assert!(nps > 6),
            }
            let id = json["response_id"].as_str().expect("id");
            assert_eq!(id.as_bytes()[14], b'4', "UUID v4: {id}");
            assert!(
                ids.insert(
                    json["context"]["order_id"]
                        .as_str()
                        .expect("order")
                        .to_owned()
                )
            );
        }
    }
}
