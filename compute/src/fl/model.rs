//! A multilayer perceptron with ReLU hidden layers and a softmax output, trained with
//! cross-entropy; forward and backward passes written out by hand in `f64`. With no hidden
//! layer it is multinomial logistic (softmax) regression.
//!
//! Parameters live in one flat vector (per layer: weights row-major `[out][in]`, then
//! biases), which is what federated rounds encode, clip, noise and aggregate.

use super::FlError;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// A model: layer sizes and flat parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Layer widths, input first, classes last (e.g. `[64, 32, 10]`).
    pub layers: Vec<usize>,
    /// Flat parameters, `Model::param_count(&layers)` of them.
    pub params: Vec<f64>,
}

/// Reusable buffers for forward/backward passes.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    acts: Vec<Vec<f64>>,
    deltas: Vec<Vec<f64>>,
}

impl Model {
    /// Number of parameters of a network with these layer widths.
    pub fn param_count(layers: &[usize]) -> usize {
        layers.windows(2).map(|w| w[1] * w[0] + w[1]).sum()
    }

    /// He-initialised weights (uniform with variance `2 / fan_in`), zero biases.
    pub fn new(layers: &[usize], rng: &mut impl RngCore) -> Result<Self, FlError> {
        if layers.len() < 2 || layers.contains(&0) {
            return Err(FlError::Config(format!(
                "model layers {layers:?} need an input and an output width, all non-zero"
            )));
        }
        let mut params = Vec::with_capacity(Self::param_count(layers));
        for w in layers.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let a = (6.0 / fan_in as f64).sqrt();
            params.extend((0..fan_in * fan_out).map(|_| rng.gen_range(-a..a)));
            params.extend(std::iter::repeat_n(0.0, fan_out));
        }
        Ok(Self {
            layers: layers.to_vec(),
            params,
        })
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        self.layers[0]
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.layers[self.layers.len() - 1]
    }

    /// Checks that `params` and an example's shape match the layers.
    pub fn check(&self, features: usize) -> Result<(), FlError> {
        let want = Self::param_count(&self.layers);
        if self.params.len() != want {
            return Err(FlError::Shape(format!(
                "model has {} parameters, layers {:?} need {want}; the global model and the \
                 round config disagree",
                self.params.len(),
                self.layers
            )));
        }
        if features != self.inputs() {
            return Err(FlError::Shape(format!(
                "examples have {features} features, the model expects {}; use a model whose \
                 input width matches the data",
                self.inputs()
            )));
        }
        Ok(())
    }

    /// Runs the network on `x`, leaving activations in `ws` (the last is the softmax).
    fn forward(&self, x: &[f64], ws: &mut Workspace) {
        let n = self.layers.len();
        ws.acts.resize(n, Vec::new());
        ws.acts[0].clear();
        ws.acts[0].extend_from_slice(x);
        let mut off = 0;
        for l in 0..n - 1 {
            let (fi, fo) = (self.layers[l], self.layers[l + 1]);
            let (w, rest) = self.params[off..].split_at(fi * fo);
            let b = &rest[..fo];
            off += fi * fo + fo;
            let (prev, next) = ws.acts.split_at_mut(l + 1);
            let input = &prev[l];
            let out = &mut next[0];
            out.clear();
            for o in 0..fo {
                let row = &w[o * fi..(o + 1) * fi];
                let z: f64 = b[o] + row.iter().zip(input).map(|(a, b)| a * b).sum::<f64>();
                out.push(if l + 2 < n { z.max(0.0) } else { z });
            }
        }
        let logits = &mut ws.acts[n - 1];
        let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut s = 0.0;
        for v in logits.iter_mut() {
            *v = (*v - m).exp();
            s += *v;
        }
        for v in logits.iter_mut() {
            *v /= s;
        }
    }

    /// Class probabilities for `x`.
    pub fn predict_proba(&self, x: &[f64]) -> Vec<f64> {
        let mut ws = Workspace::default();
        self.forward(x, &mut ws);
        ws.acts.pop().unwrap_or_default()
    }

    /// Most likely class for `x`.
    pub fn predict(&self, x: &[f64]) -> usize {
        argmax(&self.predict_proba(x))
    }

    /// Cross-entropy loss of one example.
    pub fn loss(&self, x: &[f64], y: usize) -> f64 {
        -self.predict_proba(x)[y].max(1e-300).ln()
    }

    /// Adds the gradient of one example's cross-entropy loss to `grad` (same layout as
    /// `params`), times `weight`; returns the loss.
    pub fn accumulate_gradient(
        &self,
        x: &[f64],
        y: usize,
        weight: f64,
        grad: &mut [f64],
        ws: &mut Workspace,
    ) -> f64 {
        self.forward(x, ws);
        let n = self.layers.len();
        let loss = -ws.acts[n - 1][y].max(1e-300).ln();
        ws.deltas.resize(n, Vec::new());
        // dL/dz at the output: softmax - onehot.
        ws.deltas[n - 1].clear();
        ws.deltas[n - 1].extend_from_slice(&ws.acts[n - 1]);
        ws.deltas[n - 1][y] -= 1.0;
        // Offsets of each layer's parameters.
        let mut offs = Vec::with_capacity(n - 1);
        let mut off = 0;
        for w in self.layers.windows(2) {
            offs.push(off);
            off += w[0] * w[1] + w[1];
        }
        for l in (0..n - 1).rev() {
            let (fi, fo) = (self.layers[l], self.layers[l + 1]);
            let o0 = offs[l];
            let (left, right) = ws.deltas.split_at_mut(l + 1);
            let delta = &right[0];
            let input = &ws.acts[l];
            for o in 0..fo {
                let d = delta[o] * weight;
                if d == 0.0 {
                    continue;
                }
                let g = &mut grad[o0 + o * fi..o0 + (o + 1) * fi];
                for (gi, a) in g.iter_mut().zip(input) {
                    *gi += d * a;
                }
                grad[o0 + fi * fo + o] += d;
            }
            if l > 0 {
                // Backpropagate through the weights and the ReLU of layer l.
                let prev = &mut left[l];
                prev.clear();
                prev.resize(fi, 0.0);
                let w = &self.params[o0..o0 + fi * fo];
                for o in 0..fo {
                    let d = delta[o];
                    if d == 0.0 {
                        continue;
                    }
                    for (p, wv) in prev.iter_mut().zip(&w[o * fi..(o + 1) * fi]) {
                        *p += d * wv;
                    }
                }
                for (p, a) in prev.iter_mut().zip(input) {
                    if *a <= 0.0 {
                        *p = 0.0;
                    }
                }
            }
        }
        loss
    }

    /// Fraction of `(x, y)` classified correctly.
    pub fn accuracy(&self, xs: &[Vec<f64>], ys: &[usize]) -> f64 {
        if xs.is_empty() {
            return 0.0;
        }
        let mut ws = Workspace::default();
        let correct = xs
            .iter()
            .zip(ys)
            .filter(|(x, y)| {
                self.forward(x, &mut ws);
                ws.acts.last().is_some_and(|p| argmax(p) == **y)
            })
            .count();
        correct as f64 / xs.len() as f64
    }
}

