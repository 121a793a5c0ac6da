// docs/cli.md is generated from the CLI's commander definitions (tools/make-cli-reference.mjs): it
// must be what they give today, and the generator must drop nothing they define.
import { describe, expect, test } from '@jest/globals';
import { Command, Option } from 'commander';
import { cliProgram, EXIT_HELP } from '@qubes-backup/cli';
import { currentReference, referenceDrift, REGENERATE, renderCliReference } from '../make-cli-reference.mjs';

describe('docs/cli.md', () => {
  test('is what the commander definitions give (else the message says which command rewrites it)', async () => {
    // undefined, or e.g. "docs/cli.md differs ... (first at line 40: ...): run `npm run build && npm run docs:cli` and commit docs/cli.md"
    expect(await referenceDrift()).toBeUndefined();
  });

  test('names every command, argument and option of the program, the plugins\' and the global ones', async () => {
    const text = await currentReference();
    const program = cliProgram();
    const help = program.createHelp();
    for (const o of help.visibleOptions(program)) expect(text).toContain(`\`${o.flags}\``);
    for (const c of program.commands) {
      expect(text).toContain(`## qubes-backup ${c.name()}\n`);
      expect(text).toContain(help.commandUsage(c));
      for (const a of help.visibleArguments(c)) expect(text).toContain(a.name());
      for (const o of help.visibleOptions(c)) expect(text).toContain(`\`${o.flags.replace(/\s*[<[].*$/, '')}\``);
    }
    expect(text).toContain(EXIT_HELP.trim().split('\n')[0]!);
  });

  test('an option added to a command shows, with its argument, choices and default', () => {
    const program = () => {
      const p = new Command().name('tool').description('d');
      p.command('run').description('runs').argument('<input>', 'what to run');
      return p;
    };
    const before = renderCliReference(program());
    const changed = program();
    changed.commands[0]!.addOption(new Option('--level <n>', 'how hard | how long').choices(['1', '2']).default('2'));
    const after = renderCliReference(changed);
    expect(after).not.toBe(before);
    expect(after).toContain('| `--level` | `<n>` (one of `1`, `2`) | how hard \\| how long | `2` |');
    expect(REGENERATE).toMatch(/npm run docs:cli/);
  });
});
