//! Local data sets, the fixed-seed stratified train/test split, and how training rows are
//! dealt to contributors: IID, Dirichlet label skew, or label shards.

use super::FlError;
use crate::dataset::Labeled;
use rand::{Rng, RngCore, seq::SliceRandom};

/// Labelled examples held by one party.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// Feature rows.
    pub x: Vec<Vec<f64>>,
    /// Labels.
    pub y: Vec<usize>,
}

impl Samples {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The rows at `idx`.
    pub fn select(&self, idx: &[usize]) -> Samples {
        Samples {
            x: idx.iter().map(|i| self.x[*i].clone()).collect(),
            y: idx.iter().map(|i| self.y[*i]).collect(),
        }
    }

    /// Fraction of examples in each of `classes` classes.
    pub fn label_distribution(&self, classes: usize) -> Vec<f64> {
        let mut d = vec![0.0; classes];
        for y in &self.y {
            d[*y] += 1.0;
        }
        let n = self.len().max(1) as f64;
        d.iter_mut().for_each(|v| *v /= n);
        d
    }
}

/// The digits data with pixels scaled by their public range (0-16) to `[0, 1]` (no
/// data-dependent normalisation, which would itself need a privacy budget).
pub fn digits_samples() -> (Samples, usize) {
    let d: Labeled = crate::dataset::digits();
    let x = d
        .features
        .into_iter()
        .map(|r| r.into_iter().map(|v| v / 16.0).collect())
        .collect();
    (Samples { x, y: d.labels }, d.classes)
}

/// Column names of the digits data as CSV: `p0` .. `p63` (pixels scaled to `[0, 1]`),
/// then `label`.
pub fn digits_columns() -> Vec<String> {
    (0..64).map(|i| format!("p{i}")).collect()
}

/// Writes `data` as a CSV with a header row: the `features` columns, then `label`.
pub fn write_csv(
    data: &Samples,
    features: &[String],
    label: &str,
    path: &std::path::Path,
) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut out = features.join(",");
    out.push(',');
    out.push_str(label);
    out.push('\n');
    for (x, y) in data.x.iter().zip(&data.y) {
        for v in x {
            let _ = write!(out, "{v},");
        }
        let _ = writeln!(out, "{y}");
    }
    std::fs::write(path, out)
}

