//! The worker role: advertise, bid (an EIP-712 bid is the worker's consent to lock its
//! stake for one attempt of one job), take assigned jobs, compute, prove, submit, get paid;
//! release, without slash, an assigned job whose inputs never came or do not open the
//! posted commitment.

use crate::store::{KeptProof, WorkRecord, WorkState};
use alloy::signers::local::PrivateKeySigner;
use arcanum_chain::{JobStatus, MarketClient};
use arcanum_p2p::{Client, Event, PeerId};
use arcanum_protocol::{
    Bid, JobId, JobKind, JobRequest, JobResponse, JobResult, Offer, RejectReason, ShapeId,
    SignedBid, U256,
};
use arcanum_zk::{
    Fr,
    chunks::{self, ChunkedJob, is_chunked},
    evm, field,
    keys::ShapeKeys,
    kind,
    prover::Statement,
};
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::{
    sync::{Semaphore, mpsc},
    task::JoinHandle,
};

/// How soon an advertisement that reached no peer is retried.
const OFFER_RETRY: Duration = Duration::from_millis(500);

/// A worker's settings.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Lowest reward accepted per job.
    pub min_reward: U256,
    /// Jobs run at once.
    pub capacity: u32,
    /// How often the offer is re-gossiped (peers that connect in between get it from any
    /// peer's offer table).
    pub offer_interval: Duration,
    /// How long an offer stays valid.
    pub offer_ttl: Duration,
    /// How long a signed bid stays usable (chain time).
    pub bid_ttl: Duration,
    /// Least time between now and a job's deadline for the worker to bid on it.
    pub min_time_to_deadline: Duration,
    /// Where proofs, prove times and gas are counted.
    pub metrics: Arc<crate::services::metrics::Metrics>,
    /// Where accepted jobs are kept until they settle (a node's store; none in tests).
    pub store: Option<crate::store::Store>,
    /// How long a proven job waits for others to settle with it in one batch (zero:
    /// batch only what is already queued; see `settle`).
    pub batch_window: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            min_reward: U256::from(1u64),
            capacity: 1,
            offer_interval: Duration::from_secs(10),
            offer_ttl: Duration::from_secs(60),
            bid_ttl: Duration::from_secs(60),
            min_time_to_deadline: Duration::from_secs(10),
            metrics: Arc::default(),
            store: None,
            batch_window: Duration::ZERO,
        }
    }
}

/// A running worker.
#[derive(Debug)]
pub struct WorkerHandle {
    /// Its Ethereum address.
    pub address: arcanum_protocol::Address,
    /// Its libp2p peer id.
    pub peer_id: PeerId,
    task: JoinHandle<()>,
    keeper: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Whether the worker's task has stopped (its event stream closed, or it panicked).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(k) = &self.keeper {
            k.abort();
        }
    }
}

struct Worker {
    chain: MarketClient,
    net: Client,
    signer: PrivateKeySigner,
    config: WorkerConfig,
    keys: Arc<HashMap<ShapeId, Arc<ShapeKeys>>>,
    /// Jobs running now: at most `capacity` (a permit per job).
    slots: Arc<Semaphore>,
    /// Jobs whose inputs arrived and opened the posted commitment.
    started: Mutex<HashSet<JobId>>,
    /// Jobs whose inputs arrived while every slot was taken: they wait for one (the worker
    /// bid on them, so it must run them) and are not released meanwhile.
    queued: Mutex<HashSet<JobId>>,
    /// Jobs whose result is being submitted now (the keeper leaves them alone).
    submitting: Mutex<HashSet<JobId>>,
    /// Settles proven jobs, several in one transaction when several are ready.
    settler: super::settle::Settler,
}

