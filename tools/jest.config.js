import preset from '../jest.preset.js';
// The repository's own tools (the README checker) have tests too; they import nothing from packages.
export default { ...preset, displayName: 'tools' };
