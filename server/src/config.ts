/**
 * Configuration comes from the environment only, is validated once at start
 * by a JSON Schema, and is frozen afterwards. Nothing here (or anywhere) is
 * switched on NODE_ENV: a setting changes behaviour only when it is named in
 * `SETTINGS`, which README and `.env.example` document.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import Ajv from 'ajv';
import { DEFAULT_PASSWORD_COST } from './auth/passwords';
import { ExemplarError } from './errors';

export interface SettingInfo {
  readonly name: string;
  /** As written in the environment; undefined when the setting has no default. */
  readonly default: string | undefined;
  readonly description: string;
}

/** A 1200-dpi scan of an open passport spread (about 250 × 176 mm) is about
 * 98 MP; as an uncompressed 16-bit RGB TIFF that is about 590 MB. */
const DEFAULT_MAX_UPLOAD_BYTES = 600 * 1024 * 1024;
const DEFAULT_MAX_IMAGE_PIXELS = 120_000_000;
/** Long enough for a majority behind a slow link, short enough that a request does not outlast a client's patience. */
export const DEFAULT_MONGODB_WRITE_TIMEOUT_MS = 10_000;

export const SETTINGS: readonly SettingInfo[] = Object.freeze([
  { name: 'HOST', default: '127.0.0.1', description: 'Interface the HTTP server listens on.' },
  { name: 'PORT', default: '3000', description: 'TCP port the HTTP server listens on.' },
  {
    name: 'EXEMPLAR_DATA_DIR',
    default: './data',
    description: 'Folder for the embedded SQLite catalog, the embedded object store and upload temp files.',
  },
  {
    name: 'MONGODB_URI',
    default: undefined,
    description: 'MongoDB connection string (a replica set). When unset, the embedded SQLite catalog is used.',
  },
  { name: 'MONGODB_DB', default: 'exemplar', description: 'MongoDB database name.' },
  {
    name: 'MONGODB_WRITE_CONCERN',
    default: 'majority',
    description: 'Write concern for catalog writes: `majority` or a number of nodes (at least 1).',
  },
  {
    name: 'MONGODB_WRITE_TIMEOUT_MS',
    default: String(DEFAULT_MONGODB_WRITE_TIMEOUT_MS),
    description: 'Longest a catalog write waits for its write concern (`wtimeoutMS`); past it the request gets 503 `STORE_UNAVAILABLE` instead of hanging while too few nodes answer.',
  },
  {
    name: 'S3_ENDPOINT',
    default: undefined,
    description: 'S3 / MinIO host name (no scheme). When unset, objects are stored in the data folder.',
  },
  { name: 'S3_PORT', default: undefined, description: 'S3 port; defaults to 443 with TLS, 80 without.' },
  { name: 'S3_USE_SSL', default: 'true', description: 'Use TLS to reach S3 (`true` or `false`).' },
  { name: 'S3_ACCESS_KEY', default: undefined, description: 'S3 access key (required with S3_ENDPOINT).' },
  { name: 'S3_SECRET_KEY', default: undefined, description: 'S3 secret key (required with S3_ENDPOINT).' },
  { name: 'S3_BUCKET', default: 'exemplar', description: 'S3 bucket; created when absent.' },
  { name: 'S3_REGION', default: 'us-east-1', description: 'S3 region (AWS region name; MinIO accepts the default).' },
  {
    name: 'EXEMPLAR_MAX_UPLOAD_BYTES',
    default: String(DEFAULT_MAX_UPLOAD_BYTES),
    description: 'Largest accepted image file in bytes (larger uploads get 413).',
  },
  {
    name: 'EXEMPLAR_MAX_IMAGE_PIXELS',
    default: String(DEFAULT_MAX_IMAGE_PIXELS),
    description: 'Largest accepted image in pixels, width × height (larger images get 413).',
  },
  {
    name: 'EXEMPLAR_MAX_IMAGES_PER_CAPTURE',
    default: '24',
    description: 'Most images (light sources) accepted in one capture upload.',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'Log level: fatal, error, warn, info, debug, trace or silent.',
  },
  {
    name: 'EXEMPLAR_PIPELINE_THREADS',
    default: '2',
    description: 'Worker threads of the image pipeline (alignment, differences, identification) in each server or worker process; each holds up to 1 GiB of OpenCV heap.',
  },
  {
    name: 'EXEMPLAR_PIPELINE_QUEUE',
    default: '16',
    description: 'Pipeline tasks allowed to wait for a thread; beyond that identification requests get 503 and comparison jobs wait.',
  },
  {
    name: 'EXEMPLAR_PIPELINE_TASK_TIMEOUT_MS',
    default: '300000',
    description: 'Longest one pipeline task (aligning, or comparing one light source) may run before it is stopped.',
  },
  {
    name: 'EXEMPLAR_PIPELINE_HEAP_LIMIT_MB',
    default: '512',
    description: 'A pipeline worker whose OpenCV heap grew past this is replaced after its task (the heap never shrinks).',
  },
  {
    name: 'EXEMPLAR_SERVER_COMPARISONS',
    default: '1',
    description: 'Comparison jobs the server process runs at once; 0 leaves them to `exemplar worker` processes.',
  },
  {
    name: 'EXEMPLAR_COMPARISON_QUEUE',
    default: '100',
    description: 'Comparisons allowed to wait for a worker; further submissions get 503.',
  },
  {
    name: 'EXEMPLAR_JOB_LEASE_MS',
    default: '30000',
    description: 'Lease of a running comparison job, renewed by heartbeats; a job whose process died is taken over once it expires.',
  },
  {
    name: 'EXEMPLAR_SEED_DEMO',
    default: 'auto',
    description: '`auto` seeds the demo library when the catalog is empty at start; `never` does not.',
  },
  {
    name: 'EXEMPLAR_VERIFICATION_WEBHOOK_URL',
    default: undefined,
    description: 'http(s) URL told of every change of a verification request (POST of `{event, id, status, at}`); unset: no webhook.',
  },
  {
    name: 'EXEMPLAR_VERIFICATION_WEBHOOK_SECRET',
    default: undefined,
    description: 'Key of the HMAC-SHA256 signature in the `x-exemplar-signature: sha256=<hex>` header of each webhook call (required with the URL).',
  },
  {
    name: 'EXEMPLAR_VERIFICATION_WEBHOOK_RETRY_MS',
    default: '2000',
    description: 'Wait before retrying a failed webhook call, doubled for each further try (6 tries in all).',
  },
  {
    name: 'EXEMPLAR_TRUST_PROXY',
    default: undefined,
    description:
      'Reverse proxies whose X-Forwarded-For (and -Proto, -Host) are believed: comma-separated addresses or CIDR ranges of the proxies (`loopback`, `linklocal` and `uniquelocal` name those ranges), or a whole number of proxy hops in front of the server. Unset: the headers are ignored and every client is the address that connected (a forged header changes nothing).',
  },
  {
    name: 'EXEMPLAR_COOKIE_SECURE',
    default: '0',
    description: '`1` marks the session cookie Secure (only sent over https); set it when a TLS proxy is in front. Requests that arrive over https get Secure anyway.',
  },
  {
    name: 'EXEMPLAR_PASSWORD_COST',
    default: String(DEFAULT_PASSWORD_COST),
    description: "scrypt cost of new password hashes as log2 of N (r=8, p=1; memory 2^cost KiB per hash, 128 MiB at the default, OWASP's minimum; at most two hashes at once per process). Each hash keeps its own parameters; a login upgrades a weaker one. Values below 14 are for tests only.",
  },
  {
    name: 'EXEMPLAR_LAB_ID',
    default: 'exemplar-lab',
    description: "This lab's short name in exchange packages and the alerts feed (letters, digits, . _ -).",
  },
  {
    name: 'EXEMPLAR_LAB_KEY_FILE',
    default: undefined,
    description: "The lab's Ed25519 private key (PEM) that signs exchange packages; created (mode 0600) on first use. Default: lab-key.pem in the data folder.",
  },
  {
    name: 'EXEMPLAR_MAX_PACKAGE_BYTES',
    default: String(4 * 1024 * 1024 * 1024),
    description: 'Largest exchange package (zip) accepted for import, in bytes.',
  },
]);

