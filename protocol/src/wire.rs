use crate::{
    ContributionRequest, JobId, KeyTranscript, Shape, SignedBid, SignedClerkAd, SignedDealing,
    SignedOffer, U256,
};
use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

/// Request-response messages from a requester to a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum JobRequest {
    /// Ask for a signed bid on the current attempt of a posted job. The worker reads the
    /// job's terms (shape, reward, stake, deadline, attempt) from the chain, never from this
    /// message, and answers [`JobResponse::Bid`] or [`JobResponse::Rejected`].
    BidRequest {
        /// The on-chain job id.
        job_id: JobId,
    },
    /// Run an assigned job over the given (masked) inputs.
    Run {
        /// The on-chain job id; the worker checks it is assigned to it on chain.
        job_id: JobId,
        /// The circuit shape the job was posted with.
        shape: Shape,
        /// One vector per contributor, as Fr elements: masked values (`secagg-sum`,
        /// `fl-round`) or ciphertexts as affine coordinates, four per ciphertext
        /// (`he-linear`).
        inputs: Vec<Vec<U256>>,
        /// Per-contributor integer weights (`he-linear`; empty otherwise), bound by the
        /// input commitment posted on chain.
        #[serde(default)]
        weights: Vec<i64>,
        /// Per-contributor share anchors (`secagg-sum`; empty: none), bound by the input
        /// commitment posted on chain.
        #[serde(default)]
        anchors: Vec<U256>,
    },
    /// To a data owner: contribute to a joint statistic (answered
    /// [`JobResponse::Contribution`] once the clerks hold the pad shares).
    Contribute(Box<ContributionRequest>),
    /// From a data owner to a clerk: its share of the owner's pad.
    PadShare {
        /// The collection.
        session: B256,
        /// The clerk's Shamir index (1-based).
        index: u64,
        /// The share vector.
        share: Vec<U256>,
        /// The fewest owners whose shares the clerk may sum (the owner's policy).
        min_set: u32,
        /// Peer id of the requester that asked the owner: the only peer the clerk sums
        /// this session for.
        requester: String,
        /// What the clerk needs to prove its sum against the owner's anchor (absent:
        /// the owner anchored nothing).
        #[serde(default)]
        anchor: Option<PadAnchor>,
    },
    /// To a clerk: its signed binding of peer id to staked address (a committee draw's
    /// candidate).
    ClerkAd,
    /// To a data owner, once the job is posted: every input the job was posted with, so
    /// the owner checks its masked vector is among them and that they hash to the posted
    /// input commitment (nobody dropped or swapped its contribution).
    Included {
        /// The collection.
        session: B256,
        /// The posted job.
        job_id: JobId,
        /// The job's inputs.
        inputs: Vec<Vec<U256>>,
        /// The job's share anchors (empty: none).
        #[serde(default)]
        anchors: Vec<U256>,
    },
    /// From the requester to a clerk: the sum of the shares of exactly these owners (peer
    /// ids). A clerk sums one set per session, ever.
    ClerkSum {
        /// The collection.
        session: B256,
        /// The owners whose contributions the worker summed, in the job's input order.
        contributors: Vec<String>,
        /// Also prove the sum (for a data-oracle value), with this.
        #[serde(default)]
        prove: Option<ClerkProofRequest>,
    },
    /// From a data owner to a requester that gossiped an open call: count me in.
    Enroll {
        /// The call's collection.
        session: B256,
        /// Where the owner takes the contribution request: a multiaddr ending in
        /// `/p2p/<peer id>` (its own).
        addr: String,
    },
    /// From the requester to each drawn key-committee member: start a DKG. The member
    /// deals (sends every other member its share directly) and answers with its signed
    /// dealing.
    DkgDeal {
        /// The collection (and DKG session id).
        session: B256,
        /// The members; the receiver finds its index by its peer id.
        members: Vec<String>,
        /// Decryption shares needed.
        threshold: u32,
        /// Fewest contributions the member will decrypt a sum of.
        min_set: u32,
    },
    /// From a dealing member to another: its private share (JSON of
    /// `compute::elgamal::DealerShare`), confidential on the encrypted libp2p connection.
    DkgShare {
        /// The collection.
        session: B256,
        /// The requester that started the DKG (peer id, base58).
        requester: String,
        /// The share, as JSON.
        share: String,
    },
    /// To a data owner, before a training job's first round: join it. The owner checks the
    /// plan against its policy and charges the whole job to its dataset's privacy budget,
    /// answering [`JobResponse::Ack`] or [`JobResponse::Rejected`] with what remains.
    TrainJoin(Box<crate::TrainPlan>),
    /// To a data owner that joined: train one round from the named global model
    /// (answered [`JobResponse::Contribution`]: the masked update, its example count last).
    TrainRound(Box<crate::TrainRound>),
    /// To a data owner that joined a training job that will not start (too few joined):
    /// release its charge (honoured only while no round was answered).
    TrainLeave {
        /// The job.
        job: B256,
    },
    /// To any peer, by its network layer when a connection opens: the live offers it holds
    /// (answered [`JobResponse::Offers`]), so a node that joins late need not wait for the
    /// workers' next advertisement.
    Offers,
    /// To a requester: the blob (a global model's safetensors file) with this blake3 id.
    FetchBlob {
        /// blake3 of the blob.
        id: B256,
    },
    /// From the requester to each member: every dealing it received; answered with the
    /// member's complaints (each disqualifies its dealer).
    DkgComplain {
        /// The collection.
        session: B256,
        /// The dealings.
        dealings: Vec<SignedDealing>,
    },
    /// From the requester to each member: the final transcript; the member computes and
    /// keeps its key share and answers with the group key.
    DkgFinish(Box<KeyTranscript>),
    /// From the requester to each member: a partial decryption of the sum of the settled
    /// job's inputs, which the member recomputes itself from the posted inputs.
    Decrypt {
        /// The collection.
        session: B256,
        /// The settled job.
        job_id: JobId,
        /// Its inputs (checked against its posted input commitment).
        inputs: Vec<Vec<U256>>,
        /// For a data-oracle value: the feed's statistic (packed, as its on-chain `params`);
        /// the member also proves its shares of the two sums it reads.
        #[serde(default)]
        prove: Option<u64>,
        /// Each input's owner's proof of knowledge of its encryption randomness (by input
        /// position; none for padding): a member decrypts no sum with a ciphertext made from
        /// others'.
        #[serde(default)]
        knowledge: Vec<Option<String>>,
    },
}

