import preset from '../../jest.preset.js';
export default { ...preset, displayName: 'codec-lz4' };
