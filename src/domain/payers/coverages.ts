// Coverage of a member by one of the payer's plans, from a first to a last day (inclusive;
// open-ended while effectiveTo is null). A member's coverages never overlap, so every
// service date falls under at most one plan. Changes lock the member's row first, so two
// concurrent changes of one member cannot both pass the overlap check.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Coverage } from '../../generated/prisma/client.js';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import { Conflict, InvalidInput, NotFound } from '../../infra/errors.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { dateTextOf, payerOrgOf } from './access.js';
import { requireOwnMember } from './members.js';
import type { CoverageInput } from './schema.js';

export const COVERAGES_LIST_MAX = 1_000;

/** A coverage as adjudication and eligibility apply it: the plan and its inclusive dates. */
export interface AppliedCoverage {
  id: string;
  version: number;
  planId: string;
  effectiveFrom: string;
  /** null: open-ended. */
  effectiveTo: string | null;
}

/**
 * The coverages that apply to a member, oldest first: its own; or, for a dependent enrolled
 * without coverage of its own, its subscriber's (the same plans and dates, the common family
 * enrollment). A dependent with coverages of its own is covered by those alone, whatever their
 * dates. Adjudication and eligibility both read through this, so an answer and a claim agree.
 * `familyRowId` is the subscriber's row (the member's own when it is the subscriber).
 */
export async function readAppliedCoverages(
  db: Queryable,
  member: { memberRowId: string; familyRowId: string },
): Promise<AppliedCoverage[]> {
  return (await readAppliedCoveragesOf(db, [member])).get(member.memberRowId) ?? [];
}

/**
 * readAppliedCoverages for many members in one statement (adjudication's batches): by member
 * row id, each member's list oldest first, empty when it has none.
 */
export async function readAppliedCoveragesOf(
  db: Queryable,
  members: readonly { memberRowId: string; familyRowId: string }[],
): Promise<Map<string, AppliedCoverage[]>> {
  const rowIds = [
    ...new Set(members.flatMap((member) => [member.memberRowId, member.familyRowId])),
  ];
  const byRow = await readCoveragesOf(db, rowIds);
  const applied = new Map<string, AppliedCoverage[]>();
  for (const member of members) {
    const own = byRow.get(member.memberRowId) ?? [];
    const useOwn = own.length > 0 || member.familyRowId === member.memberRowId;
    applied.set(member.memberRowId, useOwn ? own : (byRow.get(member.familyRowId) ?? []));
  }
  return applied;
}

/** Whether the coverage is in force on `date` (YYYY-MM-DD): both ends count. */
export function inForceOn(
  coverage: { effectiveFrom: string; effectiveTo: string | null },
  date: string,
): boolean {
  return (
    coverage.effectiveFrom <= date &&
    (coverage.effectiveTo === null || date <= coverage.effectiveTo)
  );
}

async function readCoveragesOf(
  db: Queryable,
  memberRowIds: readonly string[],
): Promise<Map<string, AppliedCoverage[]>> {
  // Bounded as the coverage list is: a member has a handful, one per plan change.
  const { rows } = await db.query<{
    id: string;
    member_id: string;
    version: number;
    plan_id: string;
    effective_from: string;
    effective_to: string | null;
  }>(
    `SELECT id, member_id, version, plan_id, effective_from, effective_to
       FROM (SELECT id, member_id, version, plan_id, effective_from::text AS effective_from,
                    effective_to::text AS effective_to,
                    row_number() OVER (PARTITION BY member_id ORDER BY effective_from) AS position
               FROM coverages WHERE member_id = ANY($1::uuid[])) numbered
      WHERE position <= ${COVERAGES_LIST_MAX}
      ORDER BY member_id, effective_from`,
    [memberRowIds],
  );
  const byMember = new Map<string, AppliedCoverage[]>();
  for (const row of rows) {
    const list = byMember.get(row.member_id) ?? [];
    list.push({
      id: row.id,
      version: row.version,
      planId: row.plan_id,
      effectiveFrom: row.effective_from,
      effectiveTo: row.effective_to,
    });
    byMember.set(row.member_id, list);
  }
  return byMember;
}

export interface CoverageView {
  id: string;
  /** The member's row id. */
  memberId: string;
  planId: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  version: number;
  updatedAt: string;
}

interface CoverageRow {
  id: string;
  member_id: string;
  plan_id: string;
  effective_from: string;
  effective_to: string | null;
  version: number;
  updated_at: Date;
}

// Dates as text: node-postgres would read a DATE as local midnight and shift the day.
const COVERAGE_COLUMNS = `id, member_id, plan_id, effective_from::text AS effective_from,
  effective_to::text AS effective_to, version, updated_at`;

function viewOfRow(row: CoverageRow): CoverageView {
  return {
    id: row.id,
    memberId: row.member_id,
    planId: row.plan_id,
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  };
}

function viewOf(coverage: Coverage): CoverageView {
  return {
    id: coverage.id,
    memberId: coverage.memberId,
    planId: coverage.planId,
    effectiveFrom: dateTextOf(coverage.effectiveFrom),
    effectiveTo: coverage.effectiveTo ? dateTextOf(coverage.effectiveTo) : null,
    version: coverage.version,
    updatedAt: coverage.updatedAt.toISOString(),
  };
}

/** Locks the caller's member row (serializing its coverage changes); NotFound otherwise. */
async function lockMember(client: pg.PoolClient, payerOrgId: string, memberRowId: string) {
  const { rows } = await client.query(
    'SELECT id FROM members WHERE id = $1 AND payer_org_id = $2 FOR UPDATE',
    [memberRowId, payerOrgId],
  );
  if (rows.length === 0) throw new NotFound('member');
}

