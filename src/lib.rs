//! `policy`: a declarative language for public subsidy and eligibility policies.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! [`syntax`] (text → AST with spans) → [`check`] (names, types, diagnostics) →
//! [`compile`] (slot-indexed program) → [`eval`] (decisions, awards and the trace that explains
//! them) → [`explain`] and the output formats in [`output`]. Data files are read by [`data`].
//! All I/O lives in [`cli`], the language server's loop in [`lsp`] and `src/main.rs`; every other
//! module is pure.

// Invariant: no panics on user input (see ARCHITECTURE.md).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod check;
pub mod cli;
pub mod compile;
pub mod data;
pub mod diagnostic;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod inverse;
pub mod lsp;
pub mod output;
pub mod plan;
pub mod pool;
pub mod syntax;
pub mod testing;
pub mod value;
