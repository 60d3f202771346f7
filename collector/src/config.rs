//! Command-line and environment configuration.
//!
//! Every flag can also be set through its `MANYI_*` environment variable, so
//! the same binary runs from a terminal, a systemd unit or a container without
//! a config file. [`Config`] is also built directly in code by tests
//! ([`Config::for_tests`]).

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The `manyi` command line.
#[derive(Debug, Parser)]
#[command(
    name = "manyi",
    version,
    about = "manyi (满意): embeddable customer-satisfaction surveys — the collector"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `manyi` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector: widget assets, survey definitions, response intake and the demo page.
    Serve(Config),
    /// Print the signature of a context, as a merchant's backend computes it
    /// (HMAC-SHA256 over `site|survey|order_id|customer|exp`, see docs/signing.md).
    Sign(SignArgs),
    /// Manage sites (the embedding web properties).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Manage admin API tokens.
    #[command(subcommand, name = "admin-token")]
    AdminToken(AdminTokenCommand),
    /// Browse the questionnaire templates.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Manage surveys: create from a template, edit (new versions), publish, pause.
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Write generated, realistic responses for the demo site and its
    /// template surveys (dashboards, the reports benchmark).
    #[command(name = "seed-responses")]
    SeedResponses(SeedResponsesArgs),
}

/// `manyi seed-responses`.
#[derive(Debug, Clone, Args)]
pub struct SeedResponsesArgs {
    /// How many responses.
    #[arg(long, default_value_t = 10_000)]
    pub count: usize,
    /// Spread over the last this many days.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Random seed (the same seed gives the same answers).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The database to write to.
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// `manyi admin-token …`.
#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Create a token for the admin API (`Authorization: Bearer …`),
    /// printed once: only its hash is stored.
    Create(CreateTokenArgs),
    /// List the tokens (id, name, created, last used; never the tokens).
    List(DatabaseArgs),
    /// Revoke a token by id (see `list`): requests with it get 401.
    Revoke {
        /// The token id.
        id: i64,
        /// The database to write to.
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// `manyi admin-token create`.
#[derive(Debug, Clone, Args)]
pub struct CreateTokenArgs {
    /// What the token is for, e.g. `ops laptop`.
    #[arg(long)]
    pub name: String,
    /// The database to write to.
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// `manyi templates …`.
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the templates (id, category, estimated time, name).
    List,
    /// Print one template as JSON (catalogue entry and survey definition).
    Show {
        /// The template id, e.g. `nps`.
        id: String,
    },
}

/// `manyi survey …`.
#[derive(Debug, Subcommand)]
pub enum SurveyCommand {
    /// Create a survey from a template, as version 1, a draft.
    Create(CreateSurveyArgs),
    /// Publish the survey's latest version (or resume a paused one).
    Publish(SurveyIdArgs),
    /// Pause the survey: not shown, responses refused.
    Pause(SurveyIdArgs),
    /// Edit a survey: a draft changes in place, a published survey gets the
    /// next version as a draft (publish it to serve it).
    Edit(EditSurveyArgs),
    /// Print a survey as JSON: latest definition, versions, sampling.
    Show(SurveyIdArgs),
    /// List the surveys (id, site, latest version and status, live version).
    List(DatabaseArgs),
}

/// Adjustments to a template or survey, as flags (the overrides of the
/// admin API).
#[derive(Debug, Clone, Default, Args)]
pub struct OverrideArgs {
    /// Brand colour, `#rrggbb`.
    #[arg(long)]
    pub brand_color: Option<String>,
    /// A locale to declare (`zh-CN`, `zh-TW`, `en`); repeat for several.
    /// Without `--default-locale`, the first becomes the default unless the
    /// current default is among them.
    #[arg(long = "locale")]
    pub locales: Vec<String>,
    /// The fallback locale.
    #[arg(long)]
    pub default_locale: Option<String>,
    /// `auto`, `inline`, `bottom_sheet` or `modal`.
    #[arg(long)]
    pub display_mode: Option<String>,
    /// A question text, `QUESTION.LOCALE=TEXT` (e.g. `nps.en=Would you
    /// recommend us?`); repeat for several.
    #[arg(long = "text", value_parser = parse_text)]
    pub texts: Vec<(String, String, String)>,
    /// A low-score threshold, `QUESTION=N`: follow-ups asking what went
    /// wrong show at N or below; repeat for several.
    #[arg(long = "threshold", value_parser = parse_threshold)]
    pub thresholds: Vec<(String, i64)>,
    /// A sampling rate, `SEGMENT=RATE` with RATE in 0..=1 (`default` for
    /// everyone else); repeat for several.
    #[arg(long = "sample", value_parser = parse_rate)]
    pub sampling: Vec<(String, f64)>,
    /// Days before a customer who answered may be asked again (0: no rule).
    #[arg(long)]
    pub recontact_days: Option<u32>,
}

/// `manyi survey edit`.
#[derive(Debug, Clone, Args)]
pub struct EditSurveyArgs {
    /// The survey id.
    pub id: String,
    /// A JSON file with the body of `PUT /api/surveys/{id}`: a complete
    /// `definition` and/or override fields. The flags apply on top of it.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Adjustments.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// The database to write to.
    #[command(flatten)]
    pub db: DatabaseArgs,
}

fn split_pair(s: &str) -> Result<(&str, &str), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim(), v))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

