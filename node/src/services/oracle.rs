//! The data-oracle role: answers `DataOracle` requests for the feeds in `[oracle]`.
//!
//! It scans the oracle's events with the configured confirmations, and for each request of
//! a feed it serves (fee at least the feed's minimum, not expired) submits the feed's job
//! spec to this node's requester, follows that job to its settlement, turns the released
//! statistic into the feed's fixed-point value and fulfils the request with the settled
//! job. Every step is in the store (`oracle_tasks`): a restarted node resumes its running
//! requests and never fulfils one twice; a request fulfilled or cancelled by someone else
//! first is left (only the gas of a reverted fulfilment can be lost, and the request's
//! state is read before fulfilling).
//!
//! Trust: none. The feed's job asks its clerks to prove their sums against the owners'
//! share anchors; the node proves the value (`arcanum_zk::oracle::finalize`) from the
//! job's masked inputs and those sums, and `DataOracle.fulfill` verifies every proof
//! against the feed's on-chain definition ([`definition`]) before it stores the value.

use crate::{
    config::FeedConfig,
    store::{
        JobRecord, JobState, JobSubmission, OracleState, OracleTask, ProvenClerkSum, StatsSpec,
        Store,
    },
};
use alloy::primitives::I256;
use arcanum_chain::{Deployment, FeedDefinition, MarketClient, OracleEvent, ValueProof};
use arcanum_protocol::{B256, JobId, Query, QueryTerms, U256, query_description};
use arcanum_zk::{
    Fr, evm, field,
    keys::{CircuitKeys, Keyed},
    oracle::{
        self, OracleShape,
        finalize::{DEN_SCALE, FinalizeStatement, Statistic},
    },
    prover,
};
use eyre::eyre;
use std::{path::Path, str::FromStr, sync::Arc, time::Duration};
use tokio::sync::mpsc;

/// Most blocks read in one scan.
const SCAN_RANGE: u64 = 2_000;
/// How long a feed's job may take before the task gives up on it.
const JOB_PATIENCE: Duration = Duration::from_secs(3_600);

/// A feed this node serves: its config and its job spec.
#[derive(Clone, Debug)]
pub struct Feed {
    /// The config.
    pub config: FeedConfig,
    /// Its id on chain.
    pub id: B256,
    /// The job submitted for each request.
    pub job: JobSubmission,
    /// The least fee.
    pub min_fee: U256,
    /// The circuits its values are proven with.
    pub shape: OracleShape,
    /// Its value as a function of the job's aggregate.
    pub statistic: Statistic,
}

