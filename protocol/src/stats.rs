//! Joint statistics: what a requester asks data owners for, and what owners and clerks
//! exchange. Each owner masks one vector of per-column sums (see `arcanum_compute::stats`)
//! and shares its pad among the clerks; the requester forwards the masked vectors to the
//! worker, and the clerks' sums over the same set of owners remove the pads from the proven
//! total.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

/// A statistic over columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Query {
    /// Rows.
    Count,
    /// Per-column sums.
    Sum,
    /// Per-column means.
    Mean,
    /// Per-column means and (population) variances.
    Variance,
}

impl Query {
    /// Every query.
    pub const ALL: [Query; 4] = [Self::Count, Self::Sum, Self::Mean, Self::Variance];

    /// Its name in specs and policies.
    pub fn name(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::Mean => "mean",
            Self::Variance => "variance",
        }
    }

    /// Length of one contribution vector over `columns` columns: `count` `[n]`, `sum`
    /// `[Σx..]`, `mean` `[n, Σx..]`, `variance` `[n, Σx.., Σx²..]`.
    pub fn len(self, columns: usize) -> usize {
        match self {
            Self::Count => 1,
            Self::Sum => columns,
            Self::Mean => 1 + columns,
            Self::Variance => 1 + 2 * columns,
        }
    }
}

/// A requester's request to a data owner for one contribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionRequest {
    /// Random; names this collection at the clerks.
    pub session: B256,
    /// The owner's dataset, by the name in its config.
    pub dataset: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// The statistic.
    pub query: Query,
    /// Fixed-point fractional bits (the same for every owner, or the sum is meaningless).
    pub scale_bits: u32,
    /// The clerks, as multiaddrs ending in `/p2p/<peer id>`; clerk `k` has Shamir index
    /// `k + 1`.
    pub clerks: Vec<String>,
    /// Clerk sums needed to remove the pads (at least 2).
    pub threshold: u32,
    /// How many owners are asked (an owner's policy may demand a minimum).
    pub contributors: u32,
}
