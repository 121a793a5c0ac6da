// A registry used wrongly fails with a typed usage error (exit 1 in the CLI), not a plain Error
// that would be reported as an internal error.
import { expect, test } from '@jest/globals';
import { Registry, type Compressor, type PluginDescriptor } from '@qubes-backup/core';

const none: PluginDescriptor<'compressor'> = {
  kind: 'compressor', name: 'none', backend: 'portable',
  create: (): Compressor => ({ info: { kind: 'compressor', name: 'none', backend: 'portable' }, decompress: (d) => d }),
};

test('a duplicate plugin and a change after first use are usage errors', () => {
  const r = new Registry().use(none);
  expect(() => r.use(none)).toThrow(expect.objectContaining({ code: 'E_USAGE', name: 'UsageError' }));
  r.get('compressor', 'none');
  expect(() => r.use(none)).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringContaining('frozen') }));
  expect(() => r.remove('compressor', 'none')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
});
