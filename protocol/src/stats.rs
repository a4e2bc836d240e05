//! Joint statistics: what a requester asks data owners for, and what owners and clerks
//! exchange. Each owner masks one vector of per-column sums (see `arcanum_compute::stats`)
//! and shares its pad among the clerks; the requester forwards the masked vectors to the
//! worker, and the clerks' sums over the same set of owners remove the pads from the proven
//! total.

use crate::Result;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use serde::{Deserialize, Serialize};

/// A statistic over columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Query {
    /// Rows.
    Count,
    /// Per-column sums.
    Sum,
    /// Per-column means.
    Mean,
    /// Per-column means and (population) variances.
    Variance,
    /// Per-column counts of rows in the buckets the edges delimit.
    Histogram,
}

impl Query {
    /// Every query.
    pub const ALL: [Query; 5] = [
        Self::Count,
        Self::Sum,
        Self::Mean,
        Self::Variance,
        Self::Histogram,
    ];

    /// Its name in specs and policies.
    pub fn name(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::Mean => "mean",
            Self::Variance => "variance",
            Self::Histogram => "histogram",
        }
    }

    /// Length of one contribution vector over `columns` columns (and `edges` bucket edges
    /// for a histogram): `count` `[n]`, `sum` `[Σx..]`, `mean` `[n, Σx..]`, `variance`
    /// `[n, Σx.., Σx²..]`, `histogram` `edges + 1` bucket counts per column.
    pub fn len(self, columns: usize, edges: usize) -> usize {
        match self {
            Self::Count => 1,
            Self::Sum => columns,
            Self::Mean => 1 + columns,
            Self::Variance => 1 + 2 * columns,
            Self::Histogram => columns * (edges + 1),
        }
    }
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

/// Keeps the rows whose `column` compares to `value` (`sepal_length > 5.0`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// The column compared.
    pub column: String,
    /// The comparison.
    pub op: Op,
    /// The value compared with.
    pub value: f64,
}

impl Filter {
    /// Whether `x` (the row's value of `column`) passes.
    pub fn keeps(&self, x: f64) -> bool {
        match self.op {
            Op::Lt => x < self.value,
            Op::Le => x <= self.value,
            Op::Gt => x > self.value,
            Op::Ge => x >= self.value,
            Op::Eq => x == self.value,
            Op::Ne => x != self.value,
        }
    }
}

/// Differential privacy of a released count or histogram: the owners together add
/// discrete Gaussian noise calibrated to `(epsilon, delta)` for one row's change.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dp {
    /// Epsilon (> 0).
    pub epsilon: f64,
    /// Delta (in (0, 1)).
    pub delta: f64,
}

/// A requester's request to a data owner for one contribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContributionRequest {
    /// Random; names this collection at the clerks.
    pub session: B256,
    /// The owner's dataset, by the name in its config.
    pub dataset: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// The statistic.
    pub query: Query,
    /// Bucket edges, ascending (`histogram`): buckets `(-inf, e0), [e0, e1), .., [en, inf)`.
    #[serde(default)]
    pub edges: Vec<f64>,
    /// Only the rows this keeps count.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Noise for a differentially private release; each owner adds its share, enough
    /// when at least `min_contributors` owners contribute.
    #[serde(default)]
    pub dp: Option<Dp>,
    /// Fewest owners whose noise makes up the release's (with `dp`).
    #[serde(default)]
    pub min_contributors: u32,
    /// Fixed-point fractional bits (the same for every owner, or the sum is meaningless).
    pub scale_bits: u32,
    /// The clerks, as multiaddrs ending in `/p2p/<peer id>`; clerk `k` has Shamir index
    /// `k + 1`.
    pub clerks: Vec<String>,
    /// Clerk sums needed to remove the pads (at least 2).
    pub threshold: u32,
    /// How many owners are asked (an owner's policy may demand a minimum).
    pub contributors: u32,
    /// When the clerks were drawn by stake from a pool: the draw, which the owner
    /// recomputes from the chain before it shares anything (`clerks` must be its choice).
    #[serde(default)]
    pub draw: Option<CommitteeDraw>,
    /// The job shape's vector width when the owner should anchor its pad shares (so the
    /// clerks can prove their sums for a data-oracle value): its masked vector and shares,
    /// padded with zeros to it, are committed to. 0: anchor nothing.
    #[serde(default)]
    pub anchor_width: u32,
    /// The data-oracle request the statistic answers: the owner checks on chain that the
    /// request is open and its feed's query is this one, and signs its anchor for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle_request: Option<U256>,
    /// For an `he-linear` job: the key committee's DKG transcript. The owner recomputes
    /// the group key from it (every dealing signed by a drawn member) and encrypts under
    /// that key instead of masking; `clerks` are then the committee's members.
    #[serde(default)]
    pub key: Option<KeyTranscript>,
}

