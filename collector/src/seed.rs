//! `--seed-demo`: the `demo` site and the `post-payment` survey, so that a
//! fresh collector shows a working survey on `/demo`, and a `demo` admin
//! token to log in to `/admin` with (new on every start, see
//! [`demo_admin_token`]).
//!
//! Idempotent: existing rows are left untouched (a stored survey version is
//! never overwritten), so it is safe on every start.

use anyhow::{Context as _, bail};
use manyi_shared::{SiteKey, Survey, rules};
use secrecy::SecretString;

use crate::eligibility::Policy;
use crate::store::Store;
use crate::store::eligibility::{DEFAULT_SEGMENT, SamplingRow};
use crate::store::sites::NewSite;
use crate::store::surveys::SurveyStatus;

/// The demo site's key, as in `data-site="demo"`.
pub const DEMO_SITE: &str = "demo";

/// The demo survey definition (version 1).
pub const DEMO_SURVEY_JSON: &str = include_str!("../seed/post-payment.json");

/// The demo survey, parsed and checked with the shared rule book (a
/// survey that fails it is never published, not even the demo).
pub fn demo_survey() -> anyhow::Result<Survey> {
    let survey: Survey = serde_json::from_str(DEMO_SURVEY_JSON)
        .context("collector/seed/post-payment.json is not a valid survey")?;
    let problems = rules::validate_survey(&survey);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        bail!(
            "collector/seed/post-payment.json breaks the rule book: {}",
            list.join("; ")
        );
    }
    Ok(survey)
}

/// Creates the demo site (any origin, no signature) and publishes the demo
/// survey, each only when absent.
#[tracing::instrument(skip_all)]
pub async fn seed_demo(store: &Store) -> anyhow::Result<()> {
    let site = SiteKey::parse(DEMO_SITE).context("demo site key")?;
    let survey = demo_survey()?;
    let created_site = store
        .insert_site_if_absent(&NewSite {
            key: &site,
            name: "Demo shop",
            allowed_origins: &["*"],
            require_signature: false,
        })
        .await
        .context("creating the demo site")?;
    let created_survey = store
        .insert_survey_if_absent(&site, &survey, SurveyStatus::Published)
        .await
        .context("publishing the demo survey")?;
    // Everyone is asked, every time: the demo must always show the survey.
    for segment in ["vip", DEFAULT_SEGMENT] {
        store
            .insert_sampling_if_absent(&SamplingRow {
                survey: &survey.id,
                segment,
                policy: Policy {
                    rate: 1.0,
                    recontact_days: 0,
                    trigger_hours: 24,
                },
            })
            .await
            .context("seeding the demo survey's sampling")?;
    }
    tracing::info!(
        site = DEMO_SITE,
        survey = %survey.id,
        version = survey.version,
        created_site,
        created_survey,
        "demo data seeded"
    );
    Ok(())
}

/// Makes a fresh admin token named `demo`, revoking the previous one, and
/// returns it to print. Only hashes are stored, so an earlier demo token can
/// never be shown again: each `--seed-demo` start prints a new one (and the
/// old one stops working).
#[tracing::instrument(skip_all)]
pub async fn demo_admin_token(store: &Store) -> anyhow::Result<SecretString> {
    crate::admin::tokens::rotate_demo(store)
        .await
        .context("creating the demo admin token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_survey_parses_and_passes_the_rule_book() {
        let survey = demo_survey().expect("valid");
        assert_eq!(survey.id.as_str(), "post-payment");
        assert_eq!(survey.version, 1);
    }
}