/// Loads and checks the feeds of `[oracle]` (specs relative to `data_dir`).
pub fn load_feeds(feeds: &[FeedConfig], data_dir: &Path) -> eyre::Result<Vec<Feed>> {
    feeds
        .iter()
        .map(|f| {
            let path = data_dir.join(&f.spec);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| eyre!("oracle feed {:?}: spec {}: {e}", f.name, path.display()))?;
            let mut job: JobSubmission = toml::from_str(&text).map_err(|e| {
                eyre!("oracle feed {:?}: {} is not a job spec: {e}", f.name, path.display())
            })?;
            if let Some(spec) = job.stats.as_mut() {
                spec.prove_clerks = true;
            }
            let spec = job.stats.as_ref().ok_or_else(|| {
                eyre!(
                    "oracle feed {:?}: {} has no [stats] table (a feed's value is a joint statistic)",
                    f.name,
                    path.display()
                )
            })?;
            let shape = super::jobs::shape_named(&job.shape)?;
            super::joint::check(spec, shape)
                .map_err(|e| eyre!("oracle feed {:?}: {}: {e}", f.name, path.display()))?;
            let gives = match f.statistic {
                Query::Count => matches!(spec.query, Query::Count | Query::Mean | Query::Variance),
                Query::Sum => matches!(spec.query, Query::Sum | Query::Mean | Query::Variance),
                Query::Mean => matches!(spec.query, Query::Mean | Query::Variance),
                Query::Variance => spec.query == Query::Variance,
                Query::Histogram => false,
            };
            if !gives
                || f
                    .column
                    .as_ref()
                    .is_some_and(|c| !spec.columns.contains(c))
            {
                return Err(eyre!(
                    "oracle feed {:?}: a {} query over {:?} does not give the {} of {:?}",
                    f.name,
                    spec.query.name(),
                    spec.columns,
                    f.statistic.name(),
                    f.column
                ));
            }
            let clerks = spec
                .clerks_sampled
                .map_or(spec.clerks.len(), |k| k as usize);
            let oracle_shape = OracleShape::find(shape, clerks, spec.threshold as usize)
                .map_err(|e| eyre!("oracle feed {:?}: {e}", f.name))?;
            let statistic =
                statistic(f, spec).map_err(|e| eyre!("oracle feed {:?}: {e}", f.name))?;
            // An he-linear committee proves its shares of the sums the statistic reads.
            if let Some(spec) = job.stats.as_mut() {
                spec.oracle_statistic = Some(statistic.params());
            }
            Ok(Feed {
                id: arcanum_chain::feed_id(&f.name),
                min_fee: U256::from_str(&f.min_fee_wei)?,
                job,
                config: f.clone(),
                shape: oracle_shape,
                statistic,
            })
        })
        .collect()
}

/// A feed's statistic as a function of its job's aggregate (see `stats::contribution` for
/// the layout: `[n]`, the sums, `[n, sums..]` or `[n, sums.., squares..]`).
pub fn statistic(feed: &FeedConfig, spec: &StatsSpec) -> eyre::Result<Statistic> {
    let column = || -> eyre::Result<u8> {
        let name = feed.column.as_deref().unwrap_or_default();
        let j =
            spec.columns.iter().position(|c| c == name).ok_or_else(|| {
                eyre!("no column {name:?} in the job's columns {:?}", spec.columns)
            })?;
        Ok(u8::try_from(j)?)
    };
    let count_first = matches!(spec.query, Query::Mean | Query::Variance);
    let (num, den) = match feed.statistic {
        Query::Count if count_first || spec.query == Query::Count => (0, DEN_SCALE),
        Query::Sum if spec.query == Query::Sum => (column()?, DEN_SCALE),
        Query::Sum if count_first => (1 + column()?, DEN_SCALE),
        Query::Mean if count_first => (1 + column()?, 0),
        Query::Variance => {
            return Err(eyre!(
                "variance values are not proof-bound yet; serve the mean and the mean of squares instead"
            ));
        }
        other => {
            return Err(eyre!(
                "a {} query does not give its {}",
                spec.query.name(),
                other.name()
            ));
        }
    };
    let decimals = u8::try_from(feed.decimals)
        .ok()
        .filter(|d| *d <= oracle::finalize::MAX_DECIMALS)
        .ok_or_else(|| {
            eyre!(
                "{} decimals; at most {}",
                feed.decimals,
                oracle::finalize::MAX_DECIMALS
            )
        })?;
    Ok(Statistic {
        num,
        den,
        decimals,
        scale_bits: u8::try_from(spec.scale_bits)?,
    })
}

