//! `cargo bench -p arcanum-zk --bench prove`: proving figures per registered shape, measured
//! in one run against snarkjs proving the equivalent circom circuit (tools/bench) on the
//! same machine. Ends with one `name: value` line per figure.
//!
//! Per shape:
//! - `constraints_<shape>`, `constraints_per_element_<shape>`: R1CS constraints, and per
//!   input element (contributors x dims; an `he-linear` element is one ciphertext);
//!   `constraints_per_element_<kind>` and `prove_overhead_ratio_<kind>` are the figures of
//!   the kind's largest shape;
//! - `setup_seconds_<shape>`, `pk_bytes_<shape>`, `vk_bytes_<shape>`: the dev setup from
//!   scratch and the key sizes (uncompressed proving key, compressed verifying key);
//! - `prover_tables_seconds_<shape>`, `prover_tables_bytes_<shape>`: building the fixed-base
//!   tables of the proving key (once per shape and process, before the first proof);
//! - `prove_seconds_<shape>`: median Groth16 proving time once the tables exist, witness
//!   generation and the prover's own verification included (`witness_seconds_<shape>`
//!   alone; `prove_phase_seconds_<phase>_<shape>`: each phase of the prover run alone, see
//!   `prover::phase_seconds`);
//! - `prove_overhead_ratio_<shape>`: proving time over the native compute of the same job
//!   (the function plus the commitments a worker computes anyway);
//! - `snarkjs_prove_seconds_<shape>`, `prove_speedup_vs_snarkjs_<shape>`: snarkjs' median
//!   prove time over ours, same shape and job, on the equivalent circom circuit
//!   (tools/bench/secagg_sum.circom, he_linear.circom; circomlib Poseidon), constraint
//!   counts printed beside it. `prove_speedup_vs_snarkjs` is the figure of the largest
//!   shape, `prove_speedup_vs_snarkjs_min` the smallest over all shapes.
//! - `snarkjs_verifies_arcanum_proof`: 1 if `snarkjs.groth16.verify` accepts our exported
//!   proof of every shape.
//! - `arkworks_prove_seconds_<shape>`, `prove_speedup_vs_arkworks_<shape>`: ark-groth16
//!   0.6's own prover (parallel) on the same constraint system and proving key, over ours;
//! - `constraints_per_second_per_core_<shape>`: constraints over our prove time, per core;
//! - `fq_mul_ns`: one BN254 base-field multiplication (ark-ff) on this machine, the unit of
//!   the MSMs' cost;
//! - `prover_peak_rss_mb_<shape>`: the process's peak resident memory from the shape's
//!   setup to its last proof (`VmHWM`, reset per shape).
#![allow(missing_docs)]

use arcanum_protocol::{Address, JobId, JobKind, Shape};
use arcanum_zk::{
    Fr, commitment,
    he_linear::{self, Ciphertext},
    keys::KeyStore,
    prover::{self, Statement},
    shapes, snarkjs,
};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ed_on_bn254::EdwardsProjective;
use ark_ff::UniformRand;
use ark_serialize::CanonicalSerialize;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

/// What one shape's proving measured, ours and arkworks'.
struct ShapeRun {
    prove_s: f64,
    witness_s: f64,
    native_s: f64,
    proof: ark_groth16::Proof<arcanum_zk::Bn254>,
    stmt: Statement,
    peer_input: serde_json::Value,
    ark_s: f64,
    witness_run: arcanum_zk::r1cs::Witness,
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let times = (0..runs)
        .map(|_| {
            let t = Instant::now();
            out = Some(std::hint::black_box(f()));
            t.elapsed()
        })
        .collect();
    (median(times), out.expect("runs > 0"))
}