fn parse_text(s: &str) -> Result<(String, String, String), String> {
    let (key, text) = split_pair(s)?;
    let (question, locale) = key
        .split_once('.')
        .ok_or_else(|| format!("{key:?} is not QUESTION.LOCALE"))?;
    Ok((question.to_owned(), locale.to_owned(), text.to_owned()))
}

fn parse_threshold(s: &str) -> Result<(String, i64), String> {
    let (question, n) = split_pair(s)?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not an integer"))?;
    Ok((question.to_owned(), n))
}

fn parse_rate(s: &str) -> Result<(String, f64), String> {
    let (segment, rate) = split_pair(s)?;
    let rate = rate
        .trim()
        .parse()
        .map_err(|_| format!("{rate:?} is not a number"))?;
    Ok((segment.to_owned(), rate))
}

/// `manyi survey create`.
#[derive(Debug, Clone, Args)]
pub struct CreateSurveyArgs {
    /// The template id (see `manyi templates list`).
    #[arg(long = "from-template")]
    pub template: String,
    /// The new survey's id.
    #[arg(long)]
    pub id: String,
    /// The site it belongs to.
    #[arg(long)]
    pub site: String,
    /// Adjustments to the template.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// The database to write to.
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// `manyi survey publish|pause`.
#[derive(Debug, Clone, Args)]
pub struct SurveyIdArgs {
    /// The survey id.
    pub id: String,
    /// The database to write to.
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// `manyi site …`.
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Create a site with a fresh signing secret, printed once.
    Create(CreateSiteArgs),
    /// List the sites (key, origins, signatures; never the secrets).
    List(DatabaseArgs),
    /// Change a site: name, allowed origins, signature requirement, or a
    /// new signing secret (printed once).
    Update(UpdateSiteArgs),
}

/// `manyi site update`.
#[derive(Debug, Clone, Args)]
pub struct UpdateSiteArgs {
    /// The site key.
    pub key: String,
    /// New display name.
    #[arg(long)]
    pub name: Option<String>,
    /// An allowed origin; repeat for several. Given at all, the list
    /// replaces the current one.
    #[arg(long = "origin", conflicts_with = "clear_origins")]
    pub origins: Vec<String>,
    /// Remove every allowed origin (only the collector's own pages and
    /// non-browser clients may post).
    #[arg(long)]
    pub clear_origins: bool,
    /// Require (`true`) or stop requiring (`false`) signed contexts.
    #[arg(long)]
    pub require_signature: Option<bool>,
    /// Make a new signing secret, printed once; signatures made with the old
    /// one are refused from now on.
    #[arg(long)]
    pub rotate_secret: bool,
    /// The database to write to.
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// `manyi sign`: the arguments of one signature.
#[derive(Debug, Clone, Args)]
pub struct SignArgs {
    /// The site's signing secret (as printed by `manyi site create`); its
    /// UTF-8 bytes are the HMAC key.
    #[arg(long, env = "MANYI_SIGNING_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub secret: SecretString,
    /// The site key.
    #[arg(long)]
    pub site: String,
    /// The survey id.
    #[arg(long)]
    pub survey: String,
    /// The merchant's order id (empty in the signed string when left out).
    #[arg(long = "order")]
    pub order_id: Option<String>,
    /// The merchant's customer id (empty in the signed string when left out).
    #[arg(long)]
    pub customer: Option<String>,
    /// Expiry, unix seconds. Without `--exp` or `--ttl` the signature never expires.
    #[arg(long, conflicts_with = "ttl")]
    pub exp: Option<i64>,
    /// Expiry as seconds from now (sets `exp`).
    #[arg(long)]
    pub ttl: Option<u64>,
    /// Print a JSON object with the signed fields, the canonical string and
    /// the signature instead of the bare hex.
    #[arg(long)]
    pub json: bool,
}

/// `manyi site create`.
#[derive(Debug, Clone, Args)]
pub struct CreateSiteArgs {
    /// The public site key, as in `data-site="…"`.
    #[arg(long)]
    pub key: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// An origin allowed to post for this site, e.g. `https://shop.example`
    /// (repeat the flag for several; `*` allows any). Without any, only the
    /// collector's own pages (same origin) and non-browser clients can post.
    #[arg(long = "origin")]
    pub origins: Vec<String>,
    /// Refuse responses without a valid signature.
    #[arg(long)]
    pub require_signature: bool,
    /// The database to write to.
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// Where the database is (shared by `serve` and the admin subcommands).
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Folder for the collector's own files; the SQLite database is
    /// `<data-dir>/manyi.db`. Created when missing.
    #[arg(long, env = "MANYI_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// SQLite URL overriding `<data-dir>/manyi.db`, e.g. `sqlite:///var/lib/manyi/manyi.db`.
    #[arg(long, env = "MANYI_DATABASE_URL")]
    pub database_url: Option<String>,
}

fn parse_secret(s: &str) -> Result<SecretString, String> {
    if s.is_empty() {
        return Err("the secret is empty".to_owned());
    }
    Ok(SecretString::from(s))
}

/// Whether rate limits apply at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateLimitSwitch {
    /// Apply `--rate-per-ip` and `--rate-per-site`.
    On,
    /// No rate limit at all (load tests from one machine).
    Off,
}

/// Whether the response-analysis pipeline runs in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyticsSwitch {
    /// Flags, tags and cases within a fraction of a second of each response.
    On,
    /// No background analysis (to measure the bare ingest rate); reports
    /// still analyse what they need when asked.
    Off,
}