/// The on-chain definition of `feed` under `deployment` (its verifiers), combining at least
/// `min_owners` of its data owners: what the data oracle's owner registers with `setFeed`,
/// and what every value of the feed is checked against.
pub fn definition(
    feed: &Feed,
    deployment: &Deployment,
    min_owners: u8,
) -> eyre::Result<FeedDefinition> {
    let spec = feed
        .job
        .stats
        .as_ref()
        .ok_or_else(|| eyre!("feed {:?} has no [stats] table", feed.config.name))?;
    let name = feed.shape.name();
    let circuit = deployment
        .oracle_circuits
        .iter()
        .find(|c| c.circuit.name == name)
        .ok_or_else(|| {
            eyre!("the deployment has no verifiers for {name}; redeploy with this version")
        })?;
    Ok(FeedDefinition {
        kind: if feed.shape.is_he() {
            arcanum_chain::FEED_HE_LINEAR
        } else {
            arcanum_chain::FEED_SECAGG_SUM
        },
        query_tag: field::fr_to_u256(query_tag(spec)),
        params: feed.statistic.params(),
        shape: feed.shape.job.id.0,
        threshold: u8::try_from(feed.shape.threshold)?,
        slots: u8::try_from(feed.shape.job.contributors)?,
        min_owners,
        clerk_verifier: circuit.clerk_verifier,
        finalize_verifier: circuit.finalize_verifier,
    })
}

/// The query tag of a joint statistic: the owners compute the same from the request they
/// are sent (`ContributionRequest::query_description`).
pub fn query_tag(spec: &StatsSpec) -> Fr {
    oracle::query_tag(&query_description(&QueryTerms {
        dataset: &spec.dataset,
        columns: &spec.columns,
        query: spec.query,
        edges: &spec.edges,
        filter: spec.filter.as_ref(),
        dp: spec.dp,
        min_contributors: spec.min_contributors,
        scale_bits: spec.scale_bits,
        threshold: spec.threshold,
    }))
}

/// The deployed circuits of every oracle shape, as deployment parameters.
pub fn oracle_circuits() -> Vec<arcanum_chain::OracleCircuit> {
    oracle::ALL
        .iter()
        .map(|o| arcanum_chain::OracleCircuit {
            name: o.name(),
            shape: o.job.id.0,
            clerks: o.clerks as u32,
            threshold: o.threshold as u32,
            clerk_contract: o.clerk().verifier_contract(),
            finalize_contract: o.finalize().verifier_contract(),
        })
        .collect()
}

/// A value proven for `request` from the settled feed job `rec`: the value, the job, and
/// the proofs `fulfill` checks. The clerks' (or key-committee members') proofs were made
/// when the job was unmasked (decrypted); the finalize proof is made here.
pub fn prove_value(
    feed: &Feed,
    rec: &JobRecord,
    (request, oracle_node): (U256, alloy::primitives::Address),
    (part_keys, keys): (&CircuitKeys, &CircuitKeys),
) -> eyre::Result<(I256, U256, ValueProof)> {
    let shape = feed.shape;
    let (run, posted) = rec
        .stats
        .as_ref()
        .zip(rec.posted.as_ref())
        .ok_or_else(|| eyre!("job {} has no statistics run or post", rec.id))?;
    if run.anchors.len() != run.contributors.len() || posted.shape != shape.job {
        return Err(eyre!(
            "job {} is not anchored on {}: it cannot back a value",
            rec.id,
            shape.job.name()
        ));
    }
    let query_tag = field::fr_from_u256(
        run.query_tag
            .ok_or_else(|| eyre!("job {} has no query tag", rec.id))?,
    )?;
    let mut anchors = field::vec_from_u256(&run.anchors)?;
    anchors.resize(shape.job.contributors, Fr::from(0u64));
    let mut anchor_signatures = run.anchor_signatures.clone();
    anchor_signatures.resize(shape.job.contributors, Default::default());
    let binding = oracle::finalize::binding(request, oracle_node);
    let input_commitment = field::fr_from_u256(posted.input_commitment)?;
    let proven = if shape.is_he() {
        prove_he(
            feed,
            run,
            posted,
            (binding, query_tag, &anchors),
            (part_keys, keys),
        )?
    } else {
        prove_secagg(
            feed,
            rec.id,
            run,
            posted,
            (binding, input_commitment, query_tag, &anchors),
            (part_keys, keys),
        )?
    };
    Ok((
        I256::try_from(proven.value)?,
        posted.job_id.0,
        ValueProof {
            anchors: field::vec_to_u256(&anchors),
            anchor_signatures,
            clerk_indices: proven.parts.iter().map(|p| p.index).collect(),
            clerk_commitments: proven.parts.iter().map(|p| p.proof.commitment).collect(),
            clerk_proofs: proven.parts.iter().map(|p| p.proof.proof).collect(),
            key_digest: proven.key_digest,
            sum_digest: proven.sum_digest,
            finalize: proven.finalize,
        },
    ))
}

