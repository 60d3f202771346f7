//! A customer on the demo "payment complete" page answers the embedded survey
//! in a real headless Chromium, and the answer lands in the database.

use anyhow::Result;
use manyi_tests::browser::{Device, find, gone};
use manyi_tests::{DemoSession, open_demo};
use serde_json::{Value, json};

#[tokio::test]
async fn a_low_score_shows_the_follow_up_and_the_full_answer_is_stored() -> Result<()> {
    let DemoSession {
        app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=E2E-LOW&locale=en").await?;

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

    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows.len(), 1, "exactly one stored response");
    let row = &rows[0];
    assert_eq!(row.survey_id, "post-payment");
    assert_eq!(row.survey_version, 1);
    assert_eq!(row.order_id.as_deref(), Some("E2E-LOW"));
    assert_eq!(row.customer.as_deref(), Some("c-42"));
    assert_eq!(row.channel.as_deref(), Some("web"));
    assert_eq!(row.locale.as_deref(), Some("en"));
    let answers: Value = row.answers();
    assert_eq!(
        answers,
        json!({ "nps": 3, "reason": ["slow_delivery"], "comment": "The parcel came a week late." })
    );
    browser.close().await
}

#[tokio::test]
async fn raising_the_score_hides_the_follow_up_and_its_answer_is_not_sent() -> Result<()> {
    let DemoSession {
        app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=E2E-CHANGE&locale=zh-CN").await?;

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

    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-CHANGE"));
    let answers: Value = rows[0].answers();
    assert_eq!(
        answers,
        json!({ "nps": 9 }),
        "the hidden reason answer must not be stored"
    );
    browser.close().await
}

#[tokio::test]
async fn submitting_without_a_score_shows_the_required_message_and_stores_nothing() -> Result<()> {
    let DemoSession {
        app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=E2E-EMPTY&locale=en").await?;

    find(&widget, "button[type=submit]").await?.click().await?;
    let error = find(&widget, r#"[data-question="nps"] [data-error]"#).await?;
    assert!(
        !error.text().await?.trim().is_empty(),
        "a required message is shown"
    );
    assert!(app.responses().await?.is_empty(), "nothing is stored");
    browser.close().await
}