/// Runs snarkjs on the circom peer of `shape`'s circuit with the input signals `input`,
/// and lets it verify our proof exported in `export`.
fn snarkjs_peer(
    target: &Path,
    shape: &Shape,
    input: &serde_json::Value,
    export: &Path,
) -> Option<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/bench/snarkjs_bench.js");
    let input_path = export.join("circom_input.json");
    std::fs::write(&input_path, input.to_string()).expect("write circom input");
    let mut cmd = Command::new("node");
    cmd.arg(&script)
        .arg(target.join("snarkjs"))
        .arg("5")
        .arg(shape.kind.name())
        .arg(shape.contributors.to_string())
        .arg(shape.dims.to_string())
        .arg(&input_path)
        .arg(export);
    match cmd.output() {
        Ok(out) if out.status.success() => serde_json::from_slice(&out.stdout).ok(),
        Ok(out) => {
            eprintln!(
                "snarkjs peer failed (run `make bench`, which installs tools/bench): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("cannot run node for the snarkjs peer: {e}");
            None
        }
    }
}

fn main() {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("address");
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    // (constraints, speedup) of the largest shape, and the smallest speedup of any shape.
    let mut largest: Option<(usize, f64)> = None;
    let mut slowest = f64::INFINITY;
    let mut all_verified = true;
    let mut per_kind = std::collections::BTreeMap::new();

    // `PROVE_LARGE=only`: the large shapes alone.
    let only_large = std::env::var("PROVE_LARGE").is_ok_and(|v| v == "only");
    if !only_large {
        println!("fq_mul_ns: {:.1}", fq_mul_ns(&mut rng));
    }
    for shape in shapes::ALL.iter().filter(|_| !only_large) {
        let name = shape.name();
        let kind = shape.kind.name();
        let elements = shape.contributors * shape.dims;

        // The dev setup from scratch, then the cached keys the prover uses. The process's
        // peak resident memory is reset here and read after this shape's proofs.
        reset_peak_rss();
        let fresh = tempfile_dir(&target, &name);
        let started = Instant::now();
        let keys = KeyStore::dev(&fresh)
            .load_or_setup(shape)
            .expect("dev setup");
        let setup_s = started.elapsed().as_secs_f64();
        let _ = std::fs::remove_dir_all(&fresh);
        let pk_bytes = keys.pk.uncompressed_size();
        let vk_bytes = keys.vk.compressed_size();
        let constraints = keys.matrices.num_constraints;
        // The prover's fixed-base tables, built once per shape and process.
        let started = Instant::now();
        let table_bytes = keys.prover_tables().size_bytes();
        let tables_s = started.elapsed().as_secs_f64();

        let job = JobId::from(7);
        let dec = |x: Fr| arcanum_zk::field::fr_to_u256(x).to_string();
        let ShapeRun {
            prove_s,
            witness_s,
            native_s,
            proof,
            stmt,
            peer_input,
            ark_s,
            witness_run,
        } = match shape.kind {
            JobKind::SecaggSum => {
                let inputs = secagg_inputs(shape);
                let native = |inputs: &[Vec<Fr>]| {
                    let sum: Vec<Fr> = (0..shape.dims)
                        .map(|j| inputs.iter().map(|x| x[j]).sum())
                        .collect();
                    (commitment::inputs(inputs), commitment::output(&sum), sum)
                };
                let (native_s, (_, _, output)) = time(21, || native(&inputs));
                let stmt = Statement::new(job, worker, &inputs, &output).expect("statement");
                let circuit = arcanum_zk::circuit::SecaggSumCircuit {
                    shape: *shape,
                    job_id: stmt.job_id,
                    worker: stmt.worker,
                    input_commitment: stmt.input_commitment,
                    output_commitment: stmt.output_commitment,
                    inputs: inputs.clone(),
                    anchors: vec![arcanum_zk::Fr::from(0u64); inputs.len()],
                };
                let (witness_s, witness_run) = time(7, || witness(&circuit));
                let _warm = prover::prove_secagg_sum(&keys, &stmt, &inputs).expect("prove");
                let (prove_s, proof) = time(5, || {
                    prover::prove_secagg_sum(&keys, &stmt, &inputs).expect("prove")
                });
                let peer_input = serde_json::json!({
                    "job_id": dec(stmt.job_id),
                    "worker": dec(stmt.worker),
                    "x": inputs.iter().map(|x| x.iter().map(|v| dec(*v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    "anchor": vec!["0"; inputs.len()],
                });
                let ark_s = arkworks_prove_seconds(&keys, &circuit, &stmt.public_inputs());
                ShapeRun {
                    prove_s,
                    witness_s,
                    native_s,
                    proof,
                    stmt,
                    peer_input,
                    ark_s,
                    witness_run,
                }
            }
            JobKind::HeLinear => {
                let g = EdwardsProjective::generator();
                let h = g * ark_ed_on_bn254::Fr::rand(&mut rng);
                let inputs: Vec<Vec<Ciphertext>> = (0..shape.contributors as u64)
                    .map(|i| {
                        (0..shape.dims as u64)
                            .map(|j| {
                                let r = ark_ed_on_bn254::Fr::rand(&mut rng);
                                Ciphertext {
                                    c1: (g * r).into_affine(),
                                    c2: (g * ark_ed_on_bn254::Fr::from(i * 100 + j) + h * r)
                                        .into_affine(),
                                }
                            })
                            .collect()
                    })
                    .collect();
                let weights: Vec<i64> = (0..shape.contributors as i64)
                    .map(|i| if i % 2 == 0 { 3 + i } else { -(1 + i) })
                    .collect();
                let native = |inputs: &[Vec<Ciphertext>]| {
                    let out =
                        arcanum_compute::elgamal::he_linear(inputs, &weights).expect("he-linear");
                    (
                        he_linear::input_commitment(inputs, &weights),
                        he_linear::output_commitment(&out),
                        out,
                    )
                };
                let (native_s, (_, _, output)) = time(21, || native(&inputs));
                let stmt = Statement::he_linear(job, worker, &inputs, &weights, &output)
                    .expect("statement");
                let circuit = he_linear::HeLinearCircuit {
                    shape: *shape,
                    job_id: stmt.job_id,
                    worker: stmt.worker,
                    input_commitment: stmt.input_commitment,
                    output_commitment: stmt.output_commitment,
                    inputs: inputs.clone(),
                    weights: weights.clone(),
                };
                let (witness_s, witness_run) = time(7, || witness(&circuit));
                let mut prng = ChaCha20Rng::seed_from_u64(1);
                let _warm =
                    prover::prove_he_linear_with_rng(&keys, &stmt, &inputs, &weights, &mut prng)
                        .expect("prove");
                let (prove_s, proof) = time(5, || {
                    prover::prove_he_linear_with_rng(&keys, &stmt, &inputs, &weights, &mut prng)
                        .expect("prove")
                });
                let peer_input = serde_json::json!({
                    "job_id": dec(stmt.job_id),
                    "worker": dec(stmt.worker),
                    "c": inputs.iter().map(|x| x.iter().map(|ct| ct.to_coordinates().map(dec)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    "negative": weights.iter().map(|w| u8::from(*w < 0)).collect::<Vec<_>>(),
                    "bits": weights.iter().map(|w| (0..he_linear::WEIGHT_BITS).rev().map(|k| (w.unsigned_abs() >> k) & 1).collect::<Vec<_>>()).collect::<Vec<_>>(),
                });
                let ark_s = arkworks_prove_seconds(&keys, &circuit, &stmt.public_inputs());
                ShapeRun {
                    prove_s,
                    witness_s,
                    native_s,
                    proof,
                    stmt,
                    peer_input,
                    ark_s,
                    witness_run,
                }
            }
            JobKind::FlRound => continue,
        };

        println!("constraints_{name}: {constraints}");
        let per_element = constraints as f64 / elements as f64;
        println!("constraints_per_element_{name}: {per_element:.1}");
        println!("setup_seconds_{name}: {setup_s:.2}");
        println!("pk_bytes_{name}: {pk_bytes}");
        println!("vk_bytes_{name}: {vk_bytes}");
        println!("prover_tables_seconds_{name}: {tables_s:.2}");
        println!("prover_tables_bytes_{name}: {table_bytes}");
        println!("prove_seconds_{name}: {prove_s:.4}");
        println!("witness_seconds_{name}: {witness_s:.4}");
        for (phase, seconds) in prover::phase_seconds(&keys, &witness_run, 5) {
            println!("prove_phase_seconds_{phase}_{name}: {seconds:.4}");
        }
        println!("native_seconds_{name}: {native_s:.6}");
        println!("prove_overhead_ratio_{name}: {:.0}", prove_s / native_s);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!(
            "constraints_per_second_per_core_{name}: {:.0}",
            constraints as f64 / prove_s / cores as f64
        );
        println!("arkworks_prove_seconds_{name}: {ark_s:.4}");
        println!("prove_speedup_vs_arkworks_{name}: {:.2}", ark_s / prove_s);
        println!("prover_peak_rss_mb_{name}: {:.0}", peak_rss_mb());
        // The per-kind figures are those of the kind's largest shape.
        let entry = per_kind.entry(kind).or_insert((0, 0.0, 0.0));
        if elements > entry.0 {
            *entry = (elements, per_element, prove_s / native_s);
        }

        // Export for snarkjs and let it check our proof; time it on the circom peer.
        let export = target.join("arcanum-snarkjs").join(&name);
        std::fs::create_dir_all(&export).expect("mkdir");
        let write = |file: &str, v: serde_json::Value| {
            std::fs::write(
                export.join(file),
                serde_json::to_vec_pretty(&v).expect("json"),
            )
            .expect("write");
        };
        write("verification_key.json", snarkjs::vk_json(&keys.vk));
        write("proof.json", snarkjs::proof_json(&proof));
        write("public.json", snarkjs::public_json(&stmt.public_inputs()));
        if let Some(p) = snarkjs_peer(&target, shape, &peer_input, &export) {
            let theirs = p["prove_seconds"].as_f64().unwrap_or(f64::NAN);
            let verified = p["arcanum_proof_verified"].as_bool() == Some(true);
            println!("snarkjs_constraints_{name}: {}", p["constraints"]);
            println!("snarkjs_prove_seconds_{name}: {theirs:.4}");
            println!("prove_speedup_vs_snarkjs_{name}: {:.2}", theirs / prove_s);
            println!(
                "snarkjs_verifies_arcanum_proof_{name}: {}",
                u8::from(verified)
            );
            if largest.is_none_or(|(c, _)| constraints > c) {
                largest = Some((constraints, theirs / prove_s));
            }
            slowest = slowest.min(theirs / prove_s);
            all_verified &= verified;
        } else {
            all_verified = false;
        }
    }
    if !only_large {
        oracle_circuits(&target, &mut rng);
        oracle_he_circuits(&target, &mut rng);
    }
    for (kind, (_, per_element, overhead)) in per_kind {
        println!("constraints_per_element_{kind}: {per_element:.1}");
        println!("prove_overhead_ratio_{kind}: {overhead:.0}");
    }
    if let Some((_, s)) = largest {
        println!("prove_speedup_vs_snarkjs: {s:.2}");
        println!("prove_speedup_vs_snarkjs_min: {slowest:.2}");
    }
    if !only_large {
        println!("snarkjs_verifies_arcanum_proof: {}", u8::from(all_verified));
    }
    if std::env::var_os("PROVE_LARGE").is_some() {
        large_shapes(&target, worker);
    }
}

/// The shapes near 2^20 constraints (`PROVE_LARGE=1`; no peer runs them here: snarkjs
/// would need its own multi-GB setup): the dev setup once into the key cache the tests use
/// (`target/tmp/arcanum-keys`; `setup_seconds_<shape>` only when it ran), then, with the process's
/// peak memory reset, the keys loaded from the cache as a worker loads them, the prover
/// tables (past `TABLE_BUDGET_BYTES`: the bases alone), and three proofs:
/// `prove_seconds_<shape>` (median) and `prover_peak_rss_mb_<shape>`.
fn large_shapes(target: &Path, worker: Address) {
    for shape in shapes::LARGE {
        let name = shape.name();
        let cache = target.join("../tmp/arcanum-keys");
        let started = Instant::now();
        let store = KeyStore::dev(&cache);
        let fresh = !cache.join(format!("{name}.insecure-dev.pk")).exists();
        drop(store.load_or_setup(shape).expect("dev setup"));
        if fresh {
            println!(
                "setup_seconds_{name}: {:.1}",
                started.elapsed().as_secs_f64()
            );
        }
        reset_peak_rss();
        let started = Instant::now();
        let keys = KeyStore::dev(&cache).load_or_setup(shape).expect("load");
        let load_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let tables = keys.prover_tables();
        let tables_s = started.elapsed().as_secs_f64();
        let inputs = secagg_inputs(shape);
        let output: Vec<Fr> = (0..shape.dims)
            .map(|j| inputs.iter().map(|x| x[j]).sum())
            .collect();
        let stmt = Statement::new(JobId::from(7), worker, &inputs, &output).expect("statement");
        let (prove_s, proof) = time(3, || {
            prover::prove_secagg_sum(&keys, &stmt, &inputs).expect("prove")
        });
        prover::verify(&keys.vk, &stmt.public_inputs(), &proof).expect("verifies");
        let constraints = keys.matrices.num_constraints;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!("constraints_{name}: {constraints}");
        println!("pk_bytes_{name}: {}", keys.pk.uncompressed_size());
        println!("keys_load_seconds_{name}: {load_s:.2}");
        println!("prover_tables_seconds_{name}: {tables_s:.2}");
        println!("prover_tables_bytes_{name}: {}", tables.size_bytes());
        println!("prover_tables_full_{name}: {}", u8::from(tables.is_full()));
        println!("prove_seconds_{name}: {prove_s:.2}");
        println!(
            "constraints_per_second_per_core_{name}: {:.0}",
            constraints as f64 / prove_s / cores as f64
        );
        println!("prover_peak_rss_mb_{name}: {:.0}", peak_rss_mb());
    }
}

/// The data oracle's circuits on the sample anchored job (`zk::oracle::sample`): a clerk's
/// proof of its sum and the finalize proof of a mean, each from freshly set-up keys.
fn oracle_circuits(target: &Path, rng: &mut ChaCha20Rng) {
    use arcanum_zk::oracle::{clerk, finalize, sample};
    let shape = sample::SHAPE;
    let kind = shape.job.kind.name();
    let dir = tempfile_dir(target, "oracle");
    let store = KeyStore::dev(&dir);
    let clerk_keys = store.load_or_setup_circuit(&shape.clerk()).expect("setup");
    let finalize_keys = store
        .load_or_setup_circuit(&shape.finalize())
        .expect("setup");
    let _ = std::fs::remove_dir_all(&dir);
    let job = sample::job();
    let c = job.clerk(0);
    let _warm = clerk::prove(&clerk_keys, shape, c.statement, &c.slots, rng).expect("clerk");
    let (clerk_s, _) = time(5, || {
        clerk::prove(&clerk_keys, shape, c.statement, &c.slots, rng).expect("clerk")
    });
    let f = job.finalize(Fr::from(1u64), [0, 2], sample::MEAN);
    let prove = |rng: &mut ChaCha20Rng| {
        finalize::prove(
            &finalize_keys,
            shape,
            f.statement.clone(),
            &f.masked,
            &f.clerk_sums,
            rng,
        )
        .expect("finalize")
    };
    let _warm = prove(rng);
    let (finalize_s, _) = time(5, || prove(rng));
    println!(
        "clerk_constraints_{kind}: {}",
        clerk_keys.matrices.num_constraints
    );
    println!("clerk_prove_seconds_{kind}: {clerk_s:.4}");
    println!(
        "finalize_constraints_{kind}: {}",
        finalize_keys.matrices.num_constraints
    );
    println!("finalize_prove_seconds_{kind}: {finalize_s:.4}");
}

/// The he-linear feed's circuits on the sample job (`zk::oracle::sample_he`): a committee
/// member's proof of its decryption shares and the finalize proof of a mean (threshold
/// decryption with three members' shares), each from freshly set-up keys.
fn oracle_he_circuits(target: &Path, rng: &mut ChaCha20Rng) {
    use arcanum_zk::oracle::{decrypt, finalize_he, sample_he};
    let shape = sample_he::SHAPE;
    let kind = shape.job.kind.name();
    let dir = tempfile_dir(target, "oracle-he");
    let store = KeyStore::dev(&dir);
    let member_keys = store.load_or_setup_circuit(&shape.clerk()).expect("setup");
    let finalize_keys = store
        .load_or_setup_circuit(&shape.finalize())
        .expect("setup");
    let _ = std::fs::remove_dir_all(&dir);
    let job = sample_he::job();
    let m = job.member(2, job.secrets[1], sample_he::MEAN);
    let _warm = decrypt::prove(&member_keys, &m, rng).expect("member");
    let (member_s, _) = time(5, || decrypt::prove(&member_keys, &m, rng).expect("member"));
    let f = job
        .finalize(Fr::from(1u64), [1, 3, 5], sample_he::MEAN)
        .expect("finalize");
    let _warm = finalize_he::prove(&finalize_keys, &f, rng).expect("finalize");
    let (finalize_s, _) = time(5, || {
        finalize_he::prove(&finalize_keys, &f, rng).expect("finalize")
    });
    println!(
        "decrypt_share_constraints_{kind}: {}",
        member_keys.matrices.num_constraints
    );
    println!("decrypt_share_prove_seconds_{kind}: {member_s:.4}");
    println!(
        "finalize_constraints_{kind}: {}",
        finalize_keys.matrices.num_constraints
    );
    println!("finalize_prove_seconds_{kind}: {finalize_s:.4}");
}

/// arkworks' own Groth16 prover (ark-groth16 0.6, parallel, the libsnark reduction our
/// prover shares) on the same constraint system and proving key: median of 3 runs; its
/// proof must verify under our verifying key.
fn arkworks_prove_seconds<C>(keys: &arcanum_zk::keys::ShapeKeys, circuit: &C, public: &[Fr]) -> f64
where
    C: arcanum_zk::circuit::Circuit + Clone,
{
    use ark_groth16::{Groth16, r1cs_to_qap::LibsnarkReduction};
    use ark_snark::SNARK;
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let (s, proof) = time(3, || {
        Groth16::<arcanum_zk::Bn254, LibsnarkReduction>::prove(
            &keys.pk,
            arcanum_zk::circuit::Synthesizer(circuit.clone()),
            &mut rng,
        )
        .expect("arkworks prove")
    });
    prover::verify(&keys.vk, public, &proof).expect("arkworks' proof verifies under our key");
    s
}

/// Resets the process's peak resident set size (Linux `clear_refs` 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Nanoseconds per BN254 base-field multiplication, independent products over a buffer
/// that stays in L1 (the unit the MSMs' bucket additions spend ~6 of).
fn fq_mul_ns(rng: &mut ChaCha20Rng) -> f64 {
    use ark_bn254::Fq;
    let xs: Vec<Fq> = (0..1024).map(|_| Fq::rand(rng)).collect();
    let y = Fq::rand(rng);
    let mut out = xs.clone();
    let rounds = 5000;
    let t = Instant::now();
    for _ in 0..rounds {
        for (o, x) in out.iter_mut().zip(&xs) {
            *o = *x * y;
        }
        std::hint::black_box(&mut out);
    }
    t.elapsed().as_nanos() as f64 / (rounds * xs.len()) as f64
}

/// The process's peak resident set size since the last reset, in MB (`VmHWM`).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// A `secagg-sum` job's inputs: distinct small values.
fn secagg_inputs(shape: &Shape) -> Vec<Vec<Fr>> {
    (0..shape.contributors as u64)
        .map(|i| {
            (0..shape.dims as u64)
                .map(|j| Fr::from(1000 * i + j + 1))
                .collect()
        })
        .collect()
}

fn witness(circuit: &impl arcanum_zk::circuit::Circuit) -> arcanum_zk::r1cs::Witness {
    let mut b = arcanum_zk::r1cs::Builder::witness_only();
    circuit.synthesize(&mut b).expect("witness");
    b.into_witness()
}

fn tempfile_dir(target: &Path, name: &str) -> PathBuf {
    let dir = target.join(format!("fresh-setup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
