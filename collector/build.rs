//! Rebuilds the collector when a migration is added: `sqlx::migrate!` embeds
//! the `migrations/` folder at compile time, and cargo would not notice a new
//! file there on its own.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
