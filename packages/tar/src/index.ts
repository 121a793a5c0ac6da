/**
 * @qubes-backup/tar: a streaming tar reader for both layers of a Qubes backup.
 *
 * - **Header**: one 512-byte block (checksum, numeric fields in octal or GNU base-256).
 * - **Member**: one archive entry after its metadata headers are folded in: PAX `x`/`g` records,
 *   GNU `L`/`K` long names, and sparse maps.
 * - **Sparse map**: the data regions of a sparse file (old-GNU `S` header, or PAX GNU.sparse 0.0, 0.1,
 *   1.0). The **stored size** counts region bytes; the logical **size** includes the holes.
 * - **Volume**: one stream of a GNU multi-volume archive (`tar -M`); a member cut at a volume's end
 *   continues after the next volume's `M` header.
 */
export { tarContainer, tarEntries, tarVolumeEntries } from './container.js';
export { decodeHeader, verifyChecksum, isZeroBlock, formatOf, type TarHeader, type TarFormat } from './header.js';
export { decodeNumeric } from './base256.js';
export { parsePaxRecords, paxInteger, paxTime, type PaxRecord } from './pax.js';
export { decodeOldGnuSparse, decodeSparseExtension, type OldGnuSparseHeader, type SparseExtension } from './gnu-sparse.js';
export { decodePaxSparse, SparseMapDecoder, type PaxSparse } from './pax-sparse.js';
export { validateSparseMap, type SparseEntry } from './sparse-map.js';
export { MAX_PAX_HEADER_SIZE, MAX_LONG_NAME_SIZE, MAX_SPARSE_ENTRIES, MAX_PIECE, SEEK_THRESHOLD } from './limits.js';
