//! A whole Arcanum system on this machine. [`cluster`] is `arcanum devnet`: Anvil, the
//! contracts deployed, and every node its own `arcanum node run` process, driven through
//! their APIs. [`Devnet`] is the in-process fixture the lower-level end-to-end tests use
//! (the same roles as library objects on loopback libp2p). Both run the same jobs: one
//! `secagg-sum` job: four data owners holding shares of Fisher's Iris data set compute the
//! per-column mean and standard deviation of all 150 flowers without any party seeing
//! another's rows. Each owner masks its moment vector with random pads (Shamir-shared to a
//! committee of clerks); the chosen worker sums only masked vectors, proves the sum with
//! Groth16, and is paid by the contract once the proof verifies.
//!
//! Then an `he-linear` job: a committee of five runs a distributed key generation; the four
//! data owners encrypt integer statistics of their rows (row count, column sums in mm, a
//! petal-length histogram) under the joint key; a worker sums the ciphertexts and proves
//! it; any three committee members decrypt the proven sum with DLEQ-checked shares.

pub mod cluster;
pub mod scale;

use crate::{
    requester::Requester,
    services::network::Network,
    tools,
    worker::{self, WorkerConfig, WorkerHandle},
};
use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use arcanum_chain::{ChainConfig, MarketClient, MarketParams};
use arcanum_compute::{
    dataset,
    elgamal::{
        BsgsTable,
        dkg::{self, DkgParams},
    },
    executor,
    fixed::FixedPoint,
    secagg::{self, Clerk, Committee},
};
use arcanum_p2p::{Keypair, Multiaddr, NetworkConfig};
use arcanum_protocol::{Address, Shape, ShapeId, U256};
use arcanum_zk::{
    Fr, field,
    keys::{KeyStore, ShapeKeys},
    shapes,
};
use eyre::{WrapErr, eyre};
use rand::RngCore;
use serde::Serialize;
use std::{collections::HashMap, fmt, path::PathBuf, sync::Arc, time::Duration};

/// A `secagg-sum-4x8` job of small distinct values (`seed` keeps each job's commitment
/// its own), reward 25 ARC, stake 100 ARC: what the load and scale benches submit.
pub fn small_job(seed: u64, deadline_secs: u64) -> crate::store::JobSubmission {
    crate::store::JobSubmission {
        shape: shapes::SECAGG_SUM_4X8.name(),
        inputs: (0..4u64)
            .map(|i| {
                (0..8u64)
                    .map(|j| (seed * 1_000 + i * 8 + j).to_string())
                    .collect()
            })
            .collect(),
        weights: vec![],
        anchors: vec![],
        reward_wei: arc(25).to_string(),
        min_stake_wei: arc(100).to_string(),
        deadline_secs,
        stats: None,
        fl: None,
    }
}

/// One ARC in base units (18 decimals).
pub fn arc(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// Devnet settings.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// Where dev keys are cached.
    pub data_dir: PathBuf,
    /// Number of workers.
    pub workers: usize,
    /// Reward per job.
    pub reward: U256,
    /// Stake each worker deposits.
    pub worker_stake: U256,
    /// Stake a worker locks per job.
    pub job_stake: U256,
    /// Job deadline from posting.
    pub deadline: Duration,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".arcanum/devnet"),
            workers: 2,
            reward: arc(25),
            worker_stake: arc(500),
            job_stake: arc(100),
            deadline: Duration::from_secs(600),
        }
    }
}

/// A running devnet. Everything stops when it is dropped (Anvil is killed).
pub struct Devnet {
    /// The Anvil node.
    pub anvil: AnvilInstance,
    /// Chain settings.
    pub chain: ChainConfig,
    /// The deployer / owner's client.
    pub owner: MarketClient,
    /// The requester.
    pub requester: Requester,
    /// The address the requester's network listens on (workers dial it).
    pub requester_addr: Multiaddr,
    /// Running workers.
    pub workers: Vec<WorkerHandle>,
    /// The networks of the requester and the workers (stopped on drop).
    _networks: Vec<Network>,
    /// Proving keys by shape.
    pub keys: Arc<HashMap<ShapeId, Arc<ShapeKeys>>>,
    config: DevnetConfig,
}

