// Types for docs-check.mjs (used by the packages' README tests).
export const DEFAULT_TIMEOUT_MS: number;
export interface FencedBlock { lang: string; line: number; end: number; text: string }
/** A ```js block (`code`) and the ```output block after it; `code` is absent for an output block that follows none. */
export interface ReadmeExample { line: number; code?: string; output?: string }
export interface RunResult { status: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stdout: string; stderr: string }
export interface CheckResult { file: string; line: number; failure?: string }
export interface CheckOptions { root: string; timeoutMs?: number; parallel?: number; onResult?: (r: CheckResult) => void }
export function fencedBlocks(text: string): FencedBlock[];
export function readmeExamples(text: string): ReadmeExample[];
export function normalizeOutput(s: string): string;
export function runExample(code: string, options?: { cwd?: string; timeoutMs?: number }): Promise<RunResult>;
export function checkExample(example: ReadmeExample, options?: { cwd?: string; timeoutMs?: number }): Promise<string | undefined>;
export function documentationFiles(root: string): string[];
export function missingInstall(files: readonly string[], root: string): string[];
export function checkFiles(files: readonly string[], options: CheckOptions): Promise<CheckResult[]>;
export function checkReadme(readme: string | URL, options: { root: string | URL; timeoutMs?: number }): Promise<string[]>;
