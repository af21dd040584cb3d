// Trading partners: the identifiers other systems know an organization by (NPI, payer id, the
// interchange id of its X12 files), and the clearinghouses a provider lets submit its claims.
// Every identifier belongs to one organization; the database's unique indexes say so, and a
// second organization claiming one is a 409. The EIN is not one of them: it stays in the
// remittance profile, not unique, since the practices of a group bill under the group's EIN.
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { z } from 'zod';
import { inTransaction, type Database, type Queryable } from '../infra/db.js';
import { Conflict, Forbidden, InvalidInput, isUniqueViolation, NotFound } from '../infra/errors.js';
import { appendEvents } from '../ledger/append.js';
import { INTERCHANGE_QUALIFIERS, type InterchangeQualifier } from '../interop/x12/envelope-out.js';
import {
  npiSchema,
  type InterchangeId,
  type OrganizationKind,
  type Principal,
} from './organizations.js';
import { expected } from './validation.js';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Printable ASCII without the X12 delimiters * : ^ ~, as an 837P NM109 and an 835 REF02 carry it.
const X12_TEXT = /^[ -)+-9;-\]_-}]*$/;

/** A payer id as payers publish them ("60054", "SX123"): NM109 of 837P loop 2010BB is AN 2-80. */
const payerIdSchema = z
  .string({ error: expected('a string') })
  .trim()
  .min(2, 'must be at least 2 characters')
  .max(80, 'must be at most 80 characters')
  .regex(X12_TEXT, 'must be printable ASCII without the X12 delimiters * : ^ ~')
  .refine(
    (value) => !UUID_SHAPE.test(value),
    'must not be a UUID: a UUID in NM109 names a ClaimChain organization id',
  );

/**
 * ISA06/ISA08 is fixed-width (15, padded with spaces), so an id cannot end in a space; letters,
 * digits and . / _ - cover the ids partners assign (EINs, DUNS, "CLAIMSHUB01").
 */
const interchangeSchema = z.strictObject({
  // 01 DUNS, 14 DUNS with suffix, 20 HIN, 27 carrier, 28 fiscal intermediary, 29 Medicare
  // provider, 30 EIN, 33 NAIC, ZZ mutually defined.
  qualifier: z.enum(INTERCHANGE_QUALIFIERS, {
    error: `must be an ISA05 qualifier: ${INTERCHANGE_QUALIFIERS.join(', ')}`,
  }),
  id: z
    .string({ error: expected('a string') })
    .trim()
    .regex(/^[A-Za-z0-9./_-]{1,15}$/, 'must be 1-15 letters, digits or . / _ -'),
});

/** The whole set of identifiers; PUT replaces it, so one left out (or null) is cleared. */
export const organizationIdentifiersSchema = z.strictObject({
  npi: npiSchema.nullish(),
  payerId: payerIdSchema.nullish(),
  interchange: interchangeSchema.nullish(),
});
export type OrganizationIdentifiersInput = z.output<typeof organizationIdentifiersSchema>;

export interface OrganizationIdentifiers {
  npi: string | null;
  payerId: string | null;
  interchange: InterchangeId | null;
  /** The EIN, as the remittance profile holds it: set with the profile, shown here for reading. */
  taxId: string | null;
}

interface IdentifierRow {
  kind: OrganizationKind;
  npi: string | null;
  payer_id: string | null;
  interchange_qualifier: string | null;
  interchange_id: string | null;
  tax_id: string | null;
}

function identifiersOf(row: IdentifierRow): OrganizationIdentifiers {
  return {
    npi: row.npi,
    payerId: row.payer_id,
    interchange:
      row.interchange_qualifier !== null && row.interchange_id !== null
        ? { qualifier: row.interchange_qualifier as InterchangeQualifier, id: row.interchange_id }
        : null,
    taxId: row.tax_id,
  };
}

/** A payer id is a payer's; the operator sends and receives no files. */
function kindProblems(kind: OrganizationKind, input: OrganizationIdentifiersInput) {
  const problems = [];
  if (input.payerId != null && kind !== 'payer') {
    problems.push({ field: 'payerId', message: `a ${kind} organization has no payer id` });
  }
  if (input.interchange != null && kind === 'operator') {
    problems.push({
      field: 'interchange',
      message: 'the operator sends and receives no X12 files',
    });
  }
  return problems;
}

const CONFLICTS: [constraint: string, message: string][] = [
  ['organizations_npi_key', 'an organization with this NPI is already registered'],
  ['organizations_payer_id_key', 'an organization with this payer id is already registered'],
  [
    'organizations_interchange_id_key',
    'an organization with this interchange id is already registered',
  ],
];

/**
 * Replaces an organization's identifiers (the operator's admin does this, checked by the caller).
 * Sending those in force changes nothing and appends no event.
 */
