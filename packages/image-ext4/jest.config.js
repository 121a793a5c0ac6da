import preset from '../../jest.preset.js';
export default { ...preset, displayName: 'image-ext4' };
