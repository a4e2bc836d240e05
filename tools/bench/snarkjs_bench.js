#!/usr/bin/env node
// Times snarkjs proving the circom peer of an Arcanum circuit (secagg_sum.circom,
// he_linear.circom) on this machine, and checks an Arcanum proof exported in snarkjs'
// format with `snarkjs.groth16.verify`.
// Usage: snarkjs_bench.js <work dir> <runs> <kind> <contributors> <dims> <input.json> [<arcanum export dir>]
// `kind` is secagg-sum or he-linear; input.json is the circuit's input signals (written by
// the Rust bench from the job it proves). Prints one JSON object on stdout:
// { constraints, prove_seconds, prove_runs, arcanum_proof_verified }.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const snarkjs = require('snarkjs');

const here = __dirname;
const [workRoot, runsArg, kind, nArg, dArg, inputFile, exported] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const [N, D] = [Number(nArg || 4), Number(dArg || 8)];
const circuits = {
  'secagg-sum': { file: 'secagg_sum.circom', template: 'SecaggSum' },
  'he-linear': { file: 'he_linear.circom', template: 'HeLinear' },
};
const circuit = circuits[kind];
if (!circuit) {
  console.error(`unknown kind ${kind}; expected one of ${Object.keys(circuits).join(', ')}`);
  process.exit(2);
}
const work = path.resolve(workRoot, `${kind}-${N}x${D}`);
const bin = (name) => path.join(here, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(bin(cmd), args, { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

async function main() {
  fs.mkdirSync(work, { recursive: true });
  const name = `${kind.replace('-', '_')}_${N}x${D}`;
  const r1cs = path.join(work, `${name}.r1cs`);
  const wasm = path.join(work, `${name}_js`, `${name}.wasm`);
  const zkey = path.join(work, `${name}.zkey`);
  if (!fs.existsSync(zkey)) {
    // One-off setup (not timed): circom compile with full simplification, a fresh
    // powers-of-tau just large enough (dev only, like Arcanum's dev setup), Groth16 setup.
    const main = path.join(work, `${name}.circom`);
    fs.writeFileSync(main, `pragma circom 2.0.0;\ninclude "${circuit.file}";\n` +
      `component main {public [job_id, worker]} = ${circuit.template}(${N}, ${D});\n`);
    run('circom2', [main, '-l', here, '--r1cs', '--wasm', '--O2', '-o', work]);
    const constraints = (await snarkjs.r1cs.info(r1cs)).nConstraints;
    const power = Math.max(12, Math.ceil(Math.log2(constraints + 8)));
    const pot0 = path.join(work, `pot${power}_0.ptau`);
    const pot = path.join(work, `pot${power}_final.ptau`);
    run('snarkjs', ['powersoftau', 'new', 'bn128', String(power), pot0]);
    run('snarkjs', ['powersoftau', 'prepare', 'phase2', pot0, pot]);
    run('snarkjs', ['groth16', 'setup', r1cs, pot, zkey]);
  }
  const info = await snarkjs.r1cs.info(r1cs);
  const wtns = { type: 'mem' };
  await snarkjs.wtns.calculate(JSON.parse(fs.readFileSync(inputFile)), wasm, wtns);
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
