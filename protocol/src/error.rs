use alloy_primitives::Address;

/// Errors raised while decoding or checking protocol values.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A signature did not recover to the address it claims to come from.
    #[error(
        "signature recovers to {recovered}, not the claimed signer {claimed}: drop the message"
    )]
    WrongSigner {
        /// Address named in the message.
        claimed: Address,
        /// Address the signature recovers to.
        recovered: Address,
    },
    /// A signature was malformed.
    #[error("malformed signature: {0}")]
    Signature(String),
    /// The offer has expired.
    #[error("offer expired at unix time {expires_at}; the worker must re-advertise")]
    Expired {
        /// Expiry of the offer, unix seconds.
        expires_at: u64,
    },
    /// A wire message could not be decoded.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A value in a message does not fit the job's shape.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
