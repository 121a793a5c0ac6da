// Builds the page into ONE file, dist/qubes-backup.html at the repository root: every script,
// style and WebAssembly module inlined, so it opens from a USB stick by its file:// URL.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  plugins: [viteSingleFile({ removeViteModuleLoader: true })],
  build: {
    outDir: `${here}../../dist`,
    // dist/ at the root also holds the bundled CLI (`npm run bundle`): leave it there.
    emptyOutDir: false,
    target: 'es2022',
    reportCompressedSize: false,
    // Vite's preload polyfill fetches modules; the page has none to fetch and its CSP forbids fetch.
    modulePreload: { polyfill: false },
    // Inline everything, WebAssembly included: a file:// page cannot fetch anything.
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    rollupOptions: { input: `${here}qubes-backup.html` },
  },
});
