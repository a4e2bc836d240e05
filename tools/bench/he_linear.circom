pragma circom 2.0.0;

// The circom peer of arcanum-zk's he-linear circuit, for `make bench`: the same statement
// (N contributors x D exponential-ElGamal ciphertexts on BabyJubJub, output[j] =
// sum_i w_i * x[i][j] with weights in [-255, 255]) built the same way: input points
// checked on the curve, weights as a sign and 8 magnitude bits, each output point by
// Horner's rule over the bits (dedicated doubling, signed selection, complete
// twisted-Edwards addition), and the same commitment layout with circomlib's Poseidon of
// width 17 (rate 16). The bench instantiates `component main {public [job_id, worker]} =
// HeLinear(N, D);` per shape in a generated file that includes this one.
include "secagg_sum.circom";

// BabyJubJub in arkworks' form (ark-ed-on-bn254): a = 1, d = 168696 / 168700.
function D() { return 9706598848417545097372247223557719406784115219466060233080913168975159366771; }

// x^2 + y^2 = 1 + d x^2 y^2: 3 constraints.
template OnCurve() {
    signal input x;
    signal input y;
    signal x2 <== x * x;
    signal y2 <== y * y;
    (D() * x2) * y2 === x2 + y2 - 1;
}

// Complete twisted-Edwards addition: 6 constraints.
template Add() {
    signal input x1;
    signal input y1;
    signal input x2;
    signal input y2;
    signal output x;
    signal output y;
    signal beta <== x1 * y2;
    signal gamma <== y1 * x2;
    signal delta <== (y1 - x1) * (x2 + y2);
    signal tau <== (D() * beta) * gamma;
    x <-- (beta + gamma) / (1 + tau);
    x * (1 + tau) === beta + gamma;
    y <-- (delta + beta - gamma) / (1 - tau);
    y * (1 - tau) === delta + beta - gamma;
}

// Dedicated doubling: 5 constraints.
template Double() {
    signal input x1;
    signal input y1;
    signal output x;
    signal output y;
    signal xy <== x1 * y1;
    signal xx <== x1 * x1;
    signal yy <== y1 * y1;
    x <-- 2 * xy / (xx + yy);
    x * (xx + yy) === 2 * xy;
    y <-- (yy - xx) / (2 - xx - yy);
    y * (2 - xx - yy) === yy - xx;
}

template HeLinear(N, D) {
    signal input job_id;
    signal input worker;
    signal input c[N][D][4];   // [c1.x, c1.y, c2.x, c2.y]
    signal input negative[N];
    signal input bits[N][8];   // magnitude bits, most significant first
    signal output input_commitment;
    signal output output_commitment;

    signal job_sq;
    job_sq <== job_id * worker;

    // Weights: booleans, the committed weight (1 - 2 neg) * magnitude, signed bits.
    signal w[N];
    signal signed[N][8];
    for (var i = 0; i < N; i++) {
        negative[i] * (1 - negative[i]) === 0;
        var m = 0;
        for (var k = 0; k < 8; k++) {
            bits[i][k] * (1 - bits[i][k]) === 0;
            m += bits[i][k] * (1 << (7 - k));
        }
        w[i] <== (1 - 2 * negative[i]) * m;
        for (var k = 0; k < 8; k++) {
            signed[i][k] <== (1 - 2 * negative[i]) * bits[i][k];
        }
    }

    component curve[N][D][2];
    component contribution[N];
    for (var i = 0; i < N; i++) {
        contribution[i] = Sponge(4 * D, 16);
        contribution[i].tag <== (1 << 64) + 4 * D;
        for (var j = 0; j < D; j++) {
            for (var p = 0; p < 2; p++) {
                curve[i][j][p] = OnCurve();
                curve[i][j][p].x <== c[i][j][2 * p];
                curve[i][j][p].y <== c[i][j][2 * p + 1];
            }
            for (var e = 0; e < 4; e++) { contribution[i].x[4 * j + e] <== c[i][j][e]; }
        }
    }
    component inputs = Sponge(2 * N, 16);
    inputs.tag <== (2 << 64) + 2 * N;
    for (var i = 0; i < N; i++) {
        inputs.x[i] <== contribution[i].out;
        inputs.x[N + i] <== w[i];
    }
    input_commitment <== inputs.out;

    // Horner per output point: acc = 2 acc + sum_i bit_ik * (±P_i).
    component dbl[D][2][7];
    component add[D][2][8][N];
    signal sx[D][2][8][N];
    signal sy[D][2][8][N];
    component out = Sponge(4 * D, 16);
    out.tag <== (3 << 64) + 4 * D;
    for (var j = 0; j < D; j++) {
        for (var p = 0; p < 2; p++) {
            var ax = 0;
            var ay = 1;
            for (var k = 0; k < 8; k++) {
                if (k > 0) {
                    dbl[j][p][k - 1] = Double();
                    dbl[j][p][k - 1].x1 <== ax;
                    dbl[j][p][k - 1].y1 <== ay;
                    ax = dbl[j][p][k - 1].x;
                    ay = dbl[j][p][k - 1].y;
                }
                for (var i = 0; i < N; i++) {
                    sx[j][p][k][i] <== signed[i][k] * c[i][j][2 * p];
                    sy[j][p][k][i] <== bits[i][k] * (c[i][j][2 * p + 1] - 1) + 1;
                    if (k == 0 && i == 0) {
                        ax = sx[j][p][k][i];
                        ay = sy[j][p][k][i];
                    } else {
                        add[j][p][k][i] = Add();
                        add[j][p][k][i].x1 <== ax;
                        add[j][p][k][i].y1 <== ay;
                        add[j][p][k][i].x2 <== sx[j][p][k][i];
                        add[j][p][k][i].y2 <== sy[j][p][k][i];
                        ax = add[j][p][k][i].x;
                        ay = add[j][p][k][i].y;
                    }
                }
            }
            out.x[4 * j + 2 * p] <== ax;
            out.x[4 * j + 2 * p + 1] <== ay;
        }
    }
    output_commitment <== out.out;
}
