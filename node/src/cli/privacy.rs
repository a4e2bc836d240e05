use super::common::DataDirArg;
use crate::api::client::ApiClient;
use clap::Args;

/// `arcanum privacy`: each dataset's privacy budget, what is spent and what remains, and
/// the releases charged to it.
#[derive(Debug, Args)]
pub(crate) struct PrivacyArgs {
    #[command(flatten)]
    dir: DataDirArg,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

impl PrivacyArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let api = ApiClient::for_data_dir(&self.dir.data_dir)?;
        let reports = api.privacy().await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&reports)?);
            return Ok(());
        }
        if reports.is_empty() {
            println!(
                "no dataset has a privacy budget (set budget = {{ epsilon = .., delta = .. }} in [[contributor.datasets]])"
            );
        }
        for r in reports {
            println!(
                "{}: spent epsilon {:.4} of {} at delta {:e}, {:.4} remaining, {} releases",
                r.dataset,
                r.spent_epsilon,
                r.budget_epsilon,
                r.budget_delta,
                r.remaining_epsilon,
                r.entries.len()
            );
            for e in &r.entries {
                let rounds = e
                    .rounds
                    .map(|n| format!(" ({n} rounds, job {})", e.session))
                    .unwrap_or_default();
                println!(
                    "  {} {}{rounds} for {}: epsilon {:.4} at delta {:e}; spent after {:.4}",
                    e.at, e.query, e.requester, e.epsilon, e.delta, e.spent_after
                );
            }
        }
        Ok(())
    }
}
