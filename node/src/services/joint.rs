//! The requester's side of a joint statistic: collect the data owners' masked vectors
//! (before the job is posted: they are its inputs), and after the settlement remove the
//! masks from the proven total with the clerks' sums, then decode the statistics.
//!
//! The requester sees only masked vectors (what the worker sees) and the total. It checks
//! the clerks: with more than `threshold` answers it unmasks with two different subsets and
//! requires the same result (a clerk's sum is not proven).

use super::contributor::parse_peer_addr;
use crate::store::{StatsRun, StatsSpec};
use arcanum_compute::{
    Fr,
    fixed::FixedPoint,
    secagg::{self, ClerkSum, Committee},
    stats,
};
use arcanum_p2p::Client;
use arcanum_protocol::{B256, ContributionRequest, JobRequest, JobResponse, Shape, U256};
use arcanum_zk::field;
use eyre::eyre;
use std::time::Duration;

/// How long a data owner has to answer (it reads its data and reaches every clerk).
const OWNER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a clerk has to answer a sum request.
const CLERK_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks a spec against its shape before anything is sent.
pub fn check(spec: &StatsSpec, shape: Shape) -> Result<(), String> {
    if shape.kind != arcanum_protocol::JobKind::SecaggSum {
        return Err(format!(
            "a joint statistic runs on a secagg-sum shape, not {}",
            shape.name()
        ));
    }
    let (n, t) = (spec.clerks.len(), spec.threshold as usize);
    if !(2..=n).contains(&t) {
        return Err(format!(
            "threshold {t} with {n} clerks: needs 2 <= threshold <= clerks"
        ));
    }
    if spec.columns.is_empty() {
        return Err("no columns".into());
    }
    if spec.contributors.is_empty() || spec.contributors.len() > shape.contributors {
        return Err(format!(
            "{} contributors: shape {} takes 1..={}",
            spec.contributors.len(),
            shape.name(),
            shape.contributors
        ));
    }
    if spec.min_contributors == 0 || spec.min_contributors as usize > spec.contributors.len() {
        return Err(format!(
            "min_contributors {} must be in 1..={}",
            spec.min_contributors,
            spec.contributors.len()
        ));
    }
    for a in spec.contributors.iter().chain(&spec.clerks) {
        parse_peer_addr(a)?;
    }
    Ok(())
}

