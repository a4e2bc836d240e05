//! `arcanum feed`: the data oracle for dApp developers, through the node's API (its chain
//! client and account): feeds and their latest values, requests, and following a request
//! to its end.

use super::common::DataDirArg;
use crate::api::{
    client::ApiClient,
    types::{FeedRequestBody, FeedRequestReport, FeedRequestState},
};
use clap::{Args, Subcommand};
use std::time::Duration;

/// `arcanum feed`: read, request and follow data-oracle values.
#[derive(Debug, Args)]
pub(crate) struct FeedArgs {
    #[command(subcommand)]
    command: FeedCommand,
    #[command(flatten)]
    dir: DataDirArg,
    /// Print as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum FeedCommand {
    /// Every feed fulfilled since the deployment, with its latest value.
    List,
    /// One feed's latest value and what backs it.
    Get {
        /// Its name (`iris/sepal_length/mean`) or `0x` id.
        feed: String,
    },
    /// Request a value, paying the fee from this node's account.
    Request {
        /// The feed's name or `0x` id.
        feed: String,
        /// Fee for the oracle node, in ARC (e.g. 1 or 0.5).
        #[arg(long, default_value = "1")]
        fee: String,
        /// Seconds until the request may be cancelled and refunded.
        #[arg(long, default_value_t = 3_600)]
        ttl: u64,
        /// Contract to call back (`IDataOracleConsumer.onOracleValue`).
        #[arg(long)]
        callback: Option<alloy::primitives::Address>,
        /// Gas for the callback.
        #[arg(long, default_value_t = 100_000)]
        callback_gas: u32,
        /// Follow it until it is fulfilled, expires or is cancelled (up to this many seconds).
        #[arg(long)]
        wait: Option<u64>,
    },
    /// Follow a request until it is fulfilled, expires or is cancelled.
    Watch {
        /// The request id.
        id: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3_600)]
        timeout: u64,
    },
    /// Cancel an expired request this node made (its fee is credited back).
    Cancel {
        /// The request id.
        id: String,
    },
    /// The requests this oracle node took and where each ended (oracle role).
    Served,
    /// Define a feed on chain (the data oracle's owner, with this data dir's key): the
    /// query its job runs (which data owners anchor), its statistic, and the verifiers of
    /// its proofs. Oracle nodes serve it with the same spec and statistic.
    Define {
        /// The feed's name, e.g. `iris/sepal_length/mean`.
        name: String,
        /// The job spec (TOML with a `[stats]` table) oracle nodes run for it.
        #[arg(long)]
        spec: std::path::PathBuf,
        /// `count`, `sum` or `mean`.
        #[arg(long, value_parser = ["count", "sum", "mean"])]
        statistic: String,
        /// Its column (not for `count`).
        #[arg(long)]
        column: Option<String>,
        /// The value is the statistic times `10^decimals`, rounded half up.
        #[arg(long, default_value_t = 18)]
        decimals: u32,
        /// The feed's data owners: the addresses their nodes sign with (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        owners: Vec<alloy::primitives::Address>,
        /// Fewest of them a value must combine (default: the spec's `min_contributors`).
        #[arg(long)]
        min_owners: Option<u8>,
    },
}

