// Mutation testing of the safety modules: `npm run mutation` (not run in CI; about an hour on 2
// cores). One Stryker run per group of stryker.groups.mjs (STRYKER_GROUP): it mutates a few files
// and runs only the Jest projects that cover them (stryker.jest.config.mjs), as the project runs
// Jest (native ESM with --experimental-vm-modules, @swc/jest); coverage is per test, so each
// mutant runs only the tests that reach it. Reports: tmp/mutation/<group>.{html,json}.
import { group } from './stryker.groups.mjs';

const g = group();

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: g.mutate,
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
  jest: { projectType: 'custom', configFile: 'stryker.jest.config.mjs', enableFindRelatedTests: false },
  // Stryker would rewrite tsconfig.json's project references for its sandbox with TypeScript's JS
  // API, which TypeScript 7 (the Go port) no longer has; the tests never read tsconfig (swc
  // transpiles each file), so it is left alone: this names no file.
  tsconfigFile: 'no-tsconfig-for-stryker.json',
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // A mutant that loops forever is caught after its tests' normal time + 10 s (not a minute: each
  // timeout also restarts a Jest worker).
  timeoutMS: 10_000,
  // Mutants whose code and covering tests did not change keep their last result (tmp/mutation/).
  incremental: true,
  incrementalFile: `tmp/mutation/${g.name}.incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `tmp/mutation/${g.name}.html` },
  jsonReporter: { fileName: `tmp/mutation/${g.name}.json` },
  // Under tmp/ (git-ignored), with the reports.
  tempDirName: 'tmp/stryker',
  cleanTempDir: 'always',
  // The sandbox needs sources, tests, fixtures and the tools tests import; not these.
  ignorePatterns: ['tmp', 'docs', 'tools/bench/results', 'packages/*/dist', '*.tsbuildinfo', '.nx'],
  thresholds: { high: 90, low: 80, break: null },
};
