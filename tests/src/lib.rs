//! Helpers for scenario tests: the shared test kit (devices on loopback, waiting with deadlines, the
//! story's cast) and, in `cli`, driving `clearchat` processes.

pub mod cli;
pub mod netlab;
pub mod testnet;

pub use clearchat_testkit::*;
