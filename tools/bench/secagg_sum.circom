pragma circom 2.0.0;

// The circom peer of arcanum-zk's secagg-sum circuit, for `make bench`: the same statement
// (N contributors x D dims, output = elementwise sum), the same commitment layout (a
// Poseidon sponge of rate 8 per contributor with a domain tag in the capacity element, one
// over the contributor commitments and their share anchors, one over the output) and 4
// public signals, built from
// circomlib's Poseidon (width 9 permutations, chained). Commitments are public outputs here
// so the witness generator computes them; the constraint count is the same as checking
// them. The bench instantiates `component main {public [job_id, worker]} =
// SecaggSum(N, D);` per shape in a generated file that includes this one.
include "node_modules/circomlib/circuits/poseidon.circom";

// Absorbs L elements R at a time into a width-(R + 1) state whose capacity starts at `tag`;
// squeezes the first rate element, as arkworks' PoseidonSponge does.
template Sponge(L, R) {
    signal input tag;
    signal input x[L];
    signal output out;

    var chunks = L == 0 ? 1 : (L + R - 1) \ R;
    component perm[chunks];
    for (var c = 0; c < chunks; c++) {
        perm[c] = PoseidonEx(R, R + 1);
        perm[c].initialState <== c == 0 ? tag : perm[c - 1].out[0];
        for (var j = 0; j < R; j++) {
            var k = c * R + j;
            var prev = c == 0 ? 0 : perm[c - 1].out[j + 1];
            if (k < L) {
                perm[c].inputs[j] <== prev + x[k];
            } else {
                perm[c].inputs[j] <== prev;
            }
        }
    }
    out <== perm[chunks - 1].out[1];
}

template SecaggSum(N, D) {
    signal input job_id;
    signal input worker;
    signal input x[N][D];
    signal input anchor[N];
    signal output input_commitment;
    signal output output_commitment;

    // Bind job_id and worker to a constraint, as arkworks binds every public input.
    signal job_sq;
    job_sq <== job_id * worker;

    component contribution[N];
    var sum[D];
    for (var j = 0; j < D; j++) { sum[j] = 0; }
    for (var i = 0; i < N; i++) {
        contribution[i] = Sponge(D, 8);
        contribution[i].tag <== (1 << 64) + D;
        for (var j = 0; j < D; j++) {
            contribution[i].x[j] <== x[i][j];
            sum[j] += x[i][j];
        }
    }
    component inputs = Sponge(2 * N, 8);
    inputs.tag <== (2 << 64) + 2 * N;
    for (var i = 0; i < N; i++) {
        inputs.x[i] <== contribution[i].out;
        inputs.x[N + i] <== anchor[i];
    }
    input_commitment <== inputs.out;

    component out = Sponge(D, 8);
    out.tag <== (3 << 64) + D;
    for (var j = 0; j < D; j++) { out.x[j] <== sum[j]; }
    output_commitment <== out.out;
}
