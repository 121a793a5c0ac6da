// Shared Jest settings: native ESM + @swc/jest, sibling packages read from source (no build needed).
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('.', import.meta.url));
export default {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  moduleNameMapper: {
    '^@qubes-backup/([^/]+)$': `${root}packages/$1/src/index.ts`,
    '^@qubes-backup/([^/]+)/(node|portable)$': `${root}packages/$1/src/$2.ts`,
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
