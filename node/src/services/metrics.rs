//! Counters the services update and `/metrics` exposes (Prometheus text format).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Upper bounds (seconds) of the prove-time histogram buckets.
pub const PROVE_BUCKETS: [f64; 6] = [0.1, 0.5, 1.0, 5.0, 30.0, 120.0];

/// The node's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Proofs made (one per chunk).
    pub proofs: AtomicU64,
    /// Prove-time histogram: cumulative counts per bucket of [`PROVE_BUCKETS`].
    pub prove_buckets: [AtomicU64; 6],
    /// Sum of prove times, milliseconds.
    pub prove_ms_sum: AtomicU64,
    /// Jobs proven (the histogram's count).
    pub prove_count: AtomicU64,
    /// Gas spent by this node's transactions.
    pub gas_spent: AtomicU64,
    /// Chain calls that failed.
    pub rpc_errors: AtomicU64,
    /// Last block the chain watcher read through (with its confirmations).
    pub watched_block: AtomicU64,
    /// Reorgs the chain watcher rolled back.
    pub reorgs: AtomicU64,
    /// Contributions made as a data owner.
    pub contributions: AtomicU64,
    /// Of them, found inside their posted job's input commitment.
    pub contributions_verified: AtomicU64,
    /// Bytes a data owner sent for them (pad shares to clerks, masked vectors to the
    /// requester), as encoded on the wire.
    pub contributor_bytes_sent: AtomicU64,
}

impl Metrics {
    /// Records one proven job of `proofs` proofs taking `seconds`.
    pub fn observe_prove(&self, proofs: usize, seconds: f64) {
        self.proofs.fetch_add(proofs as u64, Relaxed);
        self.prove_count.fetch_add(1, Relaxed);
        self.prove_ms_sum
            .fetch_add((seconds * 1000.0) as u64, Relaxed);
        for (bucket, bound) in self.prove_buckets.iter().zip(PROVE_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
    }

    /// Records gas spent.
    pub fn gas(&self, gas: u64) {
        self.gas_spent.fetch_add(gas, Relaxed);
    }

    /// Renders the counters (the caller appends gauges read at scrape time).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let v = |a: &AtomicU64| a.load(Relaxed);
        out.push_str("# HELP arcanum_proofs_total Groth16 proofs made (one per chunk).\n");
        out.push_str("# TYPE arcanum_proofs_total counter\n");
        out.push_str(&format!("arcanum_proofs_total {}\n", v(&self.proofs)));
        out.push_str("# HELP arcanum_prove_seconds Time to prove one job.\n");
        out.push_str("# TYPE arcanum_prove_seconds histogram\n");
        for (bucket, bound) in self.prove_buckets.iter().zip(PROVE_BUCKETS) {
            out.push_str(&format!(
                "arcanum_prove_seconds_bucket{{le=\"{bound}\"}} {}\n",
                v(bucket)
            ));
        }
        let count = v(&self.prove_count);
        out.push_str(&format!(
            "arcanum_prove_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "arcanum_prove_seconds_sum {}\n",
            v(&self.prove_ms_sum) as f64 / 1000.0
        ));
        out.push_str(&format!("arcanum_prove_seconds_count {count}\n"));
        out.push_str("# HELP arcanum_gas_spent_total Gas used by this node's transactions.\n");
        out.push_str("# TYPE arcanum_gas_spent_total counter\n");
        out.push_str(&format!("arcanum_gas_spent_total {}\n", v(&self.gas_spent)));
        out.push_str("# HELP arcanum_rpc_errors_total Chain calls that failed.\n");
        out.push_str("# TYPE arcanum_rpc_errors_total counter\n");
        out.push_str(&format!(
            "arcanum_rpc_errors_total {}\n",
            v(&self.rpc_errors)
        ));
        out.push_str("# HELP arcanum_chain_watched_block Last block the chain watcher read through (confirmed).\n");
        out.push_str("# TYPE arcanum_chain_watched_block gauge\n");
        out.push_str(&format!(
            "arcanum_chain_watched_block {}\n",
            v(&self.watched_block)
        ));
        out.push_str("# HELP arcanum_chain_reorgs_total Reorgs the chain watcher rolled back.\n");
        out.push_str("# TYPE arcanum_chain_reorgs_total counter\n");
        out.push_str(&format!("arcanum_chain_reorgs_total {}\n", v(&self.reorgs)));
        out.push_str("# HELP arcanum_contributions_total Contributions made as a data owner.\n");
        out.push_str("# TYPE arcanum_contributions_total counter\n");
        out.push_str(&format!(
            "arcanum_contributions_total {}\n",
            v(&self.contributions)
        ));
        out.push_str("# HELP arcanum_contributions_verified_total Contributions found inside their posted job's input commitment.\n");
        out.push_str("# TYPE arcanum_contributions_verified_total counter\n");
        out.push_str(&format!(
            "arcanum_contributions_verified_total {}\n",
            v(&self.contributions_verified)
        ));
        out.push_str("# HELP arcanum_contributor_bytes_sent_total Bytes sent for them (shares and masked vectors, as encoded).\n");
        out.push_str("# TYPE arcanum_contributor_bytes_sent_total counter\n");
        out.push_str(&format!(
            "arcanum_contributor_bytes_sent_total {}\n",
            v(&self.contributor_bytes_sent)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe_prove(1, 0.05);
        m.observe_prove(3, 2.0);
        let text = m.render();
        assert!(text.contains("arcanum_proofs_total 4\n"), "{text}");
        assert!(
            text.contains("arcanum_prove_seconds_bucket{le=\"0.1\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("arcanum_prove_seconds_bucket{le=\"5\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("arcanum_prove_seconds_count 2\n"), "{text}");
    }
}
