/// Errors talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The RPC endpoint cannot be reached.
    #[error(
        "cannot reach the Ethereum RPC at {url}: {detail}; is the node running? (`arcanum devnet` starts one)"
    )]
    Unreachable {
        /// The endpoint.
        url: String,
        /// The transport's message.
        detail: String,
    },
    /// A call or transaction reverted; `reason` names the contract's custom error.
    #[error("{call} reverted: {reason}")]
    Reverted {
        /// The contract function.
        call: &'static str,
        /// The decoded revert reason.
        reason: String,
    },
    /// The RPC returned an error.
    #[error("{call} failed: {detail}")]
    Rpc {
        /// The contract function.
        call: &'static str,
        /// The error.
        detail: String,
    },
    /// A sent transaction was not mined in time.
    #[error(
        "{call}: transaction not mined within {seconds}s ({detail}); check the node, then retry"
    )]
    Timeout {
        /// The contract function.
        call: &'static str,
        /// Seconds waited.
        seconds: u64,
        /// The error.
        detail: String,
    },
    /// A mined transaction failed.
    #[error("{call}: transaction {tx} was mined but failed (status 0)")]
    Failed {
        /// The contract function.
        call: &'static str,
        /// Transaction hash.
        tx: String,
    },
    /// A receipt lacks the expected event.
    #[error("{call}: receipt has no {event} event")]
    MissingEvent {
        /// The contract function.
        call: &'static str,
        /// The event.
        event: &'static str,
    },
    /// Deployment is impossible as configured.
    #[error("deployment: {0}")]
    Deploy(String),
}

impl Error {
    /// Whether the chain may answer differently later: the RPC unreachable, failing or slow,
    /// a transaction not mined in time. Reverts, failed transactions and deployment errors
    /// are answers, not outages.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::Rpc { .. } | Self::Timeout { .. }
        )
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
