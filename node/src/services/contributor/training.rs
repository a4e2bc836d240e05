//! The data owner's side of a federated training job: join (the plan checked against the
//! policy, the whole job charged to the dataset's privacy budget), then one masked update
//! per round, each round answered at most once.

use super::{Contributor, parse_peer_addr};
use crate::{services::fl, store::TrainingJoin};
use arcanum_compute::fl::{self as train, Model};
use arcanum_p2p::PeerId;
use arcanum_protocol::{B256, JobRequest, JobResponse, RejectReason, TrainPlan, TrainRound};
use std::time::Duration;

/// How long the requester has to send the round's model.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest model file an owner accepts (a plan's model fits at most 64 chunks of a shape:
/// a few thousand parameters, tens of KB).
const MAX_MODEL_BYTES: usize = 1 << 20;

impl Contributor {
    /// Why the policy refuses `plan` from `requester`, if it does.
    fn training_refusal(&self, requester: &str, plan: &TrainPlan) -> Option<String> {
        let p = &self.policy;
        if !p.training {
            return Some("this owner does not join training jobs (contributor.training)".into());
        }
        if !p.requesters.iter().any(|r| r == "*" || r == requester) {
            return Some(format!(
                "requester {requester} is not in contributor.requesters"
            ));
        }
        let Some(dataset) = p.datasets.iter().find(|d| d.name == plan.dataset) else {
            return Some(format!("no dataset {:?} here", plan.dataset));
        };
        if let Some(c) = plan
            .features
            .iter()
            .chain(std::iter::once(&plan.label))
            .find(|c| !dataset.columns.contains(c))
        {
            return Some(format!(
                "column {c:?} of {:?} is not offered (contributor.datasets columns)",
                plan.dataset
            ));
        }
        if let Err(e) = fl::check_plan(plan) {
            return Some(e);
        }
        if plan.contributors < p.min_contributors
            || (plan.privacy.is_some() && plan.min_contributors < p.min_contributors)
        {
            return Some(format!(
                "{} owners asked, the noise shared among {}; this owner's contributor.min_contributors is {}",
                plan.contributors, plan.min_contributors, p.min_contributors
            ));
        }
        if let Some(max) = p.max_epsilon {
            // At the owner's delta (its budget's, or 1e-5), never a larger one the
            // requester picked.
            let delta = dataset.budget.map_or(1e-5, |b| b.delta);
            match fl::job_epsilon_at(plan, delta.min(plan.privacy.map_or(delta, |q| q.delta))) {
                Ok(Some(eps)) if eps <= max => {}
                Ok(Some(eps)) => {
                    return Some(format!(
                        "the job's epsilon {eps:.3} is above this owner's contributor.max_epsilon {max}"
                    ));
                }
                Ok(None) => {
                    return Some(format!(
                        "this owner trains only with differential privacy (epsilon <= {max})"
                    ));
                }
                Err(e) => return Some(e),
            }
        }
        None
    }

    /// Joins `plan`: checks it, charges the whole job to the dataset's budget (or refuses
    /// with what remains), and records it. Joining the same job again is answered alike.
    pub(super) async fn join_training(
        &self,
        from: PeerId,
        plan: &TrainPlan,
    ) -> Result<JobResponse, RejectReason> {
        let failed = |e: String| RejectReason::Failed(format!("store: {e}"));
        let store = self.store.as_ref().ok_or_else(|| failed("none".into()))?;
        let requester = from.to_base58();
        let key = plan.job.to_string();
        if let Some(joined) = store.training(&key).map_err(|e| failed(e.to_string()))? {
            return if joined.requester == requester && joined.plan == *plan {
                Ok(JobResponse::Ack)
            } else {
                Err(RejectReason::Policy(format!(
                    "training job {} was joined with another plan",
                    plan.job
                )))
            };
        }
        if let Some(why) = self.training_refusal(&requester, plan) {
            return Err(RejectReason::Policy(why));
        }
        let budget = self
            .policy
            .datasets
            .iter()
            .find(|d| d.name == plan.dataset)
            .and_then(|d| d.budget);
        if budget.is_some() {
            let (Some(charges), Some(privacy)) = (fl::job_charges(plan), plan.privacy) else {
                return Err(RejectReason::Policy(format!(
                    "dataset {:?} has a privacy budget: it joins only differentially private training (set epsilon and unit)",
                    plan.dataset
                )));
            };
            let epsilon = fl::job_epsilon(plan)
                .map_err(RejectReason::Policy)?
                .unwrap_or_default();
            let entry = crate::store::PrivacyEntry {
                session: plan.job.to_string(),
                requester: requester.clone(),
                query: format!("fl/{}", privacy.unit.name()),
                epsilon,
                delta: privacy.delta,
                rounds: Some(plan.rounds),
                spent_after: 0.0,
                at: arcanum_protocol::unix_now(),
            };
            let what = format!(
                "this training job ({} rounds, epsilon {epsilon:.3} at delta {:e})",
                plan.rounds, privacy.delta
            );
            self.charge_ledger(&plan.dataset, &charges, entry, &what)
                .await?;
        }
        store
            .put_training(
                &key,
                &TrainingJoin {
                    requester,
                    plan: plan.clone(),
                    answered: vec![],
                    last: None,
                },
            )
            .map_err(|e| failed(e.to_string()))?;
        tracing::info!(target: "contributor", job = %plan.job, dataset = %plan.dataset, rounds = plan.rounds, "joined a training job");
        Ok(JobResponse::Ack)
    }

