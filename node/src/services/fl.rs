//! Federated training jobs, the requester's side (and the plan both sides derive their
//! round configuration from).
//!
//! A job (`[fl]` in a job spec) runs its rounds as `secagg-sum` jobs on chain:
//!
//! 1. **Join.** The requester draws the clerks (once per job) and sends every listed data
//!    owner the [`TrainPlan`]. Each owner checks it against its policy and charges the
//!    whole job's privacy cost to its dataset's ledger, or refuses with what remains. With
//!    fewer than `min_contributors` joined, the job fails before anything is posted (no
//!    escrow is taken).
//! 2. **Round.** The requester publishes the global model as a blob named by the blake3 of
//!    its safetensors file, samples the owners (Poisson, seeded by a block hash and the
//!    round; every owner recomputes it) and asks them for the round. Each trains on its own
//!    rows, clips, quantizes, adds its share of the noise, appends its example count, masks
//!    the vector with pads shared to the clerks and answers with the masked vector.
//! 3. **Prove and settle.** The masked vectors (chunked to the shape) are posted as a job; a
//!    worker proves their sum and is paid on chain; each owner checks its vector is inside
//!    the posted commitment.
//! 4. **Update.** The clerks' sums over exactly the owners summed remove the pads; the
//!    requester applies the aggregate (FedAvg weighted by example counts, or the DP-FedSGD
//!    step), accounts the noise actually present, measures accuracy on its held-out split,
//!    and starts the next round. Owners that drop out of a round are left out of it.
//!
//! Every step is persisted in the job's record, so a restarted requester resumes the round
//! it was in (a round posted before the restart is adopted, never posted twice).

use super::{contributor::parse_peer_addr, jobs, joint, network::request_at, requester::Requester};
use crate::store::{FlRun, FlSpec, JobRecord, JobState, RoundInFlight, RoundRecord, Store};
use arcanum_chain::MarketClient;
use arcanum_compute::{
    dp::{self, Charge, PrivacyBudget},
    fl::{self, Algorithm, FlConfig, MIN_SHARE_STD, Model, Samples},
};
use arcanum_protocol::{
    B256, JobKind, JobRequest, JobResponse, PrivacyUnit, Shape, TrainPlan, TrainPrivacy,
    TrainRound, U256,
};
use eyre::eyre;
use rand::SeedableRng;
use std::{
    collections::VecDeque,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

/// Most rounds a job may ask.
pub const MAX_ROUNDS: u32 = 10_000;
/// Widest layer a model may have.
pub const MAX_WIDTH: usize = 4_096;
/// Most chunks one round's job may take (each is one proof on chain).
pub const MAX_CHUNKS: usize = 64;
/// How long an owner has to join.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an owner has to train a round and share its pads.
const ROUND_TIMEOUT: Duration = Duration::from_secs(300);
/// Models kept for owners to fetch.
const BLOBS_KEPT: usize = 64;

/// Blobs a requester serves by blake3 id (training jobs' global models), the latest
/// [`BLOBS_KEPT`].
#[derive(Clone, Default)]
pub struct Blobs {
    inner: Arc<Mutex<VecDeque<Blob>>>,
}

/// A blob and its id.
type Blob = (B256, Arc<Vec<u8>>);

impl Blobs {
    /// Keeps `bytes`; returns its id.
    pub fn put(&self, bytes: Vec<u8>) -> B256 {
        let id = B256::from(*blake3::hash(&bytes).as_bytes());
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !inner.iter().any(|(i, _)| *i == id) {
            if inner.len() >= BLOBS_KEPT {
                inner.pop_front();
            }
            inner.push_back((id, Arc::new(bytes)));
        }
        id
    }

    /// The blob with this id, if kept.
    pub fn get(&self, id: B256) -> Option<Arc<Vec<u8>>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.iter().find(|(i, _)| *i == id).map(|(_, b)| b.clone())
    }
}

