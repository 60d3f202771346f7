//! The manyi widget.
