//! `cargo bench -p arcanum-zk --bench prove`: proving figures per shape, measured in one run
//! against snarkjs proving the equivalent circom circuit (tools/bench) on the same machine.
//! Ends with one `name: value` line per figure.
//!
//! - `constraints_<shape>`, `constraints_per_element_<kind>`: R1CS constraints of the
//!   circuit, and per input element (contributors x dims);
//! - `prove_seconds_<shape>`: median Groth16 proving time (witness generation included;
//!   `witness_seconds_<shape>` alone);
//! - `prove_overhead_ratio_<kind>`: proving time over the native compute of the same job
//!   (the sum plus the three commitments a worker computes anyway);
//! - `prove_speedup_vs_snarkjs`: snarkjs' median prove time over ours (same shape, circom
//!   circuit with circomlib Poseidon, constraint counts printed beside it);
//! - `snarkjs_verifies_arcanum_proof`: 1 if `snarkjs.groth16.verify` accepts our exported
//!   proof.
#![allow(missing_docs)]

use arcanum_protocol::{Address, JobId};
use arcanum_zk::{
    Fr,
    circuit::{Circuit, SecaggSumCircuit},
    commitment,
    keys::KeyStore,
    prover,
    r1cs::Builder,
    shapes, snarkjs,
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn main() {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let shape = shapes::SECAGG_SUM_4X8;
    let name = shape.name();
    let kind = shape.kind.name();
    let elements = shape.contributors * shape.dims;

    let started = Instant::now();
    let keys = KeyStore::dev(target.join("keys"))
        .load_or_setup(&shape)
        .expect("dev setup");
    eprintln!("keys ready in {:.2}s", started.elapsed().as_secs_f64());

    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    SecaggSumCircuit::blank(shape)
        .generate_constraints(cs.clone())
        .expect("synthesis");
    let constraints = cs.num_constraints();

    let inputs: Vec<Vec<Fr>> = (0..shape.contributors as u64)
        .map(|i| {
            (0..shape.dims as u64)
                .map(|j| Fr::from(1000 * i + j + 1))
                .collect()
        })
        .collect();
    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("address");
    let native = |inputs: &[Vec<Fr>]| {
        let sum: Vec<Fr> = (0..shape.dims)
            .map(|j| inputs.iter().map(|x| x[j]).sum())
            .collect();
        (commitment::inputs(inputs), commitment::output(&sum), sum)
    };
    let native_runs: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(native(std::hint::black_box(&inputs)));
            t.elapsed()
        })
        .collect();
    let (_, _, output) = native(&inputs);
    let stmt = prover::SecaggSumStatement::new(JobId::from(7), worker, &inputs, &output)
        .expect("statement");

    let _warm = prover::prove_secagg_sum(&keys, &stmt, &inputs).expect("prove");
    let mut proof = None;
    let prove_runs: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            proof = Some(prover::prove_secagg_sum(&keys, &stmt, &inputs).expect("prove"));
            t.elapsed()
        })
        .collect();
    let prove = median(prove_runs);
    let circuit = SecaggSumCircuit {
        shape,
        job_id: stmt.job_id,
        worker: stmt.worker,
        input_commitment: stmt.input_commitment,
        output_commitment: stmt.output_commitment,
        inputs: inputs.clone(),
    };
    let synth_runs: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let mut b = Builder::witness_only();
            circuit.synthesize(&mut b).expect("witness");
            std::hint::black_box(b.into_assignment());
            t.elapsed()
        })
        .collect();
    let synth = median(synth_runs);
    let native_s = median(native_runs);

    // Export for snarkjs and let it check our proof.
    let export = target.join("arcanum-snarkjs");
    std::fs::create_dir_all(&export).expect("mkdir");
    let write = |file: &str, v: serde_json::Value| {
        std::fs::write(
            export.join(file),
            serde_json::to_vec_pretty(&v).expect("json"),
        )
        .expect("write");
    };
    write("verification_key.json", snarkjs::vk_json(&keys.vk));
    write(
        "proof.json",
        snarkjs::proof_json(proof.as_ref().expect("proved")),
    );
    write("public.json", snarkjs::public_json(&stmt.public_inputs()));

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/bench/snarkjs_bench.js");
    let peer = Command::new("node")
        .arg(&script)
        .arg(target.join("snarkjs"))
        .arg("7")
        .arg(&export)
        .output();
    let peer: Option<serde_json::Value> = match peer {
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
    };

    println!("constraints_{name}: {constraints}");
    println!(
        "constraints_per_element_{kind}: {:.1}",
        constraints as f64 / elements as f64
    );
    println!("prove_seconds_{name}: {prove:.4}");
    println!("witness_seconds_{name}: {synth:.4}");
    println!("native_seconds_{name}: {native_s:.6}");
    println!("prove_overhead_ratio_{kind}: {:.0}", prove / native_s);
    if let Some(p) = peer {
        let theirs = p["prove_seconds"].as_f64().unwrap_or(f64::NAN);
        println!("snarkjs_constraints_{name}: {}", p["constraints"]);
        println!("snarkjs_prove_seconds_{name}: {theirs:.4}");
        println!("prove_speedup_vs_snarkjs: {:.2}", theirs / prove);
        println!(
            "snarkjs_verifies_arcanum_proof: {}",
            u8::from(p["arcanum_proof_verified"].as_bool() == Some(true))
        );
    }
}