/// The round configuration both sides derive from a plan.
pub fn config(plan: &TrainPlan) -> FlConfig {
    let (algorithm, max_grad_norm, noise_multiplier) = match plan.privacy {
        None => (Algorithm::FedAvg, 1.0, 0.0),
        Some(p) => (
            match p.unit {
                PrivacyUnit::Record => Algorithm::DpFedSgd,
                PrivacyUnit::Contributor => Algorithm::ContributorDpFedAvg,
            },
            p.max_grad_norm,
            p.noise_multiplier,
        ),
    };
    FlConfig {
        algorithm,
        lr: plan.lr,
        local_epochs: plan.local_epochs as usize,
        batch_size: plan.batch_size as usize,
        max_grad_norm,
        noise_multiplier,
        contributors: plan.min_contributors.max(1) as usize,
        quant_bits: plan.quant_bits,
        server_momentum: 0.0,
        sample_rate: plan.sample_rate,
    }
}

/// Parameters of the plan's model.
pub fn params(plan: &TrainPlan) -> usize {
    Model::param_count(&plan.layers)
}

/// The privacy charge of one round whose aggregate holds `present` noise shares (a
/// subsampled Gaussian when owners sample themselves), or `None` for a non-private job.
pub fn round_charge(plan: &TrainPlan, present: usize) -> Option<Charge> {
    config(plan).round_charge(params(plan), present)
}

/// What the whole job costs one unit of privacy if every round runs with the fewest
/// owners the plan allows (what an owner charges when it joins), or `None` for a
/// non-private job.
pub fn job_charges(plan: &TrainPlan) -> Option<Vec<Charge>> {
    round_charge(plan, plan.min_contributors.max(1) as usize).map(|c| vec![c; plan.rounds as usize])
}

/// The job's epsilon at the plan's delta (with the fewest owners), or `None`.
pub fn job_epsilon(plan: &TrainPlan) -> Result<Option<f64>, String> {
    match plan.privacy {
        Some(p) => job_epsilon_at(plan, p.delta),
        None => Ok(None),
    }
}

/// The job's epsilon at `delta` (with the fewest owners), or `None` for a non-private job.
pub fn job_epsilon_at(plan: &TrainPlan, delta: f64) -> Result<Option<f64>, String> {
    match job_charges(plan) {
        Some(charges) => dp::composed_epsilon(&charges, delta)
            .map(Some)
            .map_err(|e| e.to_string()),
        None => Ok(None),
    }
}

/// Checks a plan on its own terms (what an owner checks before anything else).
pub fn check_plan(plan: &TrainPlan) -> Result<(), String> {
    let l = &plan.layers;
    if l.len() < 2 || l.contains(&0) || l.iter().any(|w| *w > MAX_WIDTH) {
        return Err(format!(
            "model layers {l:?}: at least an input and an output width, each 1..={MAX_WIDTH}"
        ));
    }
    if l[0] != plan.features.len() {
        return Err(format!(
            "the model's input width {} is not the {} features",
            l[0],
            plan.features.len()
        ));
    }
    if l[l.len() - 1] < 2 {
        return Err("the model needs at least 2 classes".into());
    }
    if !(1..=MAX_ROUNDS).contains(&plan.rounds) {
        return Err(format!("rounds must be in 1..={MAX_ROUNDS}"));
    }
    if !(plan.sample_rate > 0.0 && plan.sample_rate <= 1.0) {
        return Err(format!(
            "sample_fraction must be in (0, 1], got {}",
            plan.sample_rate
        ));
    }
    if plan.min_contributors == 0 || plan.min_contributors > plan.contributors {
        return Err(format!(
            "min_contributors {} must be in 1..={} (the owners asked)",
            plan.min_contributors, plan.contributors
        ));
    }
    let cfg = config(plan);
    cfg.validate().map_err(|e| e.to_string())?;
    if let Some(p) = plan.privacy {
        if !(p.delta > 0.0 && p.delta < 1.0) {
            return Err(format!("delta must be in (0, 1), got {}", p.delta));
        }
        let share = cfg.noise_share_std(params(plan));
        if share < MIN_SHARE_STD {
            return Err(format!(
                "each owner's noise share would have std {share:.2} quantized units, below {MIN_SHARE_STD}: raise quant_bits"
            ));
        }
    }
    Ok(())
}