/** Checks the plan reference and that no other coverage of the member overlaps. */
async function checkCoverage(
  client: pg.PoolClient,
  payerOrgId: string,
  memberRowId: string,
  input: CoverageInput,
  exceptCoverageId: string | null,
): Promise<void> {
  const plan = await client.query('SELECT 1 FROM plans WHERE id = $1 AND payer_org_id = $2', [
    input.planId,
    payerOrgId,
  ]);
  if (plan.rows.length === 0) {
    throw new InvalidInput('invalid coverage', [
      { field: 'planId', message: 'no plan of yours has this id' },
    ]);
  }
  // Inclusive ranges [from, to], an open end being infinity.
  const { rows } = await client.query<CoverageRow>(
    `SELECT ${COVERAGE_COLUMNS} FROM coverages
      WHERE member_id = $1 AND ($2::uuid IS NULL OR id <> $2)
        AND effective_from <= COALESCE($4::date, 'infinity'::date)
        AND COALESCE(effective_to, 'infinity'::date) >= $3::date
      ORDER BY effective_from LIMIT 1`,
    [memberRowId, exceptCoverageId, input.effectiveFrom, input.effectiveTo],
  );
  const overlapping = rows[0];
  if (overlapping) {
    throw new Conflict(
      `overlaps coverage ${overlapping.id} (${overlapping.effective_from} to ${overlapping.effective_to ?? 'open end'}); a member's coverages must not overlap`,
    );
  }
}

async function appendCoverageSet(
  client: pg.PoolClient,
  payerOrgId: string,
  coverage: CoverageView,
  now: Date,
): Promise<void> {
  await appendEvents(
    client,
    [
      {
        type: 'CoverageSet',
        aggregateId: coverage.id,
        actorOrgId: payerOrgId,
        payload: {
          coverageId: coverage.id,
          payerOrgId,
          memberRowId: coverage.memberId,
          planId: coverage.planId,
          effectiveFrom: coverage.effectiveFrom,
          effectiveTo: coverage.effectiveTo,
          version: coverage.version,
        },
        partyOrgIds: [payerOrgId],
      },
    ],
    now,
  );
}

export async function addCoverage(
  database: Database,
  principal: Principal,
  memberRowId: string,
  input: CoverageInput,
): Promise<CoverageView> {
  const payerOrgId = payerOrgOf(principal);
  const now = new Date();
  return inTransaction(database.pool, async (client) => {
    await lockMember(client, payerOrgId, memberRowId);
    await checkCoverage(client, payerOrgId, memberRowId, input, null);
    const { rows } = await client.query<CoverageRow>(
      `INSERT INTO coverages (id, member_id, plan_id, effective_from, effective_to, version,
         updated_at)
       VALUES ($1, $2, $3, $4, $5, 1, $6)
       RETURNING ${COVERAGE_COLUMNS}`,
      [randomUUID(), memberRowId, input.planId, input.effectiveFrom, input.effectiveTo, now],
    );
    const coverage = viewOfRow(rows[0]!);
    await appendCoverageSet(client, payerOrgId, coverage, now);
    return coverage;
  });
}

/**
 * Replaces a coverage's plan and dates (e.g. sets effectiveTo to end it). Sending what is
 * already in force changes nothing: no new version, no event.
 */
export async function updateCoverage(
  database: Database,
  principal: Principal,
  coverageId: string,
  input: CoverageInput,
): Promise<CoverageView> {
  const payerOrgId = payerOrgOf(principal);
  const now = new Date();
  return inTransaction(database.pool, async (client) => {
    const owner = await client.query<{ member_id: string }>(
      `SELECT c.member_id FROM coverages c JOIN members m ON m.id = c.member_id
        WHERE c.id = $1 AND m.payer_org_id = $2`,
      [coverageId, payerOrgId],
    );
    const memberRowId = owner.rows[0]?.member_id;
    if (!memberRowId) throw new NotFound('coverage');
    await lockMember(client, payerOrgId, memberRowId);
    await checkCoverage(client, payerOrgId, memberRowId, input, coverageId);
    const { rows } = await client.query<CoverageRow>(
      `UPDATE coverages
          SET plan_id = $2, effective_from = $3, effective_to = $4, version = version + 1,
              updated_at = $5
        WHERE id = $1
          AND (plan_id, effective_from, effective_to)
              IS DISTINCT FROM ($2::uuid, $3::date, $4::date)
        RETURNING ${COVERAGE_COLUMNS}`,
      [coverageId, input.planId, input.effectiveFrom, input.effectiveTo, now],
    );
    const changed = rows[0];
    if (!changed) {
      const current = await client.query<CoverageRow>(
        `SELECT ${COVERAGE_COLUMNS} FROM coverages WHERE id = $1`,
        [coverageId],
      );
      return viewOfRow(current.rows[0]!);
    }
    const coverage = viewOfRow(changed);
    await appendCoverageSet(client, payerOrgId, coverage, now);
    return coverage;
  });
}

export async function listCoverages(
  database: Database,
  principal: Principal,
  memberRowId: string,
): Promise<{ coverages: CoverageView[] }> {
  const payerOrgId = payerOrgOf(principal);
  await requireOwnMember(database, payerOrgId, memberRowId);
  const coverages = await database.prisma.coverage.findMany({
    where: { memberId: memberRowId },
    orderBy: [{ effectiveFrom: 'asc' }, { id: 'asc' }],
    take: COVERAGES_LIST_MAX,
  });
  return { coverages: coverages.map(viewOf) };
}
