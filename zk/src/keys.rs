//! Proving and verifying keys: the deterministic dev setup (INSECURE: its toxic waste is
//! derivable by anyone) cached on disk with a blake3 checksum, and production keys loaded
//! from files produced by a ceremony, each checked against the circuit they claim to serve.

use crate::{
    Bn254, Error, Fr, Result,
    circuit::{self, Circuit, Synthesizer},
    prover::ProverTables,
};
use arcanum_protocol::Shape;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, PreparedVerifyingKey, ProvingKey, VerifyingKey, prepare_verifying_key};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL,
    SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::{
    fs,
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
    time::Instant,
};

/// A circuit's R1CS matrices, computed once per shape, so that proving needs only the
/// witness (see [`crate::r1cs`]).
#[derive(Clone, Debug)]
pub struct Matrices {
    /// `[A, B, C]`, rows per constraint, columns over `[1, inputs.., witnesses..]`.
    pub abc: Vec<Matrix<Fr>>,
    /// Instance variables, the constant one included.
    pub num_instance: usize,
    /// Witness variables.
    pub num_witness: usize,
    /// Constraints.
    pub num_constraints: usize,
}

impl Matrices {
    /// A digest of the constraint system (blake3 over the counts and every matrix entry):
    /// a dev key cached for another version of the circuit is detected by it.
    pub fn digest(&self) -> String {
        let mut h = blake3::Hasher::new();
        for n in [self.num_instance, self.num_witness, self.num_constraints] {
            h.update(&(n as u64).to_le_bytes());
        }
        for m in &self.abc {
            for row in m {
                h.update(&(row.len() as u64).to_le_bytes());
                for (c, i) in row {
                    h.update(&c.into_bigint().to_bytes_le());
                    h.update(&(*i as u64).to_le_bytes());
                }
            }
        }
        h.finalize().to_hex().to_string()
    }

    /// Synthesizes `shape`'s blank circuit exactly as the Groth16 setup does.
    pub fn of(shape: &Shape) -> Result<Self> {
        Self::of_circuit(circuit::blank(*shape)?)
    }

    /// Synthesizes a blank circuit exactly as the Groth16 setup does.
    pub fn of_circuit(blank: Box<dyn Circuit + Send + Sync>) -> Result<Self> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        Synthesizer(blank).generate_constraints(cs.clone())?;
        cs.finalize();
        let abc = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or_else(|| Error::Synthesis("circuit has no R1CS constraints".into()))?;
        Ok(Self {
            abc,
            num_instance: cs.num_instance_variables(),
            num_witness: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }
}

/// Something with Groth16 keys: a job shape's circuit ([`Shape`]) or an oracle circuit
/// ([`crate::oracle`]).
pub trait Keyed {
    /// Stable name: the cache file's stem and the dev setup's seed.
    fn key_name(&self) -> String;
    /// The circuit with a blank witness.
    fn blank_circuit(&self) -> Result<Box<dyn Circuit + Send + Sync>>;
}

impl Keyed for Shape {
    fn key_name(&self) -> String {
        self.name()
    }

    fn blank_circuit(&self) -> Result<Box<dyn Circuit + Send + Sync>> {
        circuit::blank(*self)
    }
}

/// Keys for one shape's circuit, ready to prove and verify (everything but the shape is
/// in [`CircuitKeys`], which it dereferences to).
#[derive(Clone)]
pub struct ShapeKeys {
    /// The shape these keys serve.
    pub shape: Shape,
    keys: CircuitKeys,
}

impl std::ops::Deref for ShapeKeys {
    type Target = CircuitKeys;