/// The plan of `spec`'s job `job`: validated, with the noise multiplier solved from
/// `epsilon` when it is not given.
pub fn plan_of(spec: &FlSpec, job: B256) -> Result<TrainPlan, String> {
    if !(spec.sample_fraction > 0.0 && spec.sample_fraction <= 1.0) {
        return Err(format!(
            "sample_fraction must be in (0, 1], got {}",
            spec.sample_fraction
        ));
    }
    if !(1..=MAX_ROUNDS).contains(&spec.rounds) {
        return Err(format!("rounds must be in 1..={MAX_ROUNDS}"));
    }
    let privacy = match (spec.unit, spec.epsilon, spec.noise_multiplier) {
        (None, None, None) => None,
        (None, _, _) => {
            return Err(
                "a private job names its unit of privacy: unit = \"record\" or \"contributor\""
                    .into(),
            );
        }
        (Some(_), None, None) => {
            return Err(
                "unit is set but neither epsilon nor noise_multiplier: set epsilon (the noise is solved from it)"
                    .into(),
            );
        }
        (Some(unit), epsilon, z) => {
            if !(spec.delta > 0.0 && spec.delta < 1.0) {
                return Err(format!("delta must be in (0, 1), got {}", spec.delta));
            }
            if !(spec.max_grad_norm.is_finite() && spec.max_grad_norm > 0.0) {
                return Err(format!(
                    "max_grad_norm must be positive, got {}",
                    spec.max_grad_norm
                ));
            }
            let z = match (z, epsilon) {
                (Some(z), _) => z,
                (None, Some(eps)) => dp::noise_multiplier_sampled(
                    PrivacyBudget {
                        epsilon: eps,
                        delta: spec.delta,
                    },
                    spec.rounds.max(1) as usize,
                    spec.sample_fraction,
                )
                .map_err(|e| e.to_string())?,
                (None, None) => unreachable!("matched above"),
            };
            Some(TrainPrivacy {
                unit,
                noise_multiplier: z,
                max_grad_norm: spec.max_grad_norm,
                delta: spec.delta,
            })
        }
    };
    let plan = TrainPlan {
        job,
        dataset: spec.dataset.clone(),
        features: spec.features.clone(),
        label: spec.label.clone(),
        layers: spec.model.clone(),
        rounds: spec.rounds,
        sample_rate: spec.sample_fraction,
        lr: spec.lr,
        local_epochs: spec.local_epochs,
        batch_size: spec.batch_size,
        privacy,
        quant_bits: spec.quant_bits,
        min_contributors: spec.min_contributors,
        contributors: spec.contributors.len() as u32,
    };
    check_plan(&plan)?;
    if let (Some(target), Some(eps)) = (spec.epsilon, job_epsilon(&plan)?)
        && eps > target * (1.0 + 1e-9)
    {
        return Err(format!(
            "noise_multiplier {} gives epsilon {eps:.3} over {} rounds, above the epsilon {target} asked: raise it or drop it (it is solved from epsilon)",
            plan.privacy.map_or(0.0, |p| p.noise_multiplier),
            plan.rounds
        ));
    }
    Ok(plan)
}

