//! The node's roles, each a service the daemon supervises. Services never import the API
//! or the CLI; they talk to the chain (`arcanum-chain`), the network (`arcanum-p2p`) and
//! the store.

pub mod clerk;
pub mod committee;
pub mod contributor;
pub mod fl;
pub mod jobs;
pub mod joint;
pub mod keys;
pub mod metrics;
pub mod network;
pub mod oracle;
pub mod requester;
pub mod settle;
pub mod watcher;
pub mod worker;
