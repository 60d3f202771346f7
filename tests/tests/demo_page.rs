//! A customer on the demo "payment complete" page answers the embedded survey
//! in a real headless Chromium, and the answer lands in the database.

use anyhow::Result;
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find, gone, wait_for};
use serde_json::{Value, json};

/// One stored response row, as the collector wrote it.
#[derive(Debug, sqlx::FromRow)]
struct StoredResponse {
    survey_id: String,
    survey_version: i64,
    order_id: Option<String>,
    customer: Option<String>,
    channel: Option<String>,
    locale: Option<String>,
    answers: String,
}

async fn stored_responses(app: &TestApp) -> Result<Vec<StoredResponse>> {
    Ok(sqlx::query_as(
        "SELECT survey_id, survey_version, order_id, customer, channel, locale, answers \
         FROM responses ORDER BY received_at",
    )
    .fetch_all(&app.db)
    .await?)
}

/// Waits until the collector has stored `n` responses.
async fn wait_for_rows(app: &TestApp, n: usize) -> Result<Vec<StoredResponse>> {
    wait_for(&format!("{n} stored response(s)"), || async {
        let rows = stored_responses(app).await?;
        Ok((rows.len() >= n).then_some(rows))
    })
    .await
}

#[tokio::test]
async fn a_low_score_shows_the_follow_up_and_the_full_answer_is_stored() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-LOW&locale=en"))
        .await?;
    let widget = browser.widget().await?;

    // The follow-up is not asked before a score is given.
    let three = find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="3"]"#,
    )
    .await?;
    assert!(
        widget
            .find_all(fantoccini::Locator::Css(r#"[data-question="reason"]"#))
            .await?
            .is_empty(),
        "the reason question must be hidden until a low score is chosen"
    );

    three.click().await?;
    assert_eq!(three.attr("aria-checked").await?.as_deref(), Some("true"));
    let slow = find(
        &widget,
        r#"[data-question="reason"] input[value="slow_delivery"]"#,
    )
    .await?;
    slow.click().await?;
    let comment = find(&widget, r#"[data-question="comment"] textarea"#).await?;
    comment.send_keys("The parcel came a week late.").await?;
    find(&widget, "button[type=submit]").await?.click().await?;

    let thanks = find(&widget, "[data-thanks]").await?;
    assert!(
        thanks.text().await?.contains("Thank you"),
        "thank-you screen in English"
    );

    let rows = wait_for_rows(&app, 1).await?;
    assert_eq!(rows.len(), 1, "exactly one stored response");
    let row = &rows[0];
    assert_eq!(row.survey_id, "post-payment");
    assert_eq!(row.survey_version, 1);
    assert_eq!(row.order_id.as_deref(), Some("E2E-LOW"));
    assert_eq!(row.customer.as_deref(), Some("c-42"));
    assert_eq!(row.channel.as_deref(), Some("web"));
    assert_eq!(row.locale.as_deref(), Some("en"));
    let answers: Value = serde_json::from_str(&row.answers)?;
    assert_eq!(
        answers,
        json!({ "nps": 3, "reason": ["slow_delivery"], "comment": "The parcel came a week late." })
    );
    browser.close().await
}

#[tokio::test]
async fn raising_the_score_hides_the_follow_up_and_its_answer_is_not_sent() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-CHANGE&locale=zh-CN"))
        .await?;
    let widget = browser.widget().await?;

    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="2"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, r#"[data-question="reason"] input[value="price"]"#)
        .await?
        .click()
        .await?;
    // The customer changes their mind: 9 is a promoter, no reason is asked.
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="9"]"#,
    )
    .await?
    .click()
    .await?;
    gone(&widget, r#"[data-question="reason"]"#).await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    let thanks = find(&widget, "[data-thanks]").await?;
    assert!(
        thanks.text().await?.contains("感谢"),
        "thank-you screen in Chinese"
    );

    let rows = wait_for_rows(&app, 1).await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-CHANGE"));
    let answers: Value = serde_json::from_str(&rows[0].answers)?;
    assert_eq!(
        answers,
        json!({ "nps": 9 }),
        "the hidden reason answer must not be stored"
    );
    browser.close().await
}

#[tokio::test]
async fn submitting_without_a_score_shows_the_required_message_and_stores_nothing() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-EMPTY&locale=en"))
        .await?;
    let widget = browser.widget().await?;

    find(&widget, "button[type=submit]").await?.click().await?;
    let error = find(&widget, r#"[data-question="nps"] [data-error]"#).await?;
    assert!(
        !error.text().await?.trim().is_empty(),
        "a required message is shown"
    );
    assert!(
        stored_responses(&app).await?.is_empty(),
        "nothing is stored"
    );
    browser.close().await
}