/// Checks a spec against its shape before anything is sent.
pub fn check(spec: &FlSpec, shape: Shape) -> Result<(), String> {
    if shape.kind != JobKind::SecaggSum {
        return Err(format!(
            "a training job's rounds run on a secagg-sum shape, not {}",
            shape.name()
        ));
    }
    if !(0.0..1.0).contains(&spec.server_momentum) {
        return Err(format!(
            "server_momentum must be in [0, 1), got {}",
            spec.server_momentum
        ));
    }
    if spec.features.is_empty() || spec.features.contains(&spec.label) {
        return Err("features: at least one column, and not the label".into());
    }
    if spec.contributors.is_empty() || spec.contributors.len() > shape.contributors {
        return Err(format!(
            "{} contributors: shape {} takes 1..={}",
            spec.contributors.len(),
            shape.name(),
            shape.contributors
        ));
    }
    let plan = plan_of(spec, B256::ZERO)?;
    let len = params(&plan) + 1;
    let chunks = len.div_ceil(shape.dims);
    if chunks > MAX_CHUNKS {
        return Err(format!(
            "the model's {} parameters take {chunks} chunks of shape {}, more than {MAX_CHUNKS}: use a smaller model or a wider shape",
            len - 1,
            shape.name()
        ));
    }
    let n = spec
        .clerks_sampled
        .map_or(spec.clerks.len(), |k| k as usize);
    let t = spec.threshold as usize;
    if !(2..=n).contains(&t) || n > spec.clerks.len() {
        return Err(format!(
            "threshold {t} with {n} of {} clerks: needs 2 <= threshold <= clerks drawn <= clerks listed",
            spec.clerks.len()
        ));
    }
    for a in spec.contributors.iter().chain(&spec.clerks) {
        parse_peer_addr(a)?;
    }
    Ok(())
}

/// Reads the requester's held-out split.
async fn load_test(spec: &FlSpec) -> eyre::Result<Option<Samples>> {
    let Some(path) = spec.test_csv.clone() else {
        return Ok(None);
    };
    let (features, label) = (spec.features.clone(), spec.label.clone());
    let classes = spec.model.last().copied().unwrap_or(0);
    let samples = tokio::task::spawn_blocking(move || {
        fl::read_csv(Path::new(&path), &features, &label, classes)
    })
    .await??;
    Ok(Some(samples))
}

/// Unix time in seconds, with its fraction.
fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn peer_of(addr: &str) -> Option<String> {
    parse_peer_addr(addr).ok().map(|(_, p)| p.to_base58())
}

/// Follows a training job to its end: joins the owners, then runs every round (resuming
/// the one in progress after a restart).
pub async fn follow(
    requester: &Requester,
    store: &Store,
    chain: &MarketClient,
    mut rec: JobRecord,
) -> eyre::Result<()> {
    let spec = rec
        .submission
        .fl
        .clone()
        .ok_or_else(|| eyre!("job {} is not a training job", rec.id))?;
    let shape = jobs::shape_named(&rec.submission.shape)?;
    check(&spec, shape).map_err(|e| eyre!(e))?;
    let test = load_test(&spec).await?;
    if rec.fl.is_none() {
        let run = start(requester, chain, &spec, test.as_ref()).await?;
        rec.fl = Some(run);
        store.put_job(&rec)?;
    }
    loop {
        let done = rec.fl.as_ref().map_or(0, |r| r.rounds.len()) as u32;
        if done >= spec.rounds {
            break;
        }
        round(
            requester,
            store,
            chain,
            &mut rec,
            shape,
            test.as_ref(),
            done + 1,
        )
        .await?;
    }
    rec.state = JobState::Settled;
    store.put_job(&rec)?;
    tracing::info!(target: "requester", local_id = rec.id, rounds = spec.rounds, "training job complete");
    Ok(())
}

