//! Joint statistics over rows that never leave their owners: each data owner reads its CSV,
//! turns its rows into one vector of per-column sums ([`contribution`]), encodes it in
//! fixed point and masks it; the sum of every owner's vector is all the released statistics
//! need ([`decode`]). Sums add, so the masked sum the worker proves unmasks to exactly the
//! sum of the owners' vectors.
//!
//! Layout for `k` columns: see [`Query::len`]; a [`Filter`] first keeps the rows it should.

use crate::{Error, Fr, Result, fixed::FixedPoint};
pub use arcanum_protocol::{Dp, Filter, Query};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A CSV that cannot be used, with where and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file cannot be read.
    #[error("{file}: {detail}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        detail: String,
    },
    /// A requested column is not in the header.
    #[error(
        "{file}: line 1: no column {column:?} in the header ({header}); fix the dataset's columns in the config or the file"
    )]
    MissingColumn {
        /// The file.
        file: String,
        /// The column asked for.
        column: String,
        /// The header as read.
        header: String,
    },
    /// A cell is not usable.
    #[error("{file}: line {line}, column {column:?}: {detail}; fix the row or remove it")]
    Cell {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The column's name.
        column: String,
        /// What is wrong.
        detail: String,
    },
}

/// Reads the named `columns` of a CSV with a header row (comma separated, no quoting),
/// checking every cell is a finite number that `codec` can encode (also squared when
/// `squares`), so that nothing fails after a contribution has started.
pub fn read_csv(
    path: &Path,
    columns: &[String],
    codec: FixedPoint,
    squares: bool,
) -> std::result::Result<Vec<Vec<f64>>, CsvError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CsvError::Read {
        file: file.clone(),
        detail: format!("{e}; check the dataset's path in the config"),
    })?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split(',').map(str::trim).collect(),
        None => {
            return Err(CsvError::Read {
                file,
                detail: "empty file: a header row naming the columns is needed".into(),
            });
        }
    };
    let at: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| CsvError::MissingColumn {
                    file: file.clone(),
                    column: c.clone(),
                    header: header.join(","),
                })
        })
        .collect::<std::result::Result<_, _>>()?;
    let mut rows = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let mut row = Vec::with_capacity(at.len());
        for (&j, name) in at.iter().zip(columns) {
            let cell_err = |detail: String| CsvError::Cell {
                file: file.clone(),
                line: i + 1,
                column: name.clone(),
                detail,
            };
            let cell = cells.get(j).ok_or_else(|| {
                cell_err(format!(
                    "the row has {} cells, the header {}",
                    cells.len(),
                    header.len()
                ))
            })?;
            let x: f64 = cell
                .parse()
                .map_err(|_| cell_err(format!("{cell:?} is not a number")))?;
            if !x.is_finite() {
                return Err(cell_err(format!("{cell:?} is not a finite number")));
            }
            for v in [Some(x), squares.then_some(x * x)].into_iter().flatten() {
                codec.encode(v).map_err(|e| cell_err(e.to_string()))?;
            }
            row.push(x);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The rows `filter` keeps (it compares `rows[i][filter_at]`), projected to the first
/// `columns` values of each row.
pub fn select(
    rows: &[Vec<f64>],
    columns: usize,
    filter: Option<(&Filter, usize)>,
) -> Vec<Vec<f64>> {
    rows.iter()
        .filter(|r| filter.is_none_or(|(f, at)| f.keeps(r[at])))
        .map(|r| r[..columns].to_vec())
        .collect()
}

/// One owner's contribution vector for `query` over its `rows` (see [`Query::len`]);
/// `edges` are a histogram's ascending bucket edges.
pub fn contribution(query: Query, rows: &[Vec<f64>], columns: usize, edges: &[f64]) -> Vec<f64> {
    let n = rows.len() as f64;
    let sums = || -> Vec<f64> {
        (0..columns)
            .map(|j| rows.iter().map(|r| r[j]).sum())
            .collect()
    };
    let squares = || -> Vec<f64> {
        (0..columns)
            .map(|j| rows.iter().map(|r| r[j] * r[j]).sum())
            .collect()
    };
    match query {
        Query::Count => vec![n],
        Query::Sum => sums(),
        Query::Mean => std::iter::once(n).chain(sums()).collect(),
        Query::Variance => std::iter::once(n).chain(sums()).chain(squares()).collect(),
        Query::Histogram => {
            let mut counts = vec![0.0; columns * (edges.len() + 1)];
            for r in rows {
                for (j, x) in r.iter().take(columns).enumerate() {
                    let bucket = edges.iter().take_while(|e| *x >= **e).count();
                    counts[j * (edges.len() + 1) + bucket] += 1.0;
                }
            }
            counts
        }
    }
}

/// The noise standard deviation, in rows, that each of at least `owners` contributors
/// adds so that the total noise makes `query` over `columns` columns `dp`-private for one
/// row: the total is `z * sensitivity` (`z` from the accountant for one Gaussian release;
/// one row moves a count by 1 and a histogram by 1 in one bucket per column, an L2
/// sensitivity of `sqrt(columns)`), shared as `total / sqrt(owners)`. Sums, means and
/// variances need clipping bounds first and are refused.
pub fn owner_noise_std(query: Query, columns: usize, dp: Dp, owners: u32) -> Result<f64> {
    let sensitivity = match query {
        Query::Count => 1.0,
        Query::Histogram => (columns as f64).sqrt(),
        q => {
            return Err(Error::Parameters(format!(
                "differential privacy is offered for count and histogram queries, not {} (it would need clipping bounds)",
                q.name()
            )));
        }
    };
    if owners == 0 {
        return Err(Error::Parameters("no owners to share the noise".into()));
    }
    let z = crate::dp::noise_multiplier_for(
        crate::dp::PrivacyBudget {
            epsilon: dp.epsilon,
            delta: dp.delta,
        },
        1,
    )
    .map_err(|e| Error::Parameters(e.to_string()))?;
    Ok(z * sensitivity / f64::from(owners).sqrt())
}

/// Adds to each element of an encoded count vector a discrete Gaussian draw of standard
/// deviation `sigma` rows (so released counts stay whole numbers).
pub fn add_noise(
    codec: FixedPoint,
    encoded: &mut [Fr],
    sigma: f64,
    rng: &mut impl rand::RngCore,
) -> Result<()> {
    let sampler =
        crate::dp::DiscreteGaussian::new(sigma).map_err(|e| Error::Parameters(e.to_string()))?;
    let unit = codec.encode(1.0)?;
    for x in encoded.iter_mut() {
        let k = sampler.sample(rng);
        let magnitude = Fr::from(k.unsigned_abs()) * unit;
        *x += if k < 0 { -magnitude } else { magnitude };
    }
    Ok(())
}

/// Encodes a contribution, checking the codec's range.
pub fn encode(codec: FixedPoint, values: &[f64]) -> Result<Vec<Fr>> {
    codec.encode_vec(values)
}

/// The released statistics, per column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// Rows over all contributors (`None` for a plain sum).
    pub count: Option<f64>,
    /// Column names.
    pub columns: Vec<String>,
    /// Per-column sums (sum, mean, variance).
    pub sums: Vec<f64>,
    /// Per-column means (mean, variance).
    pub means: Vec<f64>,
    /// Per-column population variances (variance).
    pub variances: Vec<f64>,
    /// Per-column bucket counts (histogram), with the edges they are between.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histograms: Vec<Vec<f64>>,
    /// The histogram's bucket edges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
}

