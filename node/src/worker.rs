//! The worker role: advertise, take assigned jobs, compute, prove, submit, get paid.

use alloy::signers::local::PrivateKeySigner;
use arcanum_compute::executor;
use arcanum_compute::executor::Witness;
use arcanum_oracle::{JobStatus, MarketClient};
use arcanum_p2p::{Client, Event, Multiaddr, PeerId};
use arcanum_protocol::{
    JobId, JobKind, JobRequest, JobResponse, JobResult, Offer, RejectReason, ShapeId, U256,
};
use arcanum_zk::{
    Fr,
    chunks::{self, ChunkedJob, is_chunked},
    commitment, evm, field, he_linear,
    keys::ShapeKeys,
    prover::{self, Statement},
};
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{sync::mpsc, task::JoinHandle};

/// A worker's settings.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Lowest reward accepted per job.
    pub min_reward: U256,
    /// Jobs run at once.
    pub capacity: u32,
    /// How often the offer is re-gossiped.
    pub offer_interval: Duration,
    /// How long an offer stays valid.
    pub offer_ttl: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            min_reward: U256::from(1u64),
            capacity: 1,
            offer_interval: Duration::from_millis(500),
            offer_ttl: Duration::from_secs(60),
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
    /// The address it listens on.
    pub listen_addr: Multiaddr,
    task: JoinHandle<()>,
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Worker {
    chain: MarketClient,
    net: Client,
    keys: Arc<HashMap<ShapeId, Arc<ShapeKeys>>>,
}