/// Draws the clerks and has the owners join; fails (nothing posted) with fewer than
/// `min_contributors` joined.
async fn start(
    requester: &Requester,
    chain: &MarketClient,
    spec: &FlSpec,
    test: Option<&Samples>,
) -> eyre::Result<FlRun> {
    let net = requester.net();
    let job = B256::from(rand::random::<[u8; 32]>());
    let plan = plan_of(spec, job).map_err(|e| eyre!(e))?;
    let mut rng = match spec.seed {
        Some(seed) => rand_chacha::ChaCha20Rng::seed_from_u64(seed),
        None => rand_chacha::ChaCha20Rng::from_entropy(),
    };
    let model = Model::new(&spec.model, &mut rng)?;
    let (clerks, draw) = joint::choose_clerks(
        net,
        chain,
        &spec.clerks,
        spec.clerks_sampled,
        spec.threshold,
        job,
    )
    .await?;
    let asks = spec.contributors.iter().map(|a| {
        let request = JobRequest::TrainJoin(Box::new(plan.clone()));
        async move { (a.clone(), request_at(net, a, request, JOIN_TIMEOUT).await) }
    });
    let (mut joined, mut refused) = (Vec::new(), Vec::new());
    for (addr, answer) in futures::future::join_all(asks).await {
        match answer {
            Ok(JobResponse::Ack) => joined.push(addr),
            Ok(other) => refused.push(format!("{addr}: answered {other:?}")),
            Err(why) => {
                tracing::warn!(target: "requester", owner = %addr, "did not join: {why}");
                refused.push(why);
            }
        }
    }
    if joined.len() < spec.min_contributors as usize {
        // The job will not start: the owners that joined release their charge.
        let leaves = joined
            .iter()
            .map(|a| request_at(net, a, JobRequest::TrainLeave { job }, JOIN_TIMEOUT));
        for answer in futures::future::join_all(leaves).await {
            if let Err(e) = answer {
                tracing::warn!(target: "requester", "leave not confirmed: {e}");
            }
        }
        return Err(eyre!(
            "{} of {} data owners joined the training job, {} needed: it did not start, nothing was posted and no escrow was taken. {}",
            joined.len(),
            spec.contributors.len(),
            spec.min_contributors,
            refused.join("; ")
        ));
    }
    let epsilon = job_epsilon(&plan).map_err(|e| eyre!(e))?;
    tracing::info!(target: "requester", %job, joined = joined.len(), noise_multiplier = plan.privacy.map(|p| p.noise_multiplier), planned_epsilon = epsilon, "training job joined");
    Ok(FlRun {
        job,
        initial_accuracy: test.map(|t| model.accuracy(&t.x, &t.y)),
        plan,
        joined,
        refused,
        clerks,
        threshold: spec.threshold,
        draw,
        model,
        velocity: vec![],
        charges: vec![],
        rounds: vec![],
        current: None,
    })
}