    fn deref(&self) -> &CircuitKeys {
        &self.keys
    }
}

/// Keys for one circuit, ready to prove and verify.
#[derive(Clone)]
pub struct CircuitKeys {
    /// The circuit's key name ([`Keyed::key_name`]).
    pub name: String,
    /// Groth16 proving key.
    pub pk: ProvingKey<Bn254>,
    /// Groth16 verifying key.
    pub vk: VerifyingKey<Bn254>,
    /// The verifying key prepared for pairing checks.
    pub pvk: PreparedVerifyingKey<Bn254>,
    /// Whether these keys come from the insecure dev setup.
    pub insecure_dev: bool,
    /// The circuit's constraint matrices.
    pub matrices: Arc<Matrices>,
    /// The proving key's fixed-base tables, built on the first proof (shared by clones).
    tables: Arc<OnceLock<ProverTables>>,
}

impl CircuitKeys {
    /// The fixed-base tables of the proving key's bases, built on first use (about 255
    /// doublings per base, in parallel) and kept for every later proof of the shape.
    pub fn prover_tables(&self) -> &ProverTables {
        self.tables.get_or_init(|| {
            tracing::info!(
                target: "zk::keys",
                circuit = %self.name,
                "building the prover's fixed-base tables (once per shape and process)"
            );
            let started = Instant::now();
            let tables = ProverTables::new(&self.pk);
            tracing::info!(
                target: "zk::keys",
                circuit = %self.name,
                seconds = started.elapsed().as_secs_f64(),
                bytes = tables.size_bytes(),
                "built the prover's fixed-base tables"
            );
            tables
        })
    }
}

impl std::fmt::Debug for ShapeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.keys.fmt(f)
    }
}

impl std::fmt::Debug for CircuitKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitKeys")
            .field("circuit", &self.name)
            .field("insecure_dev", &self.insecure_dev)
            .finish_non_exhaustive()
    }
}

/// Where keys live, and how they are obtained.
#[derive(Clone, Debug)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// A store of dev keys under `dir`, generated on first use and then cached.
    pub fn dev(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache path of a shape's (or any [`Keyed`] circuit's) dev proving key.
    pub fn dev_key_path(&self, circuit: &impl Keyed) -> PathBuf {
        self.dir
            .join(format!("{}.insecure-dev.pk", circuit.key_name()))
    }

    /// Loads the cached dev keys of `shape`, or runs the deterministic dev setup and caches
    /// them. The cache records the key's checksum and the circuit's digest; a cache whose
    /// checksum does not match, or made for another version of the circuit, is discarded
    /// and regenerated.
    pub fn load_or_setup(&self, shape: &Shape) -> Result<ShapeKeys> {
        Ok(ShapeKeys {
            shape: *shape,
            keys: self.load_or_setup_circuit(shape)?,
        })
    }

    /// [`Self::load_or_setup`] for any [`Keyed`] circuit.
    pub fn load_or_setup_circuit(&self, target: &impl Keyed) -> Result<CircuitKeys> {
        let path = self.dev_key_path(target);
        let sum_path = path.with_extension("pk.blake3");
        let matrices = Matrices::of_circuit(target.blank_circuit()?)?;
        let circuit = matrices.digest();
        let record = |bytes: &[u8]| format!("{} circuit {circuit}", blake3::hash(bytes).to_hex());
        if let (Ok(bytes), Ok(sum)) = (fs::read(&path), fs::read_to_string(&sum_path)) {
            if record(&bytes) == sum.trim() {
                let pk = decode_pk(&bytes)?;
                return keys_for(target, pk, true, &path, matrices);
            }
            tracing::warn!(target: "zk::keys", path = %path.display(), "dev key cache is corrupt or was made for another version of the circuit; regenerating");
        }
        let started = Instant::now();
        let pk = dev_setup(target)?;
        tracing::warn!(
            target: "zk::keys",
            circuit = %target.key_name(),
            seconds = started.elapsed().as_secs_f64(),
            "generated INSECURE deterministic dev keys: anyone can forge proofs for them; never use them on a public chain"
        );
        let mut bytes = Vec::new();
        pk.serialize_uncompressed(&mut bytes)
            .map_err(|e| Error::Serialization {
                what: "proving key",
                detail: e.to_string(),
            })?;
        fs::create_dir_all(&self.dir).map_err(|source| Error::Io {
            path: self.dir.clone(),
            source,
        })?;
        write_atomic(&path, &bytes)?;
        write_atomic(&sum_path, record(&bytes).as_bytes())?;
        keys_for(target, pk, true, &path, matrices)
    }

    /// Loads production keys (a compressed-or-uncompressed arkworks `ProvingKey`) from a
    /// file, checking every point (on the curve, in the subgroup) and that they were made
    /// for `shape`'s circuit.
    pub fn load_production(shape: &Shape, pk_path: &Path) -> Result<ShapeKeys> {
        Ok(ShapeKeys {
            shape: *shape,
            keys: Self::load_production_circuit(shape, pk_path)?,
        })
    }

    /// [`Self::load_production`] for any [`Keyed`] circuit.
    pub fn load_production_circuit(target: &impl Keyed, pk_path: &Path) -> Result<CircuitKeys> {
        let bytes = fs::read(pk_path).map_err(|source| Error::Io {
            path: pk_path.into(),
            source,
        })?;
        // A key from a ceremony is untrusted input: every point is checked on the curve and
        // in the prime-order subgroup.
        let pk = ProvingKey::<Bn254>::deserialize_uncompressed(bytes.as_slice())
            .or_else(|_| ProvingKey::<Bn254>::deserialize_compressed(bytes.as_slice()))
            .map_err(|e| Error::Serialization {
                what: "proving key",
                detail: format!("{e}; the file is not a valid arkworks Groth16 proving key"),
            })?;
        keys_for(
            target,
            pk,
            false,
            pk_path,
            Matrices::of_circuit(target.blank_circuit()?)?,
        )
    }
}