/// Metadata key holding the layer widths in a model file.
const LAYERS_KEY: &str = "arcanum.layers";

impl Model {
    /// The model as a safetensors file (what Python's `safetensors` loads): per layer `l`,
    /// `layers.{l}.weight` (`[out, in]`) and `layers.{l}.bias` (`[out]`), in `F64`, with the
    /// layer widths in the metadata. Its blake3 hash names the model on the network.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, FlError> {
        // Written here rather than by the `safetensors` crate, whose header order varies
        // from call to call: the same model must give the same bytes (its id). Tensors are
        // laid out in the header's (sorted) key order.
        let mut tensors = std::collections::BTreeMap::new();
        let mut off = 0;
        for (l, w) in self.layers.windows(2).enumerate() {
            let (fi, fo) = (w[0], w[1]);
            for (name, shape, n) in [
                (format!("layers.{l}.weight"), vec![fo, fi], fi * fo),
                (format!("layers.{l}.bias"), vec![fo], fo),
            ] {
                let values = self.params.get(off..off + n).ok_or_else(|| {
                    FlError::Shape(format!("layers {:?} need more parameters", self.layers))
                })?;
                off += n;
                tensors.insert(name, (shape, values));
            }
        }
        let mut header = serde_json::Map::new();
        let mut data = Vec::with_capacity(8 * off);
        for (name, (shape, values)) in &tensors {
            let start = data.len();
            data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
            header.insert(
                name.clone(),
                serde_json::json!({"dtype": "F64", "shape": shape, "data_offsets": [start, data.len()]}),
            );
        }
        let layers = self
            .layers
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",");
        header.insert(
            "__metadata__".into(),
            serde_json::json!({ LAYERS_KEY: layers }),
        );
        let mut head =
            serde_json::to_vec(&header).map_err(|e| FlError::ModelFile(e.to_string()))?;
        // The data starts 8-byte aligned (the header is padded with spaces).
        while head.len() % 8 != 0 {
            head.push(b' ');
        }
        let mut out = Vec::with_capacity(8 + head.len() + data.len());
        out.extend_from_slice(&(head.len() as u64).to_le_bytes());
        out.extend_from_slice(&head);
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Reads a model written by [`Model::to_safetensors`], checking every tensor's type and
    /// shape against the layer widths in its metadata.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, FlError> {
        use safetensors::{Dtype, SafeTensors};
        let bad = |m: String| FlError::ModelFile(m);
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let layers: Vec<usize> = meta
            .metadata()
            .as_ref()
            .and_then(|m| m.get(LAYERS_KEY))
            .ok_or_else(|| bad(format!("no {LAYERS_KEY} in its metadata")))?
            .split(',')
            .map(|w| w.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|e| bad(format!("{LAYERS_KEY}: {e}")))?;
        if layers.len() < 2 || layers.contains(&0) || layers.iter().any(|w| *w > 1 << 16) {
            return Err(bad(format!("layers {layers:?} are not a model")));
        }
        let count = Self::param_count(&layers);
        if count.saturating_mul(8) > bytes.len() {
            return Err(bad(format!(
                "layers {layers:?} need {count} parameters, more than the file holds"
            )));
        }
        let file = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let mut params = Vec::with_capacity(count);
        for (l, w) in layers.windows(2).enumerate() {
            for (name, shape) in [
                (format!("layers.{l}.weight"), vec![w[1], w[0]]),
                (format!("layers.{l}.bias"), vec![w[1]]),
            ] {
                let t = file
                    .tensor(&name)
                    .map_err(|e| bad(format!("{name}: {e}")))?;
                if t.dtype() != Dtype::F64 || t.shape() != shape.as_slice() {
                    return Err(bad(format!(
                        "{name} is {:?} {:?}, expected F64 {shape:?}",
                        t.dtype(),
                        t.shape()
                    )));
                }
                params.extend(t.data().chunks_exact(8).map(|c| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    f64::from_le_bytes(b)
                }));
            }
        }
        if params.iter().any(|p| !p.is_finite()) {
            return Err(bad("a parameter is not finite".into()));
        }
        Ok(Self { layers, params })
    }
}

fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, x)| {
            if *x > bv { (i, *x) } else { (bi, bv) }
        })
        .0
}

/// L2 norm.
pub fn l2_norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[allow(clippy::needless_range_loop)]
    fn gradient_check(layers: &[usize]) {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let mut m = Model::new(layers, &mut rng).expect("model");
        // Non-zero biases so ReLUs sit away from their kinks.
        for p in m.params.iter_mut() {
            *p += rng.gen_range(-0.1..0.1);
        }
        let x: Vec<f64> = (0..layers[0]).map(|_| rng.gen_range(0.0..1.0)).collect();
        let y = 3;
        let mut grad = vec![0.0; m.params.len()];
        let mut ws = Workspace::default();
        m.accumulate_gradient(&x, y, 1.0, &mut grad, &mut ws);
        let h = 1e-6;
        let mut worst: f64 = 0.0;
        for i in 0..m.params.len() {
            let orig = m.params[i];
            m.params[i] = orig + h;
            let up = m.loss(&x, y);
            m.params[i] = orig - h;
            let down = m.loss(&x, y);
            m.params[i] = orig;
            let fd = (up - down) / (2.0 * h);
            let err = (fd - grad[i]).abs() / (fd.abs() + grad[i].abs()).max(1e-4);
            worst = worst.max(err);
        }
        assert!(worst < 1e-5, "{layers:?}: worst relative error {worst}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        gradient_check(&[8, 6, 5, 4]);
        gradient_check(&[64, 32, 10]);
        gradient_check(&[64, 10]);
    }

    #[test]
    fn softmax_sums_to_one_and_shapes_are_checked() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let m = Model::new(&[4, 3, 2], &mut rng).expect("model");
        assert_eq!(m.params.len(), 4 * 3 + 3 + 3 * 2 + 2);
        let p = m.predict_proba(&[0.1, 0.2, 0.3, 0.4]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(m.check(5).is_err());
        assert!(Model::new(&[4], &mut rng).is_err());
    }

    #[test]
    fn safetensors_round_trip_and_bad_files_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let m = Model::new(&[5, 4, 3], &mut rng).expect("model");
        let bytes = m.to_safetensors().expect("write");
        // Read back by the `safetensors` crate's own parser, and byte-identical every time.
        assert_eq!(Model::from_safetensors(&bytes).expect("read"), m);
        assert_eq!(m.to_safetensors().expect("again"), bytes);
        // The header names each tensor with its shape, as Python's loader expects.
        let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        let header: serde_json::Value =
            serde_json::from_slice(&bytes[8..8 + header_len]).expect("json header");
        assert_eq!(
            header["layers.0.weight"]["shape"],
            serde_json::json!([4, 5])
        );
        assert_eq!(header["layers.1.bias"]["dtype"], "F64");
        assert_eq!(header["__metadata__"]["arcanum.layers"], "5,4,3");
        assert!(Model::from_safetensors(&bytes[..bytes.len() - 8]).is_err());
        assert!(Model::from_safetensors(b"not a model").is_err());
    }
}
