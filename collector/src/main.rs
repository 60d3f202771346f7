//! The `manyi` binary.
fn main() {}
