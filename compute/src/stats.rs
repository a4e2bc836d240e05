//! Joint statistics over rows that never leave their owners: each data owner reads its CSV,
//! turns its rows into one vector of per-column sums ([`contribution`]), encodes it in
//! fixed point and masks it; the sum of every owner's vector is all the released statistics
//! need ([`decode`]). Sums add, so the masked sum the worker proves unmasks to exactly the
//! sum of the owners' vectors.
//!
//! Layout for `k` columns: see [`Query::len`].

use crate::{Error, Fr, Result, fixed::FixedPoint};
pub use arcanum_protocol::Query;
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

/// One owner's contribution vector for `query` over its `rows` (see the module docs).
pub fn contribution(query: Query, rows: &[Vec<f64>], columns: usize) -> Vec<f64> {
    let n = rows.len() as f64;
    let sums: Vec<f64> = (0..columns)
        .map(|j| rows.iter().map(|r| r[j]).sum())
        .collect();
    let squares: Vec<f64> = (0..columns)
        .map(|j| rows.iter().map(|r| r[j] * r[j]).sum())
        .collect();
    match query {
        Query::Count => vec![n],
        Query::Sum => sums,
        Query::Mean => std::iter::once(n).chain(sums).collect(),
        Query::Variance => std::iter::once(n).chain(sums).chain(squares).collect(),
    }
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
}

/// Decodes the unmasked total of every contribution into the statistics.
pub fn decode(query: Query, columns: &[String], total: &[f64]) -> Result<Statistics> {
    let k = columns.len();
    if total.len() != query.len(k) {
        return Err(Error::Length {
            expected: query.len(k),
            got: total.len(),
        });
    }
    let mut s = Statistics {
        count: None,
        columns: columns.to_vec(),
        sums: vec![],
        means: vec![],
        variances: vec![],
    };
    match query {
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
        let mut total = vec![0.0; Query::Variance.len(4)];
        for p in &parts {
            for (t, x) in total.iter_mut().zip(contribution(Query::Variance, p, 4)) {
                *t += x;
            }
        }
        let names = cols(&["a", "b", "c", "d"]);
        let s = decode(Query::Variance, &names, &total).expect("decode");
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
