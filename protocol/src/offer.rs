use crate::{Error, JobKind, Result, ShapeId};
use alloy_primitives::{Address, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, the clock offers' `expires_at` is measured in (0 if the
/// system clock is before 1970).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Milliseconds since the Unix epoch (0 if the system clock is before 1970): when an offer
/// was issued.
pub fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Domain tag prefixed to every offer digest, so an offer signature can never be mistaken
/// for a signature over anything else.
const OFFER_DOMAIN: &[u8] = b"arcanum/offer/v2";

/// A worker's advertisement of compute, gossiped on the offers topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The libp2p `PeerId` (base58) the worker is reachable at.
    pub peer_id: String,
    /// The Ethereum address that stakes, submits results and is paid.
    pub worker: Address,
    /// Job kinds this worker runs.
    pub kinds: Vec<JobKind>,
    /// Circuit shapes it holds proving keys for.
    pub shapes: Vec<ShapeId>,
    /// Lowest reward it accepts per job, in token base units.
    pub min_reward: U256,
    /// Jobs it can run concurrently.
    pub capacity: u32,
    /// Unix time after which the offer is stale.
    pub expires_at: u64,
    /// When the worker signed it, Unix milliseconds: a newer offer from the same worker
    /// replaces an older one, and receivers measure how long gossip took to bring it.
    pub issued_at_ms: u64,
}

impl Offer {
    /// The digest the worker signs (EIP-191 personal message over these 32 bytes). Every
    /// field is bound, in a fixed, length-prefixed layout.
    pub fn digest(&self) -> [u8; 32] {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(OFFER_DOMAIN);
        let peer = self.peer_id.as_bytes();
        buf.extend_from_slice(&(peer.len() as u32).to_be_bytes());
        buf.extend_from_slice(peer);
        buf.extend_from_slice(self.worker.as_slice());
        buf.extend_from_slice(&(self.kinds.len() as u32).to_be_bytes());
        buf.extend(self.kinds.iter().map(|k| k.code()));
        buf.extend_from_slice(&(self.shapes.len() as u32).to_be_bytes());
        for s in &self.shapes {
            buf.extend_from_slice(&s.0.to_be_bytes());
        }
        buf.extend_from_slice(&self.min_reward.to_be_bytes::<32>());
        buf.extend_from_slice(&self.capacity.to_be_bytes());
        buf.extend_from_slice(&self.expires_at.to_be_bytes());
        buf.extend_from_slice(&self.issued_at_ms.to_be_bytes());
        keccak256(&buf).0
    }

    /// Whether this offer replaces `other` (from the same worker): issued later, or at the
    /// same time and valid longer.
    pub fn supersedes(&self, other: &Offer) -> bool {
        (self.issued_at_ms, self.expires_at) > (other.issued_at_ms, other.expires_at)
    }

    /// Signs the offer with the worker's Ethereum key.
    pub fn sign(self, key: &PrivateKeySigner) -> Result<SignedOffer> {
        let signature = crate::sig::sign(key, self.worker, &self.digest())?;
        Ok(SignedOffer {
            offer: self,
            signature,
        })
    }
}

/// An [`Offer`] with the worker's EIP-191 signature over [`Offer::digest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOffer {
    /// The offer.
    pub offer: Offer,
    /// 65-byte `r || s || v` signature (`0x`-hex in JSON: every node receives every
    /// offer, a number per byte would double its size).
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
}

/// `Vec<u8>` as a `0x`-prefixed hex string.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(bytes)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        hex::decode(digits).map_err(D::Error::custom)
    }
}

impl SignedOffer {
    /// Checks the signature binds the offer (and so its `peer_id`) to `offer.worker`, and
    /// that the offer has not expired at `now` (unix seconds).
    pub fn verify(&self, now: u64) -> Result<()> {
        crate::sig::verify(&self.signature, &self.offer.digest(), self.offer.worker)?;
        if self.offer.expires_at < now {
            return Err(Error::Expired {
                expires_at: self.offer.expires_at,
            });
        }
        Ok(())
    }

    /// Encodes the offer for gossip.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("SignedOffer serialises to JSON")
    }

    /// Decodes a gossiped offer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| Error::Malformed(format!("offer: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(worker: Address) -> Offer {
        Offer {
            peer_id: "12D3KooWexample".into(),
            worker,
            kinds: vec![JobKind::SecaggSum],
            shapes: vec![ShapeId(1)],
            min_reward: U256::from(10u64),
            capacity: 2,
            expires_at: 1_000,
            issued_at_ms: 940_000,
        }
    }

    #[test]
    fn signed_offer_round_trips_and_verifies() {
        let key = PrivateKeySigner::random();
        let signed = offer(key.address()).sign(&key).expect("sign");
        let bytes = signed.to_bytes();
        let text = String::from_utf8(bytes.clone()).expect("json");
        assert!(
            text.contains(&format!("\"0x{}\"", hex::encode(&signed.signature))),
            "{text}"
        );
        let decoded = SignedOffer::from_bytes(&bytes).expect("decode");
        assert_eq!(decoded, signed);
        decoded.verify(999).expect("valid");
        assert!(matches!(decoded.verify(1_001), Err(Error::Expired { .. })));
    }

    #[test]
    fn tampered_fields_are_rejected() {
        let key = PrivateKeySigner::random();
        let signed = offer(key.address()).sign(&key).expect("sign");

        let mut other_peer = signed.clone();
        other_peer.offer.peer_id = "12D3KooWattacker".into();
        assert!(matches!(
            other_peer.verify(0),
            Err(Error::WrongSigner { .. })
        ));

        let mut cheaper = signed.clone();
        cheaper.offer.min_reward = U256::from(1u64);
        assert!(matches!(cheaper.verify(0), Err(Error::WrongSigner { .. })));

        let mut garbled = signed;
        garbled.signature.truncate(10);
        assert!(matches!(garbled.verify(0), Err(Error::Signature(_))));
    }

    #[test]
    fn cannot_sign_for_another_address() {
        let key = PrivateKeySigner::random();
        let other = PrivateKeySigner::random();
        assert!(matches!(
            offer(other.address()).sign(&key),
            Err(Error::WrongSigner { .. })
        ));
    }

    #[test]
    fn malformed_bytes_are_a_clear_error() {
        let err = SignedOffer::from_bytes(b"{not json").expect_err("malformed");
        assert!(err.to_string().contains("malformed message"));
    }
}
