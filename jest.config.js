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
  // Time a worker has to exit once told to (jest's default is 500 ms; past it the worker is killed and
  // "A worker process has failed to exit gracefully" printed). Our workers end with an empty event loop,
  // but each holds 0.7–1.7 GB (per-file module registries, sharp, the pipeline's OpenCV worker threads),
  // and tearing that down (V8's heap, then the kernel unmapping the address space) took 0.5–2.2 s on the
  // shared 2-core test machine, both workers exiting at once on one busy core. A worker kept alive by a
  // real leak (timer, socket, thread) never exits, so it is still killed and reported, only later.
  workerGracefulExitTimeout: 10000,
};
