/**
 * @qubes-backup/testkit (private): the helpers the packages' tests share, so each is written once.
 *
 * - **Split**: the same bytes fed whole, 1 byte at a time or at seeded random cut points
 *   (`pieces`), or cut at given sizes with every piece at a non-zero `byteOffset` (`split`).
 * - **Fixture**: a small committed file under a package's `test/fixtures/`, read with the reader
 *   `fixtureReader(new URL('./fixtures/', import.meta.url))` returns.
 * - **Shared backup**: a real Qubes backup in ../shared/fixtures/qubes with its manifest;
 *   `sharedBackups(filter)` is empty where that folder does not exist.
 * - **Outer tar**: the tar holding a backup's chunks and .hmac files (`outerMembers`, `readOuter`,
 *   `writeOuter` to tamper with it and write it back).
 * - **Conformance suite**: the tests every implementation of one core interface must pass
 *   (`describeCompressor`).
 * - **Format wiring**: every shipped part with only the format under test (`registryWith`), restores
 *   through the restore library (`restoreTo`, `verifyBytes`), the shared-fixture suite of formats 2
 *   and 3, and manifests in the CLI's output layout (`compareWithManifest`).
 * - **Browser safety**: the Node built-ins a module would load (`builtinImportsFrom`), which a
 *   package's index and portable entry points must not.
 */
export { enc, hex, fromHex, sha256hex, flip } from './bytes.js';
export { prng, lcg, randomBytes, testSeed } from './random.js';
export { pieces, split, randomSplits, streamOf, type Split } from './split.js';
export { drain, drainHashed, consume, failure, streamError, type Collected } from './collect.js';
export { caught, rejection, expectCode, type TypedError } from './errors.js';
export { liveArrayBuffers } from './memory.js';
export { fixtureReader, readSums, type Sum } from './fixtures.js';
export { SHARED, SHARED_FIXTURES, hasShared, hasSharedFixtures, outerMembers, sharedBackups, type SharedBackup } from './shared-backups.js';
export { testEachShared } from './shared-tests.js';
export { readOuter, writeOuter, flipMember, memorySource, localSource, type OuterMember } from './outer.js';
export { compareTree, fileDigests, loadExpected, type Expected } from './tree.js';
export { describeCompressor, type CompressorCases } from './compressor-suite.js';
export { OURS, loadManifest, expectedFiles, ourExpectedFiles, compareWithManifest, sharedCases, type Manifest, type Entry } from './manifest.js';
export {
  registryWith, restoreTo, restoredDigests, verifyBytes, registryWithCipher, registryWithCipherSpy, openWithFormat, type RestoreOptions, type FormatOpenOptions,
} from './format-wiring.js';
export { encryptUnit, v4Chunk } from './scrypt-unit.js';
export { fakeMember, memberStream, type FakeMemberOptions } from './members.js';
export { describeSharedFixtures, type SharedFixtureCases } from './shared-fixtures-suite.js';
export * from './mutate.js';
export { builtinImportsFrom, type BuiltinImport } from './source-imports.js';
export { WYNG_FIXTURES, wyngFixtures, testEachWyng, cachedScryptRegistry, type WyngFixture } from './wyng-fixtures.js';
