// Who may ask what, and how an inquiry is recorded. A provider may ask any payer about a patient
// (eligibility is what providers ask payers) and learns only what the answer holds; a payer
// answers for its own members only. Every inquiry, answered or not, is one ledger event with no
// PHI: who asked, which payer, the member's opaque row id when the payer knows the member (never
// the member id or a blind index of it), the date asked and the result. That is the audit trail
// of access to patient data; the ledger makes it tamper-evident and readable by both parties.
import { randomUUID } from 'node:crypto';
import { inTransaction, type Database } from '../../infra/db.js';
import { Forbidden } from '../../infra/errors.js';
import { appendEvents, type NewEvent } from '../../ledger/append.js';
import type { Principal, Role } from '../organizations.js';
import { payersByPayerId } from '../trading-partners.js';

const PROVIDER_INQUIRY_ROLES: readonly Role[] = ['provider_biller', 'admin'];
const PAYER_INQUIRY_ROLES: readonly Role[] = ['payer_adjudicator', 'admin'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type InquiryChannel = 'json' | 'x12' | 'fhir';

/** The asker: a provider (whose authorizations and claims count) or the payer itself. */
export interface Inquirer {
  orgId: string;
  providerOrgId: string | null;
}

/** Throws Forbidden unless the principal's organization and role may make inquiries at all. */
export function inquirerOf(principal: Principal): Inquirer {
  if (principal.orgKind === 'provider' && PROVIDER_INQUIRY_ROLES.includes(principal.role)) {
    return { orgId: principal.orgId, providerOrgId: principal.orgId };
  }
  if (principal.orgKind === 'payer' && PAYER_INQUIRY_ROLES.includes(principal.role)) {
    return { orgId: principal.orgId, providerOrgId: null };
  }
  throw new Forbidden(
    `inquiries are open to a provider's ${PROVIDER_INQUIRY_ROLES.join(' and ')} keys and a ` +
      `payer's ${PAYER_INQUIRY_ROLES.join(' and ')} keys`,
  );
}

/**
 * A payer asks about its own members only. Asked about another payer's, it is refused for that
 * payer id whatever the member: the refusal says nothing about any member.
 */
function mayAskPayer(inquirer: Inquirer, payerOrgId: string): boolean {
  return inquirer.providerOrgId !== null || inquirer.orgId === payerOrgId;
}

export function assertMayAskPayer(inquirer: Inquirer, payerOrgId: string): void {
  if (!mayAskPayer(inquirer, payerOrgId)) {
    throw new Forbidden('a payer answers inquiries about its own members only');
  }
}

/**
 * The payer organizations among the identifiers given, by identifier: the payer's ClaimChain
 * id (a UUID) or its external payer id (such as "60054" in a 270's NM109), as the 837P reads
 * its payers.
 */
export async function resolvePayers(
  database: Database,
  identifiers: readonly string[],
): Promise<Map<string, string>> {
  const ids = [...new Set(identifiers.filter((identifier) => UUID.test(identifier)))];
  const byPayerId = await payersByPayerId(database.pool, [
    ...new Set(identifiers.filter((identifier) => !UUID.test(identifier))),
  ]);
  const { rows } =
    ids.length === 0
      ? { rows: [] }
      : await database.pool.query<{ id: string }>(
          `SELECT id FROM organizations WHERE kind = 'payer' AND id = ANY($1::uuid[])`,
          [ids],
        );
  const found = new Set(rows.map((row) => row.id.toLowerCase()));
  const resolved = new Map<string, string>();
  for (const identifier of identifiers) {
    const payerOrgId = found.has(identifier.toLowerCase())
      ? identifier.toLowerCase()
      : byPayerId.get(identifier);
    if (payerOrgId) resolved.set(identifier, payerOrgId);
  }
  return resolved;
}

export interface InquiryRecord {
  kind: 'eligibility' | 'claim_status';
  channel: InquiryChannel;
  inquirer: Inquirer;
  /** null when the payer asked for is unknown. */
  payerOrgId: string | null;
  /** What the payer holds about the patient asked: the member's row id, or nothing. */
  memberRowId: string | null;
  /** The date of service asked about. */
  date: string | null;
  /** A code, never free text: "covered", "member_not_found", "claims_found:2"… */
  result: string;
}

const EVENT_TYPES = { eligibility: 'EligibilityInquired', claim_status: 'ClaimStatusInquired' };

/** Appends one event per inquiry, in one transaction; returns the events' ids in order. */
export async function recordInquiries(
  database: Database,
  records: readonly InquiryRecord[],
): Promise<string[]> {
  const events: NewEvent[] = records.map((record) => {
    const inquiryId = randomUUID();
    return {
      id: inquiryId,
      type: EVENT_TYPES[record.kind],
      aggregateId: inquiryId,
      actorOrgId: record.inquirer.orgId,
      payload: {
        inquiryId,
        channel: record.channel,
        inquirerOrgId: record.inquirer.orgId,
        payerOrgId: record.payerOrgId,
        memberRowId: record.memberRowId,
        date: record.date,
        result: record.result,
      },
      partyOrgIds: [
        ...new Set([record.inquirer.orgId, ...(record.payerOrgId ? [record.payerOrgId] : [])]),
      ],
    };
  });
  await inTransaction(database.pool, (client) => appendEvents(client, events));
  return events.map((event) => event.id!);
}
