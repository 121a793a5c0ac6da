import type { UnitInfo } from '@qubes-backup/core';

/**
 * A VM's class and template, read from the settings a Qubes format attaches to the unit (`vm.json`:
 * qubes.xml's `class` and `template`). Other formats attach none; the JSON is untyped data, so each
 * field is checked before use.
 */
export function unitDetails(u: UnitInfo): { vmClass?: string; template?: string } {
  const json = u.metadata?.json;
  if (typeof json !== 'object' || json === null) return {};
  const { class: vmClass, template } = json as { class?: unknown; template?: unknown };
  return {
    ...(typeof vmClass === 'string' ? { vmClass } : {}),
    ...(typeof template === 'string' ? { template } : {}),
  };
}

/**
 * Whether the backup stores `volume` as an image for this VM. R4's qubes.xml says (`volumes`: those
 * saved on stop are backed up); older ones do not, and there only templates and standalone VMs
 * have a root image of their own. The format's `image` locator answers where, not whether.
 */
export function storesVolume(u: UnitInfo, volume: 'private' | 'root'): boolean {
  const json = u.metadata?.json;
  if (typeof json !== 'object' || json === null) return true;
  const { volumes, class: vmClass } = json as { volumes?: unknown; class?: unknown };
  if (Array.isArray(volumes) && volumes.length > 0) {
    return volumes.some((v: unknown) => typeof v === 'object' && v !== null
      && (v as { name?: unknown }).name === volume && (v as { saveOnStop?: unknown }).saveOnStop === true);
  }
  return volume === 'private' || vmClass === 'TemplateVM' || vmClass === 'StandaloneVM';
}
