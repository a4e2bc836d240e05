pragma circom 2.0.0;

// The circom peer of arcanum-zk's secagg-sum circuit, for `make bench`: the same statement
// (N contributors x D dims, output = elementwise sum), the same commitment layout (a
// Poseidon commitment per contributor with a domain tag in the capacity element, one over
// the contributor commitments, one over the output) and 4 public signals, built from
// circomlib's Poseidon. Commitments are public outputs here so the witness generator
// computes them; the constraint count is the same as checking them.
include "node_modules/circomlib/circuits/poseidon.circom";

template SecaggSum(N, D) {
    signal input job_id;
    signal input worker;
    signal input x[N][D];
    signal output input_commitment;
    signal output output_commitment;

    // Bind job_id and worker to a constraint, as arkworks binds every public input.
    signal job_sq;
    job_sq <== job_id * worker;

    component contribution[N];
    var sum[D];
    for (var j = 0; j < D; j++) { sum[j] = 0; }
    for (var i = 0; i < N; i++) {
        contribution[i] = PoseidonEx(D, 1);
        contribution[i].initialState <== (1 << 64) + D;
        for (var j = 0; j < D; j++) {
            contribution[i].inputs[j] <== x[i][j];
            sum[j] += x[i][j];
        }
    }
    component inputs = PoseidonEx(N, 1);
    inputs.initialState <== (2 << 64) + N;
    for (var i = 0; i < N; i++) { inputs.inputs[i] <== contribution[i].out[0]; }
    input_commitment <== inputs.out[0];

    component out = PoseidonEx(D, 1);
    out.initialState <== (3 << 64) + D;
    for (var j = 0; j < D; j++) { out.inputs[j] <== sum[j]; }
    output_commitment <== out.out[0];
}

component main {public [job_id, worker]} = SecaggSum(4, 8);
