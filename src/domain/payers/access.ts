// What every payer configuration function shares: who may call it, and reading the answers
// of PostgreSQL the same way everywhere.
import { Forbidden } from '../../infra/errors.js';
import type { Principal, Role } from '../organizations.js';

/** Roles of a payer organization that may read and change its configuration. */
export const PAYER_CONFIGURATION_ROLES: readonly Role[] = ['payer_adjudicator', 'admin'];

/**
 * The caller's payer organization. Every read and write is scoped to it, so another
 * payer's rows answer exactly like missing ones.
 */
export function payerOrgOf(principal: Principal): string {
  if (principal.orgKind !== 'payer' || !PAYER_CONFIGURATION_ROLES.includes(principal.role)) {
    throw new Forbidden(
      `payer configuration is open to a payer organization's ${PAYER_CONFIGURATION_ROLES.join(' and ')} keys only`,
    );
  }
  return principal.orgId;
}

/** A DATE column as Prisma reads it (UTC midnight) back to 'YYYY-MM-DD'. */
export function dateTextOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
