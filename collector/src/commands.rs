//! The admin subcommands of the `manyi` binary (`sign`, `site create`), as
//! functions returning what to print, so tests can call them directly.

use anyhow::{Context as _, bail, ensure};
use manyi_shared::SiteKey;
use manyi_shared::signing::{self, SignedParts};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

use crate::config::{CreateSiteArgs, SignArgs};
use crate::store::sites::NewSite;
use crate::store::{self, Store};

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

/// A site just created, with its secret (shown once).
#[derive(Debug)]
pub struct CreatedSite {
    /// The site key.
    pub key: SiteKey,
    /// The allowed origins as stored.
    pub origins: Vec<String>,
    /// The generated signing secret: 64 lowercase hex digits (32 random bytes).
    pub secret: SecretString,
}

/// `manyi site create`: opens (and migrates) the database and creates the
/// site with a fresh signing secret. Fails when the key is taken.
pub async fn create_site(args: &CreateSiteArgs) -> anyhow::Result<CreatedSite> {
    let key = SiteKey::parse(args.key.as_str())
        .map_err(|e| anyhow::anyhow!("--key {:?}: {e}", args.key))?;
    ensure!(!args.name.trim().is_empty(), "--name is empty");
    let origins = args
        .origins
        .iter()
        .map(|o| normalize_origin(o))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let secret = new_secret()?;

    let options = store::connect_options_at(
        &args.db.data_dir.join("manyi.db"),
        args.db.database_url.as_deref(),
    )?;
    let store = Store::open(options).await?;
    let origin_refs: Vec<&str> = origins.iter().map(String::as_str).collect();
    let created = store
        .insert_site_with_secret_if_absent(
            &NewSite {
                key: &key,
                name: args.name.trim(),
                allowed_origins: &origin_refs,
                require_signature: args.require_signature,
            },
            Some(&secret),
        )
        .await
        .context("creating the site");
    store.close().await;
    if !created? {
        bail!("a site with the key `{key}` already exists; nothing changed");
    }
    Ok(CreatedSite {
        key,
        origins,
        secret,
    })
}

/// 32 bytes from the OS generator, as 64 lowercase hex digits.
fn new_secret() -> anyhow::Result<SecretString> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the OS random generator failed: {e}"))?;
    Ok(SecretString::from(hex::encode(bytes)))
}

/// `*`, or `http(s)://host[:port]` (lower-cased, a trailing `/` dropped):
/// what browsers send in `Origin`, so an exact comparison works.
fn normalize_origin(origin: &str) -> anyhow::Result<String> {
    let origin = origin.trim();
    if origin == "*" {
        return Ok(origin.to_owned());
    }
    let lower = origin.trim_end_matches('/').to_ascii_lowercase();
    let host = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or("");
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ensure!(
        valid,
        "--origin {origin:?} is not `*` or an origin like `https://shop.example` or `http://localhost:3000` (no path)"
    );
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseArgs;

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
