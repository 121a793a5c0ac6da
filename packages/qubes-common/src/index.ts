/**
 * @qubes-backup/qubes-common: what Qubes backup formats 1–4 share, so each format package only
 * composes. Nothing here is needed by other backup formats (Borg, Wyng).
 *
 * - **Outer archive**: a concatenation of tars; `backup-header` + `backup-header.hmac` first
 *   (`openQubesTar`, `qubesHead` for detection), then **stored files** cut into **chunks**
 *   `<path>.NNN[.enc]` (`parseChunkName`, `MemberCursor`).
 * - **HMAC chunks** (formats 2, 3): each chunk is followed by its `.hmac` and verified before use;
 *   a chunk of a local file is read twice (verified, then used) instead of held (`windowPrints`).
 * - **Model**: qubes.xml's VMs (`VmInfo`) and dom0's home as units of a `QubesBackupModel`.
 */
export { parseBackupHeader, headerBool, headerVersion } from './backup-header.js';
export { resolveCompressor } from './compression-filter.js';
export { parseChunkName, assertSafeStoredName, type ChunkName } from './stored-name.js';
export { MemberCursor, passCursors, skipRestOf } from './member-cursor.js';
export { ownersOf, scanDom0Home, type Owner } from './stored-path-owners.js';
export {
  chunkOf, readChunkPair, verifyChunk, ChunkSequence, skipChunks, fromParts, naming, nextSelectedFile, selectedFiles,
  type HmacChunkContext, type VerifiedChunk, type ChunkPair, type SelectedFile,
} from './hmac-chunks.js';
export { windowPrints, type Fingerprint } from './read-twice.js';
export { innerFile, readInnerFile } from './inner-file.js';
export { shielded, limitBytes } from './streams.js';
export { capped, backupSizeLimit, MAX_FILE_SIZE } from './size-cap.js';
export { qubesHead, openQubesTar, authenticateHeader, validatedHeader, type QubesHead, type QubesTar, type Alongside } from './outer.js';
export { COMPRESSION_FILTER_OPTION, IGNORE_SIZE_LIMIT_OPTION, qubesSettings, qubesFormat } from './options.js';
export { qubesModel, qubesOpened, qubesDisplay, missingData, imageLocation, dom0HomeOf, type QubesHeaderParts, type QubesXmlParts } from './qubes-model.js';
export { netvmText, type VmInfo, type NetVm, type VolumeInfo, type DeviceInfo, type Dom0HomeInfo, type QubesBackupModel } from './model.js';