/// Runs round `r` (or resumes it) to the updated model.
async fn round(
    requester: &Requester,
    store: &Store,
    chain: &MarketClient,
    rec: &mut JobRecord,
    shape: Shape,
    test: Option<&Samples>,
    r: u32,
) -> eyre::Result<()> {
    let run = rec
        .fl
        .as_mut()
        .ok_or_else(|| eyre!("training job without its run"))?;
    if run.current.as_ref().map(|c| c.round) != Some(r) {
        run.current = Some(RoundInFlight {
            round: r,
            session: B256::from(rand::random::<[u8; 32]>()),
            started_at: now_secs(),
            asked: vec![],
            contributors: vec![],
            refused: vec![],
            inputs: vec![],
            posting_from_block: None,
            posted: None,
        });
        // Kept before anyone is asked: a restart asks the same session again, and owners
        // that answered it send the same bytes.
        store.put_job(rec)?;
    }
    let run = rec
        .fl
        .as_mut()
        .ok_or_else(|| eyre!("training job without its run"))?;
    let mut cur = run
        .current
        .clone()
        .ok_or_else(|| eyre!("no round in flight"))?;
    if cur.inputs.is_empty() {
        collect(requester, run, &mut cur, shape).await?;
        run.current = Some(cur.clone());
        store.put_job(rec)?;
    }
    if cur.posted.is_none() {
        let inputs = jobs::parse_words(&cur.inputs)?;
        let sub = rec.submission.clone();
        let posted = jobs::post_once(
            requester,
            chain,
            &sub,
            shape,
            &inputs,
            cur.posting_from_block,
            |block| {
                cur.posting_from_block = Some(block);
                if let Some(run) = rec.fl.as_mut() {
                    run.current = Some(cur.clone());
                }
                Ok(store.put_job(rec)?)
            },
        )
        .await?;
        cur.posted = Some(posted.clone());
        rec.posted = Some(posted.clone());
        rec.state = JobState::Posted;
        if let Some(run) = rec.fl.as_mut() {
            run.current = Some(cur.clone());
        }
        store.put_job(rec)?;
        let confirmed = joint::confirm_inclusion(
            requester.net(),
            &cur.asked,
            &cur.contributors,
            cur.session,
            posted.job_id,
            (&posted.inputs, &posted.anchors),
        )
        .await;
        tracing::info!(target: "requester", round = r, job_id = %posted.job_id, confirmed = confirmed.len(), "round posted; owners checked their updates are inside its commitment");
    }
    let posted = cur
        .posted
        .clone()
        .ok_or_else(|| eyre!("round {r} has no post"))?;
    let (outcome, confirmed) =
        jobs::settle(requester, store, &posted, rec.submission.deadline_secs).await?;
    let summary = jobs::summary(&outcome, &confirmed, &posted);
    let run = rec
        .fl
        .as_mut()
        .ok_or_else(|| eyre!("training job without its run"))?;
    let plan = run.plan.clone();
    let (n, len) = (params(&plan), params(&plan) + 1);
    let threshold = run.threshold as usize;
    let (plain, answered, _) = joint::clerk_unmask(
        requester.net(),
        cur.session,
        &run.clerks,
        &cur.contributors,
        threshold,
        &outcome.output[..len.min(outcome.output.len())],
        None,
    )
    .await?;
    if plain.len() != len {
        return Err(eyre!(
            "round {r}: the aggregate has {} values, the model {n} and a count",
            plain.len()
        ));
    }
    let present = cur.contributors.len();
    let cfg = FlConfig {
        server_momentum: rec
            .submission
            .fl
            .as_ref()
            .map_or(0.0, |s| s.server_momentum),
        ..config(&plan)
    };
    let (next, examples) = fl::apply_aggregate(&run.model, &plain, &cfg, &mut run.velocity)
        .map_err(|e| eyre!("round {r}: {e}"))?;
    if let Some(c) = round_charge(&plan, present) {
        run.charges.push(c);
    }
    let epsilon = match plan.privacy {
        Some(p) => Some(dp::composed_epsilon(&run.charges, p.delta)?),
        None => None,
    };
    let accuracy = test.map(|t| next.accuracy(&t.x, &t.y));
    let model_id = blake3::hash(&next.to_safetensors()?).to_hex().to_string();
    let noise_std = cfg.noise_share_std(n) * (present as f64).sqrt();
    let seconds = (now_secs() - cur.started_at).max(0.0);
    run.rounds.push(RoundRecord {
        round: r,
        job_id: summary.job_id.clone(),
        settle_tx: summary.settle_tx.clone(),
        prove_seconds: summary.prove_seconds,
        contributors: cur.contributors.clone(),
        refused: cur.refused.clone(),
        examples,
        clerks_answered: answered,
        epsilon,
        noise_std: if plan.privacy.is_some() {
            noise_std
        } else {
            0.0
        },
        accuracy,
        model_id,
        seconds,
    });
    run.model = next;
    run.current = None;
    rec.outcome = Some(summary);
    store.put_job(rec)?;
    tracing::info!(target: "requester", local_id = rec.id, round = r, accuracy, epsilon, owners = present, "round complete: model updated");
    Ok(())
}