export async function setOrganizationIdentifiers(
  database: Database,
  actorOrgId: string | undefined,
  orgId: string,
  input: OrganizationIdentifiersInput,
): Promise<OrganizationIdentifiers> {
  return inTransaction(database.pool, async (client) => {
    const { rows } = await client.query<IdentifierRow>(
      `SELECT kind, npi, payer_id, interchange_qualifier, interchange_id, tax_id
         FROM organizations WHERE id = $1 FOR UPDATE`,
      [orgId],
    );
    const current = rows[0];
    if (!current) throw new NotFound('organization');
    const problems = kindProblems(current.kind, input);
    if (problems.length > 0) throw new InvalidInput('invalid organization identifiers', problems);
    const wanted: OrganizationIdentifiers = {
      npi: input.npi ?? null,
      payerId: input.payerId ?? null,
      interchange: input.interchange ?? null,
      taxId: current.tax_id,
    };
    if (isDeepStrictEqual(identifiersOf(current), wanted)) return wanted;
    await writeIdentifiers(client, orgId, wanted);
    await appendEvents(client, [
      {
        type: 'OrganizationIdentifiersSet',
        aggregateId: orgId,
        actorOrgId: actorOrgId ?? orgId,
        // Identifiers partners publish (NPPES, payer lists, EDI enrollment): no PHI, no EIN.
        payload: {
          organizationId: orgId,
          npi: wanted.npi,
          payerId: wanted.payerId,
          interchangeQualifier: wanted.interchange?.qualifier ?? null,
          interchangeId: wanted.interchange?.id ?? null,
        },
        partyOrgIds: [orgId],
      },
    ]);
    return wanted;
  });
}

async function writeIdentifiers(
  client: pg.PoolClient,
  orgId: string,
  identifiers: OrganizationIdentifiers,
): Promise<void> {
  await client
    .query(
      `UPDATE organizations
          SET npi = $2, payer_id = $3, interchange_qualifier = $4, interchange_id = $5
        WHERE id = $1`,
      [
        orgId,
        identifiers.npi,
        identifiers.payerId,
        identifiers.interchange?.qualifier ?? null,
        identifiers.interchange?.id ?? null,
      ],
    )
    .catch((error: unknown) => {
      const conflict = CONFLICTS.find(([constraint]) => isUniqueViolation(error, constraint));
      if (!conflict) throw error;
      throw new Conflict(conflict[1]);
    });
}

// ---------------------------------------------------------------------------------------
// Clearinghouse authorizations

export interface ClearinghouseAuthorization {
  providerId: string;
  providerName: string;
  providerNpi: string | null;
  clearinghouseId: string;
  clearinghouseName: string;
  authorizedAt: string;
  revokedAt: string | null;
}

/** Most authorizations one list answers with: a provider uses one or two clearinghouses. */
const AUTHORIZATIONS_LIST_MAX = 1_000;

const AUTHORIZATION_SELECT = `
  SELECT a.provider_org_id AS "providerId", p.name AS "providerName", p.npi AS "providerNpi",
         a.clearinghouse_org_id AS "clearinghouseId", c.name AS "clearinghouseName",
         a.authorized_at AS "authorizedAt", a.revoked_at AS "revokedAt"
    FROM clearinghouse_authorizations a
    JOIN organizations p ON p.id = a.provider_org_id
    JOIN organizations c ON c.id = a.clearinghouse_org_id`;

type AuthorizationRow = Omit<ClearinghouseAuthorization, 'authorizedAt' | 'revokedAt'> & {
  authorizedAt: Date;
  revokedAt: Date | null;
};

