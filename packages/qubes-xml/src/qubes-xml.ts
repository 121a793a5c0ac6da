import { UnsupportedError } from '@qubes-backup/core';
import { core2FromTree } from './core2.js';
import { core3FromTree } from './core3.js';
import { MEMBER, parseXmlTree } from './_xml-tree.js';
import type { QubesXml } from './model.js';

/**
 * Parses a backup's qubes.xml, R2/R3 (`<QubesVmCollection>`) or R4 (`<qubes>`), picked by the root
 * element.
 * @throws CorruptBackupError (malformed or oversized XML, broken references), UnsafePathError (a VM
 *   name or backup path that could escape), UnsupportedError (another root element or encoding).
 */
export function parseQubesXml(xml: Uint8Array | string): QubesXml {
  const root = parseXmlTree(xml);
  if (root.tag === 'QubesVmCollection') return core2FromTree(root);
  if (root.tag === 'qubes') return core3FromTree(root);
  throw new UnsupportedError(`unknown root element <${root.tag}>, expected <QubesVmCollection> (R2/R3) or <qubes> (R4)`, { member: MEMBER });
}
