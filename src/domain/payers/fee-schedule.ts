// A payer's fee schedule: the allowed amount per procedure code (and modifier, '' for any),
// whether it is covered and needs prior authorization, and whether copay applies. A load of
// up to 10,000 entries is one transaction of multi-row statements; an entry whose terms
// change gets a new version and one FeeScheduleEntrySet event, an unchanged one neither.
import { cursorCodec } from '../cursor.js';
import { z } from 'zod';
import type pg from 'pg';
import type { FeeScheduleEntry } from '../../generated/prisma/client.js';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import type { FeeScheduleEntry as FeeScheduleEntryTerms } from '../adjudication/types.js';
import { InvalidInput } from '../../infra/errors.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { modifier, procedureCode } from '../claims/schema.js';
import { payerOrgOf } from './access.js';
import {
  FEE_SCHEDULE_ENTRIES_MAX,
  type FeeScheduleEntryInput,
  type FeeScheduleQuery,
} from './schema.js';

export interface FeeScheduleEntryView {
  procedureCode: string;
  /** null: the price of the code with any modifier. */
  modifier: string | null;
  allowedAmount: string;
  covered: boolean;
  priorAuthRequired: boolean;
  copayApplies: boolean;
  /** Anesthesia base units of the code; null when it is not priced by anesthesia time. */
  anesthesiaBaseUnits: number | null;
  version: number;
  updatedAt: string;
}