/// A value and what proves it.
struct Proven {
    value: i128,
    parts: Vec<ProvenClerkSum>,
    key_digest: U256,
    sum_digest: U256,
    /// The finalize proof, EVM calldata order.
    finalize: [U256; 8],
}

/// The first `threshold` parts (by index, one per index) whose proofs verify under `keys`
/// with the public inputs `public` gives: a faulty clerk or member does not block the
/// value.
fn usable_parts(
    parts: &[ProvenClerkSum],
    threshold: usize,
    keys: &CircuitKeys,
    public: impl Fn(&ProvenClerkSum) -> eyre::Result<Vec<Fr>>,
    what: &str,
) -> eyre::Result<Vec<ProvenClerkSum>> {
    let mut usable: Vec<_> = parts
        .iter()
        .filter(|p| {
            let ok = public(p).is_ok_and(|inputs| {
                evm::proof_from_calldata(&p.proof.proof)
                    .and_then(|proof| prover::verify_prepared(keys, &inputs, &proof))
                    .is_ok()
            });
            if !ok {
                tracing::warn!(target: "oracle", index = p.index, "a {what}'s proof does not verify: not used");
            }
            ok
        })
        .cloned()
        .collect();
    usable.sort_by_key(|p| p.index);
    usable.dedup_by_key(|p| p.index);
    if usable.len() < threshold {
        return Err(eyre!(
            "{} {what}s proved their part, {threshold} needed",
            usable.len()
        ));
    }
    usable.truncate(threshold);
    Ok(usable)
}

/// A secagg-sum feed's value: the clerks' proven sums unmask the job's masked total.
fn prove_secagg(
    feed: &Feed,
    job: u64,
    run: &crate::store::StatsRun,
    posted: &super::requester::PostedJob,
    (binding, input_commitment, query_tag, anchors): (Fr, Fr, Fr, &[Fr]),
    (clerk_keys, keys): (&CircuitKeys, &CircuitKeys),
) -> eyre::Result<Proven> {
    let shape = feed.shape;
    let proven = usable_parts(
        &run.proven_clerks,
        shape.threshold,
        clerk_keys,
        |p| {
            Ok(vec![
                input_commitment,
                query_tag,
                Fr::from(p.index),
                field::fr_from_u256(p.proof.commitment)?,
            ])
        },
        "clerk",
    )
    .map_err(|e| eyre!("job {job}: {e}"))?;
    // Sums as long as the job's vectors, padded with zeros to its width as the job is.
    let sums = proven
        .iter()
        .map(|p| {
            let mut s = field::vec_from_u256(&p.sum)?;
            s.resize(shape.job.dims, Fr::from(0u64));
            Ok(s)
        })
        .collect::<arcanum_zk::Result<Vec<_>>>()?;
    let mut masked = posted
        .inputs
        .iter()
        .map(|v| field::vec_from_u256(v))
        .collect::<Result<Vec<_>, _>>()?;
    masked.resize(shape.job.contributors, vec![Fr::from(0u64); shape.job.dims]);
    let indices: Vec<u64> = proven.iter().map(|p| p.index).collect();
    let total: Vec<Fr> = (0..shape.job.dims)
        .map(|j| masked.iter().map(|y| y[j]).sum())
        .collect();
    let aggregate = oracle::finalize::unmask(&total, &indices, &sums)?;
    let value = feed.statistic.value(&aggregate)?;
    let statement = FinalizeStatement {
        request_id: binding,
        input_commitment,
        statistic: feed.statistic,
        value,
        indices,
        clerk_commitments: proven
            .iter()
            .map(|p| field::fr_from_u256(p.proof.commitment))
            .collect::<Result<_, _>>()?,
        anchors: anchors.to_vec(),
    };
    let finalize = oracle::finalize::prove(
        keys,
        shape,
        statement,
        &masked,
        &sums,
        &mut rand::rngs::OsRng,
    )?;
    Ok(Proven {
        value,
        parts: proven,
        key_digest: U256::ZERO,
        sum_digest: U256::ZERO,
        finalize: evm::proof_to_calldata(&finalize),
    })
}

