// Types for make-cli-reference.mjs (used by tools/test/cli-reference.test.ts).
import type { Command } from 'commander';
export const REFERENCE: string;
/** The command that rewrites docs/cli.md, as the drift message names it. */
export const REGENERATE: string;
export function renderCliReference(program: Command, extraHelp?: string): string;
export function currentReference(): Promise<string>;
export function referenceDrift(): Promise<string | undefined>;