/// Starts a worker: its network, its offer loop and its job handler.
pub async fn spawn(
    chain: MarketClient,
    signer: PrivateKeySigner,
    keys: Arc<HashMap<ShapeId, Arc<ShapeKeys>>>,
    listen: Multiaddr,
    bootstrap: Vec<Multiaddr>,
    config: WorkerConfig,
) -> eyre::Result<WorkerHandle> {
    let (net, mut events, event_loop) =
        arcanum_p2p::new(arcanum_p2p::Keypair::generate_ed25519(), Default::default())?;
    tokio::spawn(event_loop.run());
    let listen_addr = net.listen(listen).await?;
    for addr in bootstrap {
        net.dial(addr).await?;
    }
    let address = signer.address();
    let peer_id = net.peer_id();
    let worker = Arc::new(Worker {
        chain,
        net: net.clone(),
        keys,
    });
    // The kinds this worker proves: those of its shapes (fl-round aggregates as secagg-sum).
    let mut kinds: Vec<JobKind> = worker.keys.values().map(|k| k.shape.kind).collect();
    if kinds.contains(&JobKind::SecaggSum) {
        kinds.push(JobKind::FlRound);
    }
    kinds.sort_by_key(|k| k.code());
    kinds.dedup();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(config.offer_interval);
        let (done_tx, mut done_rx) = mpsc::channel::<()>(16);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let offer = Offer {
                        peer_id: peer_id.to_base58(),
                        worker: address,
                        kinds: kinds.clone(),
                        shapes: worker.keys.keys().copied().collect(),
                        min_reward: config.min_reward,
                        capacity: config.capacity,
                        expires_at: arcanum_protocol::unix_now() + config.offer_ttl.as_secs(),
                    };
                    match offer.sign(&signer) {
                        Ok(signed) => if let Err(e) = worker.net.publish_offer(signed).await {
                            tracing::debug!(target: "worker", "offer not published: {e}");
                        },
                        Err(e) => tracing::error!(target: "worker", "cannot sign offer: {e}"),
                    }
                }
                event = events.recv() => match event {
                    Some(Event::JobRequest { from, request, channel }) => {
                        let worker = worker.clone();
                        let done = done_tx.clone();
                        tokio::spawn(async move {
                            let response = worker.handle(from, request).await;
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
    Ok(WorkerHandle {
        address,
        peer_id,
        listen_addr,
        task,
    })
}

impl Worker {
    async fn handle(&self, from: PeerId, request: JobRequest) -> JobResponse {
        let JobRequest::Run { job_id, .. } = &request;
        let job_id = *job_id;
        match self.run(request).await {
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

    async fn run(&self, request: JobRequest) -> Result<JobResult, RejectReason> {
        let JobRequest::Run {
            job_id,
            shape,
            inputs,
            weights,
        } = request;
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
        if is_chunked(shape, &inputs) {
            return self
                .run_chunked(job_id, keys, inputs, &weights, info.input_commitment)
                .await;
        }
        let width = shape.dims * shape.kind.fields_per_element();
        if inputs.len() != shape.contributors || inputs.iter().any(|v| v.len() != width) {
            return Err(RejectReason::BadInputs(format!(
                "expected {} vectors of {width} field elements",
                shape.contributors
            )));
        }
        let input_commitment = commitment::job_inputs(shape.kind, &inputs, &weights);
        if field::fr_to_u256(input_commitment) != info.input_commitment {
            return Err(RejectReason::CommitmentMismatch);
        }
        let execution = executor::execute(shape.kind, shape.dims, inputs, &weights)
            .map_err(|e| RejectReason::BadInputs(e.to_string()))?;
        let output = execution.output;
        let statement = Statement::from_commitments(
            job_id,
            me,
            input_commitment,
            commitment::job_output(shape.kind, &output),
        )
        .map_err(|e| RejectReason::Failed(e.to_string()))?;

        let keys = Arc::clone(keys);
        let started = Instant::now();
        let witness = execution.witness;
        let words = tokio::task::spawn_blocking(move || prove_witness(&keys, &statement, witness))
            .await
            .map_err(|e| RejectReason::Failed(format!("prover task: {e}")))?
            .map_err(|e| RejectReason::Failed(e.to_string()))?;
        let prove_seconds = started.elapsed().as_secs_f64();
        tracing::info!(target: "worker::prove", %job_id, prove_seconds, "proved");

        let output_commitment = field::fr_to_u256(statement.output_commitment);
        let tx = self
            .chain
            .submit_result(job_id, output_commitment, words)
            .await
            .map_err(|e| RejectReason::Failed(e.to_string()))?;
        Ok(JobResult {
            job_id,
            output: field::vec_to_u256(&output),
            output_commitment,
            proofs: vec![words],
            tx_hash: tx.tx_hash,
            prove_seconds,
        })
    }

    /// A job larger than its shape: split into chunks (checked against the combined
    /// commitment posted on chain), each executed and proven, settled together.
    async fn run_chunked(
        &self,
        job_id: JobId,
        keys: &Arc<ShapeKeys>,
        inputs: Vec<Vec<Fr>>,
        weights: &[i64],
        posted: U256,
    ) -> Result<JobResult, RejectReason> {
        let bad = |e: arcanum_zk::Error| RejectReason::BadInputs(e.to_string());
        let me = self.chain.account();
        let job = ChunkedJob::split(keys.shape, &inputs, weights).map_err(bad)?;
        if field::fr_to_u256(job.input_commitment()) != posted {
            return Err(RejectReason::CommitmentMismatch);
        }
        let (keys, chunks) = (Arc::clone(keys), job.chunks.clone());
        let started = Instant::now();
        let (outputs, ocs, proofs) = tokio::task::spawn_blocking(move || {
            let shape = keys.shape;
            let mut outputs = Vec::with_capacity(chunks.len());
            let mut ocs = Vec::with_capacity(chunks.len());
            let mut proofs = Vec::with_capacity(chunks.len());
            for chunk in chunks {
                let execution =
                    executor::execute(shape.kind, shape.dims, chunk.inputs, &chunk.weights)
                        .map_err(|e| RejectReason::BadInputs(e.to_string()))?;
                // The chunk's input commitment was computed by the split; only hash the output.
                let stmt = Statement::from_commitments(
                    job_id,
                    me,
                    chunk.input_commitment,
                    commitment::job_output(shape.kind, &execution.output),
                )
                .map_err(|e| RejectReason::Failed(e.to_string()))?;
                let words = prove_witness(&keys, &stmt, execution.witness)
                    .map_err(|e| RejectReason::Failed(e.to_string()))?;
                outputs.push(execution.output);
                ocs.push(field::fr_to_u256(stmt.output_commitment));
                proofs.push(words);
            }
            Ok::<_, RejectReason>((outputs, ocs, proofs))
        })
        .await
        .map_err(|e| RejectReason::Failed(format!("prover task: {e}")))??;
        let prove_seconds = started.elapsed().as_secs_f64();
        tracing::info!(target: "worker::prove", %job_id, chunks = proofs.len(), prove_seconds, "proved");
        let output = job.join_output(&outputs);
        // The chunks' output commitments are already hashed: combine them, don't re-hash.
        let chunk_ocs = field::vec_from_u256(&ocs).map_err(bad)?;
        let output_commitment = field::fr_to_u256(chunks::combine(&chunk_ocs));
        let tx = self
            .chain
            .submit_chunked_result(job_id, job.input_commitments(), ocs, proofs.clone())
            .await
            .map_err(|e| RejectReason::Failed(e.to_string()))?;
        Ok(JobResult {
            job_id,
            output: field::vec_to_u256(&output),
            output_commitment,
            proofs,
            tx_hash: tx.tx_hash,
            prove_seconds,
        })
    }
}

/// Proves `statement` from an executor's witness, by job kind, as EVM calldata words.
fn prove_witness(
    keys: &ShapeKeys,
    statement: &Statement,
    witness: Witness,
) -> arcanum_zk::Result<[U256; 8]> {
    let proof = match witness {
        Witness::SecaggSum { inputs } => prover::prove_secagg_sum(keys, statement, &inputs),
        Witness::HeLinear {
            inputs, weights, ..
        } => {
            let inputs: Vec<Vec<he_linear::Ciphertext>> = inputs
                .iter()
                .map(|v| {
                    v.iter()
                        .map(|c| he_linear::Ciphertext { c1: c.c1, c2: c.c2 })
                        .collect()
                })
                .collect();
            prover::prove_he_linear_with_rng(
                keys,
                statement,
                &inputs,
                &weights,
                &mut rand::rngs::OsRng,
            )
        }
    }?;
    Ok(evm::proof_to_calldata(&proof))
}