/// Starts a worker on a running network (`events`: the job requests routed to it): its
/// offer loop and its job handler.
pub fn spawn(
    chain: MarketClient,
    signer: PrivateKeySigner,
    keys: Arc<HashMap<ShapeId, Arc<ShapeKeys>>>,
    net: Client,
    mut events: mpsc::Receiver<Event>,
    config: WorkerConfig,
) -> WorkerHandle {
    let address = signer.address();
    let peer_id = net.peer_id();
    let worker = Arc::new(Worker {
        settler: super::settle::Settler::spawn(chain.clone(), config.batch_window),
        chain,
        net: net.clone(),
        signer: signer.clone(),
        slots: Arc::new(Semaphore::new(config.capacity as usize)),
        config: config.clone(),
        keys,
        started: Mutex::new(HashSet::new()),
        queued: Mutex::new(HashSet::new()),
        submitting: Mutex::new(HashSet::new()),
    });
    // The kinds this worker proves: those of its shapes (fl-round aggregates as secagg-sum).
    let mut kinds: Vec<JobKind> = worker.keys.values().map(|k| k.shape.kind).collect();
    if kinds.contains(&JobKind::SecaggSum) {
        kinds.push(JobKind::FlRound);
    }
    kinds.sort_by_key(|k| k.code());
    kinds.dedup();
    tokio::spawn(worker.clone().resume());
    let keeper = worker
        .config
        .store
        .is_some()
        .then(|| tokio::spawn(worker.clone().keep()));
    let task = tokio::spawn(async move {
        // Until one advertisement reaches a peer (none is subscribed yet right after
        // start), it is retried every half second; then every `offer_interval`.
        let mut next_offer = tokio::time::Instant::now();
        let (done_tx, mut done_rx) = mpsc::channel::<()>(16);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next_offer) => {
                    let offer = Offer {
                        peer_id: peer_id.to_base58(),
                        worker: address,
                        kinds: kinds.clone(),
                        shapes: worker.keys.keys().copied().collect(),
                        min_reward: config.min_reward,
                        capacity: config.capacity,
                        expires_at: arcanum_protocol::unix_now() + config.offer_ttl.as_secs(),
                        issued_at_ms: arcanum_protocol::unix_now_ms(),
                    };
                    let published = match offer.sign(&signer) {
                        Ok(signed) => worker.net.publish_offer(signed).await.map_err(|e| {
                            tracing::debug!(target: "worker", "offer not published: {e}");
                        }),
                        Err(e) => {
                            tracing::error!(target: "worker", "cannot sign offer: {e}");
                            Err(())
                        }
                    };
                    let wait = if published.is_ok() {
                        config.offer_interval
                    } else {
                        config.offer_interval.min(OFFER_RETRY)
                    };
                    next_offer = tokio::time::Instant::now() + wait;
                }
                event = events.recv() => match event {
                    Some(Event::JobRequest { from, request, channel }) => {
                        let worker = worker.clone();
                        let done = done_tx.clone();
                        tokio::spawn(async move {
                            let response = worker.clone().handle(from, request).await;
                            if let Err(e) = worker.net.respond(channel, response).await {
                                tracing::warn!(target: "worker", %from, "could not answer: {e}");
                            }
                            let _ = done.send(()).await;
                        });
                    }
                    Some(_) => {}
                    None => return,
                },
                Some(()) = done_rx.recv() => {}
            }
        }
    });
    WorkerHandle {
        address,
        peer_id,
        task,
        keeper,
    }
}

