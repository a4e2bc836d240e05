use std::path::PathBuf;

/// Errors from circuits, keys, proving and verification.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value is not a canonical BN254 scalar field element.
    #[error("value {0} is not below the BN254 scalar field modulus; encode it in Fr first")]
    NotInField(String),
    /// Inputs do not fit the circuit's shape.
    #[error("inputs do not fit shape {shape}: {detail}")]
    Shape {
        /// The shape's name.
        shape: String,
        /// What does not fit.
        detail: String,
    },
    /// No shape with this id is registered.
    #[error("unknown shape id {0}; see `arcanum_zk::shapes::ALL` for the registered shapes")]
    UnknownShape(u32),
    /// Keys on disk do not belong to this circuit.
    #[error(
        "keys at {path} do not match circuit {shape}: {detail}; regenerate them for this shape or point to the right files"
    )]
    KeyMismatch {
        /// Key file.
        path: PathBuf,
        /// The shape's name.
        shape: String,
        /// What differs.
        detail: String,
    },
    /// Reading or writing key files failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// Key or proof bytes are malformed.
    #[error("malformed {what}: {detail}")]
    Serialization {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's message.
        detail: String,
    },
    /// Constraint synthesis or proving failed (e.g. an unsatisfied witness).
    #[error("proving failed: {0}")]
    Synthesis(String),
    /// The proof does not verify against these public inputs.
    #[error("proof does not verify against the public inputs")]
    InvalidProof,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<ark_relations::gr1cs::SynthesisError> for Error {
    fn from(e: ark_relations::gr1cs::SynthesisError) -> Self {
        Self::Synthesis(e.to_string())
    }
}