/// One rate limit: `RATE/UNIT[:BURST]` with UNIT `s`, `m` or `h`
/// (e.g. `20/s:40`: 20 per second on average, up to 40 at once), or `off`.
/// The burst defaults to twice the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// No limit.
    Off,
    /// A limit.
    Limit {
        /// Requests per `period` on average.
        count: NonZeroU32,
        /// The period of `count`.
        period: Duration,
        /// Requests allowed at once after a quiet spell.
        burst: NonZeroU32,
    },
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(Rate::Off);
        }
        let bad = || format!("{s:?} is not a rate like `20/s`, `600/m:100`, `1000/h` or `off`");
        let (rate, burst) = match s.split_once(':') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (s, None),
        };
        let (count, unit) = rate.split_once('/').ok_or_else(bad)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| bad())?;
        let period = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        let burst = match burst {
            Some(b) => b.trim().parse().map_err(|_| bad())?,
            None => count.saturating_mul(NonZeroU32::MIN.saturating_add(1)),
        };
        Ok(Rate::Limit {
            count,
            period,
            burst,
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Off => f.write_str("off"),
            Rate::Limit {
                count,
                period,
                burst,
            } => {
                let unit = match period.as_secs() {
                    1 => "s",
                    60 => "m",
                    _ => "h",
                };
                write!(f, "{count}/{unit}:{burst}")
            }
        }
    }
}