function authorizationOf(row: AuthorizationRow): ClearinghouseAuthorization {
  return {
    ...row,
    authorizedAt: row.authorizedAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

function requireProvider(principal: Principal): void {
  if (principal.orgKind !== 'provider') {
    throw new Forbidden('only a provider authorizes or revokes a clearinghouse');
  }
}

async function readAuthorization(
  client: Queryable,
  providerOrgId: string,
  clearinghouseOrgId: string,
): Promise<ClearinghouseAuthorization | undefined> {
  const { rows } = await client.query<AuthorizationRow>(
    `${AUTHORIZATION_SELECT} WHERE a.provider_org_id = $1 AND a.clearinghouse_org_id = $2`,
    [providerOrgId, clearinghouseOrgId],
  );
  return rows[0] && authorizationOf(rows[0]);
}

async function appendAuthorizationEvent(
  client: pg.PoolClient,
  type: 'ClearinghouseAuthorized' | 'ClearinghouseRevoked',
  providerOrgId: string,
  clearinghouseOrgId: string,
  at: Date,
): Promise<void> {
  await appendEvents(
    client,
    [
      {
        type,
        aggregateId: providerOrgId,
        actorOrgId: providerOrgId,
        payload: { providerOrgId, clearinghouseOrgId },
        partyOrgIds: [providerOrgId, clearinghouseOrgId],
      },
    ],
    at,
  );
}

/** The provider lets the clearinghouse submit its claims; authorizing twice changes nothing. */
export async function authorizeClearinghouse(
  database: Database,
  principal: Principal,
  clearinghouseOrgId: string,
): Promise<ClearinghouseAuthorization> {
  requireProvider(principal);
  const providerOrgId = principal.orgId;
  return inTransaction(database.pool, async (client) => {
    const { rows } = await client.query<{ kind: string }>(
      'SELECT kind FROM organizations WHERE id = $1',
      [clearinghouseOrgId],
    );
    if (rows[0]?.kind !== 'clearinghouse') throw new NotFound('clearinghouse');
    const at = new Date();
    const changed = await client.query(
      `INSERT INTO clearinghouse_authorizations (provider_org_id, clearinghouse_org_id, authorized_at)
       VALUES ($1, $2, $3)
       ON CONFLICT (provider_org_id, clearinghouse_org_id) DO UPDATE
         SET authorized_at = EXCLUDED.authorized_at, revoked_at = NULL
       WHERE clearinghouse_authorizations.revoked_at IS NOT NULL`,
      [providerOrgId, clearinghouseOrgId, at],
    );
    if (changed.rowCount === 1) {
      await appendAuthorizationEvent(
        client,
        'ClearinghouseAuthorized',
        providerOrgId,
        clearinghouseOrgId,
        at,
      );
    }
    return (await readAuthorization(client, providerOrgId, clearinghouseOrgId))!;
  });
}

/** Ends the authorization: the clearinghouse's next file is refused for this provider. */
export async function revokeClearinghouse(
  database: Database,
  principal: Principal,
  clearinghouseOrgId: string,
): Promise<ClearinghouseAuthorization> {
  requireProvider(principal);
  const providerOrgId = principal.orgId;
  return inTransaction(database.pool, async (client) => {
    const at = new Date();
    const changed = await client.query(
      `UPDATE clearinghouse_authorizations SET revoked_at = $3
        WHERE provider_org_id = $1 AND clearinghouse_org_id = $2 AND revoked_at IS NULL`,
      [providerOrgId, clearinghouseOrgId, at],
    );
    if (changed.rowCount === 1) {
      await appendAuthorizationEvent(
        client,
        'ClearinghouseRevoked',
        providerOrgId,
        clearinghouseOrgId,
        at,
      );
    }
    const authorization = await readAuthorization(client, providerOrgId, clearinghouseOrgId);
    if (!authorization) throw new NotFound('clearinghouse authorization');
    return authorization;
  });
}

/** A provider's clearinghouses, or the providers that authorized a clearinghouse, revoked too. */
export async function listClearinghouseAuthorizations(
  database: Database,
  principal: Principal,
): Promise<ClearinghouseAuthorization[]> {
  const column =
    principal.orgKind === 'provider'
      ? 'a.provider_org_id'
      : principal.orgKind === 'clearinghouse'
        ? 'a.clearinghouse_org_id'
        : undefined;
  if (!column) throw new Forbidden('only providers and clearinghouses have authorizations');
  const { rows } = await database.pool.query<AuthorizationRow>(
    `${AUTHORIZATION_SELECT} WHERE ${column} = $1
      ORDER BY a.authorized_at DESC, a.provider_org_id, a.clearinghouse_org_id LIMIT $2`,
    [principal.orgId, AUTHORIZATIONS_LIST_MAX],
  );
  return rows.map(authorizationOf);
}

// ---------------------------------------------------------------------------------------
// Look-ups for X12 intake: the 837P reader is pure, so these are resolved before it reads

/** Payer organizations by payer id; ids no payer has (or could have) are absent. */
export async function payersByPayerId(
  db: Queryable,
  identifiers: readonly string[],
): Promise<Map<string, string>> {
  // Text that is no payer id (a NUL, a delimiter) never reaches SQL, whoever sent it.
  const payerIds = identifiers.filter((id) => payerIdSchema.safeParse(id).success);
  if (payerIds.length === 0) return new Map();
  const { rows } = await db.query<{ payer_id: string; id: string }>(
    `SELECT payer_id, id FROM organizations WHERE kind = 'payer' AND payer_id = ANY($1::text[])`,
    [payerIds],
  );
  return new Map(rows.map((row) => [row.payer_id, row.id]));
}

/** The providers, by NPI, that authorize this clearinghouse now; any other NPI is absent. */
export async function authorizedProvidersByNpi(
  db: Queryable,
  clearinghouseOrgId: string,
  npis: readonly string[],
): Promise<Map<string, string>> {
  if (npis.length === 0) return new Map();
  const { rows } = await db.query<{ npi: string; id: string }>(
    `SELECT o.npi, o.id
       FROM clearinghouse_authorizations a JOIN organizations o ON o.id = a.provider_org_id
      WHERE a.clearinghouse_org_id = $1 AND a.revoked_at IS NULL AND o.kind = 'provider'
        AND o.npi = ANY($2::text[])`,
    [clearinghouseOrgId, npis],
  );
  return new Map(rows.map((row) => [row.npi, row.id]));
}
