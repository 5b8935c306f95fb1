import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Built into web/dist, which the API server serves at `/`. In development
 * (`npm run dev -w web`) the same-origin /api calls are proxied to the API
 * server, so the app never needs to know where the API lives.
 */
export default defineConfig({
  plugins: [react()],
  // specimens-schema is a workspace package compiled to CommonJS; pre-bundling
  // converts it for the dev server (the production build handles CommonJS itself).
  optimizeDeps: { include: ['@exemplar/specimens-schema'] },
  server: {
    port: 5173,
    proxy: { '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false } },
  },
  build: { outDir: 'dist', sourcemap: true, emptyOutDir: true },
});