/// Decodes the unmasked total of every contribution into the statistics.
pub fn decode(
    query: Query,
    columns: &[String],
    edges: &[f64],
    total: &[f64],
) -> Result<Statistics> {
    let k = columns.len();
    if total.len() != query.len(k, edges.len()) {
        return Err(Error::Length {
            expected: query.len(k, edges.len()),
            got: total.len(),
        });
    }
    let mut s = Statistics {
        count: None,
        columns: columns.to_vec(),
        sums: vec![],
        means: vec![],
        variances: vec![],
        histograms: vec![],
        edges: vec![],
    };
    match query {
        Query::Histogram => {
            s.histograms = total.chunks(edges.len() + 1).map(<[f64]>::to_vec).collect();
            s.edges = edges.to_vec();
        }
        Query::Count => s.count = Some(total[0]),
        Query::Sum => s.sums = total.to_vec(),
        Query::Mean | Query::Variance => {
            let n = total[0];
            s.count = Some(n);
            s.sums = total[1..=k].to_vec();
            s.means = s.sums.iter().map(|x| x / n).collect();
            if query == Query::Variance {
                s.variances = total[k + 1..]
                    .iter()
                    .zip(&s.means)
                    .map(|(sq, m)| sq / n - m * m)
                    .collect();
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> tempfile_path::Path {
        tempfile_path::Path::with(text)
    }

    /// A file under the target dir, removed on drop.
    mod tempfile_path {
        pub(super) struct Path(pub(super) std::path::PathBuf);
        impl Path {
            pub(super) fn with(text: &str) -> Self {
                let p = std::env::temp_dir().join(format!(
                    "arcanum-stats-{}-{}.csv",
                    std::process::id(),
                    rand::random::<u64>()
                ));
                std::fs::write(&p, text).expect("write");
                Self(p)
            }
        }
        impl Drop for Path {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn summed_contributions_give_the_plaintext_mean_and_variance() {
        let rows = crate::dataset::iris().rows;
        let parts = crate::dataset::partition(&rows, 3);
        let mut total = vec![0.0; Query::Variance.len(4, 0)];
        for p in &parts {
            for (t, x) in total
                .iter_mut()
                .zip(contribution(Query::Variance, p, 4, &[]))
            {
                *t += x;
            }
        }
        let names = cols(&["a", "b", "c", "d"]);
        let s = decode(Query::Variance, &names, &[], &total).expect("decode");
        let n = rows.len() as f64;
        assert_eq!(s.count, Some(n));
        for j in 0..4 {
            let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n;
            assert!((s.means[j] - mean).abs() < 1e-9);
            assert!((s.variances[j] - var).abs() < 1e-9);
        }
    }

    #[test]
    fn histograms_and_filters_count_the_rows_they_should() {
        let rows = vec![
            vec![1.0, 10.0],
            vec![2.5, 20.0],
            vec![5.0, 30.0],
            vec![7.0, 40.0],
        ];
        let keep = Filter {
            column: "b".into(),
            op: arcanum_protocol::Op::Gt,
            value: 10.0,
        };
        let kept = select(&rows, 1, Some((&keep, 1)));
        assert_eq!(kept, vec![vec![2.5], vec![5.0], vec![7.0]]);
        // Buckets (-inf, 2.5), [2.5, 5), [5, inf): an edge belongs to the bucket above it.
        let counts = contribution(Query::Histogram, &kept, 1, &[2.5, 5.0]);
        assert_eq!(counts, vec![0.0, 1.0, 2.0]);
        let s = decode(Query::Histogram, &cols(&["a"]), &[2.5, 5.0], &counts).expect("decode");
        assert_eq!(s.histograms, vec![vec![0.0, 1.0, 2.0]]);
        assert!(decode(Query::Histogram, &cols(&["a"]), &[2.5], &counts).is_err());
    }

    #[test]
    fn owners_share_the_noise_and_counts_stay_whole() {
        let dp = Dp {
            epsilon: 1.0,
            delta: 1e-5,
        };
        let one = owner_noise_std(Query::Histogram, 1, dp, 1).expect("sigma");
        let four = owner_noise_std(Query::Histogram, 1, dp, 4).expect("sigma");
        assert!(
            (one / four - 2.0).abs() < 1e-9,
            "four owners each add half the std"
        );
        assert!(
            one > 3.0 && one < 6.0,
            "z for (1, 1e-5) is about 4.4: {one}"
        );
        assert!(
            owner_noise_std(Query::Mean, 1, dp, 4).is_err(),
            "needs bounds"
        );
        let codec = FixedPoint::default();
        let mut v = codec.encode_vec(&[10.0, 20.0]).expect("encode");
        let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(5);
        add_noise(codec, &mut v, four, &mut rng).expect("noise");
        for (x, plain) in codec.decode_vec(&v).iter().zip([10.0, 20.0]) {
            assert_eq!(x.fract(), 0.0, "whole rows: {x}");
            assert!((x - plain).abs() < 40.0, "{x}");
        }
    }

    #[test]
    fn bad_csv_names_file_line_and_column() {
        let codec = FixedPoint::default();
        let f = csv("x,y\n1,2\n3,abc\n");
        let e = read_csv(&f.0, &cols(&["x", "y"]), codec, false)
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("\"y\"") && e.contains("not a number"),
            "{e}"
        );
        let e = read_csv(&f.0, &cols(&["z"]), codec, false)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("no column \"z\""), "{e}");
        let f = csv("x\n1e300\n");
        let e = read_csv(&f.0, &cols(&["x"]), codec, false)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("line 2") && e.contains("overflows"), "{e}");
        let f = csv("x\n1\n2\n\n");
        assert_eq!(
            read_csv(&f.0, &cols(&["x"]), codec, true).expect("read"),
            vec![vec![1.0], vec![2.0]]
        );
    }
}