/// Publishes the model and collects the round's masked updates from every owner that
/// joined into `cur` (fails when fewer than `min_contributors` answer: nothing is posted).
async fn collect(
    requester: &Requester,
    run: &FlRun,
    cur: &mut RoundInFlight,
    shape: Shape,
) -> eyre::Result<()> {
    let plan = &run.plan;
    let net = requester.net();
    // Every owner that joined is asked every round: each decides by its own secret coin
    // whether it takes part, and answers either way.
    cur.asked = run.joined.clone();
    let min = plan.min_contributors as usize;
    let model = requester.blobs().put(run.model.to_safetensors()?);
    let request = TrainRound {
        job: run.job,
        round: cur.round,
        session: cur.session,
        model,
        clerks: run.clerks.clone(),
        threshold: run.threshold,
        draw: run.draw.clone(),
    };
    let len = params(plan) + 1;
    let asks = cur.asked.iter().map(|a| {
        let request = JobRequest::TrainRound(Box::new(request.clone()));
        async move { (a.clone(), request_at(net, a, request, ROUND_TIMEOUT).await) }
    });
    let mut received = Vec::new();
    cur.refused.clear();
    for (addr, answer) in futures::future::join_all(asks).await {
        let who = peer_of(&addr).unwrap_or_else(|| addr.clone());
        match answer {
            Ok(JobResponse::Contribution { masked, clerks, .. }) if masked.len() == len => {
                received.push((who, masked, clerks))
            }
            Ok(JobResponse::Contribution { masked, .. }) => cur.refused.push(format!(
                "{who}: sent {} values, the model has {} and a count",
                masked.len(),
                len - 1
            )),
            Ok(other) => cur.refused.push(format!("{who}: answered {other:?}")),
            Err(why) => {
                tracing::warn!(target: "requester", owner = %who, round = cur.round, "no update: {why}");
                cur.refused.push(why);
            }
        }
    }
    let (kept, dropped) =
        joint::keep_shared(received, run.clerks.len(), request.threshold as usize);
    cur.refused.extend(dropped);
    if kept.len() < min {
        return Err(eyre!(
            "round {}: {} of {} owners sent an update, {min} needed; nothing was posted. {}",
            cur.round,
            kept.len(),
            cur.asked.len(),
            cur.refused.join("; ")
        ));
    }
    cur.contributors = kept.iter().map(|(who, _, _)| who.clone()).collect();
    let vectors: Vec<Vec<U256>> = kept.into_iter().map(|(_, m, _)| m).collect();
    cur.inputs = joint::fit(&vectors, shape, len)
        .iter()
        .map(|v| v.iter().map(U256::to_string).collect())
        .collect();
    tracing::info!(target: "requester", round = cur.round, owners = cur.contributors.len(), "round updates collected");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::JobSubmission;

    fn example() -> (FlSpec, Shape) {
        let job: JobSubmission =
            toml::from_str(include_str!("../../../deploy/examples/digits-fl.toml"))
                .expect("parses");
        let shape = jobs::shape_named(&job.shape).expect("a known shape");
        let mut spec = job.fl.expect("[fl]");
        let peers: Vec<String> = (0..4)
            .map(|i| {
                format!(
                    "/ip4/127.0.0.1/tcp/{}/p2p/{}",
                    4001 + i,
                    arcanum_p2p::PeerId::random()
                )
            })
            .collect();
        spec.contributors = peers.clone();
        spec.clerks = peers;
        (spec, shape)
    }

    #[test]
    fn the_example_checks_and_its_noise_spends_exactly_its_epsilon() {
        let (spec, shape) = example();
        check(&spec, shape).expect("valid");
        let plan = plan_of(&spec, B256::repeat_byte(1)).expect("plan");
        let eps = job_epsilon(&plan).expect("eps").expect("private");
        assert!(eps <= 3.0 && eps > 2.999, "{eps}");
        // More owners than the minimum: more noise, less epsilon per round.
        let (few, many) = (
            round_charge(&plan, 3).expect("charge"),
            round_charge(&plan, 4).expect("charge"),
        );
        let e = |c: Charge| dp::composed_epsilon(&[c], 1e-5).expect("eps");
        assert!(e(many) < e(few));
        // Owners charge `rounds` rounds at the fewest owners.
        assert_eq!(job_charges(&plan).expect("charges"), vec![few; 5]);
        assert_eq!(config(&plan).algorithm, Algorithm::DpFedSgd);
    }

    #[test]
    fn sampled_rounds_are_charged_with_amplification() {
        let (mut spec, _) = example();
        spec.noise_multiplier = Some(1.0);
        spec.epsilon = None;
        let full = plan_of(&spec, B256::ZERO).expect("plan");
        spec.sample_fraction = 0.25;
        let sampled = plan_of(&spec, B256::ZERO).expect("plan");
        assert!(matches!(
            round_charge(&sampled, 3),
            Some(Charge::SampledGaussian { rate, .. }) if rate == 0.25
        ));
        let (a, b) = (
            job_epsilon(&full).expect("e").expect("private"),
            job_epsilon(&sampled).expect("e").expect("private"),
        );
        assert!(b < a / 2.0, "sampling at 1/4: {b} vs {a}");
        // Solving for epsilon 3 with sampling needs less noise.
        spec.noise_multiplier = None;
        spec.epsilon = Some(3.0);
        let z = |s: &FlSpec| {
            plan_of(s, B256::ZERO)
                .expect("plan")
                .privacy
                .expect("private")
                .noise_multiplier
        };
        let sampled_z = z(&spec);
        spec.sample_fraction = 1.0;
        assert!(sampled_z < z(&spec));
    }

    #[test]
    fn bad_specs_are_refused_naming_what_to_change() {
        let (spec, shape) = example();
        let refused = |edit: &dyn Fn(&mut FlSpec), shape: Shape, want: &str| {
            let mut s = spec.clone();
            edit(&mut s);
            let e = check(&s, shape).expect_err(want);
            assert!(e.contains(want), "{want:?} not in {e:?}");
        };
        refused(&|s| s.unit = None, shape, "unit of privacy");
        refused(
            &|s| {
                s.epsilon = None;
                s.noise_multiplier = None;
            },
            shape,
            "neither epsilon nor noise_multiplier",
        );
        refused(&|s| s.model = vec![63, 10], shape, "not the 64 features");
        refused(&|s| s.model = vec![64, 1024, 10], shape, "more than 64");
        refused(&|s| s.sample_fraction = 0.0, shape, "sample_fraction");
        refused(
            &|s| s.noise_multiplier = Some(0.5),
            shape,
            "above the epsilon 3",
        );
        refused(
            &|s| {
                s.quant_bits = 0;
                s.epsilon = None;
                s.noise_multiplier = Some(0.05);
            },
            shape,
            "raise quant_bits",
        );
        refused(&|s| s.threshold = 1, shape, "threshold 1");
        refused(&|s| s.min_contributors = 5, shape, "min_contributors 5");
        refused(&|s| s.features.push("label".into()), shape, "not the label");
        refused(&|s| s.server_momentum = 1.0, shape, "server_momentum");
        refused(
            &|_| {},
            arcanum_zk::shapes::HE_LINEAR_4X8,
            "secagg-sum shape",
        );
        refused(&|s| s.contributors.truncate(0), shape, "0 contributors");
    }

    #[test]
    fn blobs_are_named_by_their_blake3_and_bounded() {
        let blobs = Blobs::default();
        let id = blobs.put(b"model".to_vec());
        assert_eq!(id.0, *blake3::hash(b"model").as_bytes());
        assert_eq!(blobs.get(id).expect("kept").as_slice(), b"model");
        for i in 0..BLOBS_KEPT {
            blobs.put(i.to_le_bytes().to_vec());
        }
        assert!(blobs.get(id).is_none(), "the oldest is dropped");
        assert!(blobs.get(B256::ZERO).is_none());
    }
}
