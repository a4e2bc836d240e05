#!/usr/bin/env node
// Prints the devnet report's figures as `name: value` lines (for `make bench`).
'use strict';
const r = require(require('path').resolve(process.argv[2]));
console.log(`devnet_prove_seconds_secagg-sum-4x8: ${r.prove_seconds.toFixed(3)}`);
console.log(`settlement_gas: ${r.submit_result_gas}`);
console.log(`assign_gas: ${r.assign_gas}`);
console.log(`bid_to_assignment_seconds: ${r.bid_to_assignment_seconds.toFixed(3)}`);
console.log(`verify_exec_gas: ${r.verify_exec_gas}`);
console.log(`verify_gas_over_floor_pct: ${r.verify_gas_over_floor_pct.toFixed(2)}`);
if (r.stats_job_seconds !== undefined) {
  console.log(`stats_job_seconds: ${r.stats_job_seconds.toFixed(3)}`);
  console.log(`stats_contributors: ${r.stats_contributors}`);
  console.log(`contributor_bytes_sent: ${r.contributor_bytes_sent}`);
  console.log(`committee_choice_verified: ${r.committee_choice_verified ? 1 : 0}`);
}
if (r.he_linear) {
  console.log(`devnet_prove_seconds_he-linear-4x8: ${r.he_linear.prove_seconds.toFixed(3)}`);
  console.log(`settlement_gas_he-linear-4x8: ${r.he_linear.submit_result_gas}`);
  if (r.he_linear.dkg_seconds != null) console.log(`dkg_seconds: ${r.he_linear.dkg_seconds.toFixed(3)}`);
  const ok = JSON.stringify(r.he_linear.decrypted) === JSON.stringify(r.he_linear.plaintext);
  console.log(`he_linear_threshold_decryption_matches_plaintext: ${ok ? 1 : 0}`);
}
if (r.fl) {
  const f = r.fl;
  console.log(`fl_job_seconds: ${f.seconds.toFixed(3)}`);
  console.log(`fl_job_rounds: ${f.rounds}`);
  console.log(`fl_job_accuracy: ${f.accuracy[f.accuracy.length - 1].toFixed(4)}`);
  console.log(`fl_job_epsilon: ${f.epsilon[f.epsilon.length - 1].toFixed(4)}`);
  console.log(`fl_contributor_bytes_per_round: ${f.contributor_bytes_per_round}`);
  console.log(`fl_round_seconds_median: ${[...f.round_seconds].sort((a, b) => a - b)[Math.floor(f.round_seconds.length / 2)].toFixed(3)}`);
}
if (r.oracle_fulfil_gas != null) {
  console.log(`oracle_fulfil_gas: ${r.oracle_fulfil_gas}`);
}
if (r.oracle_request_to_fulfil_seconds != null) {
  console.log(`oracle_request_to_fulfil_seconds: ${r.oracle_request_to_fulfil_seconds.toFixed(3)}`);
}