/// Settings of a running collector.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on. Use port 0 to let the OS pick a free port.
    #[arg(long, env = "MANYI_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Folder for the collector's own files; the SQLite database is
    /// `<data-dir>/manyi.db`. Created when missing.
    #[arg(long, env = "MANYI_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// SQLite URL overriding `<data-dir>/manyi.db`, e.g. `sqlite:///var/lib/manyi/manyi.db`.
    #[arg(long, env = "MANYI_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Folder written by `cargo xtask dist` (manyi.js and assets/). The
    /// collector still runs without it, but cannot serve the widget.
    #[arg(long, env = "MANYI_DIST", default_value = "target/dist")]
    pub dist: PathBuf,

    /// Create the `demo` site and publish the `post-payment` survey (version 1)
    /// when they are missing, so `/demo` works out of the box (idempotent),
    /// and make a fresh `demo` admin token, printed at start (the previous
    /// one is revoked: only token hashes are stored).
    #[arg(long, env = "MANYI_SEED_DEMO")]
    pub seed_demo: bool,

    /// `off` disables every rate limit (e.g. for a load test from one
    /// machine, which all comes from 127.0.0.1 and one site).
    #[arg(long, env = "MANYI_RATE_LIMIT", value_enum, default_value = "on")]
    pub rate_limit: RateLimitSwitch,

    /// Posts (responses, events, eligibility checks) per client IP, as
    /// `RATE/UNIT[:BURST]` or `off`. IPv6 clients are limited per /64.
    /// Loopback peers are exempt unless `--rate-limit-loopback`.
    #[arg(long, env = "MANYI_RATE_PER_IP", default_value = "20/s:40")]
    pub rate_per_ip: Rate,

    /// Posts per site (all clients together), as `RATE/UNIT[:BURST]` or `off`.
    #[arg(long, env = "MANYI_RATE_PER_SITE", default_value = "2000/s:4000")]
    pub rate_per_site: Rate,

    /// Apply the per-IP limit to loopback peers (127.0.0.0/8, ::1) too. Off
    /// by default: local traffic is tooling, or a reverse proxy on the same
    /// host, where the peer address is the proxy's and one bucket would
    /// throttle every customer together.
    #[arg(long, env = "MANYI_RATE_LIMIT_LOOPBACK")]
    pub rate_limit_loopback: bool,

    /// `off` stops the background response analysis (data-quality flags,
    /// tags, follow-up cases, `response.created`), e.g. to measure the bare
    /// ingest rate; reports still analyse pending responses when read.
    #[arg(long, env = "MANYI_ANALYTICS", value_enum, default_value = "on")]
    pub analytics: AnalyticsSwitch,

    /// Days a case's verification link stays valid after it is made (the
    /// customer then sees "link expired"; staff can make a new one).
    #[arg(long, env = "MANYI_VERIFICATION_LINK_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub verification_link_days: u32,
}