export type TrustProxy = false | { readonly hops: number } | { readonly addresses: readonly string[] };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type CatalogConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'mongodb';
      readonly uri: string;
      readonly db: string;
      readonly writeConcern: 'majority' | number;
      /** wtimeoutMS of the write concern. */
      readonly writeTimeoutMs: number;
    };

export type ObjectsConfig =
  | { readonly kind: 'fs'; readonly root: string }
  | {
      readonly kind: 's3';
      readonly endPoint: string;
      readonly port: number | undefined;
      readonly useSSL: boolean;
      readonly accessKey: string;
      readonly secretKey: string;
      readonly bucket: string;
      readonly region: string;
    };

export interface LimitsConfig {
  readonly maxUploadBytes: number;
  readonly maxImagePixels: number;
  readonly maxImagesPerCapture: number;
}

export interface PipelineConfig {
  readonly threads: number;
  readonly maxQueue: number;
  readonly taskTimeoutMs: number;
  readonly heapLimitBytes: number;
}

export interface ComparisonsConfig {
  /** Jobs the server process runs at once (0: none). */
  readonly serverConcurrency: number;
  readonly maxQueued: number;
  readonly leaseMs: number;
}

export interface ExchangeConfig {
  readonly labId: string;
  /** Absolute path of the lab's private signing key. */
  readonly keyFile: string;
  readonly maxPackageBytes: number;
}

