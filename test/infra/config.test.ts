// loadConfig is pure: it reads only the environment object it is given, fills in defaults
// that match the local services, and names every bad variable in one ConfigError.
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../src/infra/config.js';

const KEY_ONE = randomBytes(32);
const KEY_TWO = randomBytes(32);
const INDEX_KEY = randomBytes(32).toString('base64');
const PHI_KEYS = `1:${KEY_ONE.toString('base64')}`;
// Go's sumdb/note documentation example key: any well-formed signer key will do here.
const LEDGER_LOG_KEY =
  'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';

function configError(environment: Record<string, string>): ConfigError {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(environment)}`);
}

describe('loadConfig', () => {
  it('defaults to the local PostgreSQL and Redis and development settings', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      environment: 'development',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/claimchain',
      redisUrl: 'redis://127.0.0.1:6379',
      port: 3000,
      logLevel: 'info',
      phiKeyVersion: 1,
    });
    expect(config.sealBlockEventsMax).toBeGreaterThanOrEqual(1);
  });

  it('gives development keys that meet the rules it enforces on configured keys', () => {
    const config = loadConfig({});
    expect([...config.phiKeys.keys()]).toEqual([1]);
    expect(config.phiKeys.get(1)).toHaveLength(32); // AES-256
    expect(config.phiIndexKey.length).toBeGreaterThanOrEqual(32); // as PHI_INDEX_KEY must be
  });

  it('marks X12 as test data (ISA15 T) unless in production or told otherwise', () => {
    const production = {
      NODE_ENV: 'production',
      PHI_KEYS,
      PHI_INDEX_KEY: INDEX_KEY,
      LEDGER_LOG_KEY,
    };
    expect(loadConfig({}).x12UsageIndicator).toBe('T');
    expect(loadConfig(production).x12UsageIndicator).toBe('P');
    expect(loadConfig({ ...production, X12_USAGE_INDICATOR: 'T' }).x12UsageIndicator).toBe('T');
    expect(configError({ X12_USAGE_INDICATOR: 'X' }).message).toContain('X12_USAGE_INDICATOR');
  });

  it('reads only the object it is given, never process.env', () => {
    vi.stubEnv('PORT', 'abc');
    vi.stubEnv('DATABASE_URL', 'mysql://x');
    try {
      expect(loadConfig({ PORT: '4000' })).toMatchObject({
        port: 4000,
        databaseUrl: 'postgresql://postgres@127.0.0.1:5432/claimchain',
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('parses given values into typed fields', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgres://user@db.example:5433/claims',
      REDIS_URL: 'rediss://cache.example:6380',
      PORT: '8080',
      LOG_LEVEL: 'warn',
      SEAL_BLOCK_EVENTS_MAX: '500',
    });
    expect(config).toMatchObject({
      environment: 'test',
      databaseUrl: 'postgres://user@db.example:5433/claims',
      redisUrl: 'rediss://cache.example:6380',
      port: 8080,
      logLevel: 'warn',
      sealBlockEventsMax: 500,
    });
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '80.5' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['SEAL_BLOCK_EVENTS_MAX', { SEAL_BLOCK_EVENTS_MAX: '0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['PHI_KEYS', { PHI_KEYS: 'not-a-key-list' }],
    ['PHI_KEYS', { PHI_KEYS: '1:' }],
    ['PHI_KEYS', { PHI_KEYS: `one:${KEY_ONE.toString('base64')}` }],
    ['PHI_KEYS', { PHI_KEYS: `1:${randomBytes(16).toString('base64')}` }],
    ['PHI_KEYS', { PHI_KEYS: `${PHI_KEYS},2:${randomBytes(16).toString('base64')}` }],
    ['PHI_KEY_VERSION', { PHI_KEYS, PHI_KEY_VERSION: '2' }],
    ['PHI_KEY_VERSION', { PHI_KEY_VERSION: '2' }], // the development keys have version 1 only
    ['PHI_INDEX_KEY', { PHI_INDEX_KEY: randomBytes(16).toString('base64') }],
  ])('refuses a bad %s (%j) with a ConfigError naming it', (variable, environment) => {
    const error = configError(environment);
    expect(error.message).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
  });

  it('names every bad variable in one message', () => {
    const error = configError({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'http://x',
      SEAL_BLOCK_EVENTS_MAX: '0',
      LOG_LEVEL: 'loud',
      PHI_KEYS: 'malformed',
    });
    for (const variable of [
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'SEAL_BLOCK_EVENTS_MAX',
      'LOG_LEVEL',
      'PHI_KEYS',
    ]) {
      expect(error.message).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
    }
  });

  it('names a PHI_KEY_VERSION missing from PHI_KEYS together with the other bad values', () => {
    const error = configError({ PORT: 'abc', PHI_KEYS, PHI_KEY_VERSION: '2' });
    expect(error.message).toMatch(/^\s+PORT: /m);
    expect(error.message).toMatch(/^\s+PHI_KEY_VERSION: version 2 is not in PHI_KEYS/m);
  });

  it('refuses production without configured PHI keys, naming what is missing', () => {
    const production = { NODE_ENV: 'production' };
    expect(configError(production).message).toMatch(/PHI_KEYS and PHI_INDEX_KEY must be set/);
    expect(configError({ ...production, PHI_KEYS }).message).toMatch(/PHI_INDEX_KEY/);
    expect(configError({ ...production, PHI_INDEX_KEY: INDEX_KEY }).message).toMatch(/PHI_KEYS/);
    const both = configError({ ...production, PORT: '70000' }).message;
    expect(both).toMatch(/^\s+PORT: /m);
    expect(both).toMatch(/PHI_KEYS and PHI_INDEX_KEY must be set/);
  });

  it('refuses production without the ledger log key, and a malformed one anywhere', () => {
    const production = { NODE_ENV: 'production', PHI_KEYS, PHI_INDEX_KEY: INDEX_KEY };
    expect(configError(production).message).toMatch(/LEDGER_LOG_KEY must be set in production/);
    expect(configError({ LEDGER_LOG_KEY: 'PeterNeumann+c74f20a3+AQ==' }).message).toMatch(
      /^\s+LEDGER_LOG_KEY: must be a signer key/m,
    );
    expect(loadConfig({}).ledgerLogKeyIsDevelopment).toBe(true);
  });

  it('accepts production with its own keys and uses them instead of the development keys', () => {
    const development = loadConfig({});
    const config = loadConfig({
      NODE_ENV: 'production',
      PHI_KEYS,
      PHI_INDEX_KEY: INDEX_KEY,
      LEDGER_LOG_KEY,
    });
    expect(config.environment).toBe('production');
    expect(config.ledgerLogKey).toBe(LEDGER_LOG_KEY);
    expect(config.ledgerLogKeyIsDevelopment).toBe(false);
    expect(config.phiKeys).toEqual(new Map([[1, KEY_ONE]]));
    expect(config.phiIndexKey).toEqual(Buffer.from(INDEX_KEY, 'base64'));
    expect(config.phiKeys.get(1)).not.toEqual(development.phiKeys.get(1));
    expect(config.phiIndexKey).not.toEqual(development.phiIndexKey);
  });

  it('parses PHI_KEYS with two versions and encrypts with PHI_KEY_VERSION', () => {
    const config = loadConfig({
      PHI_KEYS: `1:${KEY_ONE.toString('base64')}, 2:${KEY_TWO.toString('base64')}`,
      PHI_KEY_VERSION: '2',
    });
    expect(config.phiKeys).toEqual(
      new Map([
        [1, KEY_ONE],
        [2, KEY_TWO],
      ]),
    );
    expect(config.phiKeyVersion).toBe(2);
  });
});