/// The ask of devnet worker `i`: 10 ARC, 11 ARC, ...
pub fn worker_ask(i: usize) -> U256 {
    arc(10 + i as u64)
}

/// Anvil's account indices by role.
pub(crate) const OWNER: usize = 0;
pub(crate) const REQUESTER: usize = 1;
pub(crate) const FIRST_WORKER: usize = 2;
/// EIP-1108 floor of a Groth16 verification with 4 public inputs: 4 pairings plus one
/// `ecMul` and one `ecAdd` per input.
pub const PAIRING_FLOOR_GAS: u64 = 45_000 + 4 * 34_000 + 4 * (6_000 + 150);
pub(crate) const DAPP: usize = 7;
/// The devnet's oracle node (`arcanum devnet`'s cluster of processes).
pub(crate) const ORACLE_NODE: usize = 8;
/// First key of the data owners (the devnet's Anvil has 20 accounts).
pub(crate) const FIRST_OWNER: usize = 10;
/// The data-oracle feed the devnet's dApp asks for.
pub(crate) const IRIS_FEED: &[u8] = b"iris/sepal_length/mean";

impl Devnet {
    /// Starts Anvil, deploys, funds and stakes, and starts the requester and workers.
    pub async fn start(config: DevnetConfig) -> eyre::Result<Self> {
        let anvil_bin = tools::find("anvil")?;
        let anvil = Anvil::new()
            .path(anvil_bin)
            .try_spawn()
            .wrap_err("cannot start anvil; is tools/bin/anvil executable? (`make tools`)")?;
        let chain = ChainConfig::new(anvil.endpoint());
        tracing::info!(target: "devnet", rpc = %chain.rpc_url, "anvil up");

        let keys = load_keys(config.data_dir.join("keys")).await?;
        let signer = |i: usize| -> PrivateKeySigner { anvil.keys()[i].clone().into() };
        let shapes_to_deploy: Vec<Shape> = keys.values().map(|k| k.shape).collect();
        let params = MarketParams {
            unbonding_delay: 3600,
            min_worker_stake: config.job_stake,
            treasury: signer(OWNER).address(),
            // The requester's node also serves the data oracle.
            oracle_nodes: vec![signer(REQUESTER).address()],
            oracle_circuits: vec![],
        };
        let owner = MarketClient::deploy(chain.clone(), signer(OWNER), &shapes_to_deploy, &params)
            .await
            .wrap_err("deploying contracts")?;
        tracing::info!(target: "devnet", market = %owner.deployment().market, "contracts deployed");

        let requester_chain = owner.with_signer(signer(REQUESTER)).await?;
        owner.mint(requester_chain.account(), arc(10_000)).await?;
        let loopback: Multiaddr = "/ip4/127.0.0.1/tcp/0".parse()?;
        let requester_net = Network::start(
            Keypair::generate_ed25519(),
            std::slice::from_ref(&loopback),
            &[],
            NetworkConfig::default(),
        )
        .await?;
        let requester_addr = requester_net.listen_addrs[0].clone();
        let requester = Requester::new(requester_chain, requester_net.client.clone());
        let mut networks = vec![requester_net];

        let mut workers = Vec::new();
        for i in 0..config.workers {
            let key = signer(FIRST_WORKER + i);
            let chain_client = owner.with_signer(key.clone()).await?;
            owner
                .mint(chain_client.account(), config.worker_stake)
                .await?;
            chain_client.stake(config.worker_stake).await?;
            let mut net = Network::start(
                Keypair::generate_ed25519(),
                std::slice::from_ref(&loopback),
                std::slice::from_ref(&requester_addr),
                NetworkConfig::default(),
            )
            .await?;
            let events = net
                .take_events()
                .ok_or_else(|| eyre!("network events already taken"))?;
            let handle = worker::spawn(
                chain_client,
                key,
                keys.clone(),
                net.client.clone(),
                events,
                WorkerConfig {
                    // Workers ask different prices, so the reverse auction has a winner to
                    // find and the requester gets the difference back.
                    min_reward: worker_ask(i),
                    ..WorkerConfig::default()
                },
            );
            networks.push(net);
            tracing::info!(target: "devnet", worker = %handle.address, peer = %handle.peer_id, "worker up");
            workers.push(handle);
        }
        Ok(Self {
            anvil,
            chain,
            owner,
            requester,
            requester_addr,
            workers,
            _networks: networks,
            keys,
            config,
        })
    }

