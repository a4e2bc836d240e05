#!/usr/bin/env node
// Copies the ABI and creation bytecode of Arcanum's contracts from forge's output
// (contracts/out) into chain/artifacts, where the Rust bindings (`sol!`) read them.
// Usage: export-artifacts.js [--check]   (--check: exit 1 if the committed files are stale)
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'contracts', 'out');
const dest = path.join(root, 'chain', 'artifacts');
const check = process.argv.includes('--check');

const contracts = fs
  .readdirSync(path.join(root, 'contracts', 'src'), { recursive: true })
  .filter((f) => f.endsWith('.sol'))
  .map((f) => path.basename(f, '.sol'));

let stale = [];
fs.mkdirSync(dest, { recursive: true });
for (const name of contracts) {
  const file = path.join(out, `${name}.sol`, `${name}.json`);
  if (!fs.existsSync(file)) {
    console.error(`export-artifacts: ${file} missing; run \`make contracts\` first`);
    process.exit(2);
  }
  const art = JSON.parse(fs.readFileSync(file, 'utf8'));
  const slim = { abi: art.abi, bytecode: { object: art.bytecode.object } };
  const text = JSON.stringify(slim, null, 1) + '\n';
  const target = path.join(dest, `${name}.json`);
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    if (check) stale.push(name);
    else fs.writeFileSync(target, text);
  }
}
if (check && stale.length) {
  console.error(`export-artifacts: chain/artifacts is stale for ${stale.join(', ')}; run \`make bindings\` and commit`);
  process.exit(1);
}