fn decode_pk(bytes: &[u8]) -> Result<ProvingKey<Bn254>> {
    // Only for the dev cache, whose bytes the recorded checksum guards: skipping the
    // subgroup checks makes loading ~20x faster.
    ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes).map_err(|e| {
        Error::Serialization {
            what: "proving key",
            detail: e.to_string(),
        }
    })
}

/// The deterministic, insecure dev setup: randomness from a seed derived from the shape.
fn dev_setup(target: &impl Keyed) -> Result<ProvingKey<Bn254>> {
    let seed =
        blake3::hash(format!("arcanum/insecure-dev-setup/v1/{}", target.key_name()).as_bytes());
    let mut rng = ChaCha20Rng::from_seed(*seed.as_bytes());
    let (pk, _vk) =
        Groth16::<Bn254>::circuit_specific_setup(Synthesizer(target.blank_circuit()?), &mut rng)?;
    Ok(pk)
}

/// Checks `pk` fits `target`'s circuit (same number of public inputs and variables).
fn keys_for(
    target: &impl Keyed,
    pk: ProvingKey<Bn254>,
    insecure_dev: bool,
    path: &Path,
    matrices: Matrices,
) -> Result<CircuitKeys> {
    let instances = matrices.num_instance;
    let variables = instances + matrices.num_witness;
    let mismatch = |detail: String| Error::KeyMismatch {
        path: path.into(),
        shape: target.key_name(),
        detail,
    };
    if pk.vk.gamma_abc_g1.len() != instances {
        return Err(mismatch(format!(
            "key has {} public inputs, circuit has {}",
            pk.vk.gamma_abc_g1.len().saturating_sub(1),
            instances - 1
        )));
    }
    if pk.a_query.len() != variables {
        return Err(mismatch(format!(
            "key covers {} variables, circuit has {variables}",
            pk.a_query.len()
        )));
    }
    let vk = pk.vk.clone();
    let pvk = prepare_verifying_key(&vk);
    Ok(CircuitKeys {
        name: target.key_name(),
        pk,
        vk,
        pvk,
        insecure_dev,
        matrices: Arc::new(matrices),
        tables: Arc::default(),
    })
}