    /// Anvil account `i`'s key (0 owner, 1 requester and oracle node, 2.. workers, 7 the
    /// dApp; 8 and 9 are free for tests).
    pub fn signer(&self, i: usize) -> PrivateKeySigner {
        self.anvil.keys()[i].clone().into()
    }

    /// Runs the Iris statistics job end to end and reports it.
    pub async fn run_iris_job(&mut self) -> eyre::Result<DevnetReport> {
        let shape = shapes::SECAGG_SUM_4X8;
        let job = IrisJob::prepare(shape)?;
        let heard = self
            .requester
            .wait_for_offers(self.workers.len(), Duration::from_secs(30))
            .await;
        if heard == 0 {
            return Err(eyre!(
                "no worker advertised within 30s; check the workers' logs"
            ));
        }
        let outcome = self
            .requester
            .run_job(
                shape,
                &job.masked,
                &[],
                self.config.reward,
                self.config.deadline,
                self.config.job_stake,
            )
            .await?;
        let input_commitment = job.input_commitment;
        let (plaintext_means, plaintext_stds) = (job.plain_means.clone(), job.plain_stds.clone());
        let (means, stds) = job.finish(&outcome.output)?;

        let worker_chain = self
            .owner
            .with_signer(self.signer(self.worker_index(outcome.worker)?))
            .await?;
        let before = worker_chain.balance_of(outcome.worker).await?;
        let claimed = worker_chain.claim().await?;
        let after = worker_chain.balance_of(outcome.worker).await?;
        let proof = *outcome
            .result
            .proofs
            .first()
            .ok_or_else(|| eyre!("the worker reported no proof"))?;
        let inputs = [
            outcome.job_id.0,
            U256::from_be_slice(outcome.worker.as_slice()),
            input_commitment,
            outcome.result.output_commitment,
        ];
        if !self.owner.verify_on_chain(shape.id, proof, inputs).await? {
            return Err(eyre!(
                "the settled proof does not verify through the verifier contract"
            ));
        }
        let verify_gas = self.owner.verify_gas(shape.id, proof, inputs).await?;
        let submit_gas = self.gas_used(outcome.result.tx_hash).await;
        Ok(DevnetReport {
            rpc_url: self.chain.rpc_url.clone(),
            market: self.owner.deployment().market,
            dataset: "iris (150 rows, 4 columns), split among 4 data owners".into(),
            job_id: outcome.job_id.0.to_string(),
            shape: shape.name(),
            offers_seen: outcome.offers_seen,
            bids_seen: outcome.bids_seen,
            ask: outcome.ask,
            assign_gas: outcome.assigned.gas_used,
            bid_to_assignment_seconds: outcome.bid_to_assignment.as_secs_f64(),
            chosen_worker: outcome.worker,
            chosen_peer: outcome.worker_peer.clone(),
            prove_seconds: outcome.result.prove_seconds,
            submit_result_gas: submit_gas,
            verify_proof_gas: verify_gas.tx_gas,
            verify_exec_gas: verify_gas.execution(),
            verify_gas_over_floor_pct: (verify_gas.execution() as f64 / PAIRING_FLOOR_GAS as f64
                - 1.0)
                * 100.0,
            claim_gas: claimed.gas_used,
            reward: self.config.reward,
            balance_before: before,
            balance_after: after,
            means,
            stds,
            plaintext_means,
            plaintext_stds,
            stats_job_seconds: None,
            stats_contributors: None,
            contributor_bytes_sent: None,
            committee_choice_verified: None,
            outcome_tx: outcome.result.tx_hash.to_string(),
            // The in-process fixture runs no data-oracle node (its job anchors no shares):
            // the oracle is `arcanum devnet`'s, with real node processes.
            oracle_feed: String::new(),
            oracle_value: None,
            oracle_block: None,
            oracle_fulfil_gas: None,
            finalize_prove_seconds: None,
            oracle_job_id: None,
            oracle_request_to_fulfil_seconds: None,
            he_linear: None,
            fl: None,
        })
    }

