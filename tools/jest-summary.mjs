// Prints Jest's result as the one line CI reads: "N passed, N failed[, N skipped]".
// A suite that fails to load counts as failed; a run with no passing test fails.
import { readFileSync } from 'node:fs';
const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed === 0 && r.numPassedTests > 0 ? 0 : 1;