/// An he-linear feed's value: the threshold decryption of the job's ciphertext sum with
/// the key-committee members' proven shares, under the keys the owners anchored.
fn prove_he(
    feed: &Feed,
    run: &crate::store::StatsRun,
    posted: &super::requester::PostedJob,
    (binding, query_tag, anchors): (Fr, Fr, &[Fr]),
    (member_keys, keys): (&CircuitKeys, &CircuitKeys),
) -> eyre::Result<Proven> {
    use arcanum_compute::elgamal::{self, Ciphertext, EdwardsAffine};
    use arcanum_zk::oracle::{decrypt, finalize_he::FinalizeHeCircuit};
    let shape = feed.shape;
    let (transcript, draw) = run
        .key
        .as_ref()
        .zip(run.draw.as_ref())
        .ok_or_else(|| eyre!("an he-linear run without its committee"))?;
    let group = super::committee::group_of(transcript, draw).map_err(|e| eyre!(e))?;
    if group.threshold() != shape.threshold {
        return Err(eyre!(
            "the committee's threshold is {}, the feed's circuits combine {}",
            group.threshold(),
            shape.threshold
        ));
    }
    let committee = super::committee::verification_keys(&group);
    let key_digest = decrypt::key_digest(shape.threshold as u32, &committee)?;
    let fields = posted
        .inputs
        .iter()
        .map(|v| field::vec_from_u256(v))
        .collect::<Result<Vec<_>, _>>()?;
    let mut inputs = arcanum_compute::executor::decode_ciphertexts(&fields, shape.job.dims)?;
    inputs.resize(
        shape.job.contributors,
        vec![Ciphertext::zero(); shape.job.dims],
    );
    let sum = elgamal::he_linear(&inputs, &vec![1; inputs.len()])?;
    let selected = decrypt::selected(&sum, feed.statistic)?;
    let sum_digest = decrypt::sum_digest(&[selected[0].c1, selected[1].c1]);
    let shares_of = |p: &ProvenClerkSum| -> eyre::Result<[EdwardsAffine; 2]> {
        let c = field::vec_from_u256(&p.sum)?;
        if c.len() != 4 {
            return Err(eyre!("{} share coordinates", c.len()));
        }
        let d = [
            EdwardsAffine::new_unchecked(c[0], c[1]),
            EdwardsAffine::new_unchecked(c[2], c[3]),
        ];
        if decrypt::share_commitment(&d) != field::fr_from_u256(p.proof.commitment)? {
            return Err(eyre!("the shares do not open the member's commitment"));
        }
        Ok(d)
    };
    let proven = usable_parts(
        &run.proven_clerks,
        shape.threshold,
        member_keys,
        |p| {
            let _ = shares_of(p)?;
            Ok(vec![
                sum_digest,
                key_digest,
                Fr::from(p.index),
                field::fr_from_u256(p.proof.commitment)?,
            ])
        },
        "committee member",
    )?;
    let shares = proven
        .iter()
        .map(shares_of)
        .collect::<eyre::Result<Vec<_>>>()?;
    let stat = feed.statistic;
    let element = |i: u8| {
        run.decrypted
            .get(usize::from(i))
            .copied()
            .ok_or_else(|| eyre!("the run has no decrypted element {i}"))
    };
    let plain = [
        element(stat.num)?,
        if stat.den == DEN_SCALE {
            0
        } else {
            element(stat.den)?
        },
    ];
    let indices: Vec<u64> = proven.iter().map(|p| p.index).collect();
    let circuit = FinalizeHeCircuit::honest(
        shape, binding, query_tag, stat, &inputs, &committee, &indices, &shares, anchors, plain,
    )?;
    let finalize = arcanum_zk::oracle::finalize_he::prove(keys, &circuit, &mut rand::rngs::OsRng)?;
    Ok(Proven {
        value: circuit.statement.value,
        parts: proven,
        key_digest: field::fr_to_u256(key_digest),
        sum_digest: field::fr_to_u256(sum_digest),
        finalize: evm::proof_to_calldata(&finalize),
    })
}