    /// Runs the joint-statistics `he-linear` job end to end under a threshold key and
    /// reports it (see the module docs).
    pub async fn run_he_job(&mut self) -> eyre::Result<HeReport> {
        let job = HeJob::prepare()?;
        self.requester
            .wait_for_offers(self.workers.len(), Duration::from_secs(30))
            .await;
        let outcome = self
            .requester
            .run_job(
                job.shape,
                &job.inputs,
                &job.weights,
                self.config.reward,
                self.config.deadline,
                self.config.job_stake,
            )
            .await?;
        let submit_gas = self.gas_used(outcome.result.tx_hash).await;
        job.finish(
            &outcome.output,
            outcome.job_id.0.to_string(),
            outcome.worker,
            outcome.result.prove_seconds,
            submit_gas,
        )
    }

    /// Gas a mined transaction used (0 if its receipt cannot be read).
    async fn gas_used(&self, tx: alloy::primitives::B256) -> u64 {
        self.owner
            .provider()
            .get_transaction_receipt(tx)
            .await
            .ok()
            .flatten()
            .map_or(0, |r| r.gas_used)
    }

    fn worker_index(&self, worker: Address) -> eyre::Result<usize> {
        (0..self.workers.len())
            .map(|i| FIRST_WORKER + i)
            .find(|i| self.signer(*i).address() == worker)
            .ok_or_else(|| eyre!("{worker} is not a devnet worker"))
    }
}

async fn load_keys(dir: PathBuf) -> eyre::Result<Arc<HashMap<ShapeId, Arc<ShapeKeys>>>> {
    let keys =
        tokio::task::spawn_blocking(move || -> eyre::Result<HashMap<ShapeId, Arc<ShapeKeys>>> {
            let store = KeyStore::dev(dir);
            let keys: HashMap<ShapeId, Arc<ShapeKeys>> = shapes::ALL
                .iter()
                .map(|s| Ok((s.id, Arc::new(store.load_or_setup(s)?))))
                .collect::<eyre::Result<_>>()?;
            // The prover's tables of the shapes the devnet's jobs use, built before any job
            // so that the reported prove times are those of a running worker.
            for shape in [shapes::SECAGG_SUM_4X8, shapes::HE_LINEAR_4X8] {
                if let Some(k) = keys.get(&shape.id) {
                    k.prover_tables();
                }
            }
            Ok(keys)
        })
        .await??;
    Ok(Arc::new(keys))
}

/// The data owners' side of the Iris job: masked inputs out, statistics back.
pub(crate) struct IrisJob {
    pub(crate) masked: Vec<Vec<Fr>>,
    pub(crate) input_commitment: U256,
    clerks: Vec<Clerk>,
    committee: Committee,
    rows: usize,
    codec: FixedPoint,
    pub(crate) plain_means: Vec<f64>,
    pub(crate) plain_stds: Vec<f64>,
}

impl IrisJob {
    pub(crate) fn prepare(shape: Shape) -> eyre::Result<Self> {
        let table = dataset::iris();
        let codec = FixedPoint::default();
        let committee = Committee::plain(3, 2);
        let mut clerks: Vec<Clerk> = (1..=committee.clerks as u64)
            .map(|i| Clerk::new(i, committee.share_len(shape.dims)))
            .collect();
        let mut rng = rand::rngs::OsRng;
        let mut masked = Vec::new();
        for part in dataset::partition(&table.rows, shape.contributors) {
            let values = codec.encode_vec(&dataset::moments(&part))?;
            let c = secagg::contribute(&values, committee, &mut rng)?;
            for (clerk, share) in clerks.iter_mut().zip(&c.pad_shares) {
                clerk.absorb(share)?;
            }
            masked.push(c.masked);
        }
        let (plain_means, plain_stds) =
            dataset::mean_std(&dataset::moments(&table.rows), table.rows.len());
        let input_commitment = field::fr_to_u256(arcanum_zk::commitment::inputs(&masked));
        Ok(Self {
            masked,
            input_commitment,
            clerks,
            committee,
            rows: table.rows.len(),
            codec,
            plain_means,
            plain_stds,
        })
    }

