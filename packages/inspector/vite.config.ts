import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** Where the UI's static build goes; the agent's and the CLI's web servers serve this folder. */
export const uiOutDir = fileURLToPath(new URL('./dist-ui', import.meta.url));

/**
 * The page's content security policy: scripts, styles and sockets only from the server that
 * served it (the agent), nothing inline, no plugins, no framing. Added to the built page only,
 * since Vite's development server injects inline scripts.
 */
export const uiContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'causeway-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: uiContentSecurityPolicy },
        injectTo: 'head',
      },
    ],
  };
}

// One web application for the browser and the Electron shell. Relative asset paths (`base`)
// let the same build be served by the agent under any port and loaded from the shell's files.
export default defineConfig({
  root: fileURLToPath(new URL('./src/ui', import.meta.url)),
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: uiOutDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  logLevel: 'warn',
});
