// The Jest config of a Stryker run (see stryker.groups.mjs): the one project of STRYKER_GROUP,
// with its own settings (jest.preset.js, loaded here, inside Stryker's sandbox, so packages
// resolve to the sandbox's mutated sources), narrowed to the suites the group names. One project,
// not `projects: [...]`: Stryker's test environment (per-test coverage) is set at the top level,
// which project entries would not inherit.
import { fileURLToPath } from 'node:url';
import preset from './jest.preset.js';
import { group } from './stryker.groups.mjs';

const g = group();
export default {
  ...preset,
  displayName: g.project,
  rootDir: fileURLToPath(new URL(`./packages/${g.project}`, import.meta.url)),
  ...(g.only?.length ? { testMatch: g.only.map((t) => `<rootDir>/test/${t}.test.ts`) } : {}),
  ...(g.skip?.length ? { testPathIgnorePatterns: ['/node_modules/', ...g.skip.map((t) => `/test/${t}\\.test\\.ts$`)] } : {}),
};