impl FeedArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        if let FeedCommand::Define {
            name,
            spec,
            statistic,
            column,
            decimals,
            owners,
            min_owners,
        } = &self.command
        {
            let config = crate::config::FeedConfig {
                name: name.clone(),
                spec: spec.display().to_string(),
                statistic: serde_json::from_value(serde_json::Value::String(statistic.clone()))?,
                column: column.clone(),
                decimals: *decimals,
                min_fee_wei: "0".into(),
            };
            return define(&self.dir.data_dir, config, (owners, *min_owners), self.json).await;
        }
        let api = ApiClient::for_data_dir(&self.dir.data_dir)?;
        let report = match self.command {
            FeedCommand::List => {
                let feeds = api.feeds().await?;
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&feeds)?);
                } else if feeds.is_empty() {
                    println!("no feed has been fulfilled on this deployment yet");
                }
                if !self.json {
                    for f in feeds {
                        println!(
                            "{}  {}  job #{}  request #{}  block {}  ({} fulfilments)",
                            f.feed, f.value, f.job_id, f.request_id, f.block, f.fulfilments
                        );
                    }
                }
                return Ok(());
            }
            FeedCommand::Get { feed } => {
                let id = arcanum_chain::feed_id(&feed);
                let found = api.feeds().await?.into_iter().find(|f| f.feed == id);
                let Some(f) = found else {
                    eyre::bail!(
                        "feed {feed} ({id}) has no value yet; `arcanum feed request {feed}` asks for one"
                    );
                };
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&f)?);
                } else {
                    println!(
                        "{feed}: {} (backed by job #{} proven by {}, request #{}, block {})",
                        f.value, f.job_id, f.worker, f.request_id, f.block
                    );
                }
                return Ok(());
            }
            FeedCommand::Request {
                feed,
                fee,
                ttl,
                callback,
                callback_gas,
                wait,
            } => {
                let fee_wei = if fee == "0" {
                    "0".to_string()
                } else {
                    super::parse_arc(&fee)?
                };
                let report = api
                    .feed_request(&FeedRequestBody {
                        feed,
                        fee_wei,
                        ttl_secs: ttl,
                        callback,
                        callback_gas: if callback.is_some() { callback_gas } else { 0 },
                    })
                    .await?;
                if !self.json {
                    println!(
                        "request #{} is open until {} (unix); `arcanum feed watch {}` follows it",
                        report.request_id, report.request.expires_at, report.request_id
                    );
                }
                match wait {
                    Some(secs) => follow(&api, &report.request_id, secs, !self.json).await?,
                    None => report,
                }
            }
            FeedCommand::Watch { id, timeout } => follow(&api, &id, timeout, !self.json).await?,
            FeedCommand::Cancel { id } => api.feed_request_cancel(&id).await?,
            FeedCommand::Define { .. } => unreachable!("handled above"),
            FeedCommand::Served => {
                let tasks = api.oracle_tasks().await?;
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&tasks)?);
                } else {
                    for t in &tasks {
                        println!(
                            "request #{}  {}  {:?}  value {}  job #{}  {}",
                            t.request_id,
                            t.name.as_deref().unwrap_or("(not served)"),
                            t.state,
                            t.value.as_deref().unwrap_or("-"),
                            t.job_id.as_deref().unwrap_or("-"),
                            t.detail.as_deref().unwrap_or_default()
                        );
                    }
                }
                return Ok(());
            }
        };
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_report(&report);
        }
        Ok(())
    }
}

fn print_report(r: &FeedRequestReport) {
    println!("request #{}: {:?}", r.request_id, r.state);
    for l in &r.events {
        println!("  block {}: {:?}", l.block, l.event);
    }
}

/// Polls request `id` until it leaves `Open` (at most `secs`), printing each change.
async fn follow(
    api: &ApiClient,
    id: &str,
    secs: u64,
    progress: bool,
) -> eyre::Result<FeedRequestReport> {
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    let mut seen = 0;
    loop {
        let report = api.feed_request_report(id).await?;
        if progress {
            for l in report.events.iter().skip(seen) {
                eprintln!("request #{id}: block {}: {:?}", l.block, l.event);
            }
        }
        seen = report.events.len();
        if report.state != FeedRequestState::Open {
            return Ok(report);
        }
        if std::time::Instant::now() > until {
            eyre::bail!(
                "request #{id} still open after {secs}s; `arcanum feed watch {id}` follows it"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `feed define`: the feed's on-chain definition from its spec, sent with the data dir's
/// key (the data oracle's owner).
async fn define(
    data_dir: &std::path::Path,
    feed: crate::config::FeedConfig,
    (owners, min_owners): (&[alloy::primitives::Address], Option<u8>),
    json: bool,
) -> eyre::Result<()> {
    let cfg = crate::config::NodeConfig::load(data_dir, &[])?.config;
    let password = crate::identity::read_password(&cfg.keystore.password_file)?;
    let signer = crate::identity::unlock(&data_dir.join(&cfg.keystore.path), &password)?;
    let (chain, _) = crate::daemon::chain_client(data_dir, &cfg, signer).await?;
    let feeds = crate::services::oracle::load_feeds(&[feed], std::path::Path::new("."))?;
    let feed = &feeds[0];
    let min = match min_owners {
        Some(m) => m,
        None => feed
            .job
            .stats
            .as_ref()
            .map_or(Ok(1), |s| u8::try_from(s.min_contributors.max(1)))?,
    };
    if owners.len() < usize::from(min) {
        return Err(eyre::eyre!(
            "{} owners named, but a value combines at least {min}: name more with --owners",
            owners.len()
        ));
    }
    let def = crate::services::oracle::definition(feed, chain.deployment(), min)?;
    let tx = chain.oracle_set_feed(feed.id, &def).await?;
    chain.oracle_set_feed_owners(feed.id, owners, true).await?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "feed": feed.config.name,
                "feed_id": feed.id.to_string(),
                "definition": def,
                "owners": owners,
                "tx": tx.tx_hash.to_string(),
            })
        );
    } else {
        println!(
            "defined {} ({}): query tag {}, statistic params {:#x}, {} clerks' proofs, tx {}",
            feed.config.name, feed.id, def.query_tag, def.params, def.threshold, tx.tx_hash
        );
    }
    Ok(())
}
