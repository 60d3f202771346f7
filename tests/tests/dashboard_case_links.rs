//! The verification link in the dashboard's case queue, in a real headless
//! Chromium: the API shows a link only in the answer that made it (only
//! its hash is stored), so the page keeps the one its "resolved" change
//! got and shows it in the case's details; "New link" replaces it, and only
//! the new one opens the customer's page.

use anyhow::{Context, Result, ensure};
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, visible, wait_for};
use manyi_tests::surveys::{AdminApi, DEMO_SITE};
use serde_json::{Value, json};

/// The `href` of the link in case `id`'s open details, if shown.
async fn shown_link(browser: &Browser, id: i64) -> Result<Option<String>> {
    let v: Value = browser
        .js(&format!(
            "var a = document.querySelector('#case-detail-{id} dd a'); \
             return a ? a.getAttribute('href') : null;"
        ))
        .await?;
    Ok(v.as_str().map(str::to_owned))
}

#[tokio::test]
async fn staff_resolve_a_case_in_the_dashboard_see_its_link_once_and_make_a_new_one() -> Result<()>
{
    let app = TestApp::spawn().await?;
    let admin = AdminApi::new(&app)?;
    let http = reqwest::Client::new();
    // A detractor: the built-in NPS rule opens a case.
    let body = json!({
        "response_id": uuid::Uuid::new_v4().to_string(),
        "site": DEMO_SITE, "survey_id": "post-payment", "survey_version": 1,
        "answers": { "nps": 0, "reason": ["slow_delivery"] },
        "context": { "order_id": "L-1", "customer": "c-link", "channel": "web", "locale": "en" }
    });
    let r = http
        .post(app.url("/v1/responses"))
        .json(&body)
        .send()
        .await?;
    ensure!(r.status().is_success(), "{}", r.text().await?);
    // A report first lets the analysis catch up: then the case exists.
    admin
        .call(reqwest::Method::GET, "/api/reports/summary", None)
        .await?;
    let cases = admin.call(reqwest::Method::GET, "/api/cases", None).await?;
    let id = cases["items"][0]["id"].as_i64().context("a case")?;
    admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/cases/{id}"),
            Some(json!({"status": "contacted"})),
        )
        .await?;

    let browser = Browser::start(Device::Desktop).await?;
    let c = &browser.client;
    c.goto(&app.url("/admin/dashboard")).await?;
    visible(c, "#ui-lang").await?.select_by_value("en").await?;
    visible(c, "#token")
        .await?
        .send_keys(&app.admin_token()?)
        .await?;
    visible(c, "#login-submit").await?.click().await?;
    visible(c, &format!(r#"select[data-case-next="{id}"]"#))
        .await?
        .select_by_value("resolved")
        .await?;
    visible(c, &format!(r#"button[data-case-apply="{id}"]"#))
        .await?
        .click()
        .await?;
    wait_for("the case to be resolved", || async {
        let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = ?")
            .bind(id)
            .fetch_one(&app.db)
            .await?;
        Ok((status == "resolved").then_some(()))
    })
    .await?;

    // The API no longer shows the link…
    let read = admin
        .call(reqwest::Method::GET, &format!("/api/cases/{id}"), None)
        .await?;
    assert_eq!(read["verification"]["link"], Value::Null);
    // …the page still does: the one its change got.
    visible(c, "#cases-status")
        .await?
        .select_by_value("resolved")
        .await?;
    visible(c, &format!(r#"[data-case-details="{id}"]"#))
        .await?
        .click()
        .await?;
    let first = wait_for("the link in the case's details", || async {
        shown_link(&browser, id).await
    })
    .await?;
    assert!(first.starts_with("/v/vt_"), "{first}");
    assert_eq!(http.get(app.url(&first)).send().await?.status(), 200);

    // "New link": another link, the old one is unknown from now on.
    visible(c, &format!(r#"button[data-case-new-link="{id}"]"#))
        .await?
        .click()
        .await?;
    let second = wait_for("a new link", || async {
        Ok(shown_link(&browser, id)
            .await?
            .filter(|link| *link != first))
    })
    .await?;
    assert_eq!(http.get(app.url(&first)).send().await?.status(), 404);
    assert_eq!(http.get(app.url(&second)).send().await?.status(), 200);
    let history: Value = browser
        .js(&format!(
            "return document.querySelector('#case-detail-{id}').innerText;"
        ))
        .await?;
    assert!(
        history
            .as_str()
            .is_some_and(|t| t.contains("verification_link")),
        "{history}"
    );
    Ok(())
}
