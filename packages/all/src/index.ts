/**
 * @qubes-backup/all: every shipped plugin in one registry, for tools that want to open any backup
 * without choosing plugins. Library users who install only some packages compose their own
 * `new Registry().use(...)` instead.
 *
 * - `.` (this entry, browser-safe): `portableRegistry()`, the pure-JS backends only.
 * - `./node`: `defaultRegistry()`, node:crypto and node:zlib backends first, portable as fallback.
 */
export { portableRegistry, portablePlugins } from './portable.js';