/// What a data owner sends a clerk besides its share, so that the clerk can prove its
/// sum: the owner's anchor is `commit(ANCHOR, [query_tag, commitments..])`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadAnchor {
    /// `commit(CONTRIBUTION, masked)` of the owner's masked vector.
    pub contribution: U256,
    /// The owner's commitment to each clerk's share, by clerk position (zeros past its
    /// clerks).
    pub commitments: Vec<U256>,
}

/// What a clerk proves its sum for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClerkProofRequest {
    /// The settled job's shape (the clerk circuit follows it).
    pub shape: Shape,
    /// The job's input commitment.
    pub input_commitment: U256,
    /// The query the owners answered.
    pub query_tag: U256,
}

/// A clerk's proof of its sum: `commitment = commit(CLERK_SUM, sum)`, proven against the
/// owners' anchors in the job's input commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClerkSumProof {
    /// The commitment to the sum.
    pub commitment: U256,
    /// The Groth16 proof, EVM calldata order.
    pub proof: [U256; 8],
}

/// Why a worker refused a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectReason {
    /// The job is not assigned to this worker on chain (or not open).
    NotAssigned,
    /// The inputs do not hash to the commitment posted on chain.
    CommitmentMismatch,
    /// The inputs do not fit the shape, or are not field elements.
    BadInputs(String),
    /// The worker holds no proving key for this shape.
    UnsupportedShape,
    /// Computing, proving or submitting failed.
    Failed(String),
    /// The worker does not bid on this job (terms, stake, capacity), with its reason.
    Declined(String),
    /// Too many requests from this peer; retry after the given seconds.
    RateLimited(u64),
    /// A data owner's policy (or a clerk's rules) does not allow this, with the reason.
    Policy(String),
    /// This node does not run the role the request is for.
    NoSuchRole(String),
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAssigned => write!(f, "the job is not assigned to this worker"),
            Self::CommitmentMismatch => {
                write!(f, "the inputs do not hash to the posted commitment")
            }
            Self::BadInputs(why) => write!(f, "bad inputs: {why}"),
            Self::UnsupportedShape => write!(f, "no proving key for this shape"),
            Self::Failed(why) => write!(f, "failed: {why}"),
            Self::Declined(why) => write!(f, "declined: {why}"),
            Self::RateLimited(secs) => write!(f, "rate limited; retry in {secs} s"),
            Self::Policy(why) => write!(f, "{why}"),
            Self::NoSuchRole(role) => write!(f, "this node runs no {role} role"),
        }
    }
}

