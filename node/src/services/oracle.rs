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
//! Trust: the value is the node's decoding of a proven, settled job, but the contract does
//! not yet check that binding (issue "A trustless data oracle").

use crate::{
    config::FeedConfig,
    store::{JobRecord, JobState, JobSubmission, OracleState, OracleTask, Store},
};
use alloy::primitives::I256;
use arcanum_chain::{MarketClient, OracleEvent};
use arcanum_protocol::{B256, JobId, Query, U256};
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
}

/// Loads and checks the feeds of `[oracle]` (specs relative to `data_dir`).
pub fn load_feeds(feeds: &[FeedConfig], data_dir: &Path) -> eyre::Result<Vec<Feed>> {
    feeds
        .iter()
        .map(|f| {
            let path = data_dir.join(&f.spec);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| eyre!("oracle feed {:?}: spec {}: {e}", f.name, path.display()))?;
            let job: JobSubmission = toml::from_str(&text).map_err(|e| {
                eyre!("oracle feed {:?}: {} is not a job spec: {e}", f.name, path.display())
            })?;
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
            Ok(Feed {
                id: arcanum_chain::feed_id(&f.name),
                min_fee: U256::from_str(&f.min_fee_wei)?,
                job,
                config: f.clone(),
            })
        })
        .collect()
}

/// The feed's value from a settled joint statistic: the statistic times `10^decimals`,
/// rounded.
pub fn value_of(feed: &FeedConfig, rec: &JobRecord) -> eyre::Result<I256> {
    let stats = rec
        .stats
        .as_ref()
        .and_then(|r| r.statistics.as_ref())
        .ok_or_else(|| eyre!("job {} released no statistics", rec.id))?;
    let column = |v: &Vec<f64>| -> eyre::Result<f64> {
        let name = feed.column.as_deref().unwrap_or_default();
        stats
            .columns
            .iter()
            .position(|c| c == name)
            .and_then(|j| v.get(j).copied())
            .ok_or_else(|| {
                eyre!(
                    "job {} has no {} of {name:?}",
                    rec.id,
                    feed.statistic.name()
                )
            })
    };
    let x = match feed.statistic {
        Query::Count => stats
            .count
            .ok_or_else(|| eyre!("job {} released no count", rec.id))?,
        Query::Sum => column(&stats.sums)?,
        Query::Mean => column(&stats.means)?,
        Query::Variance => column(&stats.variances)?,
        Query::Histogram => return Err(eyre!("a histogram is not one value")),
    };
    let scaled = (x * 10f64.powi(feed.decimals as i32)).round();
    if !scaled.is_finite() || scaled.abs() >= 1.7e38 {
        return Err(eyre!(
            "{x} at {} decimals does not fit the feed's value",
            feed.decimals
        ));
    }
    Ok(I256::try_from(scaled as i128)?)
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
}

impl Oracle {
    /// Runs until the process stops: resumes running tasks, then scans and answers.
    pub async fn run(self) {
        let me = Arc::new(self);
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
                    let rec = self.store.insert_job(f.job.clone())?;
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
        let value = value_of(&feed.config, &rec).map_err(failed)?;
        let job_id = rec
            .outcome
            .as_ref()
            .and_then(|o| U256::from_str(&o.job_id).ok())
            .ok_or_else(|| failed(eyre!("job {local} settled without its on-chain id")))?;
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
        match self
            .chain
            .oracle_fulfill(request, value, JobId(job_id))
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
            Err(e) if e.to_string().contains("RequestNotOpen") => {
                task.state = OracleState::Lost;
                task.detail =
                    Some("another oracle node fulfilled it first (the fulfilment reverted)".into());
                Ok(())
            }
            Err(e) => Err(failed(e.into())),
        }
    }
}
