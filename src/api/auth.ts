// Authentication by API key (Authorization: Bearer <key>) and authorization by role.
// Resolved principals are cached for a few seconds to keep a database round trip off
// every request; revoking through this process drops the entry at once, and another
// process's revocation takes effect within the TTL.
import type { RequestHandler, Response } from 'express';
import type { Database } from '../infra/db.js';
import { Forbidden, Unauthenticated } from '../infra/errors.js';
import { authenticateKey, hashApiKey, type Principal, type Role } from '../domain/organizations.js';

const CACHE_TTL_MS = 5_000;
/**
 * A request in the last second of an entry's life looks the key up again in the background and
 * is answered from the entry meanwhile, so a key in steady use never expires under its callers.
 */
const CACHE_REFRESH_AHEAD_MS = 1_000;
const CACHE_ENTRIES_MAX = 10_000;

/**
 * Principals by API key hash. One look-up per key at a time: requests that miss while it runs
 * wait for it. Without that, every request that arrived between an entry's expiry and the end of
 * its look-up ran a look-up of its own (at 1,000 requests/s under load, hundreds at once, queued
 * on the database pool for seconds: the pipeline bench's intake p99 came from them).
 */
export class PrincipalCache {
  private entries = new Map<string, { principal: Principal; expiresAt: number }>();
  /** The look-up a request that misses joins, by key hash: only those begun since the last revocation. */
  private lookups = new Map<string, Promise<Principal | undefined>>();
  /** Look-ups running, joinable or not. */
  private running = 0;
  /** Revocations in this process so far; each look-up notes the count when it began. */
  private revocations = 0;
  /**
   * The count just after each key's latest revocation: a look-up of that key begun before it
   * must not store what it read. Look-ups of other keys are unaffected. Emptied whenever no
   * look-up is running, since any later one reads after every revocation.
   */
  private revokedAt = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The key's principal, from the cache or from `lookup`; undefined for an unknown key. */
  async resolve(
    keyHash: string,
    lookup: () => Promise<Principal | undefined>,
  ): Promise<Principal | undefined> {
    const entry = this.entries.get(keyHash);
    const now = this.now();
    if (entry && entry.expiresAt >= now) {
      if (entry.expiresAt - now < CACHE_REFRESH_AHEAD_MS) {
        // The entry still answers; a failed refresh leaves it to expire and be looked up then.
        this.lookUp(keyHash, lookup).catch(() => undefined);
      }
      return entry.principal;
    }
    return this.lookUp(keyHash, lookup);
  }

  forgetKey(keyId: string): void {
    this.revocations += 1;
    if (this.running > 0) this.revokedAt.set(keyId, this.revocations);
    // A request from now on must not join a look-up that may have read the key before its
    // revocation (which key a running look-up is for is known only once it returns).
    this.lookups.clear();
    for (const [hash, entry] of this.entries) {
      if (entry.principal.keyId === keyId) this.entries.delete(hash);
    }
  }

  private lookUp(
    keyHash: string,
    lookup: () => Promise<Principal | undefined>,
  ): Promise<Principal | undefined> {
    const joinable = this.lookups.get(keyHash);
    if (joinable) return joinable;
    const begunAt = this.revocations;
    this.running += 1;
    const pending = lookup()
      .then((principal) => {
        if (!principal) this.entries.delete(keyHash);
        else if ((this.revokedAt.get(principal.keyId) ?? 0) <= begunAt) {
          this.store(keyHash, principal);
        }
        return principal;
      })
      .finally(() => {
        this.running -= 1;
        if (this.lookups.get(keyHash) === pending) this.lookups.delete(keyHash);
        if (this.running === 0) this.revokedAt.clear();
      });
    this.lookups.set(keyHash, pending);
    return pending;
  }

  private store(keyHash: string, principal: Principal): void {
    if (this.entries.size >= CACHE_ENTRIES_MAX) this.entries.clear();
    this.entries.set(keyHash, { principal, expiresAt: this.now() + CACHE_TTL_MS });
  }
}

function presentedKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match?.[1];
}

export function authenticate(database: Database, cache: PrincipalCache): RequestHandler {
  return async (request, response, next) => {
    const key = presentedKey(request.header('authorization'));
    if (!key) throw new Unauthenticated();
    const principal = await cache.resolve(hashApiKey(key), () => authenticateKey(database, key));
    if (!principal) throw new Unauthenticated('the API key is unknown or revoked');
    response.locals.principal = principal;
    next();
  };
}

export function principalOf(response: Response): Principal {
  return response.locals.principal as Principal;
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (_request, response, next) => {
    const { role } = principalOf(response);
    if (!roles.includes(role)) {
      throw new Forbidden(`role ${role} may not do this; it needs one of: ${roles.join(', ')}`);
    }
    next();
  };
}

/**
 * A claim sent as JSON or FHIR names no billing provider: it is the caller's own, so only a
 * provider may send one. A clearinghouse sends 837P files, whose 2010AA names each claim's provider.
 */
export const requireProviderSubmitter: RequestHandler = (_request, response, next) => {
  if (principalOf(response).orgKind !== 'provider') {
    throw new Forbidden(
      "only a provider submits its own claims here; a clearinghouse sends 837P files (POST /v1/x12/837) naming each claim's billing provider",
    );
  }
  next();
};
