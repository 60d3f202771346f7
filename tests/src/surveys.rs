//! Surveys for browser tests: publish them through the admin API
//! ([`AdminApi`]), show them on `/demo` with the real loader
//! ([`show_on_demo`]), click through them, and read what was stored
//! ([`stored_answers`]).
//!
//! The admin API only creates surveys from templates; a hand-written
//! definition is published by creating from any template under the wanted
//! id, replacing the draft's definition (`PUT /api/surveys/{id}`) and
//! publishing it ([`AdminApi::publish_definition`]).

use anyhow::{Context, Result, bail};
use fantoccini::elements::ShadowRoot;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::app::TestApp;
use crate::browser::{Browser, DEADLINE, wait_for};

/// The seeded site every test survey belongs to (`data-site="demo"`).
pub const DEMO_SITE: &str = "demo";

/// The admin API of a spawned collector, authenticated with the `demo`
/// token that `--seed-demo` made for this start.
pub struct AdminApi {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl AdminApi {
    /// The admin API of `app` (spawned with the demo data, so it has a token).
    pub fn new(app: &TestApp) -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::new(),
            base: app.base.clone(),
            token: app.admin_token()?,
        })
    }

    /// Sends `method path` with an optional JSON body; a non-2xx answer is
    /// an error carrying the body (the API lists every problem).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{method} {path}: {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {path}: not JSON: {text}"))
    }

    /// `POST /api/surveys`: a draft v1 of `template` as `survey_id` on the
    /// demo site; `overrides` (an object, or null) adds override fields.
    pub async fn create_from_template(
        &self,
        template: &str,
        survey_id: &str,
        overrides: Value,
    ) -> Result<Value> {
        let mut body = json!({ "template": template, "survey_id": survey_id, "site": DEMO_SITE });
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), overrides) {
            body.extend(extra);
        }
        self.call(reqwest::Method::POST, "/api/surveys", Some(body))
            .await
    }

    /// `POST /api/surveys/{id}/publish`.
    pub async fn publish(&self, survey_id: &str) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            &format!("/api/surveys/{survey_id}/publish"),
            None,
        )
        .await
    }

    /// Creates `template` as `survey_id` and publishes it unchanged.
    pub async fn publish_template(&self, template: &str, survey_id: &str) -> Result<()> {
        self.create_from_template(template, survey_id, Value::Null)
            .await?;
        self.publish(survey_id).await?;
        Ok(())
    }

    /// Publishes a hand-written survey `definition` (its `id` is the survey
    /// id) on the demo site: created from the `nps` template, the draft's
    /// definition replaced, then published.
    pub async fn publish_definition(&self, definition: &Value) -> Result<()> {
        let id = definition["id"]
            .as_str()
            .context("the definition has no string `id`")?;
        self.create_from_template("nps", id, Value::Null).await?;
        self.call(
            reqwest::Method::PUT,
            &format!("/api/surveys/{id}"),
            Some(json!({ "definition": definition })),
        )
        .await?;
        self.publish(id).await?;
        Ok(())
    }
}

/// Shows a survey on the page already open (normally `/demo`): waits for
/// the loader, hides whatever it shows, calls `manyi('show', options)` and
/// returns the new widget's shadow root once its first question is there.
///
/// `options` is the JS API's object, e.g. `{"survey": "all-kinds",
/// "orderId": "K-1", "customer": "c-1", "target": "#survey-slot"}`.
pub async fn show(browser: &Browser, options: Value) -> Result<ShadowRoot> {
    let survey = options["survey"]
        .as_str()
        .context("show: `survey` is required")?
        .to_owned();
    wait_for("the manyi loader", || async {
        let loaded = browser
            .js("return !!(window.manyi && window.manyi.loaded);")
            .await?;
        Ok(loaded.as_bool().unwrap_or(false).then_some(()))
    })
    .await?;
    browser
        .client
        .execute("manyi('hide'); manyi('show', arguments[0]);", vec![options])
        .await
        .context("manyi('show', …)")?;
    widget_of(&browser.client, &survey).await
}

/// Opens `/demo` (with the demo's own survey removed) and shows `options`
/// there; see [`show`].
pub async fn show_on_demo(browser: &Browser, app: &TestApp, options: Value) -> Result<ShadowRoot> {
    let order = options["orderId"].as_str().unwrap_or("DEMO");
    browser
        .client
        .goto(&app.url(&format!("/demo?order={order}&locale=en")))
        .await
        .context("open /demo")?;
    show(browser, options).await
}

/// The shadow root of the widget showing `survey`, once it has rendered a
/// question.
pub async fn widget_of(client: &Client, survey: &str) -> Result<ShadowRoot> {
    let css = format!(r#"[data-manyi-host="{survey}"]"#);
    wait_for(&format!("the widget of `{survey}` to render"), || async {
        let Ok(host) = client.find(Locator::Css(&css)).await else {
            return Ok(None);
        };
        let Ok(root) = host.shadow_root().await else {
            return Ok(None);
        };
        let rendered = root
            .find_all(Locator::Css("[data-question]"))
            .await
            .map(|qs| !qs.is_empty())
            .unwrap_or(false);
        Ok(rendered.then_some(root))
    })
    .await
}

/// The answers JSON of the response stored for `order_id`, waiting (up to
/// [`DEADLINE`]) until it is there.
pub async fn stored_answers(app: &TestApp, order_id: &str) -> Result<Value> {
    let answers: String = wait_for(
        &format!("a stored response for order {order_id} (within {DEADLINE:?})"),
        || async {
            Ok(
                sqlx::query_scalar("SELECT answers FROM responses WHERE order_id = ?")
                    .bind(order_id)
                    .fetch_optional(&app.db)
                    .await?,
            )
        },
    )
    .await?;
    serde_json::from_str(&answers).context("stored answers are not JSON")
}

/// The survey id and version of the response stored for `order_id`.
pub async fn stored_survey(app: &TestApp, order_id: &str) -> Result<(String, i64)> {
    Ok(
        sqlx::query_as("SELECT survey_id, survey_version FROM responses WHERE order_id = ?")
            .bind(order_id)
            .fetch_one(&app.db)
            .await?,
    )
}
