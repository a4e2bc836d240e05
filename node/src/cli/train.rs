//! Training jobs in `arcanum job watch` (a line per round) and `arcanum job result` (the
//! rounds, the model file, the curve).

use crate::store::{FlRun, JobRecord};
use std::path::Path;

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.digits$}"))
}

/// Prints the rounds of `run` after the first `shown` on stderr; returns how many are shown.
pub(crate) fn print_progress(run: &FlRun, shown: usize) -> usize {
    let total = run.plan.rounds;
    for r in run.rounds.iter().skip(shown) {
        eprintln!(
            "round {}/{total}: accuracy {}  epsilon {}  {} owners, {} examples  on chain #{} ({:.1} s)",
            r.round,
            fmt_opt(r.accuracy, 4),
            fmt_opt(r.epsilon, 3),
            r.contributors.len(),
            r.examples,
            r.job_id,
            r.seconds
        );
    }
    run.rounds.len()
}

/// `job result` for a training job: the rounds and what vouches for them; the model
/// written to `out` (safetensors) and the curve to `plot` (PNG) when asked.
pub(crate) fn print_result(
    record: &JobRecord,
    json: bool,
    out: Option<&Path>,
    plot: Option<&Path>,
) -> eyre::Result<()> {
    let run = record
        .fl
        .as_ref()
        .ok_or_else(|| eyre::eyre!("job {} is not a training job", record.id))?;
    if let Some(path) = out {
        let bytes = run.model.to_safetensors()?;
        std::fs::write(path, &bytes).map_err(|e| eyre::eyre!("{}: {e}", path.display()))?;
        if !json {
            println!(
                "model:      {} ({} bytes, layers {:?}, blake3 {}) after {} rounds",
                path.display(),
                bytes.len(),
                run.model.layers,
                blake3::hash(&bytes).to_hex(),
                run.rounds.len()
            );
        }
    }
    if let Some(path) = plot {
        let mut accuracy: Vec<f64> = run.initial_accuracy.into_iter().collect();
        accuracy.extend(run.rounds.iter().filter_map(|r| r.accuracy));
        let mut epsilon = vec![0.0];
        epsilon.extend(run.rounds.iter().map(|r| r.epsilon.unwrap_or(0.0)));
        if accuracy.len() < epsilon.len() {
            // No held-out split: only epsilon is drawn.
            accuracy.clear();
        }
        super::plot::chart(path, &accuracy, &epsilon, true)
            .map_err(|e| eyre::eyre!("{}: {e}", path.display()))?;
        if !json {
            println!("curve:      {}", path.display());
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "id": record.id,
                "state": record.state,
                "job": run.job,
                "plan": run.plan,
                "joined": run.joined,
                "refused": run.refused,
                "clerks": run.clerks,
                "initial_accuracy": run.initial_accuracy,
                "rounds": run.rounds,
                "error": record.error,
            }))?
        );
        return Ok(());
    }
    let plan = &run.plan;
    println!(
        "job {} is {:?}: {} of {} rounds, model {:?}, {} owners joined",
        record.id,
        record.state,
        run.rounds.len(),
        plan.rounds,
        plan.layers,
        run.joined.len()
    );
    match plan.privacy {
        Some(p) => println!(
            "privacy:    {} level, noise multiplier {:.4}, clip {}, delta {:e}, sampling {}",
            p.unit.name(),
            p.noise_multiplier,
            p.max_grad_norm,
            p.delta,
            plan.sample_rate
        ),
        None => println!("privacy:    none (FedAvg)"),
    }
    if let Some(a) = run.initial_accuracy {
        println!("round 0:    accuracy {a:.4} (initial model)");
    }
    for r in &run.rounds {
        println!(
            "round {:<4} accuracy {}  epsilon {}  {} owners {} examples  job #{} proven in {:.2} s, settled tx {}",
            r.round,
            fmt_opt(r.accuracy, 4),
            fmt_opt(r.epsilon, 3),
            r.contributors.len(),
            r.examples,
            r.job_id,
            r.prove_seconds,
            r.settle_tx
        );
    }
    if let Some(e) = &record.error {
        println!("error:      {e}");
    }
    Ok(())
}
