//! In-memory snapshots of what every request reads and almost nothing
//! writes: sites and published survey versions (parsed once into [`Survey`]).
//!
//! Why: each sqlx query on SQLite is a round trip to the connection's worker
//! thread (two thread wake-ups). Looking up the site and the survey for every
//! `POST /v1/responses` cost two such hops per request, which on 2 cores
//! showed up as nearly half the CPU in task switching, plus re-parsing the
//! survey's JSON definition each time.
//!
//! Freshness rules:
//! - a change to `sites` or `surveys` made through this [`super::Store`] is
//!   seen by the next request: the write connection's SQLite update hook
//!   ([`watch`]) drops the cache on every row changed in those tables, from
//!   whichever store function (publishing or pausing from the admin API
//!   included), and the functions of `sites.rs` and `surveys.rs` call
//!   [`Catalog::invalidate`] again once their statement has committed (the
//!   hook fires before the commit: a lookup in between could still read
//!   the old row; store functions that write these tables in a transaction
//!   should do the same after committing, else such a race is corrected by
//!   the TTL below);
//! - writes made by another process on the same file (`manyi site create`
//!   while the server runs), or by another `Store` over it, do not reach this
//!   cache: an entry is trusted for [`TTL`] after it was read, then read
//!   again. Such a change therefore shows within [`TTL`] (a new site or
//!   survey at once, since only found rows are cached: a miss always asks
//!   the database).
//! - a lookup that raced with an invalidation does not store its (possibly
//!   older) result: entries carry the generation they were read under.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use manyi_shared::Survey;
use sqlx::SqliteConnection;

use super::sites::Site;

/// Makes `conn` drop `catalog`'s entries whenever it inserts, updates or
/// deletes a row of `sites` or `surveys` (SQLite's update hook, run on the
/// connection's thread; a string comparison for every other row written).
/// For the store's write pool, on every new connection.
pub async fn watch(conn: &mut SqliteConnection, catalog: Arc<Catalog>) -> Result<(), sqlx::Error> {
    conn.lock_handle().await?.set_update_hook(move |change| {
        if matches!(change.table, "sites" | "surveys") {
            catalog.invalidate();
        }
    });
    Ok(())
}

/// How long an entry is trusted without asking the database again: the
/// longest a change made by another process stays unseen. Short enough for a
/// person who just ran `manyi site create`, long enough that reloading costs
/// nothing measurable (one query per key every few seconds).
pub const TTL: Duration = Duration::from_secs(2);

/// A cached row and when it was read.
#[derive(Debug)]
struct Entry<T> {
    value: Arc<T>,
    loaded: Instant,
}

/// A published version and the site it belongs to.
#[derive(Debug)]
pub struct PublishedSurvey {
    /// `surveys.site_key`.
    pub site_key: String,
    /// The parsed definition.
    pub survey: Arc<Survey>,
}

#[derive(Debug, Default)]
struct Maps {
    /// Bumped by every invalidation; a load finishing under an older one is
    /// dropped.
    generation: u64,
    /// By site key.
    sites: HashMap<String, Entry<Site>>,
    /// Published versions, by (survey id, version).
    published: HashMap<(String, u32), Entry<PublishedSurvey>>,
    /// The highest published version, by survey id.
    latest: HashMap<String, Entry<Survey>>,
}

/// The cache. Shared by every clone of the store.
#[derive(Debug, Default)]
pub struct Catalog {
    maps: RwLock<Maps>,
}

fn fresh<T>(entry: Option<&Entry<T>>) -> Option<Arc<T>> {
    entry
        .filter(|e| e.loaded.elapsed() < TTL)
        .map(|e| Arc::clone(&e.value))
}

impl Catalog {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        // A panic while holding the lock leaves plain maps behind, still
        // consistent: keep using them.
        self.maps.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The current generation, to pass to the `put_*` of a load started now.
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Forgets everything: call after any write to `sites` or `surveys`.
    pub fn invalidate(&self) {
        let mut maps = self.write();
        let generation = maps.generation.wrapping_add(1);
        *maps = Maps {
            generation,
            ..Maps::default()
        };
    }

    /// The site with this key, if cached and fresh.
    pub fn site(&self, key: &str) -> Option<Arc<Site>> {
        fresh(self.read().sites.get(key))
    }

    /// Caches a site read from the database under `generation`.
    pub fn put_site(&self, generation: u64, site: Arc<Site>) {
        let mut maps = self.write();
        if maps.generation == generation {
            let key = site.key.as_str().to_owned();
            maps.sites.insert(
                key,
                Entry {
                    value: site,
                    loaded: Instant::now(),
                },
            );
        }
    }

    /// A published version, if cached and fresh.
    pub fn published(&self, survey_id: &str, version: u32) -> Option<Arc<PublishedSurvey>> {
        fresh(self.read().published.get(&(survey_id.to_owned(), version)))
    }

    /// Caches the published version `(survey_id, version)` (the row's key,
    /// not what its definition says) read under `generation`.
    pub fn put_published(
        &self,
        generation: u64,
        survey_id: &str,
        version: u32,
        survey: Arc<PublishedSurvey>,
    ) {
        let mut maps = self.write();
        if maps.generation == generation {
            maps.published.insert(
                (survey_id.to_owned(), version),
                Entry {
                    value: survey,
                    loaded: Instant::now(),
                },
            );
        }
    }

    /// The highest published version of a survey, if cached and fresh.
    pub fn latest(&self, survey_id: &str) -> Option<Arc<Survey>> {
        fresh(self.read().latest.get(survey_id))
    }

    /// Caches the highest published version of `survey_id` read under
    /// `generation`.
    pub fn put_latest(&self, generation: u64, survey_id: &str, survey: Arc<Survey>) {
        let mut maps = self.write();
        if maps.generation == generation {
            maps.latest.insert(
                survey_id.to_owned(),
                Entry {
                    value: survey,
                    loaded: Instant::now(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use manyi_shared::SiteKey;

    fn site(key: &str) -> Arc<Site> {
        Arc::new(Site {
            key: SiteKey::parse(key).expect("key"),
            name: key.into(),
            allowed_origins: vec![],
            require_signature: false,
            signing_secret: None,
        })
    }

    #[test]
    fn entries_are_served_until_invalidated() {
        let catalog = Catalog::default();
        assert!(catalog.site("shop").is_none());
        catalog.put_site(catalog.generation(), site("shop"));
        assert_eq!(catalog.site("shop").expect("cached").name, "shop");
        catalog.invalidate();
        assert!(catalog.site("shop").is_none());
    }

    #[test]
    fn a_load_that_raced_with_an_invalidation_is_not_kept() {
        let catalog = Catalog::default();
        let before = catalog.generation();
        catalog.invalidate();
        catalog.put_site(before, site("shop"));
        assert!(catalog.site("shop").is_none());
    }
}
