// Prior authorizations: the payer's approval, given in advance, for a member to receive a
// number of units of one procedure from one provider within a date range. Adjudication draws
// units from them and a reversal gives them back, through the functions at the end of this
// file: this area owns the table.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PriorAuthorization } from '../../generated/prisma/client.js';
import type { PriorAuthorization as AuthorizationTerms } from '../adjudication/types.js';
import { inTransaction, type Database } from '../../infra/db.js';
import { InvalidInput, type FieldProblem } from '../../infra/errors.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { dateTextOf, payerOrgOf } from './access.js';
import { requireOwnMember } from './members.js';
import type { PriorAuthorizationInput } from './schema.js';

export const PRIOR_AUTHORIZATIONS_LIST_MAX = 1_000;

export interface PriorAuthorizationView {
  id: string;
  /** The member's row id. */
  memberId: string;
  providerId: string;
  procedureCode: string;
  unitsAuthorized: number;
  unitsUsed: number;
  validFrom: string;
  validTo: string;
  updatedAt: string;
}

function viewOf(authorization: PriorAuthorization): PriorAuthorizationView {
  return {
    id: authorization.id,
    memberId: authorization.memberId,
    providerId: authorization.providerOrgId,
    procedureCode: authorization.procedureCode,
    unitsAuthorized: authorization.unitsAuthorized,
    unitsUsed: authorization.unitsUsed,
    validFrom: dateTextOf(authorization.validFrom),
    validTo: dateTextOf(authorization.validTo),
    updatedAt: authorization.updatedAt.toISOString(),
  };
}