    /// Leaves a joined job that never started: its charge is released from the dataset's
    /// ledger, if no round was answered (after one, the charge stays).
    pub(super) async fn leave_training(&self, from: PeerId, job: B256) -> Result<(), RejectReason> {
        let failed = |e: String| RejectReason::Failed(format!("store: {e}"));
        let store = self.store.as_ref().ok_or_else(|| failed("none".into()))?;
        let key = job.to_string();
        let _one_at_a_time = self.ledger.lock().await;
        let Some(joined) = store
            .training(&key)
            .map_err(|e| failed(e.to_string()))?
            .filter(|j| j.requester == from.to_base58())
        else {
            return Err(RejectReason::Policy(format!(
                "training job {job} not joined"
            )));
        };
        if !joined.answered.is_empty() {
            return Err(RejectReason::Policy(format!(
                "rounds {:?} of {job} were answered: its charge stays",
                joined.answered
            )));
        }
        // The join goes first: a crash between the two writes leaves the charge in place
        // (the safe side), never a join without its charge.
        store
            .remove_training(&key)
            .map_err(|e| failed(e.to_string()))?;
        let mut ledgers = store.privacy_ledgers().map_err(|e| failed(e.to_string()))?;
        if let (Some(ledger), Some(charges)) = (
            ledgers
                .iter_mut()
                .find(|l| l.dataset == joined.plan.dataset),
            fl::job_charges(&joined.plan),
        ) && let Some(at) = ledger.entries.iter().position(|e| e.session == key)
        {
            if !ledger.accountant.release(&charges) {
                return Err(failed(format!(
                    "the ledger of {:?} lacks job {job}'s charges",
                    ledger.dataset
                )));
            }
            ledger.entries.remove(at);
            store
                .put_privacy_ledger(ledger)
                .map_err(|e| failed(e.to_string()))?;
        }
        tracing::info!(target: "contributor", %job, "left a training job that did not start; its charge was released");
        Ok(())
    }

