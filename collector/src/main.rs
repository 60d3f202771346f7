//! The `manyi` binary: parses the command line, sets up logging and runs the
//! collector until Ctrl-C or SIGTERM, or one admin subcommand. Everything
//! else is in the library.

use anyhow::Context as _;
use clap::Parser as _;
use manyi_collector::config::{AdminTokenCommand, SiteCommand, SurveyCommand, TemplatesCommand};
use manyi_collector::{App, Cli, Command, commands, shutdown_signal, templates};
use secrecy::ExposeSecret as _;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: see the note on the
/// dependency in Cargo.toml (set here, in the binary, so that the library
/// and its tests keep the default).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // RUST_LOG overrides, e.g. RUST_LOG=debug,sqlx=warn. Logs go to stderr,
    // so that what `sign` and `site create` print on stdout is only their
    // result.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();

    let Cli { command } = Cli::parse();
    match command {
        Command::Serve(config) => {
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("binding {}", config.addr))?;
            let addr = listener.local_addr().context("reading the bound address")?;
            let app = App::build(&config).await?;
            println!("manyi listening on http://{addr} — demo: http://{addr}/demo");
            if let Some(token) = app.demo_admin_token() {
                // Only its hash is stored: this is the one time it is seen
                // (a new one is made on every --seed-demo start).
                println!(
                    "admin: http://{addr}/admin  token: {}",
                    token.expose_secret()
                );
                println!("dashboard: http://{addr}/admin/dashboard  (same token)");
            }
            app.serve(listener, shutdown_signal()).await
        }
        Command::Sign(args) => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let signature = commands::sign(&args, now)?;
            if args.json {
                let json = serde_json::to_string_pretty(&signature).context("encoding JSON")?;
                println!("{json}");
            } else {
                println!("{}", signature.sig);
            }
            Ok(())
        }
        Command::Site(SiteCommand::Create(args)) => {
            let site = commands::create_site(&args).await?;
            let origins = if site.origins.is_empty() {
                "none: only the collector's own pages".to_owned()
            } else {
                site.origins.join(", ")
            };
            let signatures = if args.require_signature {
                "required"
            } else {
                "optional"
            };
            eprintln!(
                "created site {} (origins: {origins}; signatures {signatures})",
                site.key
            );
            eprintln!("its signing secret follows; it is shown only now: keep it on your servers");
            println!("{}", site.secret.expose_secret());
            Ok(())
        }
        Command::AdminToken(AdminTokenCommand::Create(args)) => {
            let token = commands::create_admin_token(&args).await?;
            eprintln!(
                "created admin token {:?}; it follows and is shown only now (send it as `Authorization: Bearer …`)",
                args.name.trim()
            );
            println!("{}", token.expose_secret());
            Ok(())
        }
        Command::AdminToken(AdminTokenCommand::List(db)) => {
            for t in commands::list_admin_tokens(&db).await? {
                let used = t.last_used_at.as_deref().unwrap_or("never used");
                println!(
                    "{:>4}  {:<24}  created {}  last used {used}",
                    t.id, t.name, t.created_at
                );
            }
            Ok(())
        }
        Command::AdminToken(AdminTokenCommand::Revoke { id, db }) => {
            commands::revoke_admin_token(id, &db).await?;
            eprintln!("revoked admin token {id}");
            Ok(())
        }
        Command::Site(SiteCommand::List(db)) => {
            for s in commands::list_sites(&db).await? {
                let signatures = if s.require_signature {
                    "required"
                } else {
                    "optional"
                };
                println!(
                    "{:<20} {:<24} signatures {signatures:<8}  origins {}",
                    s.key.as_str(),
                    s.name,
                    s.allowed_origins.join(" ")
                );
            }
            Ok(())
        }
        Command::Site(SiteCommand::Update(args)) => {
            let (site, secret) = commands::update_site(&args)
                .await
                .map_err(|e| anyhow::anyhow!(commands::describe(&e)))?;
            eprintln!(
                "updated site {} (origins: {}; signatures {})",
                site.key.as_str(),
                site.allowed_origins.join(", "),
                if site.require_signature {
                    "required"
                } else {
                    "optional"
                }
            );
            if let Some(secret) = secret {
                eprintln!(
                    "its new signing secret follows; it is shown only now: keep it on your servers"
                );
                println!("{}", secret.expose_secret());
            }
            Ok(())
        }
        Command::Templates(TemplatesCommand::List) => {
            for t in templates::all() {
                let meta = serde_json::to_value(&t.meta).context("encoding JSON")?;
                println!(
                    "{:<20} {:<16} {:>3} s  {}",
                    t.meta.id.as_str(),
                    meta["category"].as_str().unwrap_or_default(),
                    t.meta.estimated_seconds,
                    meta["name"]["en"].as_str().unwrap_or_default(),
                );
            }
            Ok(())
        }
        Command::Templates(TemplatesCommand::Show { id }) => {
            let t = templates::get(&id)
                .with_context(|| format!("no template {id:?} (see `manyi templates list`)"))?;
            println!(
                "{}",
                serde_json::to_string_pretty(t).context("encoding JSON")?
            );
            Ok(())
        }
        Command::SeedResponses(args) => {
            let s = commands::seed_responses(&args).await?;
            println!(
                "{} responses and {} events written in {:.1} s; analysed in {:.1} s; rolled up in {:.1} s",
                s.responses, s.events, s.write_secs, s.analysis_secs, s.rollup_secs
            );
            Ok(())
        }
        Command::Survey(command) => {
            let (done, result) = match &command {
                SurveyCommand::Create(args) => ("created", commands::create_survey(args).await),
                SurveyCommand::Publish(args) => ("published", commands::publish_survey(args).await),
                SurveyCommand::Pause(args) => ("paused", commands::pause_survey(args).await),
                SurveyCommand::Edit(args) => ("edited", commands::edit_survey(args).await),
                SurveyCommand::Show(args) => ("shown", commands::show_survey(args).await),
                SurveyCommand::List(db) => {
                    for s in commands::list_surveys(db).await? {
                        let live = s
                            .published_version
                            .map_or("none".to_owned(), |v| format!("v{v}"));
                        println!(
                            "{:<24} {:<16} v{} {:<9} live {live}",
                            s.survey_id, s.site, s.version, s.status
                        );
                    }
                    return Ok(());
                }
            };
            let survey = result.map_err(|e| anyhow::anyhow!(commands::describe(&e)))?;
            eprintln!(
                "{done} survey {} (site {}): version {} is {}",
                survey.survey_id, survey.site, survey.version, survey.status
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&survey).context("encoding JSON")?
            );
            Ok(())
        }
    }
}
