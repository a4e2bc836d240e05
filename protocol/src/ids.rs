use alloy_primitives::U256;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A job's id, as assigned by the `ComputeMarket` contract (a counter starting at 1).
///
/// It is a public input of every proof, so a proof cannot be replayed for another job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub U256);

impl JobId {
    /// The id as a `u64`, if it fits (it always does for ids the market assigns).
    pub fn as_u64(&self) -> Option<u64> {
        u64::try_from(self.0).ok()
    }
}

impl From<u64> for JobId {
    fn from(v: u64) -> Self {
        Self(U256::from(v))
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job#{}", self.0)
    }
}

/// A circuit shape's id: the key into the shape registry (proving keys off-chain, verifier
/// contracts on-chain).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ShapeId(pub u32);

impl fmt::Display for ShapeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shape#{}", self.0)
    }
}

/// A blake3 content id for blobs (ciphertexts, proofs, models).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContentId(pub [u8; 32]);

impl ContentId {
    /// The content id of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId({self})")
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0[..8]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_id_depends_on_every_byte() {
        let a = ContentId::of(b"masked vector 1");
        let b = ContentId::of(b"masked vector 2");
        assert_ne!(a, b);
        assert_eq!(a, ContentId::of(b"masked vector 1"));
    }

    #[test]
    fn job_id_displays_and_narrows() {
        let id = JobId::from(7);
        assert_eq!(id.to_string(), "job#7");
        assert_eq!(id.as_u64(), Some(7));
        assert_eq!(JobId(U256::MAX).as_u64(), None);
    }
}
