#!/usr/bin/env node
// Times snarkjs proving the circom peer of secagg-sum (secagg_sum.circom) on this machine,
// and checks an Arcanum proof exported in snarkjs' format with `snarkjs groth16 verify`.
// Usage: snarkjs_bench.js <work dir> <runs> [<arcanum export dir>]
// Prints one JSON object on stdout: { constraints, prove_seconds, prove_runs, arcanum_proof_verified }.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const snarkjs = require('snarkjs');

const here = __dirname;
const [work, runsArg, exported] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const bin = (name) => path.join(here, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(bin(cmd), args, { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

async function main() {
  fs.mkdirSync(work, { recursive: true });
  const r1cs = path.join(work, 'secagg_sum.r1cs');
  const wasm = path.join(work, 'secagg_sum_js', 'secagg_sum.wasm');
  const zkey = path.join(work, 'secagg_sum.zkey');
  if (!fs.existsSync(zkey)) {
    // One-off setup (not timed): circom compile with full simplification, a fresh
    // powers-of-tau of 2^12 (dev only, like Arcanum's dev setup), Groth16 circuit setup.
    run('circom2', ['secagg_sum.circom', '--r1cs', '--wasm', '--O2', '-o', work]);
    const pot0 = path.join(work, 'pot12_0.ptau');
    const pot = path.join(work, 'pot12_final.ptau');
    run('snarkjs', ['powersoftau', 'new', 'bn128', '12', pot0]);
    run('snarkjs', ['powersoftau', 'prepare', 'phase2', pot0, pot]);
    run('snarkjs', ['groth16', 'setup', r1cs, pot, zkey]);
  }
  const info = await snarkjs.r1cs.info(r1cs);
  const x = [];
  for (let i = 0; i < 4; i++) {
    x.push([]);
    for (let j = 0; j < 8; j++) x[i].push(String(1000 * i + j + 1));
  }
  const wtns = { type: 'mem' };
  await snarkjs.wtns.calculate({ job_id: '7', worker: '170', x }, wasm, wtns);
  const times = [];
  for (let k = 0; k < runs + 1; k++) {
    const t0 = process.hrtime.bigint();
    await snarkjs.groth16.prove(zkey, wtns);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (k > 0) times.push(dt); // the first run warms up the JIT and worker threads
  }
  times.sort((a, b) => a - b);
  let verified = null;
  if (exported) {
    const vk = JSON.parse(fs.readFileSync(path.join(exported, 'verification_key.json')));
    const pub = JSON.parse(fs.readFileSync(path.join(exported, 'public.json')));
    const proof = JSON.parse(fs.readFileSync(path.join(exported, 'proof.json')));
    verified = await snarkjs.groth16.verify(vk, pub, proof);
  }
  process.stdout.write(JSON.stringify({
    constraints: info.nConstraints,
    prove_seconds: times[Math.floor(times.length / 2)],
    prove_runs: times.length,
    arcanum_proof_verified: verified,
  }) + '\n');
  process.exit(0);
}
main().catch((e) => { console.error(e); process.exit(1); });
