//! The requester role: post a job with escrow, choose a worker among the offers heard on
//! gossipsub, assign it on chain, send it the inputs, and check the settled result against
//! the chain.

use arcanum_oracle::{JobStatus, MarketClient, TxOutcome};
use arcanum_p2p::{Client, Event, Multiaddr, PeerId};
use arcanum_protocol::{
    Address, JobId, JobRequest, JobResponse, JobResult, JobSpec, Shape, SignedOffer, U256,
};
use arcanum_zk::{
    Fr,
    chunks::{ChunkedJob, is_chunked},
    commitment, field,
};
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// Errors of the requester flow.
#[derive(Debug, thiserror::Error)]
pub enum RequesterError {
    /// Chain interaction failed.
    #[error(transparent)]
    Chain(#[from] arcanum_oracle::Error),
    /// The job's inputs do not fit its shape (or its chunking).
    #[error(transparent)]
    Inputs(#[from] arcanum_zk::Error),
    /// Network interaction failed.
    #[error(transparent)]
    Net(#[from] arcanum_p2p::Error),
    /// No worker could be chosen in time.
    #[error("no eligible worker after waiting {waited:?}: {source}")]
    NoWorker {
        /// How long offers were collected.
        waited: Duration,
        /// The scheduler's reason.
        source: arcanum_scheduler::Error,
    },
    /// The worker refused.
    #[error("worker {worker} refused {job}: {reason:?}")]
    Rejected {
        /// The worker.
        worker: Address,
        /// The job.
        job: JobId,
        /// Its reason.
        reason: arcanum_protocol::RejectReason,
    },
    /// The worker's report disagrees with the chain.
    #[error("worker {worker}'s result for {job} does not match the chain: {detail}")]
    Mismatch {
        /// The worker.
        worker: Address,
        /// The job.
        job: JobId,
        /// What differs.
        detail: String,
    },
    /// Bad peer id in an offer.
    #[error("offer from {0} carries an invalid peer id")]
    BadPeer(Address),
}

/// A job that was assigned, computed, proven and settled.
#[derive(Clone, Debug)]
pub struct JobOutcome {
    /// Job id on chain.
    pub job_id: JobId,
    /// The chosen worker.
    pub worker: Address,
    /// Its peer id.
    pub worker_peer: String,
    /// The worker's result (output checked against the on-chain commitment).
    pub result: JobResult,
    /// Output decoded to field elements.
    pub output: Vec<Fr>,
    /// The `postJob` transaction.
    pub posted: TxOutcome,
    /// Offers heard when choosing.
    pub offers_seen: usize,
}

/// A requester node.
pub struct Requester {
    chain: MarketClient,
    net: Client,
    events: mpsc::Receiver<Event>,
    offers: HashMap<Address, SignedOffer>,
    listen_addr: Multiaddr,
}

impl Requester {
    /// Starts the requester's network, listening on `listen`.
    pub async fn start(chain: MarketClient, listen: Multiaddr) -> Result<Self, RequesterError> {
        let (net, events, event_loop) =
            arcanum_p2p::new(arcanum_p2p::Keypair::generate_ed25519(), Default::default())?;
        tokio::spawn(event_loop.run());
        let listen_addr = net.listen(listen).await?;
        Ok(Self {
            chain,
            net,
            events,
            offers: HashMap::new(),
            listen_addr,
        })
    }

    /// The address workers should dial.
    pub fn listen_addr(&self) -> &Multiaddr {
        &self.listen_addr
    }

    /// The requester's chain client.
    pub fn chain(&self) -> &MarketClient {
        &self.chain
    }

    fn drain_offers(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            if let Event::Offer { offer } = event {
                self.offers.insert(offer.offer.worker, offer);
            }
        }
    }

    /// Waits until `count` distinct workers have advertised, or `timeout` passes.
    pub async fn wait_for_offers(&mut self, count: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        self.drain_offers();
        while self.offers.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(Event::Offer { offer })) => {
                    self.offers.insert(offer.offer.worker, offer);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        self.offers.len()
    }

    /// Posts a job over `inputs` (one vector per contributor: masked values, or ciphertexts
    /// as coordinates for `he-linear`, with its per-contributor `weights`), picks a worker,
    /// assigns it, sends the inputs and returns the settled result.
    pub async fn run_job(
        &mut self,
        shape: Shape,
        inputs: &[Vec<Fr>],
        weights: &[i64],
        reward: U256,
        deadline_in: Duration,
        min_stake: U256,
    ) -> Result<JobOutcome, RequesterError> {
        // A job larger than its shape is posted with the combined commitment of its chunks.
        let chunked = if is_chunked(shape, inputs) {
            Some(ChunkedJob::split(shape, inputs, weights)?)
        } else {
            None
        };
        let input_commitment = field::fr_to_u256(match &chunked {
            Some(job) => job.input_commitment(),
            None => commitment::job_inputs(shape.kind, inputs, weights),
        });
        let chain_now = self.chain.chain_time().await?;
        let spec = JobSpec {
            shape,
            input_commitment,
            reward,
            deadline: chain_now + deadline_in.as_secs(),
        };
        let (job_id, posted) = self.chain.post_job(&spec, min_stake).await?;
        tracing::info!(target: "requester", %job_id, shape = %shape.name(), %reward, "job posted");

        self.drain_offers();
        let offers: Vec<SignedOffer> = self.offers.values().cloned().collect();
        let choice = arcanum_scheduler::select(
            &spec,
            &offers,
            &[],
            arcanum_protocol::unix_now(),
            &job_id.0.to_be_bytes::<32>(),
        )
        .map_err(|source| RequesterError::NoWorker {
            waited: Duration::ZERO,
            source,
        })?;
        let peer: PeerId = choice
            .peer_id
            .parse()
            .map_err(|_| RequesterError::BadPeer(choice.worker))?;
        self.chain.assign(job_id, choice.worker).await?;
        tracing::info!(target: "requester", %job_id, worker = %choice.worker, %peer, "assigned");

        let request = JobRequest::Run {
            job_id,
            shape,
            inputs: inputs.iter().map(|v| field::vec_to_u256(v)).collect(),
            weights: weights.to_vec(),
        };
        let result = match self.net.request(peer, request).await? {
            JobResponse::Done(r) => *r,
            JobResponse::Rejected(reason) => {
                return Err(RequesterError::Rejected {
                    worker: choice.worker,
                    job: job_id,
                    reason,
                });
            }
        };

        // Trust the chain, not the worker: the job must be completed with the commitment
        // of exactly the output we were handed.
        let info = self.chain.job(job_id).await?;
        let mismatch = |detail: String| RequesterError::Mismatch {
            worker: choice.worker,
            job: job_id,
            detail,
        };
        if info.status != JobStatus::Completed {
            return Err(mismatch(format!("status is {:?}", info.status)));
        }
        let completion = self
            .chain
            .completion(job_id)
            .await?
            .ok_or_else(|| mismatch("no JobCompleted event".into()))?;
        if completion.worker != choice.worker {
            return Err(mismatch(format!("completed by {}", completion.worker)));
        }
        let output = field::vec_from_u256(&result.output).map_err(|e| mismatch(e.to_string()))?;
        let expected = match &chunked {
            Some(job) => job.output_commitment(&output)?,
            None => commitment::job_output(shape.kind, &output),
        };
        if field::fr_to_u256(expected) != completion.output_commitment {
            return Err(mismatch(
                "output does not hash to the proven output commitment".into(),
            ));
        }
        Ok(JobOutcome {
            job_id,
            worker: choice.worker,
            worker_peer: choice.peer_id,
            result,
            output,
            posted,
            offers_seen: offers.len(),
        })
    }
}
