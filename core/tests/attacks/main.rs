//! Attacks on a live client, one module per item of the security review (issue 10), each performed
//! against real clients over loopback QUIC with real SQLite stores.

mod resources;