export interface FeeScheduleLoadResult {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

/** A fee_schedule_entries row as read with allowed_amount::text (modifier '' = any). */
export interface FeeScheduleEntryRow {
  procedure_code: string;
  modifier: string;
  allowed_amount: string;
  covered: boolean;
  prior_auth_required: boolean;
  copay_applies: boolean;
  anesthesia_base_units: number | null;
  version: number;
}

function compareKeys(
  a: { procedureCode: string; modifier: string },
  b: { procedureCode: string; modifier: string },
): number {
  if (a.procedureCode !== b.procedureCode) return a.procedureCode < b.procedureCode ? -1 : 1;
  if (a.modifier !== b.modifier) return a.modifier < b.modifier ? -1 : 1;
  return 0;
}

/**
 * Creates or replaces the given entries, all or nothing. Entries not named stay as they
 * are. The input must hold each (procedureCode, modifier) once (fee-schedule-input.ts
 * guarantees it): one statement cannot upsert a row twice.
 */
export async function setFeeScheduleEntries(
  database: Database,
  principal: Principal,
  entries: FeeScheduleEntryInput[],
): Promise<FeeScheduleLoadResult> {
  const payerOrgId = payerOrgOf(principal);
  if (entries.length > FEE_SCHEDULE_ENTRIES_MAX) {
    throw new InvalidInput('invalid fee schedule', [
      { field: 'entries', message: `at most ${FEE_SCHEDULE_ENTRIES_MAX} entries per request` },
    ]);
  }
  // One key order for every load, so two concurrent loads lock rows in the same order.
  const sorted = [...entries].sort(compareKeys);
  sorted.forEach((entry, index) => {
    if (index > 0 && compareKeys(sorted[index - 1]!, entry) === 0) {
      throw new Error('fee schedule entries must be unique by procedure code and modifier');
    }
  });
  const now = new Date();
  const changed = await inTransaction(database.pool, async (client) => {
    const rows = await upsertEntries(client, payerOrgId, sorted, now);
    await appendEvents(
      client,
      rows.map((row) => ({
        type: 'FeeScheduleEntrySet',
        aggregateId: `fee-schedule:${payerOrgId}:${row.procedure_code}:${row.modifier}`,
        actorOrgId: payerOrgId,
        payload: {
          payerOrgId,
          procedureCode: row.procedure_code,
          modifier: row.modifier || null,
          allowedAmount: row.allowed_amount,
          covered: row.covered,
          priorAuthRequired: row.prior_auth_required,
          copayApplies: row.copay_applies,
          // Only when set, so that the events of other entries keep their shape.
          ...(row.anesthesia_base_units === null
            ? {}
            : { anesthesiaBaseUnits: row.anesthesia_base_units }),
          version: row.version,
        },
        partyOrgIds: [payerOrgId],
      })),
      now,
    );
    return rows;
  });
  const created = changed.filter((row) => row.version === 1).length;
  return {
    received: entries.length,
    created,
    updated: changed.length - created,
    unchanged: entries.length - changed.length,
  };
}

/** One statement for the whole load; returns the rows it created or changed, in key order. */
async function upsertEntries(
  client: pg.PoolClient,
  payerOrgId: string,
  entries: FeeScheduleEntryInput[],
  now: Date,
): Promise<FeeScheduleEntryRow[]> {
  if (entries.length === 0) return [];
  const { rows } = await client.query<FeeScheduleEntryRow>(
    `INSERT INTO fee_schedule_entries AS existing (payer_org_id, procedure_code, modifier,
       allowed_amount, covered, prior_auth_required, copay_applies, anesthesia_base_units, version,
       updated_at)
     SELECT $1, e.procedure_code, e.modifier, e.allowed_amount, e.covered, e.prior_auth_required,
            e.copay_applies, e.base_units, 1, $8
       FROM unnest($2::text[], $3::text[], $4::numeric[], $5::boolean[], $6::boolean[],
                   $7::boolean[], $9::int[])
         AS e(procedure_code, modifier, allowed_amount, covered, prior_auth_required, copay_applies,
              base_units)
     ON CONFLICT (payer_org_id, procedure_code, modifier) DO UPDATE
       SET allowed_amount = EXCLUDED.allowed_amount, covered = EXCLUDED.covered,
           prior_auth_required = EXCLUDED.prior_auth_required,
           copay_applies = EXCLUDED.copay_applies,
           anesthesia_base_units = EXCLUDED.anesthesia_base_units, version = existing.version + 1,
           updated_at = EXCLUDED.updated_at
       WHERE (existing.allowed_amount, existing.covered, existing.prior_auth_required,
              existing.copay_applies, existing.anesthesia_base_units)
             IS DISTINCT FROM (EXCLUDED.allowed_amount, EXCLUDED.covered,
               EXCLUDED.prior_auth_required, EXCLUDED.copay_applies,
               EXCLUDED.anesthesia_base_units)
     RETURNING procedure_code, modifier, allowed_amount::text AS allowed_amount, covered,
               prior_auth_required, copay_applies, anesthesia_base_units, version`,
    [
      payerOrgId,
      entries.map((entry) => entry.procedureCode),
      entries.map((entry) => entry.modifier),
      entries.map((entry) => entry.allowedAmount),
      entries.map((entry) => entry.covered),
      entries.map((entry) => entry.priorAuthRequired),
      entries.map((entry) => entry.copayApplies),
      now,
      entries.map((entry) => entry.anesthesiaBaseUnits),
    ],
  );
  // RETURNING promises no order; events follow the key order.
  return rows.sort((a, b) =>
    compareKeys(
      { procedureCode: a.procedure_code, modifier: a.modifier },
      { procedureCode: b.procedure_code, modifier: b.modifier },
    ),
  );
}

function viewOf(entry: FeeScheduleEntry): FeeScheduleEntryView {
  return {
    procedureCode: entry.procedureCode,
    modifier: entry.modifier || null,
    allowedAmount: entry.allowedAmount.toFixed(2),
    covered: entry.covered,
    priorAuthRequired: entry.priorAuthRequired,
    copayApplies: entry.copayApplies,
    anesthesiaBaseUnits: entry.anesthesiaBaseUnits,
    version: entry.version,
    updatedAt: entry.updatedAt.toISOString(),
  };
}

/** Pages continue after the last row's sort key ('' is the any-modifier price). */
const pageCursor = cursorCodec(
  z.strictObject({ procedureCode, modifier: modifier.or(z.literal('')) }),
);

/** The caller's entries by procedure code then modifier, keyset-paginated. */
export async function listFeeSchedule(
  database: Database,
  principal: Principal,
  query: FeeScheduleQuery,
): Promise<{ entries: FeeScheduleEntryView[]; nextCursor: string | null }> {
  const payerOrgId = payerOrgOf(principal);
  const after = pageCursor.decode(query.cursor);
  const rows = await database.prisma.feeScheduleEntry.findMany({
    where: {
      payerOrgId,
      ...(query.procedureCode ? { procedureCode: query.procedureCode } : {}),
      ...(after
        ? {
            OR: [
              { procedureCode: { gt: after.procedureCode } },
              { procedureCode: after.procedureCode, modifier: { gt: after.modifier } },
            ],
          }
        : {}),
    },
    orderBy: [{ procedureCode: 'asc' }, { modifier: 'asc' }],
    take: query.limit + 1,
  });
  const page = pageCursor.page(rows, query.limit, (row) => ({
    procedureCode: row.procedureCode,
    modifier: row.modifier,
  }));
  return { entries: page.rows.map(viewOf), nextCursor: page.nextCursor };
}

// ---- For adjudication

export interface FeeScheduleTerms {
  entries: FeeScheduleEntryTerms[];
  /** The version of each entry, by procedure code then modifier. */
  versions: { procedureCode: string; modifier: string; version: number }[];
}

/** A payer's fee schedule as adjudication reads it: the terms of the codes a claim bills. */
export interface PayerFeeSchedule {
  /** Every modifier's terms of each code, with their versions, by code then modifier. */
  termsOf(procedureCodes: readonly string[]): FeeScheduleTerms;
}

/**
 * Each payer's whole fee schedule in one statement (adjudication's configuration cache keeps it
 * until the payer's configuration version moves).
 */
export async function feeSchedulesOfPayers(
  db: Queryable,
  payerOrgIds: readonly string[],
): Promise<Map<string, PayerFeeSchedule>> {
  const { rows } = await db.query<FeeScheduleEntryRow & { payer_org_id: string }>(
    `SELECT payer_org_id, procedure_code, modifier, allowed_amount::text, covered,
            prior_auth_required, copay_applies, anesthesia_base_units, version
       FROM fee_schedule_entries WHERE payer_org_id = ANY($1::uuid[])
      ORDER BY payer_org_id, procedure_code, modifier`,
    [[...new Set(payerOrgIds)]],
  );
  const byPayer = new Map(payerOrgIds.map((id) => [id, new Map<string, FeeScheduleEntryRow[]>()]));
  for (const row of rows) {
    const byCode = byPayer.get(row.payer_org_id)!;
    const entriesOfCode = byCode.get(row.procedure_code);
    if (entriesOfCode) entriesOfCode.push(row);
    else byCode.set(row.procedure_code, [row]);
  }
  return new Map(
    [...byPayer].map(([payerOrgId, byCode]) => [
      payerOrgId,
      {
        termsOf(procedureCodes) {
          const codes = [...new Set(procedureCodes)].sort();
          return termsOfRows(codes.flatMap((code) => byCode.get(code) ?? []));
        },
      },
    ]),
  );
}

function termsOfRows(rows: readonly FeeScheduleEntryRow[]): FeeScheduleTerms {
  return {
    entries: rows.map((row): FeeScheduleEntryTerms => ({
      procedureCode: row.procedure_code,
      modifier: row.modifier === '' ? null : row.modifier,
      allowedAmount: row.allowed_amount,
      covered: row.covered,
      priorAuthRequired: row.prior_auth_required,
      copayApplies: row.copay_applies,
      ...(row.anesthesia_base_units === null
        ? {}
        : { anesthesiaBaseUnits: row.anesthesia_base_units }),
    })),
    versions: rows.map((row) => ({
      procedureCode: row.procedure_code,
      modifier: row.modifier,
      version: row.version,
    })),
  };
}
