//! Response analysis, after ingest: data-quality flags, open-text tags, and
//! the rules that open follow-up cases; plus the `response.created` event.
//!
//! The hot path (`ingest::accept` and the group-commit writer) does none of
//! this: a background worker ([`pipeline`]) tails `responses` by rowid and
//! writes each batch's results and its cursor in one transaction
//! (`store::analysis`), so every response is analysed exactly once, also
//! across crashes, and ingest keeps its rate. Flagged responses are kept,
//! only marked.
//!
//! - [`facts`]: the ratings and free texts of a stored response;
//! - [`quality`]: `straight_lining`, `too_fast`, `contradictory`,
//!   `suspected_duplicate`;
//! - [`keywords`]: dictionaries (built-in `keywords.json` + per-site) → tags;
//! - [`case_rules`]: which response opens which case, with what priority;
//! - [`batch`]: one batch from cursor to commit;
//! - [`pipeline`]: the worker and its handle, [`Pipeline`];
//! - [`settings`]: what the admin API changes.

pub mod batch;
pub mod case_rules;
pub mod facts;
pub mod keywords;
pub mod pipeline;
pub mod quality;
pub mod settings;

pub use pipeline::{CatchUp, Pipeline};