impl ContributionRequest {
    /// The canonical description of what the owners are asked, which a data-oracle feed's
    /// query tag hashes ([`query_description`]).
    pub fn query_description(&self) -> String {
        query_description(&QueryTerms {
            dataset: &self.dataset,
            columns: &self.columns,
            query: self.query,
            edges: &self.edges,
            filter: self.filter.as_ref(),
            dp: self.dp,
            min_contributors: self.min_contributors,
            scale_bits: self.scale_bits,
            threshold: self.threshold,
        })
    }
}

/// Everything that fixes what a joint statistic's aggregate means: the dataset, columns,
/// query (with edges and filter), noise, fixed point and sharing threshold.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct QueryTerms<'a> {
    /// Dataset name.
    pub dataset: &'a str,
    /// Columns, in order.
    pub columns: &'a [String],
    /// The statistic.
    pub query: Query,
    /// Histogram edges.
    pub edges: &'a [f64],
    /// Row filter.
    pub filter: Option<&'a Filter>,
    /// Noise.
    pub dp: Option<Dp>,
    /// Fewest owners.
    pub min_contributors: u32,
    /// Fixed-point fractional bits.
    pub scale_bits: u32,
    /// Clerk sums that remove the pads (the sharing's degree plus one).
    pub threshold: u32,
}

/// `arcanum-query/v1 ` followed by the terms as JSON (fields in declaration order): what a
/// data-oracle feed's query tag hashes, and the owners commit to in their anchors.
pub fn query_description(terms: &QueryTerms<'_>) -> String {
    format!(
        "arcanum-query/v1 {}",
        serde_json::to_string(terms).unwrap_or_default()
    )
}

/// Most bytes a call for contributions may take on the wire.
pub const MAX_CALL_BYTES: usize = 8 * 1024;

/// A requester's open call to data owners for a joint statistic, gossiped on the calls
/// topic: owners whose policy would answer it enrol (`JobRequest::Enroll`) before
/// `closes_at`, and are then asked for their contribution like listed owners. Its
/// publisher, authenticated by gossipsub's message signature, must be `requester`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallForContributions {
    /// The collection (the `Contribute` requests that follow carry it).
    pub session: B256,
    /// The requester's peer id (base58).
    pub requester: String,
    /// Where the requester takes enrolments: multiaddrs ending in `/p2p/<peer id>`.
    pub addrs: Vec<String>,
    /// The dataset, by name.
    pub dataset: String,
    /// Its columns.
    pub columns: Vec<String>,
    /// The statistic.
    pub query: Query,
    /// Unix seconds after which enrolments are refused.
    pub closes_at: u64,
    /// Most owners the job takes (first come).
    pub max: u32,
}

impl CallForContributions {
    /// The wire encoding (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes and checks a call at `now` (unix seconds): bounded, still open, naming a
    /// reachable requester.
    pub fn from_bytes(bytes: &[u8], now: u64) -> std::result::Result<Self, String> {
        if bytes.len() > MAX_CALL_BYTES {
            return Err(format!("a call of {} bytes", bytes.len()));
        }
        let call: Self = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if call.closes_at <= now {
            return Err(format!(
                "call {} closed at {}",
                call.session, call.closes_at
            ));
        }
        if call.addrs.is_empty() || call.columns.is_empty() || call.max == 0 {
            return Err("a call needs an address, columns and room for an owner".into());
        }
        Ok(call)
    }
}

/// Domain tag of signed DKG dealings.
const DEALING_DOMAIN: &[u8] = b"arcanum/dkg-dealing/v1";

/// One key-committee member's public DKG dealing (its Feldman commitments and proof of
/// knowledge, JSON of `compute::elgamal::DealerBroadcast`), signed with the member's staked
/// Ethereum key so that nobody, the requester included, can add or alter a dealing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDealing {
    /// The member's index (1-based, its place in the committee).
    pub index: u32,
    /// The dealing, as JSON.
    pub broadcast: String,
    /// 65-byte EIP-191 signature over [`SignedDealing::digest`].
    pub signature: Vec<u8>,
}

impl SignedDealing {
    /// The digest a member signs: domain, session, index and the dealing's bytes.
    pub fn digest(session: B256, index: u32, broadcast: &str) -> [u8; 32] {
        let mut buf = Vec::with_capacity(64 + broadcast.len());
        buf.extend_from_slice(DEALING_DOMAIN);
        buf.extend_from_slice(session.as_slice());
        buf.extend_from_slice(&index.to_be_bytes());
        buf.extend_from_slice(broadcast.as_bytes());
        keccak256(&buf).0
    }

