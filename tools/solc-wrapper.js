#!/usr/bin/env node
// A native-looking `solc` for forge, backed by the pinned npm solc-js compiler.
// forge calls `solc --version` to learn the version, then `solc --standard-json` with the
// standard JSON input on stdin. Everything else is refused with a clear message.
'use strict';
const path = require('path');
const solc = require(path.join(__dirname, 'node_modules', 'solc'));

const args = process.argv.slice(2);
if (args.includes('--version')) {
  const v = solc.version().replace('.Emscripten.clang', '');
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${v}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('solc-wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  // forge passes base/include paths; resolve imports relative to them.
  const roots = [process.cwd()];
  for (let i = 0; i < args.length; i++) {
    if ((args[i] === '--base-path' || args[i] === '--include-path' || args[i] === '--allow-paths') && args[i + 1]) {
      roots.push(...args[i + 1].split(','));
    }
  }
  const fs = require('fs');
  const findImports = (p) => {
    for (const r of roots) {
      const full = path.resolve(r, p);
      if (fs.existsSync(full)) return { contents: fs.readFileSync(full, 'utf8') };
    }
    return { error: `File not found: ${p}` };
  };
  process.stdout.write(solc.compile(JSON.stringify(input), { import: findImports }));
});
