//! The manyi collector library.
