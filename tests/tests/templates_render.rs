//! Every template of the library, in every locale it declares (zh-CN,
//! zh-TW, en), renders in the real widget: each is created and published
//! through the admin API, shown on `/demo` with `manyi('show', {locale})`,
//! and its first question's text (from the template JSON, in that locale)
//! and answer controls must be on screen. One template is then answered at
//! its lowest score, which must bring up the "what went wrong" follow-up
//! with its "other" field.

use anyhow::{Context, Result};
use fantoccini::Locator;
use manyi_collector::templates;
use manyi_shared::QuestionKind;
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find, wait_for};
use manyi_tests::surveys::{self, AdminApi};
use serde_json::{Value, json};

/// What a rendered question looks like, read in one script call: the text
/// its control is labelled by (`aria-labelledby`), whether that text is
/// visible, its rating radios and its choice inputs.
const PROBE: &str = r#"
var h = document.querySelector('[data-manyi-host="' + arguments[0] + '"]');
var s = h && h.shadowRoot;
var q = s && s.querySelector('[data-question="' + arguments[1] + '"]');
if (!q) return null;
var c = q.querySelector('[aria-labelledby]');
var t = c && s.getElementById(c.getAttribute('aria-labelledby'));
if (!t) return null;
var r = t.getBoundingClientRect();
return {
  text: t.textContent,
  visible: t.checkVisibility() && r.width > 0 && r.height > 0,
  radios: q.querySelectorAll('[role=radiogroup] [role=radio][data-value]').length,
  choices: q.querySelectorAll('input[type=radio][value], input[type=checkbox][value]').length
};
"#;

/// The controls a question must render: `(rating radios, choice inputs)`.
fn expected_controls(kind: &QuestionKind) -> (usize, usize) {
    if let Some((min, max)) = kind.scale() {
        return (usize::try_from(max - min + 1).unwrap_or_default(), 0);
    }
    match kind {
        QuestionKind::SingleChoice {
            options,
            allow_other,
        }
        | QuestionKind::MultiChoice {
            options,
            allow_other,
            ..
        } => (0, options.len() + usize::from(*allow_other)),
        _ => (0, 0),
    }
}

#[tokio::test]
async fn every_template_renders_its_first_question_in_every_locale() -> Result<()> {
    let app = TestApp::spawn().await?;
    let admin = AdminApi::new(&app)?;
    let library = templates::all();
    assert_eq!(library.len(), 9, "the library has nine templates");
    for t in library {
        admin
            .publish_template(t.meta.id.as_str(), t.meta.id.as_str())
            .await
            .with_context(|| format!("publish template {}", t.meta.id))?;
    }

    let browser = Browser::start(Device::Desktop).await?;
    browser.client.goto(&app.url("/demo?locale=en")).await?;
    let mut renders = 0;
    for t in library {
        let id = t.meta.id.as_str();
        let definition = serde_json::to_value(&t.survey)?;
        let first = &t.survey.questions[0];
        let qid = first.id.as_str();
        let (radios, choices) = expected_controls(&first.kind);
        assert_eq!(
            definition["locales"],
            json!(["zh-CN", "zh-TW", "en"]),
            "{id} declares the three locales"
        );
        for locale in ["zh-CN", "zh-TW", "en"] {
            let text = definition["questions"][0]["text"][locale]
                .as_str()
                .with_context(|| format!("{id}: no {locale} text for {qid}"))?;
            surveys::show(
                &browser,
                json!({ "survey": id, "orderId": format!("R-{id}-{locale}"),
                        "customer": format!("c-{id}-{locale}"), "locale": locale,
                        "target": "#survey-slot" }),
            )
            .await?;
            let seen = wait_for(&format!("{id} in {locale}: “{text}”"), || async {
                let probe = browser
                    .client
                    .execute(PROBE, vec![json!(id), json!(qid)])
                    .await?;
                let shown = probe["text"].as_str().is_some_and(|t| t.contains(text))
                    && probe["visible"] == json!(true);
                Ok(shown.then_some(probe))
            })
            .await?;
            assert_eq!(
                (seen["radios"].as_u64(), seen["choices"].as_u64()),
                (Some(radios as u64), Some(choices as u64)),
                "{id} in {locale}: rating radios and choice inputs of {qid}"
            );
            renders += 1;
        }
    }
    assert_eq!(renders, 27);
    browser.close().await
}

#[tokio::test]
async fn the_lowest_score_brings_up_the_reasons_follow_up_with_other() -> Result<()> {
    let app = TestApp::spawn().await?;
    AdminApi::new(&app)?
        .publish_template("live-chat", "live-chat")
        .await?;
    let browser = Browser::start(Device::Desktop).await?;
    let widget = surveys::show_on_demo(
        &browser,
        &app,
        json!({ "survey": "live-chat", "orderId": "LOW-1", "customer": "c-low",
                "locale": "zh-TW", "target": "#survey-slot" }),
    )
    .await?;
    let reasons = r#"[data-question="reasons"]"#;
    assert!(
        widget.find_all(Locator::Css(reasons)).await?.is_empty(),
        "no follow-up before a score is given"
    );

    find(
        &widget,
        r#"[data-question="rating"] [role=radio][data-value="1"]"#,
    )
    .await?
    .click()
    .await?;
    let follow_up = find(&widget, reasons).await?;
    let wanted = templates::get("live-chat")
        .context("the live-chat template")?
        .survey
        .question("reasons")
        .context("live-chat has `reasons`")?;
    let text = serde_json::to_value(&wanted.text)?["zh-TW"]
        .as_str()
        .context("zh-TW reasons text")?
        .to_owned();
    assert!(
        follow_up.text().await?.contains(&text),
        "the follow-up is asked in zh-TW"
    );

    find(&widget, r#"[data-question="resolved"] input[value="no"]"#)
        .await?
        .click()
        .await?;
    find(&widget, &format!(r#"{reasons} input[value="slow_reply"]"#))
        .await?
        .click()
        .await?;
    find(&widget, &format!(r#"{reasons} input[value="other"]"#))
        .await?
        .click()
        .await?;
    find(&widget, &format!("{reasons} input[data-other]"))
        .await?
        .send_keys("客服一直離線")
        .await?;
    find(&widget, r#"[data-question="comment"] textarea"#)
        .await?
        .send_keys("希望改善")
        .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;

    let answers: Value = surveys::stored_answers(&app, "LOW-1").await?;
    assert_eq!(
        answers,
        json!({
            "rating": 1,
            "resolved": "no",
            "reasons": { "choices": ["slow_reply", "other"], "other_text": "客服一直離線" },
            "comment": "希望改善"
        })
    );
    browser.close().await
}