export interface VerificationConfig {
  /** Both set, or neither. */
  readonly webhookUrl: string | undefined;
  readonly webhookSecret: string | undefined;
  readonly webhookRetryMs: number;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Absolute. */
  readonly dataDir: string;
  /** Absolute; upload temp files (same file system as the embedded object store). */
  readonly tmpDir: string;
  readonly catalog: CatalogConfig;
  readonly objects: ObjectsConfig;
  readonly limits: LimitsConfig;
  readonly logLevel: LogLevel;
  readonly seedDemo: 'auto' | 'never';
  readonly pipeline: PipelineConfig;
  readonly comparisons: ComparisonsConfig;
  readonly exchange: ExchangeConfig;
  readonly verification: VerificationConfig;
  /** Session cookies marked Secure regardless of the request's protocol. */
  readonly cookieSecure: boolean;
  /** Whose X-Forwarded-* headers are believed: nobody's (false), the proxies at these addresses or ranges, or this many hops. */
  readonly trustProxy: TrustProxy;
  /** log2 of scrypt's N for new password hashes. */
  readonly passwordCost: number;
}

interface Env {
  HOST: string;
  PORT: number;
  EXEMPLAR_DATA_DIR: string;
  MONGODB_URI?: string;
  MONGODB_DB: string;
  MONGODB_WRITE_CONCERN: string;
  MONGODB_WRITE_TIMEOUT_MS: number;
  S3_ENDPOINT?: string;
  S3_PORT?: number;
  S3_USE_SSL: boolean;
  S3_ACCESS_KEY?: string;
  S3_SECRET_KEY?: string;
  S3_BUCKET: string;
  S3_REGION: string;
  EXEMPLAR_MAX_UPLOAD_BYTES: number;
  EXEMPLAR_MAX_IMAGE_PIXELS: number;
  EXEMPLAR_MAX_IMAGES_PER_CAPTURE: number;
  LOG_LEVEL: LogLevel;
  EXEMPLAR_SEED_DEMO: 'auto' | 'never';
  EXEMPLAR_PIPELINE_THREADS: number;
  EXEMPLAR_PIPELINE_QUEUE: number;
  EXEMPLAR_PIPELINE_TASK_TIMEOUT_MS: number;
  EXEMPLAR_PIPELINE_HEAP_LIMIT_MB: number;
  EXEMPLAR_SERVER_COMPARISONS: number;
  EXEMPLAR_COMPARISON_QUEUE: number;
  EXEMPLAR_JOB_LEASE_MS: number;
  EXEMPLAR_LAB_ID: string;
  EXEMPLAR_LAB_KEY_FILE?: string;
  EXEMPLAR_MAX_PACKAGE_BYTES: number;
  EXEMPLAR_VERIFICATION_WEBHOOK_URL?: string;
  EXEMPLAR_VERIFICATION_WEBHOOK_SECRET?: string;
  EXEMPLAR_VERIFICATION_WEBHOOK_RETRY_MS: number;
  EXEMPLAR_COOKIE_SECURE: '0' | '1';
  EXEMPLAR_TRUST_PROXY?: string;
  EXEMPLAR_PASSWORD_COST: number;
}

