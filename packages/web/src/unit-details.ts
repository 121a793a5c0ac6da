import type { UnitInfo } from '@qubes-backup/core';

/**
 * A VM's class and template, read from the settings a Qubes format attaches to the unit (`vm.json`:
 * qubes.xml's `klass` and `template`). Other formats attach none; the JSON is untyped data, so each
 * field is checked before use.
 */
export function unitDetails(u: UnitInfo): { klass?: string; template?: string } {
  const json = u.metadata?.json;
  if (typeof json !== 'object' || json === null) return {};
  const { klass, template } = json as { klass?: unknown; template?: unknown };
  return {
    ...(typeof klass === 'string' ? { klass } : {}),
    ...(typeof template === 'string' ? { template } : {}),
  };
}
