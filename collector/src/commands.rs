//! The admin subcommands of the `manyi` binary (`sign`, `site create|list`,
//! `admin-token create|list|revoke`, `survey …`), as functions returning what to print,
//! so tests can call them directly. They call [`crate::admin`], as the admin
//! API does.

use anyhow::{Context as _, bail, ensure};
use manyi_shared::signing::{self, SignedParts};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

use std::collections::BTreeMap;

use crate::admin::surveys::{
    self, CreateSurvey, EditSurvey, Overrides, SurveyDetail, SurveyListItem,
};
use crate::admin::{AdminError, tokens};
use crate::config::{
    CreateSiteArgs, CreateSurveyArgs, CreateTokenArgs, DatabaseArgs, EditSurveyArgs, OverrideArgs,
    SignArgs, SurveyIdArgs, UpdateSiteArgs,
};
use crate::store::Store;
use crate::store::admin_tokens::AdminTokenListing;
use crate::store::site_admin::SiteSummary;

/// What `manyi sign --json` prints.
#[derive(Debug, Serialize)]
pub struct Signature {
    /// The site key.
    pub site: String,
    /// The survey id.
    pub survey: String,
    /// The order id, if any.
    pub order_id: Option<String>,
    /// The customer id, if any.
    pub customer: Option<String>,
    /// Expiry, unix seconds, if any.
    pub exp: Option<i64>,
    /// The signed string `site|survey|order_id|customer|exp`.
    pub canonical: String,
    /// The signature: lowercase hex HMAC-SHA256.
    pub sig: String,
}

/// Signs the context in `args` (`now_unix` turns `--ttl` into `exp`).
pub fn sign(args: &SignArgs, now_unix: i64) -> anyhow::Result<Signature> {
    let exp = match (args.exp, args.ttl) {
        (Some(exp), _) => Some(exp),
        (None, Some(ttl)) => {
            let ttl = i64::try_from(ttl).context("--ttl is too large")?;
            Some(now_unix.checked_add(ttl).context("--ttl is too large")?)
        }
        (None, None) => None,
    };
    let parts = SignedParts {
        site: &args.site,
        survey: &args.survey,
        order_id: args.order_id.as_deref(),
        customer: args.customer.as_deref(),
        exp,
    };
    for (name, value) in [
        ("--site", parts.site),
        ("--survey", parts.survey),
        ("--order", parts.order_id.unwrap_or("")),
        ("--customer", parts.customer.unwrap_or("")),
    ] {
        ensure!(
            !value.contains('|'),
            "{name} contains `|`, the separator of the signed string; the collector refuses such signatures"
        );
    }
    let sig = signing::sign(args.secret.expose_secret().as_bytes(), &parts);
    Ok(Signature {
        site: args.site.clone(),
        survey: args.survey.clone(),
        order_id: args.order_id.clone(),
        customer: args.customer.clone(),
        exp,
        canonical: parts.canonical(),
        sig,
    })
}

pub use crate::admin::sites::CreatedSite;
#[cfg(test)]
use crate::admin::sites::normalize_origin;

/// `manyi site create`: opens (and migrates) the database and creates the
/// site with a fresh signing secret ([`crate::admin::sites::create`], as the
/// admin API does). Fails when the key is taken.
pub async fn create_site(args: &CreateSiteArgs) -> anyhow::Result<CreatedSite> {
    ensure!(!args.name.trim().is_empty(), "--name is empty");
    let store = crate::admin::open_store(&args.db).await?;
    let created = crate::admin::sites::create(
        &store,
        &crate::admin::sites::SiteSpec {
            key: &args.key,
            name: &args.name,
            origins: &args.origins,
            require_signature: args.require_signature,
        },
    )
    .await;
    store.close().await;
    match created {
        Ok(site) => Ok(site),
        Err(AdminError::SiteExists(key)) => {
            bail!("a site with the key `{key}` already exists; nothing changed")
        }
        Err(e) => Err(anyhow::Error::new(e).context("creating the site")),
    }
}

/// Opens the database, runs `op` on the store, closes it (also on failure).
async fn with_store<T, F>(db: &DatabaseArgs, op: F) -> anyhow::Result<T>
where
    F: AsyncFnOnce(&Store) -> Result<T, AdminError>,
{
    let store = crate::admin::open_store(db).await?;
    let result = op(&store).await;
    store.close().await;
    Ok(result?)
}

/// `manyi admin-token create`: a new admin API token (shown once).
pub async fn create_admin_token(args: &CreateTokenArgs) -> anyhow::Result<SecretString> {
    with_store(&args.db, async |store| {
        tokens::create(store, &args.name).await.map(|t| t.token)
    })
    .await
}

