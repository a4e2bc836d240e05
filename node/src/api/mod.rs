//! The node's local control API: HTTP/JSON on a loopback address, authenticated by a
//! cookie file in the data dir (`api.cookie`, rewritten at every start, readable by the
//! owner only), as bitcoind does; plus Prometheus `/metrics` (same auth: point Prometheus'
//! `authorization.credentials_file` at the cookie). The CLI is a client of this API.

pub mod client;
pub mod server;
pub mod types;

/// The cookie file in the data dir.
pub const COOKIE_FILE: &str = "api.cookie";
