import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from '@jest/globals';
import type { VmInfo } from '@qubes-backup/qubes-common';
import type { QubesXml } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name));
export const fixtureJson = <T>(name: string): T => JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as T;
export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function vmNamed(parsed: QubesXml, name: string): VmInfo {
  const vm = parsed.vms.find((v) => v.name === name);
  if (vm === undefined) throw new Error(`no VM ${name} in ${parsed.vms.map((v) => v.name).join(', ')}`);
  return vm;
}

/** Runs `fn`, expecting a library error with this code that names qubes.xml, and returns it. */
export function failure(fn: () => unknown, code: string): Error & { code: string; member?: string } {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  const err = caught as Error & { code: string; member?: string };
  expect({ code: err.code, member: err.member }).toEqual({ code, member: 'qubes.xml' });
  expect(err.message).not.toContain('\n');
  return err;
}

/** A minimal R4 qubes.xml around the given `<domain>` elements. */
export function core3(domains: string, extra = ''): string {
  return `<?xml version='1.0' encoding='utf-8'?>
<qubes>
  <labels><label id="label-1" color="0xcc0000">red</label><label id="label-8" color="0x000000">black</label></labels>
  <properties><property name="default_netvm">sys-firewall</property></properties>
  ${extra}
  <domains>
    <domain id="domain-0" class="AdminVM"><properties><property name="label">label-8</property></properties></domain>
    ${domains}
  </domains>
</qubes>`;
}

/** A minimal R3 qubes.xml around the given VM elements (qid 1 is a template, 2 a netvm, 3 a proxy). */
export function core2(vms: string, rootAttrs = 'default_netvm="3" default_template="1" updatevm="3" clockvm="2" default_kernel="4.4"'): string {
  return `<QubesVmCollection ${rootAttrs}>
  <QubesTemplateVm name="tpl" qid="1" label="black" template_qid="none" />
  <QubesNetVm name="net" qid="2" label="red" template_qid="1" netvm_qid="none" />
  <QubesProxyVm name="fw" qid="3" label="green" template_qid="1" uses_default_netvm="False" netvm_qid="2" />
  ${vms}
</QubesVmCollection>`;
}
