//! The admin subcommands of the `manyi` binary (`sign`, `site create`,
//! `admin-token create`, `survey …`), as functions returning what to print,
//! so tests can call them directly. They call [`crate::admin`], as the admin
//! API does.

use anyhow::{Context as _, bail, ensure};
use manyi_shared::signing::{self, SignedParts};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

use crate::admin::surveys::{self, CreateSurvey, Overrides, SurveyDetail};
use crate::admin::{AdminError, tokens};
use crate::config::{
    CreateSiteArgs, CreateSurveyArgs, CreateTokenArgs, DatabaseArgs, SignArgs, SurveyIdArgs,
};
use crate::store::Store;

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
        tokens::create(store, &args.name).await
    })
    .await
}

/// `manyi survey create`: a survey from a template, version 1 as a draft
/// ([`crate::admin::surveys::create`], as `POST /api/surveys` does).
pub async fn create_survey(args: &CreateSurveyArgs) -> anyhow::Result<SurveyDetail> {
    let request = CreateSurvey {
        template: args.template.clone(),
        survey_id: args.id.clone(),
        site: args.site.clone(),
        overrides: Overrides {
            brand_color: args.brand_color.clone(),
            locales: (!args.locales.is_empty()).then(|| args.locales.clone()),
            default_locale: args.default_locale.clone(),
            ..Overrides::default()
        },
    };
    with_store(&args.db, async |store| {
        surveys::create(store, &request).await
    })
    .await
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
        _ => format!("{e:#}"),
    }
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
