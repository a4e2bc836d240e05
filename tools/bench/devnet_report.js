#!/usr/bin/env node
// Prints the devnet report's figures as `name: value` lines (for `make bench`).
'use strict';
const r = require(require('path').resolve(process.argv[2]));
console.log(`devnet_prove_seconds_secagg-sum-4x8: ${r.prove_seconds.toFixed(3)}`);
console.log(`settlement_gas: ${r.submit_result_gas}`);
console.log(`verify_exec_gas: ${r.verify_exec_gas}`);
console.log(`verify_gas_over_floor_pct: ${r.verify_gas_over_floor_pct.toFixed(2)}`);
