/** One jest run for every package. TypeScript is compiled on the fly by swc;
 * cross-package imports resolve to the built `dist/` (npm test builds first),
 * exactly as the server loads them in production. */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } }, module: { type: 'commonjs' } }];
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc },
  // Node 20.19+ can require() ES modules but jest's module system cannot; the few
  // ESM-only packages in the server's path (fastify inject → cookie@2, @fastify/static → content-disposition@3, mrz@5) are compiled to CJS.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|set-cookie-parser|content-disposition|mrz)/)'],
  testMatch: ['<rootDir>/{specimens-schema,image-pipeline,server,web}/src/**/*.test.{ts,tsx}', '<rootDir>/tests/**/*.test.{ts,tsx}'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/.*\\.test\\.'],
  testTimeout: 60000,
  maxWorkers: 2,
};