const defaults = Object.fromEntries(SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.name, s.default]));

/** Values arrive as strings; Ajv coerces them to the declared types. */
const envSchema = {
  type: 'object',
  properties: {
    HOST: { type: 'string', minLength: 1 },
    PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    EXEMPLAR_DATA_DIR: { type: 'string', minLength: 1 },
    MONGODB_URI: { type: 'string', pattern: '^mongodb(\\+srv)?://' },
    MONGODB_DB: { type: 'string', pattern: '^[^/\\\\. "$]{1,63}$' },
    // Not 0: the adapters rely on acknowledged writes (duplicate keys, matched counts, the audit chain's unique seq).
    MONGODB_WRITE_CONCERN: { type: 'string', pattern: '^(majority|[1-9][0-9]*)$' },
    // Not 0: MongoDB reads a wtimeout of 0 as none, and writes would wait for ever.
    MONGODB_WRITE_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 600000 },
    S3_ENDPOINT: { type: 'string', pattern: '^[A-Za-z0-9.-]+$' },
    S3_PORT: { type: 'integer', minimum: 1, maximum: 65535 },
    S3_USE_SSL: { type: 'boolean' },
    S3_ACCESS_KEY: { type: 'string', minLength: 1 },
    S3_SECRET_KEY: { type: 'string', minLength: 1 },
    S3_BUCKET: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
    S3_REGION: { type: 'string', minLength: 1 },
    EXEMPLAR_MAX_UPLOAD_BYTES: { type: 'integer', minimum: 1 },
    EXEMPLAR_MAX_IMAGE_PIXELS: { type: 'integer', minimum: 1 },
    EXEMPLAR_MAX_IMAGES_PER_CAPTURE: { type: 'integer', minimum: 1, maximum: 1000 },
    LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    EXEMPLAR_SEED_DEMO: { enum: ['auto', 'never'] },
    EXEMPLAR_PIPELINE_THREADS: { type: 'integer', minimum: 1, maximum: 64 },
    EXEMPLAR_PIPELINE_QUEUE: { type: 'integer', minimum: 0, maximum: 10000 },
    EXEMPLAR_PIPELINE_TASK_TIMEOUT_MS: { type: 'integer', minimum: 1000 },
    EXEMPLAR_PIPELINE_HEAP_LIMIT_MB: { type: 'integer', minimum: 64, maximum: 1024 },
    EXEMPLAR_SERVER_COMPARISONS: { type: 'integer', minimum: 0, maximum: 64 },
    EXEMPLAR_COMPARISON_QUEUE: { type: 'integer', minimum: 1 },
    EXEMPLAR_JOB_LEASE_MS: { type: 'integer', minimum: 1000, maximum: 3600000 },
    EXEMPLAR_LAB_ID: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    EXEMPLAR_LAB_KEY_FILE: { type: 'string', minLength: 1 },
    EXEMPLAR_MAX_PACKAGE_BYTES: { type: 'integer', minimum: 1 },
    EXEMPLAR_VERIFICATION_WEBHOOK_URL: { type: 'string', pattern: '^https?://[^\\s]+$' },
    EXEMPLAR_VERIFICATION_WEBHOOK_SECRET: { type: 'string', minLength: 16 },
    EXEMPLAR_VERIFICATION_WEBHOOK_RETRY_MS: { type: 'integer', minimum: 1, maximum: 3600000 },
    EXEMPLAR_COOKIE_SECURE: { enum: ['0', '1'] },
    // Checked entry by entry after the schema (parseTrustProxy): addresses and prefix lengths need more than a pattern.
    EXEMPLAR_TRUST_PROXY: { type: 'string', minLength: 1 },
    EXEMPLAR_PASSWORD_COST: { type: 'integer', minimum: 10, maximum: 20 },
  },
  required: SETTINGS.filter((s) => s.default !== undefined).map((s) => s.name),
  dependencies: { S3_ENDPOINT: ['S3_ACCESS_KEY', 'S3_SECRET_KEY'], EXEMPLAR_VERIFICATION_WEBHOOK_URL: ['EXEMPLAR_VERIFICATION_WEBHOOK_SECRET'] },
} as const;

