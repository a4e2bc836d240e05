use super::common::DataDirArg;
use crate::{
    api::client::ApiClient,
    store::{JobState, JobSubmission},
};
use clap::{Args, Subcommand};
use std::{path::PathBuf, time::Duration};

/// `arcanum job`: submit jobs to the node's requester and follow them.
#[derive(Debug, Args)]
pub(crate) struct JobArgs {
    #[command(subcommand)]
    command: JobCommand,
    #[command(flatten)]
    dir: DataDirArg,
    /// Print as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum JobCommand {
    /// Submit a job: a JSON file (shape, inputs, weights, reward_wei, min_stake_wei,
    /// deadline_secs), or a TOML spec (`.toml`) with the same keys and, for a joint
    /// statistic over data owners, a `[stats]` table instead of inputs (dataset, columns,
    /// query, scale_bits, contributors, min_contributors, clerks, threshold; see
    /// `deploy/examples/`).
    Submit {
        /// The job file.
        file: PathBuf,
        /// Wait until the job settles or fails (up to this many seconds).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        wait: Option<u64>,
    },
    /// Show one job.
    #[command(alias = "get")]
    Status {
        /// Local job id.
        id: u64,
    },
    /// Follow one job, printing each change, until it ends.
    Watch {
        /// Local job id.
        id: u64,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3_600)]
        timeout: u64,
    },
    /// Cancel a job that is not yet assigned (its escrow is credited back).
    Cancel {
        /// Local job id.
        id: u64,
    },
    /// List the node's jobs.
    List,
    /// A joint statistic's clerk draw: printed, and recomputed from the chain.
    Committee {
        /// Local job id.
        id: u64,
    },
    /// A joint statistic's result and its evidence, or a training job's rounds and model.
    Result {
        /// Local job id.
        id: u64,
        /// A training job: write the model here (safetensors, loadable from Python's
        /// `safetensors`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A training job: draw test accuracy and epsilon per round here (PNG).
        #[arg(long)]
        plot: Option<PathBuf>,
    },
}

impl JobArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let api = ApiClient::for_data_dir(&self.dir.data_dir)?;
        let record = match self.command {
            JobCommand::Submit { file, wait } => {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| eyre::eyre!("{}: {e}", file.display()))?;
                let parsed = if file.extension().is_some_and(|e| e == "toml") {
                    toml::from_str::<JobSubmission>(&text).map_err(|e| e.to_string())
                } else {
                    serde_json::from_str::<JobSubmission>(&text).map_err(|e| e.to_string())
                };
                let mut job = parsed.map_err(|e| {
                    eyre::eyre!(
                        "{}: not a job file ({e}); see `arcanum job submit --help`",
                        file.display()
                    )
                })?;
                // The node reads a training job's held-out split: make its path absolute.
                if let Some(test) = job.fl.as_mut().and_then(|f| f.test_csv.as_mut()) {
                    let base = file.parent().unwrap_or(std::path::Path::new("."));
                    let path = base.join(&*test);
                    *test = std::fs::canonicalize(&path)
                        .map_err(|e| eyre::eyre!("test_csv {}: {e}", path.display()))?
                        .display()
                        .to_string();
                }
                let record = api.submit(&job).await?;
                match wait {
                    Some(secs) => wait_while_open(&api, record.id, secs, false).await?,
                    None => record,
                }
            }
            JobCommand::Status { id } => api.job(id).await?,
            JobCommand::Cancel { id } => {
                api.cancel(id).await?;
                if !self.json {
                    println!("job {id}: cancel asked; `arcanum job watch {id}` follows it");
                }
                wait_while_open(&api, id, 600, !self.json).await?
            }
            JobCommand::Watch { id, timeout } => {
                wait_while_open(&api, id, timeout, !self.json).await?
            }
            JobCommand::Committee { id } => {
                let report = api.committee(id).await?;
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    let d = &report.draw;
                    println!(
                        "draw:       block {} ({}), session {}",
                        d.block, d.block_hash, d.session
                    );
                    for (i, c) in d.candidates.iter().enumerate() {
                        let at = d.chosen.iter().position(|&k| k == i);
                        println!(
                            "  {} {} stake {} ARC  {}",
                            at.map_or("-".to_string(), |k| format!("member {}", k + 1)),
                            c.ad.ad.clerk,
                            super::fmt_arc(&c.stake.to_string()),
                            c.addr
                        );
                    }
                    if let Some(key) = &report.group_key {
                        println!(
                            "group key:  {key} (dealers {:?} qualified; recomputed from the signed DKG transcript)",
                            report.qualified
                        );
                    }
                    match &report.problem {
                        None => println!("verified:   yes, recomputed from the chain"),
                        Some(p) => println!("verified:   NO: {p}"),
                    }
                }
                if !report.verified {
                    eyre::bail!("the committee draw does not verify");
                }
                return Ok(());
            }
            JobCommand::Result { id, out, plot } => {
                let record = api.job(id).await?;
                if record.fl.is_some() {
                    super::train::print_result(
                        &record,
                        self.json,
                        out.as_deref(),
                        plot.as_deref(),
                    )?;
                } else {
                    print_result(&record, self.json)?;
                }
                return Ok(());
            }
            JobCommand::List => {
                let jobs = api.jobs().await?;
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&jobs)?);
                } else {
                    for j in jobs {
                        let chain_id = j
                            .posted
                            .as_ref()
                            .map(|p| p.job_id.0.to_string())
                            .unwrap_or_else(|| "-".into());
                        println!(
                            "{:>4}  {:<9?} {:<18} on-chain #{chain_id}",
                            j.id, j.state, j.submission.shape
                        );
                    }
                }
                return Ok(());
            }
        };
        if self.json {
            println!("{}", serde_json::to_string_pretty(&record)?);
        } else {
            println!("job {} is {:?}", record.id, record.state);
            if let Some(o) = &record.outcome {
                println!(
                    "on chain:   #{} settled by {} for {} ARC",
                    o.job_id,
                    o.worker,
                    super::fmt_arc(&o.ask_wei)
                );
                println!("output:     [{}]", o.output.join(", "));
            }
            if let Some(e) = &record.error {
                println!("error:      {e}");
            }
        }
        Ok(())
    }
}