    /// Removes the pads with `threshold` clerks (the first clerk has "dropped out").
    pub(crate) fn finish(self, aggregate: &[Fr]) -> eyre::Result<(Vec<f64>, Vec<f64>)> {
        let sums: Vec<_> = self.clerks.into_iter().skip(1).map(Clerk::finish).collect();
        let plain = secagg::unmask(aggregate, &sums, self.committee)?;
        Ok(dataset::mean_std(&self.codec.decode_vec(&plain), self.rows))
    }
}

/// What `arcanum devnet` reports.
#[derive(Clone, Debug, Serialize)]
pub struct DevnetReport {
    /// Anvil's endpoint.
    pub rpc_url: String,
    /// Market address.
    pub market: Address,
    /// The data.
    pub dataset: String,
    /// On-chain job id.
    pub job_id: String,
    /// Circuit shape.
    pub shape: String,
    /// Offers the requester had heard.
    pub offers_seen: usize,
    /// Signed bids it received.
    pub bids_seen: usize,
    /// The winning ask: what the worker is paid (the rest of the reward was refunded).
    pub ask: U256,
    /// Gas of the `assignWithBid` transaction.
    pub assign_gas: u64,
    /// Seconds from the job posted to its assignment (bids requested, stakes read, the
    /// assignment mined).
    pub bid_to_assignment_seconds: f64,
    /// Worker chosen by the scheduler.
    pub chosen_worker: Address,
    /// Its peer id.
    pub chosen_peer: String,
    /// Seconds the worker spent proving.
    pub prove_seconds: f64,
    /// Gas used by the `submitResult` transaction.
    pub submit_result_gas: u64,
    /// Gas of a bare `verifyProof` transaction.
    pub verify_proof_gas: u64,
    /// Of which executing the verifier (without the intrinsic 21,000 + calldata).
    pub verify_exec_gas: u64,
    /// How far verifier execution sits above the EIP-1108 floor for 4 public inputs
    /// (181,000 + 4 x 6,150 = 205,600), in percent.
    pub verify_gas_over_floor_pct: f64,
    /// Gas used by `claim`.
    pub claim_gas: u64,
    /// Reward posted (base units).
    pub reward: U256,
    /// Worker token balance before claiming.
    pub balance_before: U256,
    /// After claiming.
    pub balance_after: U256,
    /// Column means computed through secure aggregation.
    pub means: Vec<f64>,
    /// Column standard deviations computed through secure aggregation.
    pub stds: Vec<f64>,
    /// The same computed in the clear, for comparison.
    pub plaintext_means: Vec<f64>,
    /// The same computed in the clear.
    pub plaintext_stds: Vec<f64>,
    /// Joint statistic with data-owner nodes: seconds from submission to the statistics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats_job_seconds: Option<f64>,
    /// Data owners that contributed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats_contributors: Option<usize>,
    /// Most bytes one owner sent for the job (shares and masked vector, as encoded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contributor_bytes_sent: Option<u64>,
    /// Whether the clerks' stake-weighted draw recomputed identically from the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committee_choice_verified: Option<bool>,
    /// The `submitResult` transaction.
    pub outcome_tx: String,
    /// The data-oracle feed the dApp asked for.
    pub oracle_feed: String,
    /// The value the oracle stored for it (proven from the job).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle_value: Option<f64>,
    /// Block of fulfilment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle_block: Option<u64>,
    /// Gas of the fulfilment (two clerk proofs and the finalize proof checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle_fulfil_gas: Option<u64>,
    /// Seconds the oracle node took to prove the value (finalize proof).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finalize_prove_seconds: Option<f64>,
    /// The on-chain job backing the value (the oracle node's own run of the feed's job,
    /// in the cluster of processes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle_job_id: Option<String>,
    /// From the dApp's request mined to its fulfilment by the oracle node's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle_request_to_fulfil_seconds: Option<f64>,
    /// The `he-linear` joint-statistics job, when run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub he_linear: Option<HeReport>,
    /// The training job (`--fl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fl: Option<FlReport>,
}

