//! Every question kind answered in the real widget: a survey holding
//! likert (5 and 7 points), NPS, CSAT, CES, single choice with "other",
//! multi choice with `max_selections` and "other", and multi-line and
//! one-line text is published through the admin API, shown on `/demo`
//! with `manyi('show', …)`, answered with real clicks and typing in a
//! headless Chromium, and the stored answers are checked exactly.

use anyhow::Result;
use fantoccini::elements::{Element, ShadowRoot};
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find, wait_for};
use manyi_tests::surveys::{self, AdminApi};
use serde_json::{Value, json};

/// The survey id of [`all_kinds`].
const SURVEY: &str = "all-kinds";

/// A survey with one question of every kind (English only).
fn all_kinds() -> Value {
    let en = |s: &str| json!({ "en": s });
    json!({
        "id": SURVEY,
        "version": 1,
        "default_locale": "en",
        "locales": ["en"],
        "title": en("Every kind of question"),
        "thank_you": en("Thank you!"),
        "questions": [
            { "id": "likert5", "type": "likert", "required": true, "points": 5,
              "text": en("The checkout was clear.") },
            { "id": "likert7", "type": "likert", "required": true, "points": 7,
              "text": en("The prices were fair.") },
            { "id": "nps", "type": "nps", "required": true,
              "text": en("How likely are you to recommend us?") },
            { "id": "csat", "type": "csat", "required": true,
              "text": en("How satisfied or dissatisfied are you with the delivery?") },
            { "id": "ces", "type": "ces", "required": true, "direction": "7_is_very_easy",
              "text": en("How easy or difficult was it to pay?") },
            { "id": "contact", "type": "single_choice", "required": true, "allow_other": true,
              "text": en("How should we contact you?"),
              "options": [
                  { "id": "email", "label": en("Email") },
                  { "id": "phone", "label": en("Phone") },
                  { "id": "none", "label": en("Not at all") }
              ] },
            { "id": "improve", "type": "multi_choice", "required": true, "allow_other": true,
              "max_selections": 2,
              "text": en("What should we improve? (up to 2)"),
              "options": [
                  { "id": "speed", "label": en("Speed") },
                  { "id": "price", "label": en("Price") },
                  { "id": "packaging", "label": en("Packaging") },
                  { "id": "support", "label": en("Support") }
              ] },
            { "id": "comment", "type": "text", "required": false, "max_length": 500,
              "multiline": true, "text": en("Anything else?") },
            { "id": "nickname", "type": "text", "required": false, "max_length": 40,
              "multiline": false, "text": en("What should we call you?") }
        ]
    })
}

