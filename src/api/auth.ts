// Authentication by API key (Authorization: Bearer <key>) and authorization by role.
// Resolved principals are cached for a few seconds to keep a database round trip off
// every request; revoking through this process drops the entry at once, and another
// process's revocation takes effect within the TTL.
import type { RequestHandler, Response } from 'express';
import type { Database } from '../infra/db.js';
import { Forbidden, Unauthenticated } from '../infra/errors.js';
import { authenticateKey, hashApiKey, type Principal, type Role } from '../domain/organizations.js';

const CACHE_TTL_MS = 5_000;
const CACHE_ENTRIES_MAX = 10_000;

export class PrincipalCache {
  private entries = new Map<string, { principal: Principal; expiresAt: number }>();

  get(keyHash: string): Principal | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry || entry.expiresAt < Date.now()) return undefined;
    return entry.principal;
  }

  set(keyHash: string, principal: Principal): void {
    if (this.entries.size >= CACHE_ENTRIES_MAX) this.entries.clear();
    this.entries.set(keyHash, { principal, expiresAt: Date.now() + CACHE_TTL_MS });
  }

  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.entries) {
      if (entry.principal.keyId === keyId) this.entries.delete(hash);
    }
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
    const keyHash = hashApiKey(key);
    let principal = cache.get(keyHash);
    if (!principal) {
      principal = await authenticateKey(database, key);
      if (!principal) throw new Unauthenticated('the API key is unknown or revoked');
      cache.set(keyHash, principal);
    }
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