export async function createPriorAuthorization(
  database: Database,
  principal: Principal,
  input: PriorAuthorizationInput,
): Promise<PriorAuthorizationView> {
  const payerOrgId = payerOrgOf(principal);
  const now = new Date();
  const authorization: PriorAuthorizationView = {
    id: randomUUID(),
    memberId: input.memberId,
    providerId: input.providerId,
    procedureCode: input.procedureCode,
    unitsAuthorized: input.unitsAuthorized,
    unitsUsed: 0,
    validFrom: input.validFrom,
    validTo: input.validTo,
    updatedAt: now.toISOString(),
  };
  await inTransaction(database.pool, async (client) => {
    // Both references named as fields; members and organizations are never deleted, so a
    // row found here is still there at commit.
    const references = await client.query<{ member: boolean; provider: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM members WHERE id = $1 AND payer_org_id = $2) AS member,
              EXISTS (SELECT 1 FROM organizations WHERE id = $3 AND kind = 'provider') AS provider`,
      [input.memberId, payerOrgId, input.providerId],
    );
    const problems: FieldProblem[] = [];
    if (!references.rows[0]?.member) {
      problems.push({ field: 'memberId', message: 'no member of yours has this id' });
    }
    if (!references.rows[0]?.provider) {
      problems.push({ field: 'providerId', message: 'no provider organization has this id' });
    }
    if (problems.length > 0) throw new InvalidInput('invalid prior authorization', problems);
    await client.query(
      `INSERT INTO prior_authorizations (id, payer_org_id, member_id, provider_org_id,
         procedure_code, units_authorized, units_used, valid_from, valid_to, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)`,
      [
        authorization.id,
        payerOrgId,
        input.memberId,
        input.providerId,
        input.procedureCode,
        input.unitsAuthorized,
        input.validFrom,
        input.validTo,
        now,
      ],
    );
    await appendEvents(
      client,
      [
        {
          type: 'PriorAuthorizationCreated',
          aggregateId: authorization.id,
          actorOrgId: payerOrgId,
          payload: {
            priorAuthorizationId: authorization.id,
            payerOrgId,
            memberRowId: input.memberId,
            providerOrgId: input.providerId,
            procedureCode: input.procedureCode,
            unitsAuthorized: input.unitsAuthorized,
            validFrom: input.validFrom,
            validTo: input.validTo,
          },
          // The provider may prove the authorization it was given.
          partyOrgIds: [payerOrgId, input.providerId],
        },
      ],
      now,
    );
  });
  return authorization;
}

export async function listPriorAuthorizations(
  database: Database,
  principal: Principal,
  memberRowId: string,
): Promise<{ priorAuthorizations: PriorAuthorizationView[] }> {
  const payerOrgId = payerOrgOf(principal);
  await requireOwnMember(database, payerOrgId, memberRowId);
  const authorizations = await database.prisma.priorAuthorization.findMany({
    where: { memberId: memberRowId, payerOrgId },
    orderBy: [{ validFrom: 'asc' }, { id: 'asc' }],
    take: PRIOR_AUTHORIZATIONS_LIST_MAX,
  });
  return { priorAuthorizations: authorizations.map(viewOf) };
}

// ---- For adjudication: the authorizations a claim may draw on, row-locked, and their units

/** Whose authorizations: a member, at one provider, of one payer. */
export interface AuthorizationHolder {
  memberRowId: string;
  providerOrgId: string;
  payerOrgId: string;
}

export const authorizationHolderKey = (holder: AuthorizationHolder) =>
  `${holder.memberRowId}|${holder.providerOrgId}|${holder.payerOrgId}`;

/**
 * The authorizations of these holders (members at providers of payers), row-locked in id order
 * in one statement: the one order all adjudication locks them in, so concurrent batches queue
 * instead of deadlocking. By authorizationHolderKey, each holder's list in id order.
 */
export async function lockAuthorizationsOfHolders(
  client: pg.PoolClient,
  holders: readonly AuthorizationHolder[],
): Promise<Map<string, AuthorizationTerms[]>> {
  const { rows } = await client.query<{
    id: string;
    member_id: string;
    provider_org_id: string;
    payer_org_id: string;
    procedure_code: string;
    units_authorized: number;
    units_used: number;
    valid_from: string;
    valid_to: string;
  }>(
    `SELECT a.id, a.member_id, a.provider_org_id, a.payer_org_id, a.procedure_code,
            a.units_authorized, a.units_used, a.valid_from::text AS valid_from,
            a.valid_to::text AS valid_to
       FROM prior_authorizations a
      WHERE (a.member_id, a.provider_org_id, a.payer_org_id) IN (
              SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]))
      ORDER BY a.id FOR UPDATE OF a`,
    [
      holders.map((holder) => holder.memberRowId),
      holders.map((holder) => holder.providerOrgId),
      holders.map((holder) => holder.payerOrgId),
    ],
  );
  const byHolder = new Map<string, AuthorizationTerms[]>();
  for (const row of rows) {
    const key = authorizationHolderKey({
      memberRowId: row.member_id,
      providerOrgId: row.provider_org_id,
      payerOrgId: row.payer_org_id,
    });
    byHolder.set(key, [
      ...(byHolder.get(key) ?? []),
      {
        authorizationId: row.id,
        procedureCode: row.procedure_code,
        unitsAuthorized: row.units_authorized,
        unitsUsed: row.units_used,
        validFrom: row.valid_from,
        validTo: row.valid_to,
      },
    ]);
  }
  return byHolder;
}

/** Draws (`sign` 1) or gives back (`sign` -1) the units decisions used: one statement. */
export async function moveAuthorizationUnits(
  client: pg.PoolClient,
  uses: readonly { authorizationId: string; units: number }[],
  sign: 1 | -1,
): Promise<void> {
  const unitsById = new Map<string, number>();
  for (const use of uses) {
    unitsById.set(use.authorizationId, (unitsById.get(use.authorizationId) ?? 0) + use.units);
  }
  if (unitsById.size === 0) return;
  // Id order, as they are locked.
  const ids = [...unitsById.keys()].sort();
  await client.query(
    `UPDATE prior_authorizations a SET units_used = a.units_used + u.units, updated_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS u(id, units)
      WHERE a.id = u.id`,
    [ids, ids.map((id) => sign * unitsById.get(id)!)],
  );
}