/// The data owners' and key committee's side of the `he-linear` job: a 3-of-5 DKG, each
/// owner's integer statistics encrypted under the joint key; the proven sum decrypted by
/// three members with checked shares.
pub(crate) struct HeJob {
    pub(crate) shape: Shape,
    pub(crate) inputs: Vec<Vec<Fr>>,
    pub(crate) weights: Vec<i64>,
    plain: Vec<Vec<i64>>,
    group: arcanum_compute::elgamal::GroupKey,
    key_shares: Vec<arcanum_compute::elgamal::KeyShare>,
    parties: u32,
    threshold: u32,
}

impl HeJob {
    pub(crate) fn prepare() -> eyre::Result<Self> {
        let shape = shapes::HE_LINEAR_4X8;
        let mut rng = rand::rngs::OsRng;
        let (parties, threshold) = (5u32, 3u32);
        let mut session = [0u8; 32];
        rng.fill_bytes(&mut session);
        let (group, key_shares) =
            dkg::run_honest(&DkgParams::new(parties, threshold, session)?, &mut rng)?;
        let key = group.public_key().precompute();
        let table = dataset::iris();
        let plain: Vec<Vec<i64>> = dataset::partition(&table.rows, shape.contributors)
            .iter()
            .map(|rows| iris_integer_stats(rows))
            .collect();
        let inputs = plain
            .iter()
            .map(|v| executor::encode_ciphertexts(&key.encrypt_vec(v, &mut rng)))
            .collect();
        Ok(Self {
            shape,
            inputs,
            weights: vec![1i64; shape.contributors],
            plain,
            group,
            key_shares,
            parties,
            threshold,
        })
    }

    /// Decrypts the proven sum with three members' shares (the first has "dropped out"),
    /// checks it against the plaintext sum, and reports.
    pub(crate) fn finish(
        self,
        output: &[Fr],
        job_id: String,
        worker: Address,
        prove_seconds: f64,
        submit_result_gas: u64,
    ) -> eyre::Result<HeReport> {
        let mut rng = rand::rngs::OsRng;
        let dims = self.shape.dims;
        let sum = executor::decode_ciphertexts(&[output.to_vec()], dims)?.remove(0);
        let partials: Vec<_> = self
            .key_shares
            .iter()
            .skip(1)
            .take(self.threshold as usize)
            .map(|s| s.partial_decrypt(&self.group, &sum, &mut rng))
            .collect();
        let decrypted = self.group.combine(&sum, &partials, &BsgsTable::new(20)?)?;
        let expected: Vec<i64> = (0..dims)
            .map(|j| self.plain.iter().map(|v| v[j]).sum())
            .collect();
        if decrypted.values != expected {
            return Err(eyre!(
                "threshold decryption gave {:?}, the plaintext sum is {expected:?}",
                decrypted.values
            ));
        }
        Ok(HeReport {
            job_id,
            shape: self.shape.name(),
            committee: format!("{} of {}", self.threshold, self.parties),
            decrypted_by: decrypted.used,
            chosen_worker: worker,
            prove_seconds,
            submit_result_gas,
            dkg_seconds: None,
            statistics: IRIS_INTEGER_STATS.iter().map(|s| s.to_string()).collect(),
            decrypted: decrypted.values,
            plaintext: expected,
        })
    }
}

/// The integer statistics each data owner encrypts in the `he-linear` job.
pub(crate) const IRIS_INTEGER_STATS: [&str; 8] = [
    "rows",
    "sum sepal length (mm)",
    "sum sepal width (mm)",
    "sum petal length (mm)",
    "sum petal width (mm)",
    "petal length < 2.5 cm",
    "petal length 2.5-5 cm",
    "petal length >= 5 cm",
];