impl Config {
    /// A config for tests: an OS-chosen port on 127.0.0.1, the database in
    /// `data_dir`, the widget from `dist`, and the demo site and survey seeded
    /// (so responses to `post-payment` can be posted right away).
    pub fn for_tests(data_dir: impl Into<PathBuf>, dist: impl Into<PathBuf>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            database_url: None,
            dist: dist.into(),
            seed_demo: true,
            // Permissive unless a test sets limits; loopback counts, since
            // tests post from 127.0.0.1.
            rate_limit: RateLimitSwitch::On,
            rate_per_ip: Rate::Off,
            rate_per_site: Rate::Off,
            rate_limit_loopback: true,
            analytics: AnalyticsSwitch::On,
            verification_link_days: 14,
        }
    }

    /// The default database file, `<data-dir>/manyi.db` (ignored when
    /// `database_url` is set).
    pub fn default_db_path(&self) -> PathBuf {
        self.data_dir.join("manyi.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults() {
        let cli = Cli::try_parse_from(["manyi", "serve"]).expect("parses");
        let Command::Serve(c) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(c.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(c.data_dir, PathBuf::from("data"));
        // `cargo xtask test` points MANYI_DIST at the fresh build; the flag
        // default is what applies without it.
        let expected_dist = std::env::var_os("MANYI_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target/dist"));
        assert_eq!(c.dist, expected_dist);
        assert_eq!(c.database_url, None);
        assert_eq!(c.default_db_path(), PathBuf::from("data/manyi.db"));
        assert_eq!(c.rate_limit, RateLimitSwitch::On);
        assert_eq!(c.rate_per_ip.to_string(), "20/s:40");
        assert_eq!(c.rate_per_site.to_string(), "2000/s:4000");
        assert!(!c.rate_limit_loopback);
    }

    #[test]
    fn serve_flags() {
        let cli = Cli::try_parse_from([
            "manyi",
            "serve",
            "--addr",
            "0.0.0.0:9000",
            "--data-dir",
            "/tmp/m",
            "--dist",
            "d",
            "--seed-demo",
        ])
        .expect("parses");
        let Command::Serve(c) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(c.addr.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/m"));
        assert_eq!(c.dist, PathBuf::from("d"));
        assert!(c.seed_demo);
    }

    #[test]
    fn rates_parse_with_units_bursts_and_off() {
        let r = |s: &str| s.parse::<Rate>();
        assert_eq!(r("off"), Ok(Rate::Off));
        assert_eq!(r("20/s").map(|r| r.to_string()), Ok("20/s:40".to_owned()));
        assert_eq!(
            r("600/m:5").map(|r| r.to_string()),
            Ok("600/m:5".to_owned())
        );
        assert_eq!(r("1/h").map(|r| r.to_string()), Ok("1/h:2".to_owned()));
        for bad in ["", "20", "0/s", "20/d", "20/s:0", "x/s", "20/s:y"] {
            assert!(r(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sign_and_site_create_parse() {
        let cli = Cli::try_parse_from([
            "manyi",
            "sign",
            "--secret",
            "s3cr3t",
            "--site",
            "demo",
            "--survey",
            "post-payment",
            "--order",
            "A1001",
            "--customer",
            "c-42",
            "--exp",
            "1790000000",
            "--json",
        ])
        .expect("parses");
        let Command::Sign(a) = cli.command else {
            panic!("not sign")
        };
        assert_eq!(a.order_id.as_deref(), Some("A1001"));
        assert_eq!(a.exp, Some(1_790_000_000));
        assert!(a.json);
        assert!(
            Cli::try_parse_from([
                "manyi", "sign", "--secret", "s", "--site", "d", "--survey", "p", "--exp", "1",
                "--ttl", "2",
            ])
            .is_err(),
            "--exp and --ttl conflict"
        );

        let cli = Cli::try_parse_from([
            "manyi",
            "site",
            "create",
            "--key",
            "shop",
            "--name",
            "Shop",
            "--origin",
            "https://a.example",
            "--origin",
            "https://b.example",
            "--require-signature",
            "--data-dir",
            "/tmp/m",
        ])
        .expect("parses");
        let Command::Site(SiteCommand::Create(a)) = cli.command else {
            panic!("not site create")
        };
        assert_eq!(a.origins, ["https://a.example", "https://b.example"]);
        assert!(a.require_signature);
        assert_eq!(a.db.data_dir, PathBuf::from("/tmp/m"));
    }
}