    /// Signs member `index`'s dealing for `session` as `member`.
    pub fn sign(
        key: &PrivateKeySigner,
        member: Address,
        session: B256,
        index: u32,
        broadcast: String,
    ) -> Result<Self> {
        let signature = crate::sig::sign(key, member, &Self::digest(session, index, &broadcast))?;
        Ok(Self {
            index,
            broadcast,
            signature,
        })
    }

    /// Checks the dealing was signed by `member` for `session`.
    pub fn verify(&self, session: B256, member: Address) -> Result<()> {
        crate::sig::verify(
            &self.signature,
            &Self::digest(session, self.index, &self.broadcast),
            member,
        )
    }
}

/// The public record of a key committee's DKG: enough for anyone to recompute the group
/// key and every member's verification key (`compute::elgamal::group_key`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyTranscript {
    /// The collection the key is for (also the DKG's session id).
    pub session: B256,
    /// The members, as multiaddrs ending in `/p2p/<peer id>`; member `k` has index `k + 1`.
    pub members: Vec<String>,
    /// Decryption shares needed.
    pub threshold: u32,
    /// The dealings the requester relayed to every member, each signed by its dealer.
    pub dealings: Vec<SignedDealing>,
    /// Complaints, as JSON of `Vec<compute::elgamal::Complaint>`: each disqualifies its
    /// dealer (there is no justification round, so no share is ever published).
    pub complaints: String,
}

/// Domain tag of clerk advertisements.
const CLERK_DOMAIN: &[u8] = b"arcanum/clerk/v1";

/// A clerk's binding of its libp2p peer id to its staked Ethereum address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClerkAd {
    /// The peer id (base58) the clerk is reachable at.
    pub peer_id: String,
    /// The address whose stake weighs its chance to be chosen.
    pub clerk: Address,
}

impl ClerkAd {
    /// The digest the clerk signs (EIP-191 personal message over these 32 bytes).
    pub fn digest(&self) -> [u8; 32] {
        let mut buf = Vec::with_capacity(96);
        buf.extend_from_slice(CLERK_DOMAIN);
        let peer = self.peer_id.as_bytes();
        buf.extend_from_slice(&(peer.len() as u32).to_be_bytes());
        buf.extend_from_slice(peer);
        buf.extend_from_slice(self.clerk.as_slice());
        keccak256(&buf).0
    }

    /// Signs the binding with the clerk's Ethereum key.
    pub fn sign(self, key: &PrivateKeySigner) -> Result<SignedClerkAd> {
        let signature = crate::sig::sign(key, self.clerk, &self.digest())?;
        Ok(SignedClerkAd {
            ad: self,
            signature,
        })
    }
}

/// A [`ClerkAd`] with the clerk's EIP-191 signature over [`ClerkAd::digest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedClerkAd {
    /// The binding.
    pub ad: ClerkAd,
    /// 65-byte `r || s || v` signature.
    pub signature: Vec<u8>,
}

impl SignedClerkAd {
    /// Checks the signature binds `ad.peer_id` to `ad.clerk`.
    pub fn verify(&self) -> Result<()> {
        crate::sig::verify(&self.signature, &self.ad.digest(), self.ad.clerk)
    }
}

/// One candidate of a committee draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Where it was reached: a multiaddr ending in `/p2p/<peer id>`.
    pub addr: String,
    /// Its signed binding of that peer id to its address.
    pub ad: SignedClerkAd,
    /// Its stake at the draw's block (the weight).
    pub stake: U256,
}

/// A stake-weighted committee draw anyone can recompute: the candidates, their stakes at
/// `block`, and the seed `keccak256(block_hash || session)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeDraw {
    /// Block whose hash seeds the draw and whose state gives the stakes.
    pub block: u64,
    /// Its hash.
    pub block_hash: B256,
    /// The collection it is for.
    pub session: B256,
    /// Everyone who answered with a valid binding.
    pub candidates: Vec<Candidate>,
    /// Indices into `candidates`, in draw order (clerk `k` has Shamir index `k + 1`).
    pub chosen: Vec<usize>,
}

impl CommitteeDraw {
    /// The draw's seed.
    pub fn seed(block_hash: B256, session: B256) -> [u8; 32] {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(block_hash.as_slice());
        buf[32..].copy_from_slice(session.as_slice());
        keccak256(buf).0
    }
}