pub(crate) fn iris_integer_stats(rows: &[Vec<f64>]) -> Vec<i64> {
    let mm = |v: f64| (v * 10.0).round() as i64;
    let mut out = vec![0i64; IRIS_INTEGER_STATS.len()];
    for r in rows {
        out[0] += 1;
        for (c, v) in r.iter().take(4).enumerate() {
            out[1 + c] += mm(*v);
        }
        let bin = match r[2] {
            p if p < 2.5 => 5,
            p if p < 5.0 => 6,
            _ => 7,
        };
        out[bin] += 1;
    }
    out
}

/// What the training job of `arcanum devnet --fl` reports.
#[derive(Clone, Debug, Serialize)]
pub struct FlReport {
    /// The requester's local job id.
    pub local_id: u64,
    /// The shape each round is proven with.
    pub shape: String,
    /// The model's layer widths.
    pub layers: Vec<usize>,
    /// Owners that joined.
    pub owners: usize,
    /// Rounds run.
    pub rounds: usize,
    /// The on-chain job of each round.
    pub job_ids: Vec<String>,
    /// Wall seconds from submission to the last round's model.
    pub seconds: f64,
    /// Wall seconds of each round.
    pub round_seconds: Vec<f64>,
    /// Seconds the worker proved each round (all its chunks).
    pub prove_seconds: Vec<f64>,
    /// Test accuracy of the initial model.
    pub initial_accuracy: Option<f64>,
    /// Test accuracy after each round (the requester's held-out split).
    pub accuracy: Vec<f64>,
    /// Epsilon spent after each round, with the noise actually present.
    pub epsilon: Vec<f64>,
    /// The epsilon every owner charged when it joined (the fewest owners per round).
    pub planned_epsilon: Option<f64>,
    /// The noise multiplier solved from the spec's epsilon.
    pub noise_multiplier: Option<f64>,
    /// The delta of every epsilon.
    pub delta: Option<f64>,
    /// Most bytes any owner sent per round (updates and pad shares).
    pub contributor_bytes_per_round: u64,
    /// Where the final model was written (safetensors).
    pub model_file: String,
    /// The requester's held-out split it was scored on.
    pub test_csv: String,
    /// Its blake3.
    pub model_id: String,
}

impl fmt::Display for FlReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "training job:  {} rounds of {:?} over {} owners ({}), {:.1} s; on-chain jobs #{}",
            self.rounds,
            self.layers,
            self.owners,
            self.shape,
            self.seconds,
            self.job_ids.join(", #")
        )?;
        for (i, (a, e)) in self.accuracy.iter().zip(&self.epsilon).enumerate() {
            writeln!(
                f,
                "  round {}: test accuracy {a:.4}, epsilon {e:.3} (delta {:e}), {:.1} s",
                i + 1,
                self.delta.unwrap_or(0.0),
                self.round_seconds.get(i).copied().unwrap_or(0.0)
            )?;
        }
        write!(
            f,
            "  model {} (blake3 {}); {} bytes per owner per round",
            self.model_file, self.model_id, self.contributor_bytes_per_round
        )
    }
}

/// What the `he-linear` part of `arcanum devnet` reports.
#[derive(Clone, Debug, Serialize)]
pub struct HeReport {
    /// On-chain job id.
    pub job_id: String,
    /// Circuit shape.
    pub shape: String,
    /// Decryption committee, `t of n`.
    pub committee: String,
    /// The members whose shares were combined.
    pub decrypted_by: Vec<u32>,
    /// Worker chosen by the scheduler.
    pub chosen_worker: Address,
    /// Seconds the worker spent proving.
    pub prove_seconds: f64,
    /// Gas used by the `submitResult` transaction.
    pub submit_result_gas: u64,
    /// Wall time of the committee's DKG over the network (separate node processes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dkg_seconds: Option<f64>,
    /// What each value is.
    pub statistics: Vec<String>,
    /// The committee's decryption of the proven sum.
    pub decrypted: Vec<i64>,
    /// The same computed in the clear.
    pub plaintext: Vec<i64>,
}