const hints: Record<string, string> = {
  MONGODB_URI: 'a connection string starting with mongodb:// or mongodb+srv://',
  MONGODB_WRITE_CONCERN: '`majority` or a number of nodes, at least 1',
  S3_ENDPOINT: 'a host name without scheme or port (use S3_PORT and S3_USE_SSL)',
  S3_USE_SSL: '`true` or `false`',
  EXEMPLAR_VERIFICATION_WEBHOOK_URL: 'an http:// or https:// URL',
  EXEMPLAR_VERIFICATION_WEBHOOK_SECRET: 'at least 16 characters',
  S3_BUCKET: 'a valid bucket name (lowercase letters, digits, dots, hyphens; 3 to 63 characters)',
};

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: false, strict: true });
const validateEnv = ajv.compile<Env>(envSchema);

export interface ConfigError {
  variable: string;
  message: string;
}

/**
 * Reads the settings in `SETTINGS` from `env`, validates them and returns a
 * frozen config. Empty values count as unset. Throws a VALIDATION_FAILED
 * `ExemplarError` whose message names every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const raw: Record<string, unknown> = { ...defaults };
  for (const { name } of SETTINGS) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const given = { ...raw };
  if (!validateEnv(raw)) {
    const errors: ConfigError[] = (validateEnv.errors ?? []).map((e) => {
      if (e.keyword === 'dependencies' || e.keyword === 'required') {
        const missing = String((e.params as { missingProperty?: string }).missingProperty);
        const because = e.keyword === 'dependencies' ? ` when ${(e.params as { property?: string }).property} is set` : '';
        return { variable: missing, message: `${missing} is required${because}` };
      }
      const variable = e.instancePath.replace(/^\//, '');
      const expected = hints[variable] ?? describeAjvError(e.keyword, e.message, e.params);
      return { variable, message: `${variable} must be ${expected} (got ${JSON.stringify(given[variable])})` };
    });
    throw new ExemplarError('VALIDATION_FAILED', `Invalid configuration: ${errors.map((e) => e.message).join('; ')}`, { errors });
  }
  const e = raw as unknown as Env;
  const trustProxy = parseTrustProxy(e.EXEMPLAR_TRUST_PROXY);
  if (typeof trustProxy === 'string') {
    const errors: ConfigError[] = [{ variable: 'EXEMPLAR_TRUST_PROXY', message: `EXEMPLAR_TRUST_PROXY must be ${trustProxy} (got ${JSON.stringify(given.EXEMPLAR_TRUST_PROXY)})` }];
    throw new ExemplarError('VALIDATION_FAILED', `Invalid configuration: ${errors[0]!.message}`, { errors });
  }
  const dataDir = path.resolve(cwd, e.EXEMPLAR_DATA_DIR);
  const writeConcern = e.MONGODB_WRITE_CONCERN === 'majority' ? 'majority' : Number(e.MONGODB_WRITE_CONCERN);

  const config: Config = {
    host: e.HOST,
    port: e.PORT,
    dataDir,
    tmpDir: path.join(dataDir, 'tmp'),
    catalog: e.MONGODB_URI
      ? { kind: 'mongodb', uri: e.MONGODB_URI, db: e.MONGODB_DB, writeConcern, writeTimeoutMs: e.MONGODB_WRITE_TIMEOUT_MS }
      : { kind: 'sqlite', path: path.join(dataDir, 'catalog.sqlite') },
    objects: e.S3_ENDPOINT
      ? {
          kind: 's3',
          endPoint: e.S3_ENDPOINT,
          port: e.S3_PORT,
          useSSL: e.S3_USE_SSL,
          accessKey: e.S3_ACCESS_KEY as string,
          secretKey: e.S3_SECRET_KEY as string,
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
        }
      : { kind: 'fs', root: path.join(dataDir, 'objects') },
    limits: {
      maxUploadBytes: e.EXEMPLAR_MAX_UPLOAD_BYTES,
      maxImagePixels: e.EXEMPLAR_MAX_IMAGE_PIXELS,
      maxImagesPerCapture: e.EXEMPLAR_MAX_IMAGES_PER_CAPTURE,
    },
    logLevel: e.LOG_LEVEL,
    seedDemo: e.EXEMPLAR_SEED_DEMO,
    pipeline: {
      threads: e.EXEMPLAR_PIPELINE_THREADS,
      maxQueue: e.EXEMPLAR_PIPELINE_QUEUE,
      taskTimeoutMs: e.EXEMPLAR_PIPELINE_TASK_TIMEOUT_MS,
      heapLimitBytes: e.EXEMPLAR_PIPELINE_HEAP_LIMIT_MB * 1024 * 1024,
    },
    comparisons: {
      serverConcurrency: e.EXEMPLAR_SERVER_COMPARISONS,
      maxQueued: e.EXEMPLAR_COMPARISON_QUEUE,
      leaseMs: e.EXEMPLAR_JOB_LEASE_MS,
    },
    exchange: {
      labId: e.EXEMPLAR_LAB_ID,
      keyFile: e.EXEMPLAR_LAB_KEY_FILE ? path.resolve(cwd, e.EXEMPLAR_LAB_KEY_FILE) : path.join(dataDir, 'lab-key.pem'),
      maxPackageBytes: e.EXEMPLAR_MAX_PACKAGE_BYTES,
    },
    cookieSecure: e.EXEMPLAR_COOKIE_SECURE === '1',
    trustProxy,
    passwordCost: e.EXEMPLAR_PASSWORD_COST,
    verification: {
      webhookUrl: e.EXEMPLAR_VERIFICATION_WEBHOOK_URL,
      webhookSecret: e.EXEMPLAR_VERIFICATION_WEBHOOK_SECRET,
      webhookRetryMs: e.EXEMPLAR_VERIFICATION_WEBHOOK_RETRY_MS,
    },
  };
  return deepFreeze(config);
}

/** The ranges proxy-addr knows by name. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const TRUST_PROXY_EXPECTED = 'a whole number of hops (1 to 10) or comma-separated IP addresses or CIDR ranges (a.b.c.d/n, x:y::/n) of the proxies, or loopback, linklocal, uniquelocal';

/** The setting as given, or what it must be (a string) when it is not that. */
function parseTrustProxy(value: string | undefined): TrustProxy | string {
  if (value === undefined) return false;
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value);
    return hops >= 1 && hops <= 10 ? { hops } : TRUST_PROXY_EXPECTED;
  }
  const addresses = value.split(',').map((a) => a.trim());
  for (const entry of addresses) {
    if (NAMED_RANGES.has(entry)) continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return TRUST_PROXY_EXPECTED;
    if (prefix !== undefined && !(/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))) return TRUST_PROXY_EXPECTED;
  }
  return { addresses };
}

function describeAjvError(keyword: string, message: string | undefined, params: Record<string, unknown>): string {
  switch (keyword) {
    case 'type':
      return params.type === 'integer' ? 'a whole number' : `of type ${String(params.type)}`;
    case 'enum':
      return `one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
      return `at least ${String(params.limit)}`;
    case 'maximum':
      return `at most ${String(params.limit)}`;
    case 'minLength':
      return 'non-empty';
    default:
      return message ?? 'valid';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