    /// Trains one round of a joined job and answers with the masked update.
    pub(super) async fn train_round(
        &self,
        from: PeerId,
        req: &TrainRound,
    ) -> Result<JobResponse, RejectReason> {
        let policy = |m: String| RejectReason::Policy(m);
        let failed = |e: String| RejectReason::Failed(format!("store: {e}"));
        let store = self.store.as_ref().ok_or_else(|| failed("none".into()))?;
        let requester = from.to_base58();
        let key = req.job.to_string();
        // The operator may have stopped training, or this requester, since it joined.
        let p = &self.policy;
        if !p.training || !p.requesters.iter().any(|r| r == "*" || *r == requester) {
            return Err(policy(format!(
                "this owner does not train for {requester} (contributor.training, contributor.requesters)"
            )));
        }
        // The round is reserved before anything is read or fetched: one update per round,
        // ever (a second would release a second noisy view), and a job with a round
        // reserved can no longer be left. A repeated request for the same round and
        // session (the requester restarted mid-round) gets the same bytes.
        let plan = {
            let _one_at_a_time = self.ledger.lock().await;
            let mut joined = store
                .training(&key)
                .map_err(|e| failed(e.to_string()))?
                .filter(|j| j.requester == requester)
                .ok_or_else(|| {
                    policy(format!(
                        "this owner has not joined training job {} for {requester}",
                        req.job
                    ))
                })?;
            if let Some(last) = joined
                .last
                .as_ref()
                .filter(|l| l.round == req.round && l.session == req.session)
            {
                return Ok(JobResponse::Contribution {
                    anchor: None,
                    anchor_signature: None,
                    knowledge: None,
                    masked: last.masked.clone(),
                    clerks: last.clerks.clone(),
                });
            }
            if !(1..=joined.plan.rounds).contains(&req.round) {
                return Err(policy(format!(
                    "round {} of a {}-round job",
                    req.round, joined.plan.rounds
                )));
            }
            if joined.answered.contains(&req.round) {
                return Err(policy(format!(
                    "round {} was already answered: one update per round",
                    req.round
                )));
            }
            joined.answered.push(req.round);
            store
                .put_training(&key, &joined)
                .map_err(|e| failed(e.to_string()))?;
            joined.plan
        };
        let (n, t) = (req.clerks.len(), req.threshold as usize);
        if !(2..=n).contains(&t) || n > super::MAX_CLERKS {
            return Err(policy(format!(
                "threshold {t} of {n} clerks: needs 2 <= threshold <= clerks <= {}",
                super::MAX_CLERKS
            )));
        }
        for a in &req.clerks {
            parse_peer_addr(a).map_err(RejectReason::BadInputs)?;
        }
        self.check_draw(req.draw.as_ref(), &req.clerks).await?;
        let model = self.fetch_model(from, req.model, &plan.layers).await?;
        let dataset = self
            .policy
            .datasets
            .iter()
            .find(|d| d.name == plan.dataset)
            .cloned()
            .ok_or_else(|| policy("dataset vanished".into()))?;
        let path = self.data_dir.join(&dataset.path);
        let cfg = fl::config(&plan);
        let classes = plan.layers.last().copied().unwrap_or(0);
        let (features, label) = (plan.features.clone(), plan.label.clone());
        let trained = tokio::task::spawn_blocking(move || {
            let data = train::read_csv(&path, &features, &label, classes)?;
            let ints = train::local_integers(&model, &data, &cfg, &mut rand::rngs::OsRng)?;
            Ok::<_, train::FlError>((data.len(), train::quantize::encode(&ints)?))
        })
        .await
        .map_err(|e| RejectReason::Failed(e.to_string()))?;
        let (rows, values) = trained.map_err(|e| {
            // The details (a cell's value, a line) stay in this node's log: a requester
            // choosing the label column and the classes must not read the data through
            // error messages.
            tracing::error!(target: "contributor", dataset = %dataset.name, job = %req.job, "cannot train: {e}");
            RejectReason::Failed(
                "this owner's data does not fit the plan (its operator has the details in the node's log)"
                    .into(),
            )
        })?;
        let min_set = self.policy.min_contributors.max(plan.min_contributors);
        // A training round anchors nothing: its sum backs no data-oracle value.
        let (masked, acked, _) = self
            .mask_and_share(
                req.session,
                &req.clerks,
                req.threshold,
                min_set,
                &requester,
                &values,
                None,
            )
            .await?;
        {
            let _one_at_a_time = self.ledger.lock().await;
            if let Some(mut now) = store
                .training(&key)
                .map_err(|e| failed(e.to_string()))?
                .filter(|j| j.plan == plan)
            {
                now.last = Some(crate::store::TrainingAnswer {
                    round: req.round,
                    session: req.session,
                    masked: masked.clone(),
                    clerks: acked.clone(),
                });
                store
                    .put_training(&key, &now)
                    .map_err(|e| failed(e.to_string()))?;
            }
        }
        tracing::info!(target: "contributor", job = %req.job, round = req.round, rows, clerks = acked.len(), "sent a training update");
        self.remember(req.session, requester, masked.clone(), None);
        Ok(JobResponse::Contribution {
            masked,
            clerks: acked,
            anchor: None,
            anchor_signature: None,
            knowledge: None,
        })
    }

    /// Fetches the model `id` from the requester and checks its hash, format and layers.
    async fn fetch_model(
        &self,
        from: PeerId,
        id: B256,
        layers: &[usize],
    ) -> Result<Model, RejectReason> {
        let answer = tokio::time::timeout(
            FETCH_TIMEOUT,
            self.net.request(from, JobRequest::FetchBlob { id }),
        )
        .await;
        let bytes = match answer {
            Ok(Ok(JobResponse::Blob(bytes))) => bytes,
            Ok(Ok(other)) => {
                return Err(RejectReason::BadInputs(format!(
                    "model {id}: the requester answered {other:?}"
                )));
            }
            Ok(Err(e)) => return Err(RejectReason::Failed(format!("model {id}: {e}"))),
            Err(_) => {
                return Err(RejectReason::Failed(format!(
                    "model {id}: not sent in {FETCH_TIMEOUT:?}"
                )));
            }
        };
        if bytes.len() > MAX_MODEL_BYTES || *blake3::hash(&bytes).as_bytes() != id.0 {
            return Err(RejectReason::BadInputs(format!(
                "the model sent is not {id} (blake3 differs)"
            )));
        }
        let model =
            Model::from_safetensors(&bytes).map_err(|e| RejectReason::BadInputs(e.to_string()))?;
        if model.layers != layers {
            return Err(RejectReason::BadInputs(format!(
                "the round's model has layers {:?}, the plan {layers:?}",
                model.layers
            )));
        }
        Ok(model)
    }
}