/// Clicks the point `value` of the rating question `question` and checks
/// it is announced as checked.
async fn rate(widget: &ShadowRoot, question: &str, value: u8) -> Result<()> {
    let radio = find(
        widget,
        &format!(r#"[data-question="{question}"] [role=radio][data-value="{value}"]"#),
    )
    .await?;
    radio.click().await?;
    wait_for(&format!("{question} = {value} to be checked"), || async {
        Ok((radio.attr("aria-checked").await?.as_deref() == Some("true")).then_some(()))
    })
    .await
}

/// The input of option `option` of the choice question `question`.
async fn option(widget: &ShadowRoot, question: &str, option: &str) -> Result<Element> {
    find(
        widget,
        &format!(r#"[data-question="{question}"] input[value="{option}"]"#),
    )
    .await
}

/// Whether `input` is disabled.
async fn disabled(input: &Element) -> Result<bool> {
    Ok(!input.is_enabled().await?)
}

/// Waits until each option of `question` in `options` is disabled (`true`)
/// or enabled (`false`).
async fn wait_disabled(
    widget: &ShadowRoot,
    question: &str,
    options: &[&str],
    want: bool,
) -> Result<()> {
    let mut inputs = Vec::new();
    for o in options {
        inputs.push(option(widget, question, o).await?);
    }
    let state = if want { "disabled" } else { "enabled" };
    wait_for(
        &format!("{options:?} of {question} to be {state}"),
        || async {
            for input in &inputs {
                if disabled(input).await? != want {
                    return Ok(None);
                }
            }
            Ok(Some(()))
        },
    )
    .await
}

#[tokio::test]
async fn every_question_kind_is_answered_with_clicks_and_typing_and_stored_exactly() -> Result<()> {
    let app = TestApp::spawn().await?;
    AdminApi::new(&app)?
        .publish_definition(&all_kinds())
        .await?;
    let browser = Browser::start(Device::Desktop).await?;
    let widget = surveys::show_on_demo(
        &browser,
        &app,
        json!({ "survey": SURVEY, "orderId": "KINDS-1", "customer": "c-1",
                "locale": "en", "target": "#survey-slot" }),
    )
    .await?;

    // Rating scales: one radio per point.
    for (question, points) in [
        ("likert5", 5),
        ("likert7", 7),
        ("nps", 11),
        ("csat", 5),
        ("ces", 7),
    ] {
        let radios = widget
            .find_all(fantoccini::Locator::Css(&format!(
                r#"[data-question="{question}"] [role=radiogroup] [role=radio][data-value]"#
            )))
            .await?;
        assert_eq!(radios.len(), points, "{question} has {points} points");
    }
    rate(&widget, "likert5", 4).await?;
    rate(&widget, "likert7", 6).await?;
    rate(&widget, "nps", 0).await?;
    rate(&widget, "csat", 2).await?;
    rate(&widget, "ces", 7).await?;

    // Single choice: first a listed option, then "other" with its text.
    option(&widget, "contact", "phone").await?.click().await?;
    let other = option(&widget, "contact", "other").await?;
    other.click().await?;
    assert!(other.is_selected().await?, "the other radio is checked");
    find(&widget, r#"[data-question="contact"] input[data-other]"#)
        .await?
        .send_keys("WeChat message")
        .await?;

    // Multi choice, at most 2: once two are chosen the rest are disabled.
    option(&widget, "improve", "speed").await?.click().await?;
    option(&widget, "improve", "packaging")
        .await?
        .click()
        .await?;
    wait_disabled(&widget, "improve", &["price", "support", "other"], true).await?;
    let price = option(&widget, "improve", "price").await?;
    assert!(!price.is_selected().await?, "a disabled option stays off");
    // Freeing a slot enables them again; "other" takes it, with its text.
    option(&widget, "improve", "packaging")
        .await?
        .click()
        .await?;
    wait_disabled(&widget, "improve", &["price", "support", "other"], false).await?;
    option(&widget, "improve", "other").await?.click().await?;
    wait_disabled(&widget, "improve", &["price", "packaging", "support"], true).await?;
    let other_text = find(&widget, r#"[data-question="improve"] input[data-other]"#).await?;
    assert!(
        !disabled(&other_text).await?,
        "the chosen other's text field is enabled"
    );
    other_text.send_keys("Gift wrapping").await?;

    // Text: a multi-line area and a one-line field.
    find(&widget, r#"[data-question="comment"] textarea"#)
        .await?
        .send_keys("First line\nsecond line")
        .await?;
    let nickname = find(&widget, r#"[data-question="nickname"] input[type=text]"#).await?;
    nickname.send_keys("Ming").await?;

    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;

    let answers = surveys::stored_answers(&app, "KINDS-1").await?;
    assert_eq!(
        answers,
        json!({
            "likert5": 4,
            "likert7": 6,
            "nps": 0,
            "csat": 2,
            "ces": 7,
            "contact": { "choice": "other", "other_text": "WeChat message" },
            "improve": { "choices": ["speed", "other"], "other_text": "Gift wrapping" },
            "comment": "First line\nsecond line",
            "nickname": "Ming"
        })
    );
    assert_eq!(
        surveys::stored_survey(&app, "KINDS-1").await?,
        (SURVEY.to_owned(), 1)
    );
    browser.close().await
}

#[tokio::test]
async fn plain_choices_are_stored_as_option_ids_without_other_text() -> Result<()> {
    let app = TestApp::spawn().await?;
    AdminApi::new(&app)?
        .publish_definition(&all_kinds())
        .await?;
    let browser = Browser::start(Device::Desktop).await?;
    let widget = surveys::show_on_demo(
        &browser,
        &app,
        json!({ "survey": SURVEY, "orderId": "KINDS-2", "customer": "c-2",
                "locale": "en", "target": "#survey-slot" }),
    )
    .await?;

    for (question, value) in [
        ("likert5", 1),
        ("likert7", 7),
        ("nps", 10),
        ("csat", 5),
        ("ces", 1),
    ] {
        rate(&widget, question, value).await?;
    }
    // Typing "other" text then picking a listed option drops the text.
    option(&widget, "contact", "other").await?.click().await?;
    find(&widget, r#"[data-question="contact"] input[data-other]"#)
        .await?
        .send_keys("Carrier pigeon")
        .await?;
    option(&widget, "contact", "email").await?.click().await?;
    // Choices are stored in the survey's option order, not click order.
    option(&widget, "improve", "support").await?.click().await?;
    option(&widget, "improve", "price").await?.click().await?;

    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    assert_eq!(
        surveys::stored_answers(&app, "KINDS-2").await?,
        json!({
            "likert5": 1,
            "likert7": 7,
            "nps": 10,
            "csat": 5,
            "ces": 1,
            "contact": "email",
            "improve": ["price", "support"]
        })
    );
    browser.close().await
}