/// A finished job as the worker reports it: the result is authoritative on chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// The job.
    pub job_id: JobId,
    /// The computed output vector (the sum of masked inputs).
    pub output: Vec<U256>,
    /// The output commitment the contract recorded: Poseidon over `output`, or for a
    /// chunked job the combination of the chunks' output commitments.
    pub output_commitment: U256,
    /// Groth16 proofs in EVM calldata order: one, or one per chunk.
    pub proofs: Vec<[U256; 8]>,
    /// Hash of the `submitResult` transaction.
    pub tx_hash: B256,
    /// Seconds the worker spent proving.
    pub prove_seconds: f64,
}

/// The worker's answer to a [`JobRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum JobResponse {
    /// Computed, proven and settled on chain.
    Done(Box<JobResult>),
    /// A signed bid for the job's current attempt.
    Bid(Box<SignedBid>),
    /// Refused, with the reason.
    Rejected(RejectReason),
    /// A data owner's masked contribution; the listed clerks acknowledged its pad shares.
    Contribution {
        /// The masked vector.
        masked: Vec<U256>,
        /// Shamir indices of the clerks that hold a share.
        clerks: Vec<u64>,
        /// The owner's share anchor (absent: none).
        #[serde(default)]
        anchor: Option<U256>,
        /// Its signature for the data-oracle request asked about (65 bytes `r, s, v` over
        /// `DataOracle.anchorDigest`), by the owner's chain key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anchor_signature: Option<alloy_primitives::Bytes>,
        /// An encrypted (he-linear) vector's proof that the owner knows its encryption
        /// randomness, bound to the collection (JSON of
        /// `compute::elgamal::knowledge::RandomnessProof`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        knowledge: Option<String>,
    },
    /// Received.
    Ack,
    /// A clerk's signed binding.
    ClerkAd(Box<SignedClerkAd>),
    /// A clerk's sum of the named owners' pad shares.
    ClerkSum {
        /// The clerk's Shamir index.
        index: u64,
        /// The sum.
        sum: Vec<U256>,
        /// Its proof, when asked.
        #[serde(default)]
        proof: Option<Box<ClerkSumProof>>,
    },
    /// A member's signed DKG dealing.
    Dealt(Box<SignedDealing>),
    /// A member's complaints (JSON of `Vec<compute::elgamal::Complaint>`).
    Complaints(String),
    /// The group public key a member computed (JSON of `compute::elgamal::PublicKey`).
    GroupKey(String),
    /// A member's partial decryption with proofs, and its proof of the shares a
    /// data-oracle value reads when asked (`commitment = commit(DECRYPTION, [D_num,
    /// D_den])`, `arcanum_zk::oracle::decrypt`).
    Decryption {
        /// JSON of `compute::elgamal::PartialDecryption`.
        partial: String,
        /// The share proof, when asked.
        #[serde(default)]
        proof: Option<Box<ClerkSumProof>>,
    },
    /// A blob's bytes (its blake3 is the id asked for).
    Blob(Vec<u8>),
    /// The live offers a peer holds (answer to [`JobRequest::Offers`]), each still signed
    /// by its worker; at most [`MAX_OFFERS_SYNCED`].
    Offers(Vec<SignedOffer>),
}

/// Most offers one [`JobResponse::Offers`] carries (a signed offer is about 500 bytes of
/// CBOR: 2,000 of them fit the response limit many times over).
pub const MAX_OFFERS_SYNCED: usize = 2_000;
