// Organizations (providers, payers, clearinghouses, the platform operator) and their API keys. A key is
// shown once, stored only as its SHA-256, bound to one organization and one role.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { inTransaction, type Database } from '../infra/db.js';
import { Conflict, Forbidden, InvalidInput, isUniqueViolation, NotFound } from '../infra/errors.js';
import { appendEvents } from '../ledger/append.js';
import type { Organization as OrganizationRow } from '../generated/prisma/client.js';
import type { InterchangeQualifier } from '../interop/x12/envelope-out.js';
import { profileOf, type OrganizationProfile } from './organization-profile.js';
import { expected, isValidNpi, parseOrThrow, remittableName } from './validation.js';

export const ORGANIZATION_KINDS = ['provider', 'payer', 'operator', 'clearinghouse'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

export const ROLES = [
  'provider_biller',
  'payer_adjudicator',
  'finance',
  'auditor',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/**
 * Which organization kinds may hold a key of each role. A clearinghouse's biller submits 837P
 * files for the providers that authorized it; it holds no money, so no finance key.
 */
const ROLE_KINDS: Record<Role, readonly OrganizationKind[]> = {
  provider_biller: ['provider', 'clearinghouse'],
  payer_adjudicator: ['payer'],
  finance: ['provider', 'payer', 'operator'],
  auditor: ['provider', 'payer', 'operator', 'clearinghouse'],
  admin: ['provider', 'payer', 'operator', 'clearinghouse'],
};

export interface Organization {
  id: string;
  name: string;
  kind: OrganizationKind;
  npi: string | null;
  /** The EDI id clearinghouses address a payer by (837P 2010BB NM109 with NM108 "PI"). */
  payerId: string | null;
  /** ISA05/ISA06 of the files the organization sends, ISA07/ISA08 of those it receives. */
  interchange: InterchangeId | null;
  createdAt: Date;
  /** What the 835 names the organization by besides its name and NPI. */
  profile: OrganizationProfile;
  /** 0 until a profile is first set; one more on every change. */
  profileVersion: number;
  profileUpdatedAt: Date | null;
}

/** An interchange sender or receiver id (ISA06/ISA08) with its qualifier (ISA05/ISA07). */
export interface InterchangeId {
  qualifier: InterchangeQualifier;
  id: string;
}

const NO_PROFILE: OrganizationProfile = {
  address: null,
  taxId: null,
  businessContact: null,
  technicalContact: null,
};

function organizationOf(row: OrganizationRow): Organization {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as OrganizationKind,
    npi: row.npi,
    payerId: row.payerId,
    interchange:
      row.interchangeQualifier !== null && row.interchangeId !== null
        ? { qualifier: row.interchangeQualifier as InterchangeQualifier, id: row.interchangeId }
        : null,
    createdAt: row.createdAt,
    profile: profileOf(row),
    profileVersion: row.profileVersion,
    profileUpdatedAt: row.profileUpdatedAt,
  };
}

/** Who is calling: resolved from an API key on every request. */
export interface Principal {
  keyId: string;
  orgId: string;
  orgKind: OrganizationKind;
  role: Role;
}

export interface IssuedKey {
  id: string;
  orgId: string;
  role: Role;
  label: string;
  keyPrefix: string;
  /** The secret itself: returned once, never stored. */
  key: string;
}

const KEY_PREFIX = 'cck_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export const npiSchema = z
  .string({ error: expected('a string') })
  .refine(isValidNpi, 'must be a 10-digit NPI with a valid check digit');

/** A new organization: its name is written in every 835 it is party to (loop 1000A or 1000B). */
export const organizationInputSchema = z.strictObject({
  name: remittableName(200),
  kind: z.enum(ORGANIZATION_KINDS, { error: `must be one of ${ORGANIZATION_KINDS.join(', ')}` }),
  npi: npiSchema.optional(),
});

/** Registers an organization; `body` is checked here, whoever sends it (API, CLI, demo). */
export async function createOrganization(
  database: Database,
  body: z.input<typeof organizationInputSchema> | Record<string, unknown>,
): Promise<Organization> {
  const input = parseOrThrow(organizationInputSchema, body, 'organization');
  const organization: Organization = {
    id: randomUUID(),
    name: input.name,
    kind: input.kind,
    npi: input.npi ?? null,
    payerId: null,
    interchange: null,
    createdAt: new Date(),
    profile: NO_PROFILE,
    profileVersion: 0,
    profileUpdatedAt: null,
  };
  await inTransaction(database.pool, async (client) => {
    await client
      .query(
        'INSERT INTO organizations (id, name, kind, npi, created_at) VALUES ($1, $2, $3, $4, $5)',
        [
          organization.id,
          organization.name,
          organization.kind,
          organization.npi,
          organization.createdAt,
        ],
      )
      .catch((error: unknown) => {
        if (!isUniqueViolation(error, 'organizations_npi_key')) throw error;
        throw new Conflict('an organization with this NPI is already registered');
      });
    await appendEvents(client, [
      {
        type: 'OrganizationRegistered',
        aggregateId: organization.id,
        actorOrgId: organization.id,
        payload: {
          organizationId: organization.id,
          kind: organization.kind,
          name: organization.name,
        },
        partyOrgIds: [organization.id],
      },
    ]);
  });
  return organization;
}

export async function findOrganization(
  database: Database,
  id: string,
): Promise<Organization | undefined> {
  const row = await database.prisma.organization.findUnique({ where: { id } });
  return row ? organizationOf(row) : undefined;
}

/** Several organizations by id; ids that do not exist are absent from the map. */
export async function findOrganizations(
  database: Database,
  ids: readonly string[],
): Promise<Map<string, Organization>> {
  const rows = await database.prisma.organization.findMany({ where: { id: { in: [...ids] } } });
  return new Map(rows.map((row) => [row.id, organizationOf(row)]));
}

export async function listOrganizations(
  database: Database,
  kind: OrganizationKind | undefined,
): Promise<Organization[]> {
  const rows = await database.prisma.organization.findMany({
    where: kind ? { kind } : {},
    orderBy: { name: 'asc' },
    take: 1000,
  });
  return rows.map(organizationOf);
}

export async function issueApiKey(
  database: Database,
  input: { orgId: string; role: Role; label?: string | undefined; actorOrgId?: string },
): Promise<IssuedKey> {
  if (!ROLES.includes(input.role)) {
    throw new InvalidInput('invalid role', [
      { field: 'role', message: `must be one of ${ROLES.join(', ')}` },
    ]);
  }
  const organization = await findOrganization(database, input.orgId);
  if (!organization) throw new NotFound('organization');
  if (!ROLE_KINDS[input.role].includes(organization.kind)) {
    throw new InvalidInput('role does not fit the organization', [
      {
        field: 'role',
        message: `a ${organization.kind} organization cannot hold role ${input.role}`,
      },
    ]);
  }
  const key = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const issued: IssuedKey = {
    id: randomUUID(),
    orgId: organization.id,
    role: input.role,
    label: (input.label ?? input.role).slice(0, 100),
    keyPrefix: key.slice(0, 12),
    key,
  };
  await inTransaction(database.pool, async (client) => {
    await client.query(
      `INSERT INTO api_keys (id, org_id, role, label, key_prefix, key_hash) VALUES ($1, $2, $3, $4, $5, $6)`,
      [issued.id, issued.orgId, issued.role, issued.label, issued.keyPrefix, hashApiKey(key)],
    );
    await appendKeyEvent(
      client,
      'ApiKeyIssued',
      issued.id,
      issued.orgId,
      input.actorOrgId,
      issued.role,
    );
  });
  return issued;
}

/** Revokes a key; an admin may revoke keys of its own organization, the operator any. */
export async function revokeApiKey(
  database: Database,
  keyId: string,
  actor: Principal | undefined,
): Promise<{ id: string; revokedAt: Date }> {
  return inTransaction(database.pool, async (client) => {
    const { rows } = await client.query<{ org_id: string; role: Role; revoked_at: Date | null }>(
      'SELECT org_id, role, revoked_at FROM api_keys WHERE id = $1 FOR UPDATE',
      [keyId],
    );
    const row = rows[0];
    if (!row || (actor && actor.orgKind !== 'operator' && actor.orgId !== row.org_id)) {
      throw new NotFound('API key');
    }
    if (row.revoked_at) return { id: keyId, revokedAt: row.revoked_at };
    const revokedAt = new Date();
    await client.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1', [keyId, revokedAt]);
    await appendKeyEvent(client, 'ApiKeyRevoked', keyId, row.org_id, actor?.orgId, row.role);
    return { id: keyId, revokedAt };
  });
}

async function appendKeyEvent(
  client: pg.PoolClient,
  type: string,
  keyId: string,
  orgId: string,
  actorOrgId: string | undefined,
  role: Role,
): Promise<void> {
  await appendEvents(client, [
    {
      type,
      aggregateId: keyId,
      actorOrgId: actorOrgId ?? orgId,
      payload: { apiKeyId: keyId, organizationId: orgId, role },
      partyOrgIds: [orgId],
    },
  ]);
}

/** Resolves a presented key to its principal, or undefined for unknown or revoked keys. */
export async function authenticateKey(
  database: Database,
  key: string,
): Promise<Principal | undefined> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return undefined;
  const row = await database.prisma.apiKey.findUnique({
    where: { keyHash: hashApiKey(key) },
    include: { organization: true },
  });
  if (!row || row.revokedAt) return undefined;
  return {
    keyId: row.id,
    orgId: row.orgId,
    orgKind: row.organization.kind as OrganizationKind,
    role: row.role as Role,
  };
}

export function requireOperatorAdmin(principal: Principal): void {
  if (principal.orgKind !== 'operator' || principal.role !== 'admin') {
    throw new Forbidden('only the platform operator admin may do this');
  }
}