/// Polls job `id` until it is settled, failed or cancelled (at most `secs`), printing each
/// change of state when `progress`.
async fn wait_while_open(
    api: &ApiClient,
    id: u64,
    secs: u64,
    progress: bool,
) -> eyre::Result<crate::store::JobRecord> {
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    let mut last = None;
    let mut rounds_shown = 0;
    loop {
        let record = api.job(id).await?;
        if progress && let Some(run) = &record.fl {
            rounds_shown = super::train::print_progress(run, rounds_shown);
        }
        if progress && last != Some(record.state) {
            let chain_id = record
                .posted
                .as_ref()
                .map(|p| format!(" (on chain #{})", p.job_id.0))
                .unwrap_or_default();
            eprintln!("job {id}: {:?}{chain_id}", record.state);
            last = Some(record.state);
        }
        if !matches!(record.state, JobState::Submitted | JobState::Posted) {
            return Ok(record);
        }
        if std::time::Instant::now() > until {
            eyre::bail!(
                "job {id} still {:?} after {secs}s; follow it with `arcanum job watch {id}`",
                record.state
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `job result`: the statistics and what vouches for them.
fn print_result(record: &crate::store::JobRecord, json: bool) -> eyre::Result<()> {
    let Some(run) = &record.stats else {
        eyre::bail!(
            "job {} is not a joint statistic; `arcanum job get {}` shows it",
            record.id,
            record.id
        );
    };
    let Some(statistics) = &run.statistics else {
        eyre::bail!(
            "job {} is {:?}: no statistics yet{}",
            record.id,
            record.state,
            record
                .error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
    };
    let outcome = record
        .outcome
        .as_ref()
        .ok_or_else(|| eyre::eyre!("job {} has statistics but no settlement", record.id))?;
    if json {
        let out = serde_json::json!({
            "id": record.id,
            "statistics": statistics,
            "evidence": {
                "job_id": outcome.job_id,
                "worker": outcome.worker,
                "settle_tx": outcome.settle_tx,
                "input_commitment": outcome.input_commitment,
                "output_commitment": outcome.output_commitment,
                "contributors": run.contributors,
                "refused": run.refused,
                "clerks_answered": run.clerks_answered,
                "included_confirmed": run.included_confirmed,
                "noise_std": run.noise_std,
                "session": run.session,
                "dkg_seconds": run.dkg_seconds,
            },
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if let Some(n) = statistics.count {
        println!("rows:       {n}");
    }
    for (j, h) in statistics.histograms.iter().enumerate() {
        let name = statistics.columns.get(j).map_or("", String::as_str);
        let edges: Vec<String> = statistics.edges.iter().map(f64::to_string).collect();
        println!(
            "{name:<16} histogram over edges [{}]: {h:?}",
            edges.join(", ")
        );
    }
    if let Some(sigma) = run.noise_std {
        println!(
            "noise:      differentially private; each value carries noise of std {sigma:.2} rows"
        );
    }
    for (j, c) in statistics.columns.iter().enumerate() {
        let cell = |v: &Vec<f64>| v.get(j).map(|x| format!("{x:.6}")).unwrap_or_default();
        println!(
            "{c:<16} sum {:<14} mean {:<12} variance {}",
            cell(&statistics.sums),
            cell(&statistics.means),
            cell(&statistics.variances)
        );
    }
    println!(
        "evidence:   on-chain job #{} proven and settled by {} (tx {}); {} data owners ({} checked their vector is in the posted commitment), {} {:?} {} it",
        outcome.job_id,
        outcome.worker,
        outcome.settle_tx,
        run.contributors.len(),
        run.included_confirmed.len(),
        if run.key.is_some() {
            "committee members"
        } else {
            "clerks"
        },
        run.clerks_answered,
        if run.key.is_some() {
            "decrypted"
        } else {
            "unmasked"
        },
    );
    Ok(())
}
