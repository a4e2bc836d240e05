//! Integration tests of arcanum-zk: prove/verify round trips with the dev keys, and the
//! freshness of everything generated into the contracts project (verifier source and proof
//! fixture). Run with `ARCANUM_BLESS=1` to regenerate them (`make verifiers`).

use arcanum_protocol::{Address, JobId, Shape, U256};
use arcanum_zk::{
    Error, Fr, evm, field,
    he_linear::{self, Ciphertext},
    keys::{KeyStore, ShapeKeys},
    prover::{self, SecaggSumStatement, Statement},
    shapes::{self, HE_LINEAR_4X8, SECAGG_SUM_4X8},
    solidity,
};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ed_on_bn254::EdwardsProjective;
use ark_ff::UniformRand;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::{path::PathBuf, sync::OnceLock};

/// Dev keys of every registered shape, set up once per test binary.
fn keys_of(shape: &Shape) -> &'static ShapeKeys {
    static KEYS: OnceLock<Vec<ShapeKeys>> = OnceLock::new();
    let all = KEYS.get_or_init(|| {
        let store = KeyStore::dev(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("arcanum-keys"));
        shapes::ALL
            .iter()
            .map(|s| store.load_or_setup(s).expect("dev setup"))
            .collect()
    });
    all.iter()
        .find(|k| k.shape == *shape)
        .expect("registered shape")
}

fn keys() -> &'static ShapeKeys {
    keys_of(&SECAGG_SUM_4X8)
}

/// A word as the fixtures write it: a quoted hex string.
fn hex(u: U256) -> String {
    format!("\"{u:#x}\"")
}

/// A field element as the fixtures write it.
fn fr(f: Fr) -> String {
    hex(field::fr_to_u256(f))
}

