/// Errors of the network layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Building the transport or behaviour failed.
    #[error("cannot build the libp2p swarm: {0}")]
    Build(String),
    /// Listening failed.
    #[error("cannot listen on {addr}: {detail}; pick another address or port (`--listen`)")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        detail: String,
    },
    /// Dialing failed.
    #[error("cannot dial {addr}: {detail}; is the peer running and reachable?")]
    Dial {
        /// The address.
        addr: String,
        /// Why.
        detail: String,
    },
    /// Publishing on gossipsub failed.
    #[error(
        "cannot publish on gossipsub: {0} (no subscribed peers yet? the offer is re-sent on the next tick)"
    )]
    Publish(String),
    /// A request failed or timed out.
    #[error("request to {peer} failed: {detail}")]
    Request {
        /// The peer.
        peer: String,
        /// Why.
        detail: String,
    },
    /// The peer that sent the request is gone.
    #[error("cannot respond: the requesting peer closed the stream")]
    Respond,
    /// The event loop has stopped.
    #[error("the network event loop has stopped; restart the node")]
    Stopped,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
