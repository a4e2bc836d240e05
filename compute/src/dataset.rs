//! Real data sets for jobs and demos, from the `smartcore` crate's bundled copies, and the
//! statistics contributors derive from their share of the rows.

/// A table of numeric rows.
#[derive(Clone, Debug)]
pub struct Table {
    /// Data set name.
    pub name: &'static str,
    /// Column names.
    pub columns: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<Vec<f64>>,
}

/// Fisher's Iris data set (150 flowers, 4 measurements in cm), the UCI copy bundled by
/// smartcore.
pub fn iris() -> Table {
    let ds = smartcore::dataset::iris::load_dataset();
    let rows = ds
        .data
        .chunks(ds.num_features)
        .map(|r| r.iter().map(|v| f64::from(*v)).collect())
        .collect();
    Table {
        name: "iris",
        columns: vec!["sepal_length", "sepal_width", "petal_length", "petal_width"],
        rows,
    }
}

/// `rows` as CSV text under a header of `columns` (what a data owner's file looks like).
pub fn to_csv(columns: &[&str], rows: &[Vec<f64>]) -> String {
    let mut out = columns.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&r.iter().map(f64::to_string).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// A labelled classification data set.
#[derive(Clone, Debug)]
pub struct Labeled {
    /// Data set name.
    pub name: &'static str,
    /// Feature rows.
    pub features: Vec<Vec<f64>>,
    /// Class label of each row, in `0..classes`.
    pub labels: Vec<usize>,
    /// Number of classes.
    pub classes: usize,
}

/// The UCI optical handwritten digits (8x8 images, pixel values 0-16, 1,797 samples, 10
/// classes), the copy bundled by smartcore (the same data as scikit-learn's `load_digits`).
pub fn digits() -> Labeled {
    let ds = smartcore::dataset::digits::load_dataset();
    let features = ds
        .data
        .chunks(ds.num_features)
        .map(|r| r.iter().map(|v| f64::from(*v)).collect())
        .collect();
    let labels = ds.target.iter().map(|y| *y as usize).collect();
    Labeled {
        name: "digits",
        features,
        labels,
        classes: 10,
    }
}

/// Splits rows round-robin among `parts` owners (an IID split).
pub fn partition(rows: &[Vec<f64>], parts: usize) -> Vec<Vec<Vec<f64>>> {
    let mut out = vec![Vec::new(); parts.max(1)];
    for (i, r) in rows.iter().enumerate() {
        out[i % parts.max(1)].push(r.clone());
    }
    out
}

/// A contributor's moment vector over its rows: per column the sum, then per column the sum
/// of squares. Summed over contributors it gives every column's mean and variance.
pub fn moments(rows: &[Vec<f64>]) -> Vec<f64> {
    let cols = rows.first().map_or(0, Vec::len);
    let mut out = vec![0.0; 2 * cols];
    for r in rows {
        for (j, v) in r.iter().enumerate() {
            out[j] += v;
            out[cols + j] += v * v;
        }
    }
    out
}

/// Means and (population) standard deviations from summed moments over `n` rows.
pub fn mean_std(moments: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let cols = moments.len() / 2;
    let n = n as f64;
    let means: Vec<f64> = moments[..cols].iter().map(|s| s / n).collect();
    let stds = (0..cols)
        .map(|j| {
            (moments[cols + j] / n - means[j] * means[j])
                .max(0.0)
                .sqrt()
        })
        .collect();
    (means, stds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris_is_the_real_table() {
        let t = iris();
        assert_eq!(t.rows.len(), 150);
        assert!(t.rows.iter().all(|r| r.len() == 4));
        // Column means of the UCI copy of Fisher's Iris data (UCI's two known transcription
        // errors put sepal width at 3.054 rather than the paper's 3.057).
        let (means, _) = mean_std(&moments(&t.rows), 150);
        for (m, want) in means.iter().zip([5.843, 3.054, 3.758, 1.199]) {
            assert!((m - want).abs() < 0.001, "{m} vs {want}");
        }
    }

    #[test]
    fn digits_is_the_real_table() {
        let d = digits();
        assert_eq!(d.features.len(), 1797);
        assert!(d.features.iter().all(|r| r.len() == 64));
        assert!(
            d.features
                .iter()
                .flatten()
                .all(|v| (0.0..=16.0).contains(v))
        );
        let mut counts = [0usize; 10];
        for y in &d.labels {
            counts[*y] += 1;
        }
        // scikit-learn's load_digits class counts.
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    }

    #[test]
    fn partitioned_moments_sum_to_the_whole() {
        let t = iris();
        let whole = moments(&t.rows);
        let parts = partition(&t.rows, 4);
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), 150);
        let summed: Vec<f64> = (0..8)
            .map(|j| parts.iter().map(|p| moments(p)[j]).sum())
            .collect();
        for (a, b) in whole.iter().zip(&summed) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}