/// The oracle role.
pub struct Oracle {
    /// The chain (this node's account must be an authorised oracle node).
    pub chain: MarketClient,
    /// The store.
    pub store: Store,
    /// This node's requester's inbox.
    pub submit: mpsc::Sender<u64>,
    /// The feeds served.
    pub feeds: Vec<Feed>,
    /// Blocks a request must have on top of it.
    pub confirmations: u64,
    /// Between scans.
    pub poll: Duration,
    /// The clerk-sum and finalize circuits' keys.
    pub keys: Arc<super::keys::KeyCache>,
}

impl Oracle {
    /// Runs until the process stops: resumes running tasks, then scans and answers.
    pub async fn run(self) {
        let me = Arc::new(self);
        // The feeds' circuits' keys and prover tables, ready before the first request.
        let (keys, shapes): (_, Vec<OracleShape>) =
            (me.keys.clone(), me.feeds.iter().map(|f| f.shape).collect());
        tokio::task::spawn_blocking(move || {
            for shape in shapes {
                if let Err(e) = keys
                    .keys(&shape.clerk())
                    .and(keys.prover(&shape.finalize()))
                {
                    tracing::warn!(target: "oracle", "cannot set up the oracle circuits' keys: {e}");
                }
            }
        });
        match me.store.oracle_tasks() {
            Ok(tasks) => {
                for t in tasks
                    .into_iter()
                    .filter(|t| t.state == OracleState::Running)
                {
                    tracing::info!(target: "oracle", request = %t.request_id, "resuming a request");
                    let me = me.clone();
                    tokio::spawn(async move { me.follow(t).await });
                }
            }
            Err(e) => tracing::error!(target: "oracle", "cannot read the oracle's tasks: {e}"),
        }
        if let Ok(false) = me.chain.is_oracle(me.chain.account()).await {
            tracing::warn!(target: "oracle", account = %me.chain.account(), "this account is not an authorised oracle node: its fulfilments will revert until the oracle's owner authorises it");
        }
        for feed in &me.feeds {
            let on_chain = me
                .chain
                .oracle_feed(feed.id)
                .await
                .map_err(eyre::Report::from);
            // The owners' minimum is the feed owner's choice: compare everything else.
            let min = on_chain
                .as_ref()
                .ok()
                .and_then(|d| d.as_ref())
                .map_or(1, |d| d.min_owners);
            let wanted = definition(feed, me.chain.deployment(), min);
            match (on_chain, wanted) {
                (Ok(Some(on_chain)), Ok(wanted)) if on_chain == wanted => {}
                (Ok(on_chain), Ok(_)) => {
                    tracing::warn!(target: "oracle", feed = %feed.config.name, defined = on_chain.is_some(), "the feed's on-chain definition is not this node's (query, statistic or verifiers): requests for it are refused on chain, or this node's values will not verify; the data oracle's owner runs `arcanum feed define` with this feed's spec");
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(target: "oracle", feed = %feed.config.name, "cannot check the feed's on-chain definition: {e:#}");
                }
            }
        }
        loop {
            if let Err(e) = me.scan().await {
                tracing::warn!(target: "oracle", "scan failed (retrying): {e:#}");
            }
            tokio::time::sleep(me.poll).await;
        }
    }