/// Asks every owner for its masked vector; returns the job's inputs (the vectors, padded
/// with zeros to the shape: zero vectors for absent owners, zero tails up to its width) and
/// the collection. Fails, with every owner's reason, when fewer than `min_contributors`
/// contribute: nothing is posted then.
pub async fn collect(
    net: &Client,
    spec: &StatsSpec,
    shape: Shape,
) -> eyre::Result<(Vec<Vec<U256>>, StatsRun)> {
    let session = B256::from(rand::random::<[u8; 32]>());
    let len = spec.query.len(spec.columns.len());
    let request = ContributionRequest {
        session,
        dataset: spec.dataset.clone(),
        columns: spec.columns.clone(),
        query: spec.query,
        scale_bits: spec.scale_bits,
        clerks: spec.clerks.clone(),
        threshold: spec.threshold,
        contributors: spec.contributors.len() as u32,
    };
    let asks = spec.contributors.iter().map(|a| {
        let (net, request) = (net.clone(), request.clone());
        async move {
            let (addr, peer) = parse_peer_addr(a).map_err(|e| (a.clone(), e))?;
            let _ = net.dial(addr).await;
            let answer = tokio::time::timeout(
                OWNER_TIMEOUT,
                net.request(peer, JobRequest::Contribute(Box::new(request))),
            )
            .await;
            let who = peer.to_base58();
            match answer {
                Ok(Ok(JobResponse::Contribution { masked, clerks })) if masked.len() == len => {
                    Ok((who, masked, clerks))
                }
                Ok(Ok(JobResponse::Contribution { masked, .. })) => Err((
                    who,
                    format!("sent {} values, the query needs {len}", masked.len()),
                )),
                Ok(Ok(JobResponse::Rejected(reason))) => Err((who, format!("{reason:?}"))),
                Ok(Ok(other)) => Err((who, format!("answered {other:?}"))),
                Ok(Err(e)) => Err((who, e.to_string())),
                Err(_) => Err((who, format!("no answer in {OWNER_TIMEOUT:?}"))),
            }
        }
    });
    let (mut inputs, mut contributors, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for answer in futures::future::join_all(asks).await {
        match answer {
            Ok((who, masked, clerks)) if clerks.len() >= spec.threshold as usize => {
                tracing::info!(target: "requester", owner = %who, clerks = clerks.len(), "contribution received");
                contributors.push(who);
                inputs.push(masked);
            }
            Ok((who, _, clerks)) => refused.push(format!(
                "{who}: only {} clerks hold its shares",
                clerks.len()
            )),
            Err((who, why)) => {
                tracing::warn!(target: "requester", owner = %who, "no contribution: {why}");
                refused.push(format!("{who}: {why}"));
            }
        }
    }
    if contributors.len() < spec.min_contributors as usize {
        return Err(eyre!(
            "{} of {} data owners contributed, {} needed; nothing was posted. {}",
            contributors.len(),
            spec.contributors.len(),
            spec.min_contributors,
            refused.join("; ")
        ));
    }
    // Fit the shape: each vector padded to its width (a longer one is chunked), and zero
    // vectors for the owners the shape has room for but that are absent.
    let width = shape.dims.max(len);
    for v in &mut inputs {
        v.resize(width, U256::ZERO);
    }
    inputs.resize(shape.contributors, vec![U256::ZERO; width]);
    Ok((
        inputs,
        StatsRun {
            session,
            contributors,
            refused,
            len,
            clerks_answered: vec![],
            statistics: None,
        },
    ))
}

/// Removes the masks from the proven `total` with the clerks' sums and decodes the
/// statistics into `run`.
pub async fn unmask(
    net: &Client,
    spec: &StatsSpec,
    run: &mut StatsRun,
    total: &[Fr],
) -> eyre::Result<()> {
    let asks = spec.clerks.iter().enumerate().map(|(k, a)| {
        let net = net.clone();
        let request = JobRequest::ClerkSum {
            session: run.session,
            contributors: run.contributors.clone(),
        };
        async move {
            let index = k as u64 + 1;
            let (addr, peer) = parse_peer_addr(a).map_err(|e| eyre!(e))?;
            let _ = net.dial(addr).await;
            match tokio::time::timeout(CLERK_TIMEOUT, net.request(peer, request)).await {
                Ok(Ok(JobResponse::ClerkSum { index: i, sum })) if i == index => Ok(ClerkSum {
                    index,
                    sum: field::vec_from_u256(&sum)?,
                }),
                Ok(Ok(other)) => Err(eyre!("clerk {index} answered {other:?}")),
                Ok(Err(e)) => Err(eyre!("clerk {index}: {e}")),
                Err(_) => Err(eyre!("clerk {index}: no answer in {CLERK_TIMEOUT:?}")),
            }
        }
    });
    let mut sums = Vec::new();
    for answer in futures::future::join_all(asks).await {
        match answer {
            Ok(sum) if sum.sum.len() == run.len => sums.push(sum),
            Ok(sum) => {
                tracing::warn!(target: "requester", index = sum.index, "clerk sum of the wrong length; ignored")
            }
            Err(e) => tracing::warn!(target: "requester", "{e}"),
        }
    }
    let t = spec.threshold as usize;
    if sums.len() < t {
        return Err(eyre!(
            "only {} of {} clerks answered, {t} needed to unmask: the job is settled and paid, but its statistics cannot be released",
            sums.len(),
            spec.clerks.len()
        ));
    }
    let committee = Committee::plain(spec.clerks.len(), t);
    let total = &total[..run.len];
    let plain = secagg::unmask(total, &sums[..t], committee)?;
    if sums.len() > t {
        let other = secagg::unmask(total, &sums[sums.len() - t..], committee)?;
        if other != plain {
            return Err(eyre!(
                "the clerks' sums disagree (two subsets unmask differently): a clerk is faulty; statistics withheld"
            ));
        }
    }
    let codec = FixedPoint {
        scale_bits: spec.scale_bits,
        bound_bits: 64,
    };
    run.statistics = Some(stats::decode(
        spec.query,
        &spec.columns,
        &codec.decode_vec(&plain),
    )?);
    run.clerks_answered = sums.iter().map(|s| s.index).collect();
    Ok(())
}
