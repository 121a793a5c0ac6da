import preset from '../../jest.preset.js';
export default { ...preset, displayName: 'source-borg-rpc' };