/// The overrides the flags ask for (absent flags change nothing).
pub fn overrides_from(args: &OverrideArgs) -> Overrides {
    let mut texts: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (question, locale, text) in &args.texts {
        texts
            .entry(question.clone())
            .or_default()
            .insert(locale.clone(), text.clone());
    }
    Overrides {
        locales: (!args.locales.is_empty()).then(|| args.locales.clone()),
        default_locale: args.default_locale.clone(),
        brand_color: args.brand_color.clone(),
        display_mode: args.display_mode.clone(),
        question_texts: (!texts.is_empty()).then_some(texts),
        thresholds: (!args.thresholds.is_empty())
            .then(|| args.thresholds.iter().cloned().collect()),
        sampling: (!args.sampling.is_empty()).then(|| args.sampling.iter().cloned().collect()),
        recontact_days: args.recontact_days,
    }
}

/// `manyi survey create`: a survey from a template, version 1 as a draft
/// ([`crate::admin::surveys::create`], as `POST /api/surveys` does).
pub async fn create_survey(args: &CreateSurveyArgs) -> anyhow::Result<SurveyDetail> {
    let request = CreateSurvey {
        template: args.template.clone(),
        survey_id: args.id.clone(),
        site: args.site.clone(),
        overrides: overrides_from(&args.overrides),
    };
    with_store(&args.db, async |store| {
        surveys::create(store, &request).await
    })
    .await
}

/// The edit `manyi survey edit` asks for: the `--file` body (as
/// `PUT /api/surveys/{id}` takes it), then the flags on top (a flag wins
/// over the same field of the file; maps are merged entry by entry).
pub fn edit_request(file: Option<&str>, flags: &OverrideArgs) -> anyhow::Result<EditSurvey> {
    let mut edit = match file {
        Some(json) => {
            let value: serde_json::Value =
                serde_json::from_str(json).context("the --file is not JSON")?;
            EditSurvey::from_json(value)?
        }
        None => EditSurvey::default(),
    };
    let f = overrides_from(flags);
    let o = &mut edit.overrides;
    o.locales = f.locales.or(o.locales.take());
    o.default_locale = f.default_locale.or(o.default_locale.take());
    o.brand_color = f.brand_color.or(o.brand_color.take());
    o.display_mode = f.display_mode.or(o.display_mode.take());
    o.recontact_days = f.recontact_days.or(o.recontact_days);
    if let Some(texts) = f.question_texts {
        let mine = o.question_texts.get_or_insert_with(BTreeMap::new);
        for (question, by_locale) in texts {
            mine.entry(question).or_default().extend(by_locale);
        }
    }
    if let Some(thresholds) = f.thresholds {
        o.thresholds
            .get_or_insert_with(BTreeMap::new)
            .extend(thresholds);
    }
    if let Some(sampling) = f.sampling {
        o.sampling
            .get_or_insert_with(BTreeMap::new)
            .extend(sampling);
    }
    ensure!(
        edit.definition.is_some() || edit.overrides != Overrides::default(),
        "nothing to change: give --file and/or override flags (see `manyi survey edit --help`)"
    );
    Ok(edit)
}

/// `manyi survey edit`: edits the draft in place, or stores the next
/// version as a draft ([`crate::admin::surveys::edit`], as
/// `PUT /api/surveys/{id}` does).
pub async fn edit_survey(args: &EditSurveyArgs) -> anyhow::Result<SurveyDetail> {
    let file = args
        .file
        .as_ref()
        .map(|path| {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
        })
        .transpose()?;
    let edit = edit_request(file.as_deref(), &args.overrides)?;
    with_store(&args.db, async |store| {
        surveys::edit(store, &args.id, &edit).await
    })
    .await
}

/// `manyi survey show`.
pub async fn show_survey(args: &SurveyIdArgs) -> anyhow::Result<SurveyDetail> {
    with_store(&args.db, async |store| surveys::get(store, &args.id).await).await
}

/// `manyi survey list`.
pub async fn list_surveys(db: &DatabaseArgs) -> anyhow::Result<Vec<SurveyListItem>> {
    with_store(db, async |store| surveys::list(store).await).await
}

/// `manyi admin-token list`.
pub async fn list_admin_tokens(db: &DatabaseArgs) -> anyhow::Result<Vec<AdminTokenListing>> {
    with_store(db, async |store| tokens::list(store).await).await
}

/// `manyi admin-token revoke`.
pub async fn revoke_admin_token(id: i64, db: &DatabaseArgs) -> anyhow::Result<()> {
    with_store(db, async |store| tokens::revoke(store, id).await).await
}

/// `manyi site update`: the site as now stored, and its new secret when
/// `--rotate-secret` asked for one.
pub async fn update_site(
    args: &UpdateSiteArgs,
) -> anyhow::Result<(SiteSummary, Option<SecretString>)> {
    let origins = (args.clear_origins || !args.origins.is_empty()).then_some(&args.origins[..]);
    let update = crate::admin::sites::SiteUpdate {
        name: args.name.as_deref(),
        origins,
        require_signature: args.require_signature,
        rotate_secret: args.rotate_secret,
    };
    ensure!(
        update.name.is_some()
            || update.origins.is_some()
            || update.require_signature.is_some()
            || update.rotate_secret,
        "nothing to change: give --name, --origin, --clear-origins, --require-signature or --rotate-secret"
    );
    with_store(&args.db, async |store| {
        crate::admin::sites::update(store, &args.key, &update).await
    })
    .await
}