/// Draws `k` distinct indices with probability proportional to `weights` (zero weights are
/// never drawn), deterministically from `seed`: draw `i` takes `keccak256(seed || i)` modulo
/// the remaining total weight and walks the remaining candidates in index order.
pub fn draw_weighted(weights: &[U256], k: usize, seed: [u8; 32]) -> Vec<usize> {
    let mut left: Vec<usize> = (0..weights.len())
        .filter(|&i| !weights[i].is_zero())
        .collect();
    let mut chosen = Vec::with_capacity(k);
    for i in 0..k as u64 {
        let total = left
            .iter()
            .fold(U256::ZERO, |acc, &j| acc.saturating_add(weights[j]));
        if total.is_zero() {
            break;
        }
        let mut buf = [0u8; 40];
        buf[..32].copy_from_slice(&seed);
        buf[32..].copy_from_slice(&i.to_be_bytes());
        let mut r = U256::from_be_bytes(keccak256(buf).0) % total;
        let pos = left
            .iter()
            .position(|&j| {
                if r < weights[j] {
                    true
                } else {
                    r -= weights[j];
                    false
                }
            })
            .unwrap_or(left.len() - 1);
        chosen.push(left.remove(pos));
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_distinct_reproducible_and_weighted() {
        let w: Vec<U256> = [0u64, 1, 1, 98].iter().map(|&x| U256::from(x)).collect();
        let seed = [7u8; 32];
        let d = draw_weighted(&w, 2, seed);
        assert_eq!(d, draw_weighted(&w, 2, seed), "reproducible");
        assert_eq!(d.len(), 2);
        assert_ne!(d[0], d[1]);
        assert!(!d.contains(&0), "zero stake is never drawn");
        assert_eq!(draw_weighted(&w, 9, seed).len(), 3, "only the staked ones");
        // The heavy candidate comes first in almost every draw.
        let first_heavy = (0..200u8)
            .filter(|s| draw_weighted(&w, 1, [*s; 32]) == vec![3])
            .count();
        assert!(first_heavy > 180, "{first_heavy} of 200");
    }

    #[test]
    fn clerk_ads_bind_peer_and_address() {
        let key = PrivateKeySigner::random();
        let ad = ClerkAd {
            peer_id: "12D3KooWclerk".into(),
            clerk: key.address(),
        }
        .sign(&key)
        .expect("sign");
        ad.verify().expect("verifies");
        let mut forged = ad.clone();
        forged.ad.peer_id = "12D3KooWother".into();
        assert!(forged.verify().is_err());
    }

    #[test]
    fn dealings_bind_session_index_and_body_to_the_member() {
        let key = PrivateKeySigner::random();
        let session = B256::repeat_byte(4);
        let d = SignedDealing::sign(&key, key.address(), session, 2, "{}".into()).expect("sign");
        d.verify(session, key.address()).expect("verifies");
        assert!(d.verify(B256::repeat_byte(5), key.address()).is_err());
        assert!(d.verify(session, Address::repeat_byte(1)).is_err());
        let mut moved = d.clone();
        moved.index = 3;
        assert!(moved.verify(session, key.address()).is_err());
        let mut altered = d;
        altered.broadcast = "{ }".into();
        assert!(altered.verify(session, key.address()).is_err());
        assert!(
            SignedDealing::sign(&key, Address::repeat_byte(1), session, 1, "{}".into()).is_err(),
            "a key signs only as its own address"
        );
    }

    #[test]
    fn calls_decode_only_while_open_bounded_and_reachable() {
        let call = CallForContributions {
            session: B256::repeat_byte(1),
            requester: "12D3KooWrequester".into(),
            addrs: vec!["/ip4/127.0.0.1/tcp/1/p2p/12D3KooWrequester".into()],
            dataset: "iris".into(),
            columns: vec!["a".into()],
            query: Query::Mean,
            closes_at: 100,
            max: 4,
        };
        let bytes = call.to_bytes();
        assert_eq!(
            CallForContributions::from_bytes(&bytes, 99),
            Ok(call.clone())
        );
        assert!(
            CallForContributions::from_bytes(&bytes, 100).is_err(),
            "closed"
        );
        let mut unreachable = call.clone();
        unreachable.addrs.clear();
        assert!(CallForContributions::from_bytes(&unreachable.to_bytes(), 0).is_err());
        let mut huge = call;
        huge.columns = vec!["x".repeat(MAX_CALL_BYTES)];
        assert!(CallForContributions::from_bytes(&huge.to_bytes(), 0).is_err());
        assert!(CallForContributions::from_bytes(b"{", 0).is_err());
    }
}
