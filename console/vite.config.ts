// Builds the console (npm run build:console) into dist/console/, which the API serves at /.
// Paths are relative to the repository root, where npm runs the script.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'console',
  base: '/',
  publicDir: false,
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // Everything the page loads comes from our server: no inlined remote references, no CDN.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  logLevel: 'warn',
});