/// `manyi site list`.
pub async fn list_sites(db: &DatabaseArgs) -> anyhow::Result<Vec<SiteSummary>> {
    with_store(db, async |store| crate::admin::sites::list(store).await).await
}

/// `manyi survey publish`.
pub async fn publish_survey(args: &SurveyIdArgs) -> anyhow::Result<SurveyDetail> {
    with_store(&args.db, async |store| {
        surveys::publish(store, &args.id).await
    })
    .await
}

/// `manyi survey pause`.
pub async fn pause_survey(args: &SurveyIdArgs) -> anyhow::Result<SurveyDetail> {
    with_store(&args.db, async |store| {
        surveys::pause(store, &args.id).await
    })
    .await
}

/// Turns an [`AdminError`] into a message for the terminal: invalid
/// surveys list every problem on its own line.
pub fn describe(e: &anyhow::Error) -> String {
    match e.downcast_ref::<AdminError>() {
        Some(AdminError::InvalidSurvey(errors)) => {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            format!("the survey is invalid:\n{}", lines.join("\n"))
        }
        Some(AdminError::InvalidFields(errors)) => {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            format!("invalid arguments:\n{}", lines.join("\n"))
        }
        _ => format!("{e:#}"),
    }
}

/// `manyi seed-responses`: generated responses (see [`crate::seed_responses`]).
pub async fn seed_responses(
    args: &crate::config::SeedResponsesArgs,
) -> anyhow::Result<crate::seed_responses::Seeded> {
    let store = crate::admin::open_store(&args.db).await?;
    let plan = crate::seed_responses::Plan {
        count: args.count,
        days: args.days,
        seed: args.seed,
    };
    let result = crate::seed_responses::run(&store, &plan).await;
    store.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    fn args(exp: Option<i64>, ttl: Option<u64>) -> SignArgs {
        SignArgs {
            secret: SecretString::from("s3cr3t"),
            site: "demo".into(),
            survey: "post-payment".into(),
            order_id: Some("A1001".into()),
            customer: Some("c-42".into()),
            exp,
            ttl,
            json: false,
        }
    }

    #[test]
    fn sign_gives_the_documented_example() {
        let s = sign(&args(Some(1_790_000_000), None), 0).expect("signs");
        assert_eq!(s.canonical, "demo|post-payment|A1001|c-42|1790000000");
        assert_eq!(
            s.sig,
            "c07aaab7b130ef741bbd9743995ca1b785815ae6f0f813fbe919725033303221"
        );
    }

    #[test]
    fn ttl_counts_from_now_and_separators_are_refused() {
        let s = sign(&args(None, Some(3600)), 1_000).expect("signs");
        assert_eq!(s.exp, Some(4_600));
        assert_eq!(sign(&args(None, None), 1_000).expect("signs").exp, None);
        let mut bad = args(None, None);
        bad.order_id = Some("A|1".into());
        assert!(sign(&bad, 0).is_err());
    }

    #[test]
    fn origins_are_normalized_or_refused() {
        assert_eq!(
            normalize_origin("HTTPS://Shop.Example/").expect("ok"),
            "https://shop.example"
        );
        assert_eq!(
            normalize_origin("http://localhost:3000").expect("ok"),
            "http://localhost:3000"
        );
        assert_eq!(normalize_origin("*").expect("ok"), "*");
        for bad in [
            "shop.example",
            "https://",
            "https://a/b",
            "ftp://a",
            "https://a b",
        ] {
            assert!(normalize_origin(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn create_site_stores_the_secret_once_and_refuses_a_taken_key() {
        let dir = tempfile::tempdir().expect("dir");
        let create = CreateSiteArgs {
            key: "shop".into(),
            name: "Shop".into(),
            origins: vec!["https://a.example".into(), "https://b.example/".into()],
            require_signature: true,
            db: DatabaseArgs {
                data_dir: dir.path().to_owned(),
                database_url: None,
            },
        };
        let created = create_site(&create).await.expect("created");
        assert_eq!(created.origins, ["https://a.example", "https://b.example"]);
        let secret = created.secret.expose_secret();
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(create_site(&create).await.is_err(), "the key is taken");

        let options = store::connect_options_at(&dir.path().join("manyi.db"), None).expect("opts");
        let store = Store::open(options).await.expect("open");
        let site = store
            .find_site(&created.key)
            .await
            .expect("read")
            .expect("exists");
        assert!(site.require_signature);
        assert_eq!(
            site.signing_secret.as_ref().map(|s| s.expose_secret()),
            Some(secret)
        );
        store.close().await;
    }
}