/// Reads labelled examples from a CSV with a header row: the `features` columns (in that
/// order) as numbers, and `label` as a class index in `0..classes`. Errors name the file,
/// line and column at fault.
pub fn read_csv(
    path: &std::path::Path,
    features: &[String],
    label: &str,
    classes: usize,
) -> Result<Samples, FlError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        FlError::Data(format!(
            "{shown}: {e}; check contributor.datasets path (relative to the data dir)"
        ))
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| FlError::Data(format!("{shown}: empty file; it needs a header row")))?;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let at = |c: &str| {
        names.iter().position(|n| *n == c).ok_or_else(|| {
            FlError::Data(format!("{shown}: no column {c:?} in the header {names:?}"))
        })
    };
    let cols = features
        .iter()
        .map(|c| at(c))
        .collect::<Result<Vec<_>, _>>()?;
    let label_at = at(label)?;
    let mut out = Samples::default();
    for (i, line) in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return Err(FlError::Data(format!(
                "{shown}:{}: {} cells, the header has {}",
                i + 1,
                cells.len(),
                names.len()
            )));
        }
        let row = cols
            .iter()
            .map(|&c| {
                cells[c]
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        FlError::Data(format!(
                            "{shown}:{}: column {:?} holds {:?}, not a finite number",
                            i + 1,
                            names[c],
                            cells[c]
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let y = cells[label_at]
            .parse::<usize>()
            .ok()
            .filter(|y| *y < classes)
            .ok_or_else(|| {
                FlError::Data(format!(
                    "{shown}:{}: label {:?} is not a class index in 0..{classes}",
                    i + 1,
                    cells[label_at]
                ))
            })?;
        out.x.push(row);
        out.y.push(y);
    }
    if out.is_empty() {
        return Err(FlError::Data(format!("{shown}: no rows after the header")));
    }
    Ok(out)
}

/// A stratified split: in every class, a `test_fraction` share of the rows (rounded) goes to
/// the test set, chosen by `rng`.
pub fn stratified_split(
    data: &Samples,
    classes: usize,
    test_fraction: f64,
    rng: &mut impl RngCore,
) -> Result<(Samples, Samples), FlError> {
    if !(0.0..1.0).contains(&test_fraction) {
        return Err(FlError::Config(format!(
            "test fraction must be in [0, 1), got {test_fraction}"
        )));
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for c in 0..classes {
        let mut idx: Vec<usize> = (0..data.len()).filter(|i| data.y[*i] == c).collect();
        idx.shuffle(rng);
        let k = (idx.len() as f64 * test_fraction).round() as usize;
        test.extend_from_slice(&idx[..k]);
        train.extend_from_slice(&idx[k..]);
    }
    train.shuffle(rng);
    test.sort_unstable();
    Ok((data.select(&train), data.select(&test)))
}

/// How training rows are dealt to contributors.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Split {
    /// Shuffled, then round-robin: equal sizes, every label distribution close to global.
    Iid,
    /// Per class, proportions drawn from `Dirichlet(alpha)` over contributors (Hsu et al.
    /// 2019): small `alpha` concentrates each class on few contributors.
    Dirichlet {
        /// Concentration (e.g. 0.5; large values approach IID).
        alpha: f64,
    },
    /// Rows sorted by label, cut into `contributors * shards_per_contributor` shards, dealt at
    /// random (McMahan et al. 2017); each contributor sees about that many labels.
    Shards {
        /// Shards per contributor.
        shards_per_contributor: usize,
    },
}

/// Deals `data` to `parts` contributors. Every contributor gets at least one row.
pub fn split(
    data: &Samples,
    parts: usize,
    how: Split,
    rng: &mut impl RngCore,
) -> Result<Vec<Samples>, FlError> {
    if parts == 0 || data.len() < parts {
        return Err(FlError::Config(format!(
            "cannot split {} rows among {parts} contributors; use between 1 and {} contributors",
            data.len(),
            data.len()
        )));
    }
    let mut owners: Vec<Vec<usize>> = vec![Vec::new(); parts];
    match how {
        Split::Iid => {
            let mut idx: Vec<usize> = (0..data.len()).collect();
            idx.shuffle(rng);
            for (k, i) in idx.into_iter().enumerate() {
                owners[k % parts].push(i);
            }
        }
        Split::Dirichlet { alpha } => {
            if !(alpha.is_finite() && alpha > 0.0) {
                return Err(FlError::Config(format!(
                    "Dirichlet alpha must be positive, got {alpha}; try 0.5"
                )));
            }
            let classes = data.y.iter().max().map_or(0, |m| m + 1);
            for c in 0..classes {
                let mut idx: Vec<usize> = (0..data.len()).filter(|i| data.y[*i] == c).collect();
                idx.shuffle(rng);
                let g: Vec<f64> = (0..parts).map(|_| gamma(alpha, rng)).collect();
                let total: f64 = g.iter().sum();
                let mut cum = 0.0;
                let mut start = 0;
                for (k, gk) in g.iter().enumerate() {
                    cum += gk / total;
                    let end = if k + 1 == parts {
                        idx.len()
                    } else {
                        ((cum * idx.len() as f64).round() as usize).min(idx.len())
                    };
                    owners[k].extend_from_slice(&idx[start..end.max(start)]);
                    start = end.max(start);
                }
            }
            // Nobody may be empty: move a row from the largest owner.
            for k in 0..parts {
                if owners[k].is_empty() {
                    let big = (0..parts).max_by_key(|j| owners[*j].len()).unwrap_or(0);
                    if let Some(i) = owners[big].pop() {
                        owners[k].push(i);
                    }
                }
            }
        }
        Split::Shards {
            shards_per_contributor,
        } => {
            let shards = parts * shards_per_contributor;
            if shards_per_contributor == 0 || shards > data.len() {
                return Err(FlError::Config(format!(
                    "{shards} shards of {} rows is impossible; use 1 to {} shards per contributor",
                    data.len(),
                    data.len() / parts
                )));
            }
            let mut idx: Vec<usize> = (0..data.len()).collect();
            idx.sort_by_key(|i| (data.y[*i], *i));
            let mut order: Vec<usize> = (0..shards).collect();
            order.shuffle(rng);
            for (pos, s) in order.into_iter().enumerate() {
                let (a, b) = (s * data.len() / shards, (s + 1) * data.len() / shards);
                owners[pos % parts].extend_from_slice(&idx[a..b]);
            }
        }
    }
    Ok(owners.iter().map(|o| data.select(o)).collect())
}

/// Label skew of a split: the mean, over contributors, of the total variation distance
/// between the contributor's label distribution and the pooled one (0 = identical,
/// 1 = disjoint).
pub fn label_skew(parts: &[Samples], classes: usize) -> f64 {
    let pooled = Samples {
        x: Vec::new(),
        y: parts.iter().flat_map(|p| p.y.iter().copied()).collect(),
    }
    .label_distribution(classes);
    let tv: f64 = parts
        .iter()
        .map(|p| {
            p.label_distribution(classes)
                .iter()
                .zip(&pooled)
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
                / 2.0
        })
        .sum();
    tv / parts.len().max(1) as f64
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut impl RngCore) -> f64 {
    let u1: f64 = 1.0 - rng.r#gen::<f64>();
    let u2: f64 = rng.r#gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A `Gamma(alpha, 1)` draw (Marsaglia-Tsang; boosted for `alpha < 1`).
fn gamma(alpha: f64, rng: &mut impl RngCore) -> f64 {
    if alpha < 1.0 {
        let u: f64 = 1.0 - rng.r#gen::<f64>();
        return gamma(alpha + 1.0, rng) * u.powf(1.0 / alpha);
    }
    let d = alpha - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.r#gen::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn stratified_split_keeps_class_proportions_and_is_reproducible() {
        let (data, classes) = digits_samples();
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let (train, test) = stratified_split(&data, classes, 0.2, &mut rng).expect("split");
        assert_eq!(train.len() + test.len(), 1797);
        assert_eq!(test.len(), 359);
        let (a, b) = (train.label_distribution(10), test.label_distribution(10));
        assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 0.005));
        let (_, test2) = stratified_split(&data, classes, 0.2, &mut ChaCha20Rng::seed_from_u64(42))
            .expect("split");
        assert_eq!(test, test2);
    }

    #[test]
    fn iid_is_balanced_and_non_iid_is_skewed() {
        let (data, classes) = digits_samples();
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let iid = split(&data, 10, Split::Iid, &mut rng).expect("iid");
        let dir = split(&data, 10, Split::Dirichlet { alpha: 0.3 }, &mut rng).expect("dir");
        let shards = split(
            &data,
            10,
            Split::Shards {
                shards_per_contributor: 2,
            },
            &mut rng,
        )
        .expect("shards");
        for parts in [&iid, &dir, &shards] {
            assert_eq!(parts.iter().map(Samples::len).sum::<usize>(), data.len());
            assert!(parts.iter().all(|p| !p.is_empty()));
        }
        let (s_iid, s_dir, s_sh) = (
            label_skew(&iid, classes),
            label_skew(&dir, classes),
            label_skew(&shards, classes),
        );
        assert!(s_iid < 0.1, "iid skew {s_iid}");
        assert!(s_dir > 0.4, "dirichlet skew {s_dir}");
        assert!(s_sh > 0.6, "shard skew {s_sh}");
        // Shards: each contributor sees at most 2 shards' labels (a shard may straddle two).
        for p in &shards {
            let seen = p
                .label_distribution(classes)
                .iter()
                .filter(|f| **f > 0.0)
                .count();
            assert!(seen <= 4, "{seen} labels");
        }
        // Large alpha approaches IID.
        let flat = split(&data, 10, Split::Dirichlet { alpha: 1000.0 }, &mut rng).expect("dir");
        assert!(label_skew(&flat, classes) < 0.1);
    }

    #[test]
    fn gamma_sampler_has_the_right_mean() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for alpha in [0.3, 2.5] {
            let m: f64 = (0..20_000).map(|_| gamma(alpha, &mut rng)).sum::<f64>() / 20_000.0;
            assert!(
                (m - alpha).abs() < 0.05 * alpha.max(1.0),
                "alpha {alpha}: {m}"
            );
        }
    }
}