/// A proof's EVM calldata words as the fixtures write them.
fn words(p: &ark_groth16::Proof<arcanum_zk::Bn254>) -> String {
    format!(
        "[{}]",
        evm::proof_to_calldata(p)
            .iter()
            .map(|w| hex(*w))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contracts")
}

/// Inputs used by the fixture: 4 contributors x 8 dims.
fn fixture_inputs() -> Vec<Vec<Fr>> {
    (0..4u64)
        .map(|i| (0..8u64).map(|j| Fr::from(1000 * i + j + 1)).collect())
        .collect()
}

fn sum(inputs: &[Vec<Fr>]) -> Vec<Fr> {
    (0..inputs[0].len())
        .map(|j| inputs.iter().map(|x| x[j]).sum())
        .collect()
}

const FIXTURE_WORKER: &str = "0x000000000000000000000000000000000000bEEF";

fn check_or_bless(path: PathBuf, expected: &str) {
    if std::env::var_os("ARCANUM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, expected).expect("write");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == expected,
        "{} is stale: it no longer matches what arcanum-zk generates; run `make verifiers` and commit",
        path.display()
    );
}

#[test]
fn committed_verifiers_are_fresh() {
    for shape in shapes::ALL {
        let keys = keys_of(shape);
        let source = solidity::verifier_source(shape, &keys.vk, keys.insecure_dev);
        let path = contracts_dir()
            .join("src/generated")
            .join(format!("{}.sol", shape.verifier_contract()));
        check_or_bless(path, &source);
    }
}

/// The large shapes' verifiers and a real proof of each (the forge tests' fixture): their
/// dev setup takes minutes and 3 GB, so CI leaves them out; `make verifiers` runs this
/// (ignored) test too.
#[test]
#[ignore = "sets up a circuit of about 2^20 constraints (minutes); run by `make verifiers`"]
fn committed_large_verifiers_are_fresh() {
    let store = KeyStore::dev(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("arcanum-keys"));
    for shape in shapes::LARGE {
        let keys = store.load_or_setup(shape).expect("dev setup");
        let source = solidity::verifier_source(shape, &keys.vk, keys.insecure_dev);
        let path = contracts_dir()
            .join("src/generated")
            .join(format!("{}.sol", shape.verifier_contract()));
        check_or_bless(path, &source);

        // A real proof of job 1 for the fixture worker, which the forge tests check under
        // the committed verifier.
        let inputs: Vec<Vec<Fr>> = (0..shape.contributors as u64)
            .map(|i| {
                (0..shape.dims as u64)
                    .map(|j| Fr::from(1000 * i + j + 1))
                    .collect()
            })
            .collect();
        let worker: Address = FIXTURE_WORKER.parse().expect("addr");
        let stmt = SecaggSumStatement::new(JobId::from(1), worker, &inputs, &sum(&inputs))
            .expect("statement");
        let mut rng = ChaCha20Rng::seed_from_u64(2026);
        let proof =
            prover::prove_secagg_sum_with_rng(&keys, &stmt, &inputs, &mut rng).expect("prove");
        let words = evm::proof_to_calldata(&proof);
        let json = format!(
            "{{\n  \"shape\": {},\n  \"jobId\": 1,\n  \"worker\": \"{}\",\n  \"inputCommitment\": {},\n  \"outputCommitment\": {},\n  \"proof\": [{}]\n}}\n",
            shape.id.0,
            FIXTURE_WORKER,
            fr(stmt.input_commitment),
            fr(stmt.output_commitment),
            words.iter().map(|w| hex(*w)).collect::<Vec<_>>().join(", ")
        );
        check_or_bless(
            contracts_dir().join(format!(
                "test/fixtures/{}_proof.json",
                shape.name().replace('-', "_")
            )),
            &json,
        );
    }
}

#[test]
fn committed_oracle_verifiers_are_fresh() {
    use arcanum_zk::{keys::Keyed, oracle};
    let store = KeyStore::dev(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("arcanum-keys"));
    for shape in oracle::ALL {
        let (clerk, finalize) = (shape.clerk(), shape.finalize());
        let (clerk_what, clerk_inputs) = clerk.describe();
        let (finalize_what, finalize_inputs) = finalize.describe();
        for (id, keys, circuit) in [
            (
                clerk.key_name(),
                store.load_or_setup_circuit(&clerk).expect("dev setup"),
                solidity::Circuit {
                    contract: clerk.verifier_contract(),
                    what: clerk_what,
                    detail: String::new(),
                    inputs: clerk_inputs.into(),
                },
            ),
            (
                finalize.key_name(),
                store.load_or_setup_circuit(&finalize).expect("dev setup"),
                solidity::Circuit {
                    contract: finalize.verifier_contract(),
                    what: finalize_what,
                    detail: String::new(),
                    inputs: finalize_inputs.into(),
                },
            ),
        ] {
            assert_eq!(keys.name, id);
            let source = solidity::verifier_source_for(&circuit, &keys.vk, keys.insecure_dev);
            let path = contracts_dir()
                .join("src/generated")
                .join(format!("{}.sol", circuit.contract));
            check_or_bless(path, &source);
        }
    }
}

/// The oracle fixture: the sample anchored job as job 2 of the contracts' tests, proven by
/// the fixture worker, its clerks 1 and 3's proofs, and finalize proofs of its mean for
/// requests 1 to 6.
#[test]
fn committed_oracle_fixture_is_fresh() {
    use arcanum_zk::oracle::{clerk, finalize, sample};
    let store = KeyStore::dev(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("arcanum-keys"));
    let shape = sample::SHAPE;
    let clerk_keys = store.load_or_setup_circuit(&shape.clerk()).expect("setup");
    let finalize_keys = store
        .load_or_setup_circuit(&shape.finalize())
        .expect("setup");
    let job = sample::job();
    let mut rng = ChaCha20Rng::seed_from_u64(2027);
    let worker: Address = FIXTURE_WORKER.parse().expect("addr");
    let output = job.masked_sum();
    let stmt = Statement::from_commitments(
        JobId::from(2),
        worker,
        job.input_commitment(),
        arcanum_zk::commitment::output(&output),
    )
    .expect("statement");
    let worker_proof =
        prover::prove_secagg_sum_anchored(keys(), &stmt, &job.masked, &job.anchors, &mut rng)
            .expect("worker proof");
    let clerks = [0usize, 2];
    let mut clerk_commitments = Vec::new();
    let mut clerk_proofs = Vec::new();
    for k in clerks {
        let c = job.clerk(k);
        let proof =
            clerk::prove(&clerk_keys, shape, c.statement, &c.slots, &mut rng).expect("clerk");
        clerk_commitments.push(hex(field::fr_to_u256(c.statement.clerk_commitment)));
        clerk_proofs.push(words(&proof));
    }
    let mut finals = Vec::new();
    let mut value = 0;
    // The forge tests' oracle node.
    let node: Address = "0x000000000000000000000000000000000000AC1E"
        .parse()
        .expect("addr");
    for request in 1..=6u64 {
        let f = job.finalize(
            finalize::binding(U256::from(request), node),
            clerks,
            sample::MEAN,
        );
        value = f.statement.value;
        let proof = finalize::prove(
            &finalize_keys,
            shape,
            f.statement.clone(),
            &f.masked,
            &f.clerk_sums,
            &mut rng,
        )
        .expect("finalize");
        finals.push(words(&proof));
    }
    let json = format!(
        "{{\n  \"anchors\": [{}],\n  \"jobId\": 2,\n  \"worker\": \"{FIXTURE_WORKER}\",\n  \"inputCommitment\": {},\n  \"outputCommitment\": {},\n  \"workerProof\": {},\n  \"queryTag\": {},\n  \"params\": {},\n  \"value\": \"{value}\",\n  \"clerkIndices\": [1, 3],\n  \"clerkCommitments\": [{}],\n  \"clerkProofs\": [{}],\n  \"finalizeProofs\": [{}]\n}}\n",
        job.anchors
            .iter()
            .map(|a| hex(field::fr_to_u256(*a)))
            .collect::<Vec<_>>()
            .join(", "),
        hex(field::fr_to_u256(stmt.input_commitment)),
        hex(field::fr_to_u256(stmt.output_commitment)),
        words(&worker_proof),
        hex(field::fr_to_u256(job.tag)),
        sample::MEAN.params(),
        clerk_commitments.join(", "),
        clerk_proofs.join(", "),
        finals.join(", "),
    );
    check_or_bless(
        contracts_dir().join("test/fixtures/oracle_secagg_sum_4x8.json"),
        &json,
    );
}

/// The he-linear oracle fixture: the sample job (`oracle::sample_he`) as job 2 of the
/// contracts' tests, proven by the fixture worker, members 1, 3 and 5's share proofs, an
/// outsider's share proof in member 3's place (under the owners' key digest, and under a
/// digest naming its own key), and finalize proofs of its mean for requests 1 to 6.
#[test]
fn committed_oracle_he_fixture_is_fresh() {
    use arcanum_zk::oracle::{decrypt, finalize, finalize_he, sample_he};
    use ark_ec::AffineRepr;
    let store = KeyStore::dev(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("arcanum-keys"));
    let shape = sample_he::SHAPE;
    let member_keys = store.load_or_setup_circuit(&shape.clerk()).expect("setup");
    let finalize_keys = store
        .load_or_setup_circuit(&shape.finalize())
        .expect("setup");
    let job = sample_he::job();
    let mut rng = ChaCha20Rng::seed_from_u64(2028);
    let worker: Address = FIXTURE_WORKER.parse().expect("addr");
    let ones = vec![1i64; job.inputs.len()];
    let output = arcanum_compute::elgamal::he_linear(&job.inputs, &ones).expect("sum");
    let stmt = Statement::he_linear(JobId::from(2), worker, &job.inputs, &ones, &output)
        .expect("statement");
    let worker_proof = prover::prove_he_linear_with_rng(
        keys_of(&HE_LINEAR_4X8),
        &stmt,
        &job.inputs,
        &ones,
        &mut rng,
    )
    .expect("worker proof");
    let members = [1u64, 3, 5];
    let stat = sample_he::MEAN;
    let (mut commitments, mut proofs) = (Vec::new(), Vec::new());
    for i in members {
        let m = job.member(i, job.secrets[i as usize - 1], stat);
        commitments.push(fr(m.statement.commitment));
        proofs.push(words(
            &decrypt::prove(&member_keys, &m, &mut rng).expect("member"),
        ));
    }
    // An outsider (not a member) proving a share for position 3 under a digest naming its
    // own key there: a valid proof, of another committee than the owners anchored.
    let outsider = ark_ed_on_bn254::Fr::from(123_456_789u64);
    let mut keys = job.keys.clone();
    keys[2] = (ark_ed_on_bn254::EdwardsAffine::generator() * outsider).into_affine();
    let o = decrypt::DecryptShareCircuit::honest(3, &keys, 3, outsider, job.c1(stat))
        .expect("outsider");
    let outsider_proof = decrypt::prove(&member_keys, &o, &mut rng).expect("outsider proof");
    let node: Address = "0x000000000000000000000000000000000000AC1E"
        .parse()
        .expect("addr");
    let mut finals = Vec::new();
    let mut last = None;
    for request in 1..=6u64 {
        let f = job
            .finalize(finalize::binding(U256::from(request), node), members, stat)
            .expect("finalize");
        finals.push(words(
            &finalize_he::prove(&finalize_keys, &f, &mut rng).expect("finalize proof"),
        ));
        last = Some(f.statement);
    }
    let st = last.expect("statement");
    let json = format!(
        "{{\n  \"anchors\": [{}],\n  \"jobId\": 2,\n  \"worker\": \"{FIXTURE_WORKER}\",\n  \"inputCommitment\": {},\n  \"outputCommitment\": {},\n  \"workerProof\": {},\n  \"queryTag\": {},\n  \"params\": {},\n  \"value\": \"{}\",\n  \"keyDigest\": {},\n  \"sumDigest\": {},\n  \"clerkIndices\": [1, 3, 5],\n  \"clerkCommitments\": [{}],\n  \"clerkProofs\": [{}],\n  \"outsiderKeyDigest\": {},\n  \"outsiderCommitment\": {},\n  \"outsiderProof\": {},\n  \"finalizeProofs\": [{}]\n}}\n",
        job.anchors
            .iter()
            .map(|a| fr(*a))
            .collect::<Vec<_>>()
            .join(", "),
        fr(stmt.input_commitment),
        fr(stmt.output_commitment),
        words(&worker_proof),
        fr(job.tag),
        stat.params(),
        st.value,
        fr(st.key_digest),
        fr(st.sum_digest),
        commitments.join(", "),
        proofs.join(", "),
        fr(o.statement.key_digest),
        fr(o.statement.commitment),
        words(&outsider_proof),
        finals.join(", "),
    );
    check_or_bless(
        contracts_dir().join("test/fixtures/oracle_he_linear_4x8.json"),
        &json,
    );
}

/// The batch-settlement fixture: jobs 1 to 16 of shape 1 (`secagg-sum-4x8`), each with its
/// own inputs, proven for the fixture worker.
#[test]
fn committed_batch_fixture_is_fresh() {
    let worker: Address = FIXTURE_WORKER.parse().expect("addr");
    let mut rng = ChaCha20Rng::seed_from_u64(2029);
    let mut jobs = Vec::new();
    for job in 1..=16u64 {
        let inputs: Vec<Vec<Fr>> = fixture_inputs()
            .into_iter()
            .map(|v| v.into_iter().map(|x| x + Fr::from(job)).collect())
            .collect();
        let stmt = SecaggSumStatement::new(JobId::from(job), worker, &inputs, &sum(&inputs))
            .expect("statement");
        let proof =
            prover::prove_secagg_sum_with_rng(keys(), &stmt, &inputs, &mut rng).expect("prove");
        jobs.push(format!(
            "    {{\"inputCommitment\": {}, \"outputCommitment\": {}, \"proof\": {}}}",
            fr(stmt.input_commitment),
            fr(stmt.output_commitment),
            words(&proof)
        ));
    }
    let json = format!(
        "{{\n  \"worker\": \"{FIXTURE_WORKER}\",\n  \"jobs\": [\n{}\n  ]\n}}\n",
        jobs.join(",\n")
    );
    check_or_bless(
        contracts_dir().join("test/fixtures/secagg_sum_4x8_batch.json"),
        &json,
    );
}

#[test]
fn committed_proof_fixture_is_fresh() {
    let inputs = fixture_inputs();
    let worker: Address = FIXTURE_WORKER.parse().expect("addr");
    let stmt =
        SecaggSumStatement::new(JobId::from(1), worker, &inputs, &sum(&inputs)).expect("statement");
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let proof = prover::prove_secagg_sum_with_rng(keys(), &stmt, &inputs, &mut rng).expect("prove");
    let words = evm::proof_to_calldata(&proof);
    let json = format!(
        "{{\n  \"shape\": {},\n  \"jobId\": 1,\n  \"worker\": \"{}\",\n  \"inputCommitment\": {},\n  \"outputCommitment\": {},\n  \"proof\": [{}]\n}}\n",
        SECAGG_SUM_4X8.id.0,
        FIXTURE_WORKER,
        hex(field::fr_to_u256(stmt.input_commitment)),
        hex(field::fr_to_u256(stmt.output_commitment)),
        words.iter().map(|w| hex(*w)).collect::<Vec<_>>().join(", ")
    );
    check_or_bless(
        contracts_dir().join("test/fixtures/secagg_sum_4x8_proof.json"),
        &json,
    );
}

#[test]
fn proof_verifies_and_binds_every_public_input() {
    let inputs = fixture_inputs();
    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("addr");
    let stmt =
        SecaggSumStatement::new(JobId::from(9), worker, &inputs, &sum(&inputs)).expect("statement");
    let proof = prover::prove_secagg_sum(keys(), &stmt, &inputs).expect("prove");
    prover::verify(&keys().vk, &stmt.public_inputs(), &proof).expect("verifies");

    for i in 0..4 {
        let mut public = stmt.public_inputs();
        public[i] += Fr::from(1u64);
        assert!(
            matches!(
                prover::verify(&keys().vk, &public, &proof),
                Err(Error::InvalidProof)
            ),
            "public input {i} is not bound"
        );
    }
}

#[test]
fn prover_refuses_a_wrong_output() {
    let inputs = fixture_inputs();
    let mut out = sum(&inputs);
    out[0] += Fr::from(1u64);
    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("addr");
    let stmt = SecaggSumStatement::new(JobId::from(9), worker, &inputs, &out).expect("statement");
    assert!(prover::prove_secagg_sum(keys(), &stmt, &inputs).is_err());
}

#[test]
fn calldata_round_trips_and_rejects_garbage() {
    let inputs = fixture_inputs();
    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("addr");
    let stmt =
        SecaggSumStatement::new(JobId::from(3), worker, &inputs, &sum(&inputs)).expect("statement");
    let proof = prover::prove_secagg_sum(keys(), &stmt, &inputs).expect("prove");
    let words = evm::proof_to_calldata(&proof);
    assert_eq!(evm::proof_from_calldata(&words).expect("decode"), proof);
    let mut bad = words;
    bad[0] += U256::from(1u64);
    assert!(evm::proof_from_calldata(&bad).is_err(), "A off the curve");
}

#[test]
fn shape_mismatch_is_a_clear_error() {
    let inputs = vec![vec![Fr::from(1u64); 8]; 3];
    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("addr");
    let stmt =
        SecaggSumStatement::new(JobId::from(1), worker, &inputs, &sum(&inputs)).expect("statement");
    let err = prover::prove_secagg_sum(keys(), &stmt, &inputs).expect_err("wrong shape");
    assert!(
        err.to_string().contains("expected 4 vectors of 8 elements"),
        "{err}"
    );
}

/// 4 contributors x 8 ciphertexts under a random key, with their weights.
fn he_inputs(seed: u64) -> (Vec<Vec<Ciphertext>>, Vec<i64>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let g = EdwardsProjective::generator();
    let h = g * ark_ed_on_bn254::Fr::rand(&mut rng);
    let inputs = (0..4u64)
        .map(|i| {
            (0..8u64)
                .map(|j| {
                    let r = ark_ed_on_bn254::Fr::rand(&mut rng);
                    Ciphertext {
                        c1: (g * r).into_affine(),
                        c2: (g * ark_ed_on_bn254::Fr::from(100 * i + j) + h * r).into_affine(),
                    }
                })
                .collect()
        })
        .collect();
    (inputs, vec![1, -3, 255, 0])
}

#[test]
fn he_linear_proof_verifies_binds_inputs_and_refuses_wrong_outputs() {
    let keys = keys_of(&HE_LINEAR_4X8);
    let (inputs, weights) = he_inputs(4);
    let output = arcanum_compute::elgamal::he_linear(&inputs, &weights).expect("he-linear");
    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("addr");
    let stmt = Statement::he_linear(JobId::from(11), worker, &inputs, &weights, &output)
        .expect("statement");
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let proof =
        prover::prove_he_linear_with_rng(keys, &stmt, &inputs, &weights, &mut rng).expect("prove");
    prover::verify(&keys.vk, &stmt.public_inputs(), &proof).expect("verifies");
    for i in 0..4 {
        let mut public = stmt.public_inputs();
        public[i] += Fr::from(1u64);
        assert!(matches!(
            prover::verify(&keys.vk, &public, &proof),
            Err(Error::InvalidProof)
        ));
    }
    // Another shape's key does not verify it.
    assert!(prover::verify(&keys_of(&SECAGG_SUM_4X8).vk, &stmt.public_inputs(), &proof).is_err());

    // A wrong output (weights changed after the fact) is refused before proving.
    let wrong = arcanum_compute::elgamal::he_linear(&inputs, &[1, -3, 254, 0]).expect("he-linear");
    let bad = Statement::he_linear(JobId::from(11), worker, &inputs, &weights, &wrong)
        .expect("statement");
    let err = prover::prove_he_linear_with_rng(keys, &bad, &inputs, &weights, &mut rng)
        .expect_err("wrong output");
    assert!(err.to_string().contains("weighted sum"), "{err}");
    let err = prover::prove_he_linear_with_rng(keys, &stmt, &inputs, &[1, -3, 256, 0], &mut rng)
        .expect_err("weight out of range");
    assert!(err.to_string().contains("outside"), "{err}");
}

#[test]
fn committed_chunked_proof_fixture_is_fresh() {
    // Job 2: 3 contributors x 20 values, proven as 3 chunks of secagg-sum-4x8.
    let inputs: Vec<Vec<Fr>> = (0..3u64)
        .map(|i| (0..20u64).map(|j| Fr::from(500 * i + j + 3)).collect())
        .collect();
    let job = arcanum_zk::chunks::ChunkedJob::split(SECAGG_SUM_4X8, &inputs, &[]).expect("split");
    let output = sum(&inputs);
    let outputs = job.split_output(&output).expect("outputs");
    let worker: Address = FIXTURE_WORKER.parse().expect("addr");
    let mut rng = ChaCha20Rng::seed_from_u64(2027);
    let mut ocs = Vec::new();
    let mut proofs = Vec::new();
    for (chunk, out) in job.chunks.iter().zip(&outputs) {
        let stmt =
            SecaggSumStatement::new(JobId::from(2), worker, &chunk.inputs, out).expect("statement");
        assert_eq!(stmt.input_commitment, chunk.input_commitment);
        let proof = prover::prove_secagg_sum_with_rng(keys(), &stmt, &chunk.inputs, &mut rng)
            .expect("prove");
        ocs.push(hex(field::fr_to_u256(stmt.output_commitment)));
        let words = evm::proof_to_calldata(&proof);
        proofs.push(format!(
            "[{}]",
            words.iter().map(|w| hex(*w)).collect::<Vec<_>>().join(", ")
        ));
    }
    let json = format!(
        "{{\n  \"jobId\": 2,\n  \"worker\": \"{}\",\n  \"inputCommitment\": {},\n  \"outputCommitment\": {},\n  \"chunkInputCommitments\": [{}],\n  \"chunkOutputCommitments\": [{}],\n  \"proofs\": [{}]\n}}\n",
        FIXTURE_WORKER,
        hex(field::fr_to_u256(job.input_commitment())),
        hex(field::fr_to_u256(
            job.output_commitment(&output).expect("oc")
        )),
        job.input_commitments()
            .iter()
            .map(|c| hex(*c))
            .collect::<Vec<_>>()
            .join(", "),
        ocs.join(", "),
        proofs.join(", ")
    );
    check_or_bless(
        contracts_dir().join("test/fixtures/secagg_sum_4x8_chunked_proof.json"),
        &json,
    );
}

/// The fixed-base prover computes exactly arkworks' proof for the same `r` and `s`.
#[test]
fn fixed_base_prover_matches_arkworks_bit_for_bit() {
    use arcanum_zk::{Bn254, circuit::Circuit, r1cs::Builder};
    use ark_groth16::Groth16;

    let worker: Address = "0x00000000000000000000000000000000000000aa"
        .parse()
        .expect("addr");
    let secagg = {
        let inputs = fixture_inputs();
        let stmt = Statement::new(JobId::from(3), worker, &inputs, &sum(&inputs)).expect("stmt");
        let circuit = arcanum_zk::circuit::SecaggSumCircuit {
            shape: SECAGG_SUM_4X8,
            job_id: stmt.job_id,
            worker: stmt.worker,
            input_commitment: stmt.input_commitment,
            output_commitment: stmt.output_commitment,
            anchors: vec![Fr::from(0u64); inputs.len()],
            inputs,
        };
        let mut b = Builder::witness_only();
        circuit.synthesize(&mut b).expect("witness");
        b.into_witness()
    };
    let he = {
        let (inputs, weights) = he_inputs(5);
        let output = arcanum_compute::elgamal::he_linear(&inputs, &weights).expect("he-linear");
        let stmt =
            Statement::he_linear(JobId::from(3), worker, &inputs, &weights, &output).expect("stmt");
        let circuit = he_linear::HeLinearCircuit {
            shape: HE_LINEAR_4X8,
            job_id: stmt.job_id,
            worker: stmt.worker,
            input_commitment: stmt.input_commitment,
            output_commitment: stmt.output_commitment,
            inputs,
            weights,
        };
        let mut b = Builder::witness_only();
        circuit.synthesize(&mut b).expect("witness");
        b.into_witness()
    };
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    for (shape, witness) in [(SECAGG_SUM_4X8, secagg), (HE_LINEAR_4X8, he)] {
        let keys = keys_of(&shape);
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let assignment = witness.assignment.clone();
        let ours = prover::create_proof(keys, r, s, &assignment).expect("ours");
        // The witness run's recorded constraint evaluations are the matrices' own.
        assert_eq!(
            (witness.a.clone(), witness.b.clone()),
            arcanum_zk::quotient::evaluations(&keys.matrices.abc, &assignment),
            "{}",
            shape.name()
        );
        let from_witness =
            prover::create_proof_from_witness(keys, r, s, witness).expect("from witness");
        assert_eq!(ours, from_witness, "{}", shape.name());
        let m = &keys.matrices;
        let theirs = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &keys.pk,
            r,
            s,
            &m.abc,
            m.num_instance,
            m.num_constraints,
            &assignment,
        )
        .expect("arkworks");
        assert_eq!(ours, theirs, "{}", shape.name());
    }
}
