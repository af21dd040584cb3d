// Configuration is read from the environment once, validated, typed and passed in.
// Every bad value is reported at start with the variable's name; nothing reads
// process.env anywhere else.
import { z } from 'zod';

const DEV_PHI_KEY = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='; // 32 ASCII bytes, dev only
const DEV_PHI_INDEX_KEY = 'ZGV2LWluZGV4LWtleS1kZXYtaW5kZXgta2V5LWRldi0='; // 32 ASCII bytes, dev only
/** The ledger log's checkpoint key outside production: published, so it proves nothing. */
export const DEV_LEDGER_LOG_KEY =
  'PRIVATE+KEY+claimchain.localhost/ledger-development+6b760e48+AcAKfdCZpQEnLkbA2wdw9NEKCua8+ertcWSOkTxGVBM0';

const integer = (min: number, max: number, fallback: number) =>
  z.coerce
    .number()
    .int(`must be a whole number between ${min} and ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

const phiKeyList = z.string().transform((text, context) => {
  const keys = new Map<number, Buffer>();
  for (const entry of text.split(',')) {
    const match = /^(\d{1,4}):([A-Za-z0-9+/=]+)$/.exec(entry.trim());
    const key = match ? Buffer.from(match[2]!, 'base64') : undefined;
    if (!match || !key || key.length !== 32) {
      context.addIssue({
        code: 'custom',
        message: 'must be a comma-separated list of <version>:<base64 of 32 bytes>',
      });
      return z.NEVER;
    }
    keys.set(Number(match[1]), key);
  }
  return keys;
});

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://postgres@127.0.0.1:5432/claimchain'),
  DATABASE_POOL_SIZE: integer(1, 200, 16),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]{1,40}$/, 'must be 1-40 of a-z, 0-9, _ or -')
    .default('claimchain'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535, 3000),
  METRICS_PORT: integer(0, 65535, 9464),
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,256}$/, 'must be 16-256 printable characters without spaces')
    .optional(),
  METRICS_DATABASE_CACHE_MS: integer(0, 300_000, 5_000),
  SHUTDOWN_TIMEOUT_MS: integer(1_000, 600_000, 30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEAL_BLOCK_EVENTS_MAX: integer(1, 100_000, 10_000),
  SEAL_INTERVAL_MS: integer(50, 3_600_000, 1_000),
  ADJUDICATION_INTERVAL_MS: integer(50, 3_600_000, 100),
  ADJUDICATION_BATCH_CLAIMS_MAX: integer(1, 5_000, 500),
  ADJUDICATION_BATCHES_IN_PARALLEL: integer(1, 16, 2),
  SETTLEMENT_INTERVAL_MS: integer(50, 86_400_000, 60_000),
  RECONCILIATION_INTERVAL_MS: integer(1_000, 604_800_000, 3_600_000),
  INTAKE_GROUP_WINDOW_MS: integer(0, 100, 2),
  INTAKE_GROUP_CLAIMS_MAX: integer(1, 1_000, 256),
  INTAKE_WRITES_MAX: integer(1, 64, 2),
  PHI_KEYS: phiKeyList.optional(),
  PHI_KEY_VERSION: integer(1, 9999, 1),
  PHI_INDEX_KEY: z
    .string()
    .refine(
      (value) => Buffer.from(value, 'base64').length >= 32,
      'must be base64 of at least 32 bytes',
    )
    .optional(),
  // Go note signer key syntax; the ledger parses and checks it (key ID against the seed) at start.
  LEDGER_LOG_KEY: z
    .string()
    .regex(
      /^PRIVATE\+KEY\+[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+={0,2}$/,
      'must be a signer key PRIVATE+KEY+<name>+<key id>+<base64 key> (claimchain ledger-key)',
    )
    .optional(),
  // The log's witnesses: a file of "witness <name> <vkey> [<url>]" lines (README "Witnesses").
  LEDGER_WITNESSES_FILE: z.string().min(1).optional(),
  WITNESS_PUSH_INTERVAL_MS: integer(100, 3_600_000, 2_000),
  LEDGER_TILE_CACHE_WARM: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('true'),
  X12_USAGE_INDICATOR: z
    .enum(['P', 'T'], { error: 'must be P (production) or T (test)' })
    .optional(),
});

export interface Config {
  environment: 'development' | 'test' | 'production';
  databaseUrl: string;
  databasePoolSize: number;
  redisUrl: string;
  queuePrefix: string;
  host: string;
  port: number;
  logLevel: string;
  /** Where a process without the API (workers only) serves /metrics, /healthz and /readyz. */
  metricsPort: number;
  /** When set, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** How long the database gauges of /metrics (claims by status, ...) are reused between scrapes. */
  metricsDatabaseCacheMs: number;
  /** Longest wait for in-flight requests and jobs on SIGTERM/SIGINT before exiting anyway. */
  shutdownTimeoutMs: number;
  sealBlockEventsMax: number;
  sealIntervalMs: number;
  /** How often the adjudication worker sweeps for submitted claims. */
  adjudicationIntervalMs: number;
  /** Claims the adjudication worker decides in one transaction (one batch). */
  adjudicationBatchClaimsMax: number;
  /**
   * Batches (transactions) one adjudication worker runs at once, each on its own share of the
   * members: while one waits for the database another decides in memory.
   */
  adjudicationBatchesInParallel: number;
  /** How often the settlement worker batches every payer's adjudicated claims. */
  settlementIntervalMs: number;
  /** How often the reconciliation worker checks the journal, ledger, batches and chain. */
  reconciliationIntervalMs: number;
  intakeGroupWindowMs: number;
  intakeGroupClaimsMax: number;
  /**
   * Intake transactions one API process runs at once (single-claim groups, batches, 837P files
   * and FHIR claims together); the rest wait in the process. Each ends by appending to the
   * ledger, whose lock serializes appenders until commit: more at once only queue there, ahead
   * of the adjudication and sealing workers.
   */
  intakeWritesMax: number;
  /** AES-256-GCM keys for member PHI by version; the current version encrypts. */
  phiKeys: Map<number, Buffer>;
  phiKeyVersion: number;
  /** HMAC key for the blind index of member ids (search without decrypting). */
  phiIndexKey: Buffer;
  /** ISA15 of the X12 we send: P (production data) or T (test data). */
  x12UsageIndicator: 'P' | 'T';
  /** The transparency log's Ed25519 checkpoint signer key (its name is the checkpoint origin). */
  ledgerLogKey: string;
  /** True when ledgerLogKey is the published development key. */
  ledgerLogKeyIsDevelopment: boolean;
  /** The witness list file; without it the log asks no witness and accepts no cosignature. */
  ledgerWitnessesFile: string | undefined;
  /**
   * Whether a server with the API reads the tree's tiles into its proof cache at start, so the
   * first proof in each tile is served from memory too (StoredTreeProofs.warm).
   */
  ledgerTileCacheWarm: boolean;
  /** How often the log offers its latest checkpoint to witnesses that have not cosigned it. */
  witnessPushIntervalMs: number;
}

export class ConfigError extends Error {}

const developmentPhiKeys = () => new Map([[1, Buffer.from(DEV_PHI_KEY, 'base64')]]);

/** The variables the cross-field PHI rules read, parsed on their own so that those rules are
 * checked, and reported with the rest, even when some other variable is bad. */
const phiSchema = environmentSchema.pick({
  NODE_ENV: true,
  PHI_KEYS: true,
  PHI_KEY_VERSION: true,
  PHI_INDEX_KEY: true,
});

function phiProblems(values: z.infer<typeof phiSchema>): string[] {
  const problems: string[] = [];
  if (values.NODE_ENV === 'production' && (!values.PHI_KEYS || !values.PHI_INDEX_KEY)) {
    problems.push('PHI_KEYS and PHI_INDEX_KEY must be set in production (no development keys)');
  }
  if (!(values.PHI_KEYS ?? developmentPhiKeys()).has(values.PHI_KEY_VERSION)) {
    problems.push(`PHI_KEY_VERSION: version ${values.PHI_KEY_VERSION} is not in PHI_KEYS`);
  }
  return problems;
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const phi = phiSchema.safeParse(environment);
  if (phi.success) problems.push(...phiProblems(phi.data));
  if (parsed.success && parsed.data.NODE_ENV === 'production' && !parsed.data.LEDGER_LOG_KEY) {
    problems.push('LEDGER_LOG_KEY must be set in production (no development key)');
  }
  if (!parsed.success || problems.length > 0) {
    const lines = problems.map((problem) => `  ${problem}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const values = parsed.data;
  const phiKeys = values.PHI_KEYS ?? developmentPhiKeys();
  return {
    environment: values.NODE_ENV,
    databaseUrl: values.DATABASE_URL,
    databasePoolSize: values.DATABASE_POOL_SIZE,
    redisUrl: values.REDIS_URL,
    queuePrefix: values.QUEUE_PREFIX,
    host: values.HOST,
    port: values.PORT,
    logLevel: values.LOG_LEVEL,
    metricsPort: values.METRICS_PORT,
    metricsToken: values.METRICS_TOKEN,
    metricsDatabaseCacheMs: values.METRICS_DATABASE_CACHE_MS,
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS,
    sealBlockEventsMax: values.SEAL_BLOCK_EVENTS_MAX,
    sealIntervalMs: values.SEAL_INTERVAL_MS,
    adjudicationIntervalMs: values.ADJUDICATION_INTERVAL_MS,
    adjudicationBatchClaimsMax: values.ADJUDICATION_BATCH_CLAIMS_MAX,
    adjudicationBatchesInParallel: values.ADJUDICATION_BATCHES_IN_PARALLEL,
    settlementIntervalMs: values.SETTLEMENT_INTERVAL_MS,
    reconciliationIntervalMs: values.RECONCILIATION_INTERVAL_MS,
    intakeGroupWindowMs: values.INTAKE_GROUP_WINDOW_MS,
    intakeGroupClaimsMax: values.INTAKE_GROUP_CLAIMS_MAX,
    intakeWritesMax: values.INTAKE_WRITES_MAX,
    phiKeys,
    phiKeyVersion: values.PHI_KEY_VERSION,
    phiIndexKey: Buffer.from(values.PHI_INDEX_KEY ?? DEV_PHI_INDEX_KEY, 'base64'),
    // Only a production engine sends production data unless told otherwise: a 835 from a test
    // or development machine must never be taken for a real payment's remittance.
    x12UsageIndicator: values.X12_USAGE_INDICATOR ?? (values.NODE_ENV === 'production' ? 'P' : 'T'),
    ledgerLogKey: values.LEDGER_LOG_KEY ?? DEV_LEDGER_LOG_KEY,
    ledgerLogKeyIsDevelopment: values.LEDGER_LOG_KEY === undefined,
    ledgerWitnessesFile: values.LEDGER_WITNESSES_FILE,
    ledgerTileCacheWarm: values.LEDGER_TILE_CACHE_WARM === 'true',
    witnessPushIntervalMs: values.WITNESS_PUSH_INTERVAL_MS,
  };
}