    /// Reads new requests with enough confirmations and starts a task for each one of a
    /// served feed.
    async fn scan(self: &Arc<Self>) -> eyre::Result<()> {
        let head = self.chain.block_number().await?;
        let to = head.saturating_sub(self.confirmations);
        let from = match self.store.oracle_scanned()? {
            Some(b) => b + 1,
            None => self.chain.deployment().deploy_block,
        };
        if from > to {
            return Ok(());
        }
        let to = to.min(from + SCAN_RANGE - 1);
        let mut opened = Vec::new();
        for log in self.chain.oracle_events(from, Some(to)).await? {
            let OracleEvent::Requested {
                request_id,
                feed,
                fee,
                expires_at,
                ..
            } = log.event
            else {
                continue;
            };
            // One lookup per new request, not a read of every task per scan.
            if self.store.oracle_task(&request_id.to_string())?.is_some() {
                continue;
            }
            let mut task = OracleTask {
                request_id: request_id.to_string(),
                feed,
                name: None,
                expires_at,
                state: OracleState::Ignored,
                local_job: None,
                value: None,
                job_id: None,
                tx: None,
                detail: None,
            };
            match self.feeds.iter().find(|f| f.id == feed) {
                None => task.detail = Some("not a feed this node serves".into()),
                Some(f) if fee < f.min_fee => {
                    task.name = Some(f.config.name.clone());
                    task.detail = Some(format!("fee {fee} below the feed's minimum {}", f.min_fee));
                }
                Some(f) if arcanum_protocol::unix_now() > expires_at => {
                    task.name = Some(f.config.name.clone());
                    task.state = OracleState::Expired;
                }
                Some(f) => {
                    task.name = Some(f.config.name.clone());
                    // The owners sign their anchors for this request.
                    let mut job = f.job.clone();
                    if let Some(spec) = job.stats.as_mut() {
                        spec.oracle_request = Some(request_id);
                    }
                    let rec = self.store.insert_job(job)?;
                    task.local_job = Some(rec.id);
                    task.state = OracleState::Running;
                    tracing::info!(target: "oracle", request = %request_id, feed = %f.config.name, local_job = rec.id, "request taken: running the feed's job");
                }
            }
            opened.push(task);
        }
        self.store.oracle_scanned_to(to, &opened)?;
        for task in opened {
            if task.state == OracleState::Running {
                if let Some(id) = task.local_job {
                    self.submit
                        .send(id)
                        .await
                        .map_err(|_| eyre!("the requester service stopped"))?;
                }
                let me = self.clone();
                tokio::spawn(async move { me.follow(task).await });
            }
        }
        Ok(())
    }

    /// Follows a running task's job to its end and fulfils the request with it.
    async fn follow(self: Arc<Self>, mut task: OracleTask) {
        if let Err((state, e)) = self.settle(&mut task).await {
            tracing::warn!(target: "oracle", request = %task.request_id, "{e:#}");
            task.state = state;
            task.detail = Some(format!("{e:#}"));
        }
        if let Err(e) = self.store.put_oracle_task(&task) {
            tracing::error!(target: "oracle", request = %task.request_id, "cannot record the request's end: {e}");
        }
    }

    /// The oracle node whose fulfilment of `request` is on chain, if any.
    async fn fulfilled_by(&self, request: U256) -> Option<alloy::primitives::Address> {
        let from = self.chain.deployment().deploy_block;
        self.chain
            .oracle_events(from, None)
            .await
            .ok()?
            .into_iter()
            .find_map(|l| match l.event {
                OracleEvent::Fulfilled {
                    request_id, oracle, ..
                } if request_id == request => Some(oracle),
                _ => None,
            })
    }