impl Worker {
    async fn handle(self: Arc<Self>, from: PeerId, request: JobRequest) -> JobResponse {
        let job_id = match &request {
            JobRequest::BidRequest { job_id } => {
                return match self.clone().bid(*job_id).await {
                    Ok(bid) => {
                        tracing::info!(target: "worker::bid", job_id = %job_id, %from, ask = %bid.bid.ask, attempt = bid.bid.attempt, "bid signed");
                        JobResponse::Bid(Box::new(bid))
                    }
                    Err(reason) => {
                        tracing::info!(target: "worker::bid", job_id = %job_id, %from, ?reason, "no bid");
                        JobResponse::Rejected(reason)
                    }
                };
            }
            JobRequest::Run { job_id, .. } => *job_id,
            other => {
                return JobResponse::Rejected(RejectReason::NoSuchRole(format!(
                    "a worker does not answer {}",
                    match other {
                        JobRequest::Contribute(_) => "contribution requests",
                        _ => "clerk requests",
                    }
                )));
            }
        };
        let _slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Assigned to us while every slot runs (bids signed at once for several
                // jobs): wait for a slot rather than give up a job we consented to.
                tracing::info!(target: "worker", %job_id, %from, "all {} slots busy; queued", self.config.capacity);
                self.set_queued(job_id, true);
                let slot =
                    tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned()).await;
                self.set_queued(job_id, false);
                match slot {
                    Ok(Ok(slot)) => slot,
                    _ => {
                        tracing::warn!(target: "worker", %job_id, %from, "refused: at capacity for {QUEUE_WAIT:?}");
                        return JobResponse::Rejected(RejectReason::Failed(format!(
                            "at capacity ({} jobs running) for {QUEUE_WAIT:?}",
                            self.config.capacity
                        )));
                    }
                }
            }
        };
        let span = tracing::info_span!("job", %job_id);
        let result = tracing::Instrument::instrument(self.run(request, _slot), span).await;
        if matches!(
            result,
            Err(RejectReason::CommitmentMismatch | RejectReason::BadInputs(_))
        ) {
            // Inputs that do not open the posted commitment: give the job back without slash
            // while the start window is open, rather than be slashed for a job nobody can do.
            self.release_if_unstarted(job_id, "inputs do not open the posted commitment")
                .await;
        }
        match result {
            Ok(result) => {
                tracing::info!(target: "worker", %job_id, %from, tx = %result.tx_hash, "job settled");
                JobResponse::Done(Box::new(result))
            }
            Err(reason) => {
                tracing::warn!(target: "worker", %job_id, %from, ?reason, "job refused");
                JobResponse::Rejected(reason)
            }
        }
    }

    /// Signs a bid for the current attempt of `job_id` if the worker can and wants to run
    /// it, reading every term from the chain; then watches the start window.
    async fn bid(self: Arc<Self>, job_id: JobId) -> Result<SignedBid, RejectReason> {
        let chain_err = |e: arcanum_chain::Error| RejectReason::Failed(e.to_string());
        let decline = |why: String| Err(RejectReason::Declined(why));
        let info = self.chain.job(job_id).await.map_err(chain_err)?;
        if info.status != JobStatus::Open {
            return decline(format!("job is {:?}, not open", info.status));
        }
        let Some(keys) = self.keys.get(&info.shape) else {
            return Err(RejectReason::UnsupportedShape);
        };
        if keys.shape.kind.code() != info.kind {
            return decline(format!(
                "kind {} does not match {}",
                info.kind,
                keys.shape.name()
            ));
        }
        if info.budget < self.config.min_reward {
            return decline(format!(
                "reward {} below this worker's ask {}",
                info.budget, self.config.min_reward
            ));
        }
        if self.slots.available_permits() <= self.queued_len() {
            return decline(format!("at capacity ({})", self.config.capacity));
        }
        let now = self.chain.chain_time().await.map_err(chain_err)?;
        if info.deadline < now + self.config.min_time_to_deadline.as_secs() {
            return decline(format!("deadline {} too close (now {now})", info.deadline));
        }
        let (stake, min_worker_stake) = tokio::try_join!(
            self.chain.stake_of(self.signer.address()),
            self.chain.min_worker_stake()
        )
        .map_err(chain_err)?;
        let needed = info.min_stake.max(min_worker_stake);
        if stake.free() < needed || stake.free().is_zero() {
            return decline(format!("free stake {} below {needed}", stake.free()));
        }
        let bid = Bid {
            job_id,
            worker: self.signer.address(),
            attempt: info.attempts,
            ask: self.config.min_reward,
            max_locked_stake: info.min_stake,
            deadline_at_least: info.deadline,
            expires_at: now + self.config.bid_ttl.as_secs(),
        };
        let signed = bid
            .sign(&self.chain.domain(), &self.signer)
            .map_err(|e| RejectReason::Failed(e.to_string()))?;
        tokio::spawn(self.watch_start_window(job_id, info.attempts));
        Ok(signed)
    }

    /// After a bid, waits for half the start window past the bid's possible assignment;
    /// if the job was assigned to this worker and its inputs never came, releases it.
    async fn watch_start_window(self: Arc<Self>, job_id: JobId, attempt: u16) {
        let Ok(window) = self.chain.start_window().await else {
            return;
        };
        // The bid can be used until it expires; its assignment's window closes `window`
        // later. Check halfway through the window after the latest possible assignment.
        let wait = self.config.bid_ttl + Duration::from_secs(window / 2);
        tokio::time::sleep(wait).await;
        let Ok(info) = self.chain.job(job_id).await else {
            return;
        };
        if info.status == JobStatus::Assigned
            && info.worker == self.signer.address()
            && info.attempts == attempt
        {
            self.release_if_unstarted(job_id, "no inputs arrived").await;
        }
    }

    /// Releases `job_id` unless its inputs arrived and opened the commitment, or wait for
    /// a slot.
    async fn release_if_unstarted(&self, job_id: JobId, why: &str) {
        let has =
            |set: &Mutex<HashSet<JobId>>| set.lock().map(|s| s.contains(&job_id)).unwrap_or(true);
        if has(&self.started) || has(&self.queued) {
            return;
        }
        match self.chain.release(job_id).await {
            Ok(tx) => {
                tracing::warn!(target: "worker", %job_id, tx = %tx.tx_hash, why, "released without slash")
            }
            Err(e) => tracing::warn!(target: "worker", %job_id, why, "could not release: {e}"),
        }
    }

    fn set_queued(&self, job_id: JobId, queued: bool) {
        if let Ok(mut q) = self.queued.lock() {
            if queued {
                q.insert(job_id);
            } else {
                q.remove(&job_id);
            }
        }
    }

    fn queued_len(&self) -> usize {
        self.queued.lock().map(|q| q.len()).unwrap_or(usize::MAX)
    }

    fn mark_started(&self, job_id: JobId) {
        if let Ok(mut s) = self.started.lock() {
            s.insert(job_id);
        }
    }

    /// Persists a job's state (when the worker has a store).
    fn record(
        &self,
        request: &JobRequest,
        state: WorkState,
        tx: Option<String>,
        proof: Option<KeptProof>,
    ) {
        let JobRequest::Run { job_id, .. } = request else {
            return;
        };
        if let Some(store) = &self.config.store {
            let record = WorkRecord {
                request: request.clone(),
                state,
                tx,
                proof,
            };
            if let Err(e) = store.put_work(&job_id.0.to_string(), &record) {
                tracing::error!(target: "worker", %job_id, "cannot persist the job: {e}");
            }
        }
        // Said once it is durable: a node killed after this line resumes the job.
        if state == WorkState::Accepted {
            tracing::info!(target: "worker", %job_id, "inputs open the posted commitment; accepted and proving");
        }
    }

    /// Proves and submits the jobs a previous run of this node accepted but did not settle
    /// (the chain is checked first: a job settled, reassigned or expired meanwhile is
    /// dropped, so nothing is submitted twice).
    async fn resume(self: Arc<Self>) {
        let Some(store) = &self.config.store else {
            return;
        };
        let pending = match store.work_in(WorkState::Accepted) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(target: "worker", "cannot read unfinished jobs: {e}");
                return;
            }
        };
        for (job, record) in pending {
            tracing::info!(target: "worker", job_id = %job, "resuming an accepted job from the store");
            let Ok(slot) = self.slots.clone().acquire_owned().await else {
                return;
            };
            let request = record.request.clone();
            match self.run(request.clone(), slot).await {
                Ok(result) => {
                    tracing::info!(target: "worker", job_id = %job, tx = %result.tx_hash, "resumed job settled");
                }
                Err(reason) => {
                    tracing::warn!(target: "worker", job_id = %job, ?reason, "resumed job dropped");
                    self.record(&request, WorkState::Abandoned, None, None);
                }
            }
        }
    }

    /// Checks, proves and submits a job; the proof is kept in the store (state `Proven`)
    /// before it is submitted, and the keeper resubmits it until the settlement is
    /// confirmed.
    ///
    /// The slot is given back once the proof is kept: a job waiting for its settlement
    /// takes no prover, and proofs waiting together settle in one batch.
    async fn run(
        &self,
        request: JobRequest,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<JobResult, RejectReason> {
        let kept = request.clone();
        let kept = &kept;
        // A job already proven here (a requester that restarted and asks again): answer
        // from the kept proof, submitting it if the chain does not have it yet.
        if let (JobRequest::Run { job_id, .. }, Some(store)) = (&request, &self.config.store)
            && let Ok(Some(rec)) = store.work(&job_id.0.to_string())
            && let (WorkState::Proven | WorkState::Settled, Some(proof)) = (rec.state, rec.proof)
            && rec.request == request
        {
            let info = self
                .chain
                .job(*job_id)
                .await
                .map_err(|e| RejectReason::Failed(e.to_string()))?;
            if info.status == JobStatus::Completed && info.worker == self.chain.account() {
                return Ok(JobResult {
                    job_id: *job_id,
                    output: proof.output,
                    output_commitment: proof.output_commitment,
                    proofs: proof.proofs,
                    tx_hash: rec.tx.and_then(|t| t.parse().ok()).unwrap_or_default(),
                    prove_seconds: proof.prove_seconds,
                });
            }
            drop(slot);
            return self
                .submit(*job_id, (info.shape, info.deadline), &proof)
                .await;
        }
        let JobRequest::Run {
            job_id,
            shape,
            inputs,
            weights,
            anchors,
        } = request
        else {
            return Err(RejectReason::BadInputs("not a run request".into()));
        };
        let me = self.chain.account();
        // The chain, not the requester, is the source of truth for what was agreed.
        let info = self
            .chain
            .job(job_id)
            .await
            .map_err(|e| RejectReason::Failed(e.to_string()))?;
        if info.status != JobStatus::Assigned || info.worker != me {
            return Err(RejectReason::NotAssigned);
        }
        if info.shape != shape.id {
            return Err(RejectReason::BadInputs(format!(
                "job is {} on chain, request says {}",
                info.shape, shape.id
            )));
        }
        let keys = self
            .keys
            .get(&shape.id)
            .ok_or(RejectReason::UnsupportedShape)?;
        if keys.shape != shape {
            return Err(RejectReason::BadInputs(
                "shape parameters differ from the registry".into(),
            ));
        }
        let inputs: Vec<Vec<_>> = inputs
            .iter()
            .map(|v| field::vec_from_u256(v))
            .collect::<Result<_, _>>()
            .map_err(|e| RejectReason::BadInputs(e.to_string()))?;
        let anchors =
            field::vec_from_u256(&anchors).map_err(|e| RejectReason::BadInputs(e.to_string()))?;
        if anchors.len() > inputs.len() {
            return Err(RejectReason::BadInputs(format!(
                "{} anchors for {} inputs",
                anchors.len(),
                inputs.len()
            )));
        }
        if is_chunked(shape, &inputs) {
            return self
                .run_chunked(
                    job_id,
                    keys,
                    inputs,
                    (&weights, &anchors),
                    info.input_commitment,
                    kept,
                )
                .await;
        }
        let width = shape.dims * shape.kind.fields_per_element();
        if inputs.len() != shape.contributors || inputs.iter().any(|v| v.len() != width) {
            return Err(RejectReason::BadInputs(format!(
                "expected {} vectors of {width} field elements",
                shape.contributors
            )));
        }
        let kind = kind::of(shape.kind);
        let input_commitment = kind.input_commitment_anchored(&inputs, &weights, &anchors);
        if field::fr_to_u256(input_commitment) != info.input_commitment {
            return Err(RejectReason::CommitmentMismatch);
        }
        self.mark_started(job_id);
        self.record(kept, WorkState::Accepted, None, None);
        let output = kind
            .execute(shape.dims, &inputs, &weights)
            .map_err(|e| RejectReason::BadInputs(e.to_string()))?;
        let statement = Statement::from_commitments(
            job_id,
            me,
            input_commitment,
            kind.output_commitment(&output),
        )
        .map_err(|e| RejectReason::Failed(e.to_string()))?;

        let keys = Arc::clone(keys);
        let started = Instant::now();
        let words = tokio::task::spawn_blocking(move || {
            kind.prove(&keys, &statement, &inputs, &weights, &anchors)
                .map(|p| evm::proof_to_calldata(&p))
        })
        .await
        .map_err(|e| RejectReason::Failed(format!("prover task: {e}")))?
        .map_err(|e| RejectReason::Failed(e.to_string()))?;
        let prove_seconds = started.elapsed().as_secs_f64();
        tracing::info!(target: "worker::prove", %job_id, prove_seconds, "proved");
        self.config.metrics.observe_prove(1, prove_seconds);

        let proof = KeptProof {
            output: field::vec_to_u256(&output),
            output_commitment: field::fr_to_u256(statement.output_commitment),
            chunk_inputs: vec![],
            chunk_outputs: vec![],
            proofs: vec![words],
            prove_seconds,
        };
        self.record(kept, WorkState::Proven, None, Some(proof.clone()));
        drop(slot);
        self.submit(job_id, (shape.id, info.deadline), &proof).await
    }

    /// A job larger than its shape: split into chunks (checked against the combined
    /// commitment posted on chain), each executed and proven, settled together.
    async fn run_chunked(
        &self,
        job_id: JobId,
        keys: &Arc<ShapeKeys>,
        inputs: Vec<Vec<Fr>>,
        (weights, anchors): (&[i64], &[Fr]),
        posted: U256,
        kept: &JobRequest,
    ) -> Result<JobResult, RejectReason> {
        let bad = |e: arcanum_zk::Error| RejectReason::BadInputs(e.to_string());
        let me = self.chain.account();
        let shape = keys.shape.id;
        let job = ChunkedJob::split_anchored(keys.shape, &inputs, weights, anchors).map_err(bad)?;
        if field::fr_to_u256(job.input_commitment()) != posted {
            return Err(RejectReason::CommitmentMismatch);
        }
        self.mark_started(job_id);
        self.record(kept, WorkState::Accepted, None, None);
        let (keys, chunks) = (Arc::clone(keys), job.chunks.clone());
        let started = Instant::now();
        let (outputs, ocs, proofs) = tokio::task::spawn_blocking(move || {
            let kind = kind::of(keys.shape.kind);
            let mut outputs = Vec::with_capacity(chunks.len());
            let mut ocs = Vec::with_capacity(chunks.len());
            let mut proofs = Vec::with_capacity(chunks.len());
            for chunk in chunks {
                let output = kind
                    .execute(keys.shape.dims, &chunk.inputs, &chunk.weights)
                    .map_err(|e| RejectReason::BadInputs(e.to_string()))?;
                // The chunk's input commitment was computed by the split; only hash the output.
                let stmt = Statement::from_commitments(
                    job_id,
                    me,
                    chunk.input_commitment,
                    kind.output_commitment(&output),
                )
                .map_err(|e| RejectReason::Failed(e.to_string()))?;
                let words = kind
                    .prove(&keys, &stmt, &chunk.inputs, &chunk.weights, &chunk.anchors)
                    .map(|p| evm::proof_to_calldata(&p))
                    .map_err(|e| RejectReason::Failed(e.to_string()))?;
                outputs.push(output);
                ocs.push(field::fr_to_u256(stmt.output_commitment));
                proofs.push(words);
            }
            Ok::<_, RejectReason>((outputs, ocs, proofs))
        })
        .await
        .map_err(|e| RejectReason::Failed(format!("prover task: {e}")))??;
        let prove_seconds = started.elapsed().as_secs_f64();
        tracing::info!(target: "worker::prove", %job_id, chunks = proofs.len(), prove_seconds, "proved");
        self.config
            .metrics
            .observe_prove(proofs.len(), prove_seconds);
        let output = job.join_output(&outputs);
        // The chunks' output commitments are already hashed: combine them, don't re-hash.
        let chunk_ocs = field::vec_from_u256(&ocs).map_err(bad)?;
        let proof = KeptProof {
            output: field::vec_to_u256(&output),
            output_commitment: field::fr_to_u256(chunks::combine(&chunk_ocs)),
            chunk_inputs: job.input_commitments(),
            chunk_outputs: ocs,
            proofs,
            prove_seconds,
        };
        self.record(kept, WorkState::Proven, None, Some(proof.clone()));
        self.submit(job_id, (shape, 0), &proof).await
    }

    /// Submits a kept proof (one proof, batched with others of `shape` when several are
    /// ready, before the job's `deadline`; or a chunked job's proofs together).
    async fn submit(
        &self,
        job_id: JobId,
        (shape, deadline): (ShapeId, u64),
        proof: &KeptProof,
    ) -> Result<JobResult, RejectReason> {
        if let Ok(mut s) = self.submitting.lock() {
            s.insert(job_id);
        }
        let sent = if proof.chunk_inputs.is_empty() {
            match proof.proofs.first() {
                Some(words) => {
                    self.settler
                        .settle(job_id, (shape, deadline), proof.output_commitment, *words)
                        .await
                }
                None => {
                    return Err(RejectReason::Failed("no proof kept".into()));
                }
            }
        } else {
            self.chain
                .submit_chunked_result(
                    job_id,
                    proof.chunk_inputs.clone(),
                    proof.chunk_outputs.clone(),
                    proof.proofs.clone(),
                )
                .await
                .map_err(|e| e.to_string())
        };
        if let Ok(mut s) = self.submitting.lock() {
            s.remove(&job_id);
        }
        let tx = sent.map_err(|e| {
            RejectReason::Failed(format!("{e} (the proof is kept and will be resubmitted)"))
        })?;
        self.config.metrics.gas(tx.gas_used);
        Ok(JobResult {
            job_id,
            output: proof.output.clone(),
            output_commitment: proof.output_commitment,
            proofs: proof.proofs.clone(),
            tx_hash: tx.tx_hash,
            prove_seconds: proof.prove_seconds,
        })
    }

    /// Follows every proven job until the chain watcher confirms its settlement: a
    /// submission that failed (an RPC down) or vanished (a reorg dropped it) is sent
    /// again from the kept proof while the job is still assigned to this worker; a job
    /// settled by the watcher's ledger is marked settled; a job no longer this worker's
    /// (reassigned, expired, cancelled) is abandoned.
    async fn keep(self: Arc<Self>) {
        let Some(store) = self.config.store.clone() else {
            return;
        };
        let me = self.chain.account();
        loop {
            tokio::time::sleep(KEEP_EVERY).await;
            let Ok(proven) = store.work_in(WorkState::Proven) else {
                continue;
            };
            for (job, record) in proven {
                let Ok(id) = U256::from_str_radix(&job, 10) else {
                    continue;
                };
                let job_id = JobId(id);
                if self
                    .submitting
                    .lock()
                    .map(|s| s.contains(&job_id))
                    .unwrap_or(true)
                {
                    continue;
                }
                if let Ok(Some(done)) = store.ledger_completion(id) {
                    let state = if done.event_worker() == Some(me) {
                        tracing::info!(target: "worker", %job_id, tx = %done.tx, block = done.block, "settlement confirmed");
                        WorkState::Settled
                    } else {
                        WorkState::Abandoned
                    };
                    // The proof stays until the settlement is past any reorg the watcher
                    // rolls back (it is a few hundred bytes).
                    self.record(
                        &record.request,
                        state,
                        Some(done.tx.to_string()),
                        record.proof.clone(),
                    );
                    continue;
                }
                let Ok(info) = self.chain.job(job_id).await else {
                    continue;
                };
                let ours = info.worker == me;
                match info.status {
                    // Mined, waiting for confirmations.
                    JobStatus::Completed if ours => {}
                    JobStatus::Assigned if ours => {
                        let Some(proof) = record.proof.clone() else {
                            continue;
                        };
                        let now = self.chain.chain_time().await.unwrap_or(0);
                        if now > info.deadline {
                            tracing::warn!(target: "worker", %job_id, deadline = info.deadline, "deadline passed before the settlement was confirmed; dropping the proof");
                            self.record(&record.request, WorkState::Abandoned, None, None);
                            continue;
                        }
                        tracing::warn!(target: "worker", %job_id, "job still assigned to this worker with no settlement on chain: resubmitting the kept proof");
                        match self
                            .submit(job_id, (info.shape, info.deadline), &proof)
                            .await
                        {
                            Ok(r) => {
                                tracing::info!(target: "worker", %job_id, tx = %r.tx_hash, "resubmitted")
                            }
                            Err(e) => {
                                tracing::warn!(target: "worker", %job_id, ?e, "resubmission failed; retrying")
                            }
                        }
                    }
                    _ => {
                        tracing::warn!(target: "worker", %job_id, status = ?info.status, "job is no longer this worker's; dropping its proof");
                        self.record(&record.request, WorkState::Abandoned, None, None);
                    }
                }
            }
        }
    }
}

/// How long a job assigned to this worker waits for a free slot (inside the requester's
/// 300 s request timeout).
const QUEUE_WAIT: Duration = Duration::from_secs(240);

/// How often the keeper looks at proven jobs.
const KEEP_EVERY: Duration = Duration::from_secs(2);