/// Writes `bytes` to `path` through a temporary file of this writer's own (processes and
/// threads may set up the same keys at once; each renames its own complete file, and the
/// contents are identical).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    fs::write(&tmp, bytes).map_err(|source| Error::Io {
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::SECAGG_SUM_4X8;
    use arcanum_protocol::{JobKind, ShapeId};

    #[test]
    fn dev_setup_is_cached_deterministic_and_checksummed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::dev(dir.path());
        let a = store.load_or_setup(&SECAGG_SUM_4X8).expect("setup");
        assert!(a.insecure_dev);
        let b = store.load_or_setup(&SECAGG_SUM_4X8).expect("cached");
        assert_eq!(a.vk, b.vk);

        // Regenerated from scratch in another directory: identical keys.
        let other = tempfile::tempdir().expect("tempdir");
        let c = KeyStore::dev(other.path())
            .load_or_setup(&SECAGG_SUM_4X8)
            .expect("setup");
        assert_eq!(a.vk, c.vk);

        // A corrupted cache is detected by its checksum and regenerated.
        let path = store.dev_key_path(&SECAGG_SUM_4X8);
        let mut bytes = fs::read(&path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, bytes).expect("write");
        let d = store.load_or_setup(&SECAGG_SUM_4X8).expect("regenerated");
        assert_eq!(a.vk, d.vk);

        // A cache recorded for another version of the circuit is regenerated too.
        let sum_path = path.with_extension("pk.blake3");
        let record = fs::read_to_string(&sum_path).expect("record");
        let (checksum, _) = record.split_once(" circuit ").expect("layout");
        fs::write(&sum_path, format!("{checksum} circuit 00")).expect("write");
        let e = store.load_or_setup(&SECAGG_SUM_4X8).expect("regenerated");
        assert_eq!(a.vk, e.vk);
        assert_ne!(
            fs::read_to_string(&sum_path).expect("record"),
            format!("{checksum} circuit 00")
        );
    }

    #[test]
    fn concurrent_setups_of_the_same_keys_all_succeed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vks: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        KeyStore::dev(dir.path())
                            .load_or_setup(&SECAGG_SUM_4X8)
                            .expect("setup")
                            .vk
                            .clone()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        assert!(vks.windows(2).all(|w| w[0] == w[1]));
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn keys_for_another_shape_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::dev(dir.path());
        store.load_or_setup(&SECAGG_SUM_4X8).expect("setup");
        let other = Shape {
            id: ShapeId(99),
            kind: JobKind::SecaggSum,
            contributors: 2,
            dims: 8,
        };
        let err = KeyStore::load_production(&other, &store.dev_key_path(&SECAGG_SUM_4X8))
            .expect_err("mismatch");
        assert!(matches!(err, Error::KeyMismatch { .. }), "{err}");
        assert!(err.to_string().contains("regenerate"));
    }

    #[test]
    fn production_keys_are_checked_point_by_point() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::dev(dir.path());
        let dev = store.load_or_setup(&SECAGG_SUM_4X8).expect("setup");
        let path = store.dev_key_path(&SECAGG_SUM_4X8);
        let keys = KeyStore::load_production(&SECAGG_SUM_4X8, &path).expect("valid key");
        assert!(!keys.insecure_dev);
        assert_eq!(keys.vk, dev.vk);

        // One flipped bit in the first point's x (the key starts with vk.alpha_g1): the
        // point leaves the curve.
        let mut bytes = fs::read(&path).expect("read");
        bytes[5] ^= 1;
        let bad = dir.path().join("corrupt.pk");
        fs::write(&bad, bytes).expect("write");
        let err = KeyStore::load_production(&SECAGG_SUM_4X8, &bad).expect_err("corrupt key");
        assert!(matches!(err, Error::Serialization { .. }), "{err}");
    }
}
