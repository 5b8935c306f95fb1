import { precompiledValidatorsModule } from '@exemplar/specimens-schema/dist/standalone';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** Module-id patterns of each vendor chunk; the workspace schema package resolves to its real path, not node_modules. */
const vendorGroups = [
  { name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|react-router|react-router-dom|scheduler|cookie|set-cookie-parser)[\\/]/ },
  { name: 'openseadragon', test: /[\\/]node_modules[\\/]openseadragon[\\/]/ },
  { name: 'schema', test: /[\\/](node_modules[\\/](ajv|ajv-formats|fast-deep-equal|fast-uri|json-schema-traverse)|specimens-schema[\\/]dist)[\\/]/ },
];

/**
 * The schemas the app validates in the browser (the catalogue editor's forms).
 * The app's Content-Security-Policy forbids eval, so Ajv cannot compile them
 * there: they are compiled here, at build time, into `virtual:schema-validators`.
 */
const BROWSER_VALIDATED = ['specimen-create', 'specimen-patch', 'capture-create', 'feature-zone', 'feature-zone-create'] as const;

function schemaValidators(): Plugin {
  const id = 'virtual:schema-validators';
  return {
    name: 'exemplar-schema-validators',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load: (source) => (source === `\0${id}` ? precompiledValidatorsModule(BROWSER_VALIDATED) : undefined),
  };
}

/**
 * Built into web/dist, which the API server serves at `/`. In development
 * (`npm run dev -w web`) the same-origin /api calls are proxied to the API
 * server, so the app never needs to know where the API lives.
 */
export default defineConfig({
  plugins: [react(), schemaValidators()],
  // specimens-schema is a workspace package compiled to CommonJS; pre-bundling
  // converts it for the dev server (the production build handles CommonJS itself).
  optimizeDeps: { include: ['@exemplar/specimens-schema'] },
  server: {
    port: 5173,
    proxy: { '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Libraries change far less often than the app: each gets its own chunk, so
        // a new app release leaves them in the browser's cache. OpenSeadragon is
        // imported dynamically by the viewer; its group only names that chunk.
        codeSplitting: {
          groups: vendorGroups.map(({ name, test }, i) => ({ name, test, priority: vendorGroups.length - i })),
        },
      },
    },
  },
});