    /// Runs `task` to its end, recording it in `task` (the caller keeps it).
    async fn settle(&self, task: &mut OracleTask) -> Result<(), (OracleState, eyre::Report)> {
        let failed = |e: eyre::Report| (OracleState::Failed, e);
        let feed = self
            .feeds
            .iter()
            .find(|f| f.id == task.feed)
            .ok_or_else(|| failed(eyre!("the feed is no longer served")))?;
        let local = task
            .local_job
            .ok_or_else(|| failed(eyre!("no local job")))?;
        let until = std::time::Instant::now() + JOB_PATIENCE;
        let rec = loop {
            let rec = self
                .store
                .job(local)
                .map_err(|e| failed(e.into()))?
                .ok_or_else(|| failed(eyre!("local job {local} vanished")))?;
            match rec.state {
                JobState::Settled => break rec,
                JobState::Failed | JobState::Cancelled => {
                    return Err(failed(eyre!(
                        "the feed's job {local} ended {:?}: {}",
                        rec.state,
                        rec.error.unwrap_or_default()
                    )));
                }
                _ if std::time::Instant::now() > until => {
                    return Err(failed(eyre!(
                        "the feed's job {local} did not settle in time"
                    )));
                }
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        };
        let request = U256::from_str(&task.request_id).map_err(|e| failed(e.into()))?;
        // Read the request's state first: a request fulfilled by another node, cancelled,
        // or expired is left without spending gas.
        let info = self
            .chain
            .oracle_request_info(request)
            .await
            .map_err(|e| failed(e.into()))?;
        if !info.open {
            task.state = OracleState::Lost;
            task.detail = Some("fulfilled or cancelled by someone else first".into());
            return Ok(());
        }
        if arcanum_protocol::unix_now() > info.expires_at {
            task.state = OracleState::Expired;
            return Ok(());
        }
        let (store, shape, feed2) = (self.keys.clone(), feed.shape, feed.clone());
        let me = self.chain.account();
        let started = std::time::Instant::now();
        let (value, job_id, proof) = tokio::task::spawn_blocking(move || {
            let clerk_keys = store.keys(&shape.clerk())?;
            let keys = store.prover(&shape.finalize())?;
            prove_value(&feed2, &rec, (request, me), (&clerk_keys, &keys))
        })
        .await
        .map_err(|e| failed(eyre!("prover task: {e}")))?
        .map_err(failed)?;
        tracing::info!(target: "oracle", %request, %value, circuit = %feed.shape.finalize().key_name(), seconds = started.elapsed().as_secs_f64(), "value proven");
        match self
            .chain
            .oracle_fulfill(request, value, JobId(job_id), &proof)
            .await
        {
            Ok(tx) => {
                tracing::info!(target: "oracle", %request, feed = %feed.config.name, %value, job_id = %job_id, tx = %tx.tx_hash, "request fulfilled");
                task.state = OracleState::Fulfilled;
                task.value = Some(value.to_string());
                task.job_id = Some(job_id.to_string());
                task.tx = Some(tx.tx_hash.to_string());
                Ok(())
            }
            Err(e) => {
                // Reverted, or its receipt was lost: who closed the request?
                match self.chain.oracle_request_info(request).await {
                    Ok(info) if !info.open => {
                        let by = self.fulfilled_by(request).await;
                        if by == Some(self.chain.account()) {
                            task.state = OracleState::Fulfilled;
                            task.value = Some(value.to_string());
                            task.job_id = Some(job_id.to_string());
                            task.detail =
                                Some(format!("fulfilled (its receipt was not read: {e})"));
                        } else {
                            task.state = OracleState::Lost;
                            task.detail = Some(match by {
                                Some(node) => format!(
                                    "oracle node {node} fulfilled it first (this fulfilment reverted, its gas lost)"
                                ),
                                None => format!("cancelled by its requester first: {e}"),
                            });
                        }
                        Ok(())
                    }
                    _ => Err(failed(e.into())),
                }
            }
        }
    }
}
