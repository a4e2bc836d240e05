//! Threshold ElGamal benchmark, with Paillier (python-paillier `phe`, 2048-bit keys) as
//! the peer in the same run.
//!
//! `cargo bench -p arcanum-compute --bench elgamal` prints progress on stderr and, at the
//! end, `name: value` lines on stdout:
//!
//! - `elgamal_encrypt_us`, `paillier_encrypt_us`: median time of one encryption of a
//!   random 32-bit value, single thread, same number of values for both (ours with the
//!   key's precomputed table, whose one-off cost is `elgamal_precompute_ms`;
//!   `elgamal_encrypt_plain_us` is without it);
//! - `elgamal_encrypt_speedup_vs_paillier`: paillier / elgamal;
//! - `bsgs_table_build_seconds`, `bsgs_table_bytes`: the 32-bit discrete-log table;
//! - `bsgs_32bit_decrypt_ms_median`, `bsgs_32bit_decrypt_ms_worst`: discrete log of random
//!   32-bit values and of 2^32 - 1, table reused;
//! - `threshold_decrypt_ms`: combining 3 of 5 partial decryptions of one ciphertext of a
//!   random 32-bit value, including the three DLEQ checks and the discrete log.
//!
//! The peer runs `tools/bench/phe_bench.py` with `tools/bench/.venv/bin/python` if present,
//! else `python3`.

use arcanum_compute::elgamal::{BsgsTable, EdwardsAffine, dkg};
use ark_ec::{AffineRepr, CurveGroup};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Encryptions timed on each side.
const ENCRYPTIONS: usize = 100;
/// Random values for the discrete-log timing.
const DLOG_VALUES: usize = 30;
/// Threshold decryptions timed.
const THRESHOLD_RUNS: usize = 20;

const SETUP: &str = "run: python3 -m venv tools/bench/.venv && tools/bench/.venv/bin/pip install -r tools/bench/requirements.txt";

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn paillier_encrypt_us(root: &Path) -> BoxResult<f64> {
    let venv = root.join("tools/bench/.venv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let script = root.join("tools/bench/phe_bench.py");
    eprintln!("paillier: {} {}", python.display(), script.display());
    let out = Command::new(&python)
        .arg(&script)
        .args(["--count", &ENCRYPTIONS.to_string(), "--key-bits", "2048"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}; {SETUP}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "phe_bench.py failed ({}): {}\n{SETUP}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    eprintln!("paillier: {report}");
    report["median_us"]
        .as_f64()
        .ok_or_else(|| format!("phe_bench.py printed no median_us: {report}").into())
}

fn main() -> BoxResult<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let params = dkg::DkgParams::new(5, 3, *b"arcanum elgamal benchmark sessid")?;
    let (group, keys) = dkg::run_honest(&params, &mut rng)?;
    let pk = *group.public_key();

    // Encryption of random 32-bit values.
    let values: Vec<u64> = (0..ENCRYPTIONS)
        .map(|_| rng.gen_range(0..1u64 << 32))
        .collect();
    for &m in values.iter().take(10) {
        black_box(pk.encrypt_u64(m, &mut rng));
    }
    let mut plain_us: Vec<f64> = values
        .iter()
        .map(|&m| {
            let start = Instant::now();
            black_box(pk.encrypt_u64(black_box(m), &mut rng));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let plain_us = median(&mut plain_us);
    let start = Instant::now();
    let ek = pk.precompute();
    let precompute_ms = start.elapsed().as_secs_f64() * 1e3;
    for &m in values.iter().take(10) {
        black_box(ek.encrypt_u64(m, &mut rng));
    }
    let mut enc_us: Vec<f64> = values
        .iter()
        .map(|&m| {
            let start = Instant::now();
            black_box(ek.encrypt_u64(black_box(m), &mut rng));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let elgamal_us = median(&mut enc_us);
    eprintln!(
        "elgamal: {ENCRYPTIONS} encryptions, median {elgamal_us:.1} us precomputed, {plain_us:.1} us plain"
    );

    let paillier_us = paillier_encrypt_us(&root)?;

    // The 32-bit discrete-log table.
    let start = Instant::now();
    let table = BsgsTable::new(32)?;
    let build_s = start.elapsed().as_secs_f64();
    eprintln!("bsgs: {table:?} built in {build_s:.2} s");
    let g = EdwardsAffine::generator();
    let mut dlog_values: Vec<u64> = (0..DLOG_VALUES)
        .map(|_| rng.gen_range(0..1u64 << 32))
        .collect();
    dlog_values.push((1u64 << 32) - 1);
    let mut dlog_ms = Vec::with_capacity(dlog_values.len());
    for &m in &dlog_values {
        let p = g.mul_bigint([m]).into_affine();
        let start = Instant::now();
        let got = table.solve(black_box(&p))?;
        dlog_ms.push(start.elapsed().as_secs_f64() * 1e3);
        if u64::try_from(got).ok() != Some(m) {
            return Err(format!("discrete log of {m} gave {got}").into());
        }
    }
    let dlog_worst = dlog_ms.iter().copied().fold(0.0, f64::max);
    let dlog_median = median(&mut dlog_ms);

    // Threshold decryption, 3 of 5, of random 32-bit values.
    let mut thr_ms = Vec::with_capacity(THRESHOLD_RUNS);
    for _ in 0..THRESHOLD_RUNS {
        let m = rng.gen_range(0..1u64 << 32);
        let cts = [pk.encrypt_u64(m, &mut rng)];
        let partials: Vec<_> = [1usize, 3, 5]
            .iter()
            .map(|&j| keys[j - 1].partial_decrypt(&group, &cts, &mut rng))
            .collect();
        let start = Instant::now();
        let out = group.combine(&cts, &partials, &table)?;
        thr_ms.push(start.elapsed().as_secs_f64() * 1e3);
        if u64::try_from(out.values[0]).ok() != Some(m) {
            return Err(format!("threshold decryption of {m} gave {}", out.values[0]).into());
        }
    }
    let thr_median = median(&mut thr_ms);

    println!("elgamal_encrypt_us: {elgamal_us:.1}");
    println!("elgamal_encrypt_plain_us: {plain_us:.1}");
    println!("elgamal_precompute_ms: {precompute_ms:.2}");
    println!("paillier_encrypt_us: {paillier_us:.1}");
    println!(
        "elgamal_encrypt_speedup_vs_paillier: {:.1}",
        paillier_us / elgamal_us
    );
    println!("bsgs_table_build_seconds: {build_s:.3}");
    println!("bsgs_table_bytes: {}", table.size_bytes());
    // The headline figure is the worst case (2^32 - 1 and the slowest random value).
    println!("bsgs_32bit_decrypt_ms: {dlog_worst:.3}");
    println!("bsgs_32bit_decrypt_ms_median: {dlog_median:.3}");
    println!("bsgs_32bit_decrypt_ms_worst: {dlog_worst:.3}");
    println!("threshold_decrypt_ms: {thr_median:.3}");
    Ok(())
}