impl fmt::Display for HeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "he-linear job: #{} ({}), worker {}, prove {:.2} s, submitResult {} gas",
            self.job_id, self.shape, self.chosen_worker, self.prove_seconds, self.submit_result_gas
        )?;
        writeln!(
            f,
            "  decrypted by committee members {:?} ({}){}:",
            self.decrypted_by,
            self.committee,
            self.dkg_seconds
                .map(|s| format!(", key generated by the committee's DKG in {s:.2} s"))
                .unwrap_or_default()
        )?;
        for ((name, d), p) in self
            .statistics
            .iter()
            .zip(&self.decrypted)
            .zip(&self.plaintext)
        {
            writeln!(f, "  {name:<24} {d:>6}  (in the clear: {p})")?;
        }
        Ok(())
    }
}

pub(crate) fn fmt_arc(v: U256) -> String {
    let unit = arc(1);
    let whole = v / unit;
    let frac = (v % unit) / U256::from(10u64).pow(U256::from(14u64));
    format!("{whole}.{frac:0>4} ARC")
}

impl fmt::Display for DevnetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = |xs: &[f64]| {
            xs.iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "devnet:        anvil at {}, market {}",
            self.rpc_url, self.market
        )?;
        writeln!(f, "data:          {}", self.dataset)?;
        writeln!(
            f,
            "job:           #{} ({}), {} offers heard, {} signed bids",
            self.job_id, self.shape, self.offers_seen, self.bids_seen
        )?;
        writeln!(
            f,
            "auction:       ask {} of {} posted (rest refunded) | assigned {:.2} s after posting | assignWithBid gas {}",
            fmt_arc(self.ask),
            fmt_arc(self.reward),
            self.bid_to_assignment_seconds,
            self.assign_gas
        )?;
        writeln!(
            f,
            "worker:        {} (peer {})",
            self.chosen_worker, self.chosen_peer
        )?;
        writeln!(f, "prove time:    {:.2} s", self.prove_seconds)?;
        writeln!(
            f,
            "gas:           submitResult {} | verifyProof tx {} (execution {}, {:+.2}% vs the EIP-1108 floor) | claim {}",
            self.submit_result_gas,
            self.verify_proof_gas,
            self.verify_exec_gas,
            self.verify_gas_over_floor_pct,
            self.claim_gas
        )?;
        writeln!(
            f,
            "balance:       {} -> {}",
            fmt_arc(self.balance_before),
            fmt_arc(self.balance_after)
        )?;
        writeln!(
            f,
            "means (cm):    [{}]  (in the clear: [{}])",
            v(&self.means),
            v(&self.plaintext_means)
        )?;
        writeln!(
            f,
            "std devs (cm): [{}]  (in the clear: [{}])",
            v(&self.stds),
            v(&self.plaintext_stds)
        )?;
        if let (Some(secs), Some(owners), Some(bytes)) = (
            self.stats_job_seconds,
            self.stats_contributors,
            self.contributor_bytes_sent,
        ) {
            writeln!(
                f,
                "joint stat:    {owners} data-owner nodes contributed; submitted to statistics in {secs:.2} s; at most {bytes} bytes sent per owner; clerk draw {}",
                if self.committee_choice_verified == Some(true) {
                    "recomputed from the chain"
                } else {
                    "NOT verified"
                }
            )?;
        }
        writeln!(f, "settled in tx  {}", self.outcome_tx)?;
        if let (Some(value), Some(block)) = (self.oracle_value, self.oracle_block) {
            write!(
                f,
                "data oracle:   {} = {value:.4} (proven from job #{}, block {block}",
                self.oracle_feed,
                self.oracle_job_id.as_deref().unwrap_or(&self.job_id),
            )?;
            if let Some(gas) = self.oracle_fulfil_gas {
                write!(f, "; fulfil {gas} gas")?;
            }
            match self.oracle_request_to_fulfil_seconds {
                Some(s) => write!(f, "; answered by the oracle node in {s:.1} s)")?,
                None => write!(f, ")")?,
            }
        }
        if let Some(he) = &self.he_linear {
            write!(f, "\n{he}")?;
        }
        if let Some(fl) = &self.fl {
            write!(f, "\n{fl}")?;
        }
        Ok(())
    }
}
