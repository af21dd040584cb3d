// What adjudication reads and writes of the claims area's tables: the submitted claims a batch
// takes (locked as they are taken), their lines, the statuses decisions and reversals leave, one
// claim locked for a failure, a person's review or a reversal, and the lines of a member's earlier
// claims in a paid status (what may make a line a duplicate). Adjudication decides; this module
// only reads and writes the claims' rows, each read set-based for a whole batch.
import type pg from 'pg';
import type { Queryable } from '../../infra/db.js';

/** A claim as adjudication reads it: what it is decided on and who it is between. */
export interface ClaimToDecide {
  id: string;
  provider_org_id: string;
  payer_org_id: string;
  member_id_index: string;
  received_date: string;
  frequency_code: string;
  original_claim_id: string | null;
  /** A dependent patient's index; null when the subscriber is the patient. */
  patient_index: string | null;
  payer_responsibility_code: 'P' | 'S' | 'T';
  prior_payers: PriorPayerRow[] | null;
}

/** What intake stored of an earlier payer (claims.prior_payers): only what coordination uses. */
export interface PriorPayerRow {
  paidAmount: string;
  lines: { lineNumber: number; paidAmount: string }[];
}

/** A claim's line as adjudication reads it. */
export interface ClaimLineRow {
  line_number: number;
  procedure_code: string;
  modifiers: string[] | null;
  units: string;
  charge_amount: string;
  service_date: string;
  service_date_to: string | null;
  unit_type: 'units' | 'minutes';
  /** REF*6R: the provider's own id of the line, which the 835 echoes. */
  line_control_number: string | null;
}

/** The columns of a ClaimToDecide, as selected from claims. */
const CLAIM_COLUMNS = `id, provider_org_id, payer_org_id, member_id_index, frequency_code,
  original_claim_id, to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS received_date,
  patient_index, payer_responsibility_code, prior_payers`;

/**
 * Which submitted claims to take: one by id, or at most `limit` of one share of the members
 * (SUBMITTED_CLAIMS_PICK), oldest first.
 */
export type SubmittedClaimsSelection =
  { claimId: string } | { limit: number; share: { index: number; count: number } };

/**
 * Takes submitted claims, each locked FOR UPDATE as it is read, inside the caller's transaction.
 * SKIP LOCKED: a claim another worker is deciding right now is simply not the caller's to decide.
 */
export async function takeSubmittedClaims(
  client: pg.PoolClient,
  selection: SubmittedClaimsSelection,
): Promise<ClaimToDecide[]> {
  if ('claimId' in selection) {
    const { rows } = await client.query<ClaimToDecide>(
      `SELECT ${CLAIM_COLUMNS} FROM claims
        WHERE id = $1 AND status = 'submitted' FOR UPDATE SKIP LOCKED`,
      [selection.claimId],
    );
    return rows;
  }
  await client.query(SUBMITTED_CLAIMS_PICK, [selection.share.count, selection.share.index]);
  const { rows } = await client.query<ClaimToDecide>(
    `FETCH ${selection.limit} FROM submitted_claims`,
  );
  await client.query('CLOSE submitted_claims');
  return rows;
}

/**
 * The submitted claims of share $2 of $1 shares of the members, oldest first, each locked as it
 * is fetched. This must walk claims_submitted_queue_idx in order and stop after a batch's worth.
 * The planner prices the share's filter at 0.5 % of the rows (it cannot know that a hash modulo
 * $1 keeps 1/$1 of them), so as `… LIMIT n` it expected the walk to find too few and chose to
 * read the whole backlog and sort it: 30 ms a batch at 60,000 claims waiting, 190 ms through
 * the status index while that one held submitted claims (migration 202612061000), slower the
 * longer the backlog. A cursor is planned for its first rows (cursor_tuple_fraction), which
 * is the ordered walk.
 */
export const SUBMITTED_CLAIMS_PICK = `
  DECLARE submitted_claims NO SCROLL CURSOR FOR
  SELECT ${CLAIM_COLUMNS} FROM claims
   WHERE status = 'submitted' AND mod(abs(hashtext(member_id_index)::bigint), $1) = $2
   ORDER BY submitted_at, id FOR UPDATE SKIP LOCKED`;

/**
 * Locks one claim FOR UPDATE (waiting for it) and reads it with its status; undefined when no
 * claim has the id, or when it is not in `where.status` or not addressed to `where.payerOrgId`.
 */
export async function lockClaim(
  client: pg.PoolClient,
  claimId: string,
  where: { status?: string; payerOrgId?: string } = {},
): Promise<(ClaimToDecide & { status: string }) | undefined> {
  const params: string[] = [claimId];
  const conditions = ['id = $1'];
  if (where.status !== undefined) {
    params.push(where.status);
    conditions.push(`status = $${params.length}`);
  }
  if (where.payerOrgId !== undefined) {
    params.push(where.payerOrgId);
    conditions.push(`payer_org_id = $${params.length}`);
  }
  const { rows } = await client.query<ClaimToDecide & { status: string }>(
    `SELECT ${CLAIM_COLUMNS}, status FROM claims WHERE ${conditions.join(' AND ')} FOR UPDATE`,
    params,
  );
  return rows[0];
}

/**
 * The lines of claims $1, each claim's in line order (a batch's to decide, a remittance's to
 * name): one probe of the primary key a claim. As
 * `claim_id = ANY($1)` the planner, with statistics lagging a load, read the whole of
 * claim_lines in parallel and sorted it for every batch (24 ms a batch on average over a
 * pipeline bench, growing with history; pg_stat_statements and auto_explain).
 */
export const CLAIM_LINES_SQL = `
  SELECT k.claim_id, l.line_number, l.procedure_code, l.modifiers, l.units::text AS units,
         l.charge_amount::text AS charge_amount, l.service_date::text AS service_date,
         l.service_date_to::text AS service_date_to, l.unit_type, l.line_control_number
    FROM unnest($1::uuid[]) AS k(claim_id)
    CROSS JOIN LATERAL (
      SELECT * FROM claim_lines l WHERE l.claim_id = k.claim_id ORDER BY l.line_number
    ) l`;

/** The lines of these claims, by claim id, each claim's in line order. */
export async function readLinesOf(
  db: Queryable,
  claimIds: readonly string[],
): Promise<Map<string, ClaimLineRow[]>> {
  const { rows } = await db.query<ClaimLineRow & { claim_id: string }>(CLAIM_LINES_SQL, [claimIds]);
  const byClaim = new Map<string, ClaimLineRow[]>();
  for (const { claim_id: claimId, ...line } of rows) {
    byClaim.set(claimId, [...(byClaim.get(claimId) ?? []), line]);
  }
  return byClaim;
}

/** One claim's lines, in line order. */
export async function readLinesOfClaim(db: Queryable, claimId: string): Promise<ClaimLineRow[]> {
  return (await readLinesOf(db, [claimId])).get(claimId) ?? [];
}

/**
 * Sets each claim's status (claim id to status), with one statement whatever their number: the
 * statuses decisions and reversals leave, and settled for the claims a batch pays.
 */
export async function setClaimStatuses(
  client: pg.PoolClient,
  statuses: ReadonlyMap<string, string>,
): Promise<void> {
  if (statuses.size === 0) return;
  await client.query(
    `UPDATE claims c SET status = v.status
       FROM unnest($1::uuid[], $2::text[]) AS v(id, status) WHERE c.id = v.id`,
    [[...statuses.keys()], [...statuses.values()]],
  );
}

/** The claims of one member's patient whose earlier lines a batch asks about. */
export interface PaidLinesQuestion {
  providerOrgId: string;
  payerOrgId: string;
  memberIdIndex: string;
  /** The dependent patient's index; null for the subscriber. */
  patientIndex: string | null;
  /** The procedure codes and service dates the batch's lines bill: no other line can match. */
  procedureCodes: string[];
  serviceDates: string[];
}

/** A line of an earlier claim in a paid status, answering question number `question`. */
export interface PaidClaimLine {
  question: number;
  claim_id: string;
  line_number: number;
  procedure_code: string;
  modifiers: string[] | null;
  service_date: string;
}

/**
 * For each question $1…$6 (provider, payer, member index, patient index, codes and dates joined
 * by commas), the lines of the earlier claims with the same provider, payer, member and patient
 * that were paid, in whole or in part (paid, partially_paid, settled), with one of the codes on
 * one of the dates: the lines a claim's lines may duplicate (whether the line itself was denied
 * is for adjudication to say, from its decision). Only the member's lines on the dates asked
 * about are read, from the index on (member blind index, service date): neither the member's
 * history nor the payer's other members are read for every batch.
 *
 * The plan is fixed by the query's shape, not left to statistics (which lag a load, and then
 * made the planner start from every claim of the provider or every paid claim: seconds a
 * batch): each question's lines come from the member's index, then each line's claim by its
 * primary key. OFFSET 0 keeps a lateral subquery from being flattened or given the outer
 * conditions, so neither can be planned another way.
 */
export const PAID_CLAIM_LINES_SQL = `
  SELECT (k.question - 1)::int AS question, l.claim_id, l.line_number, l.procedure_code,
         l.modifiers, l.service_date::text AS service_date
    FROM unnest($1::uuid[], $2::uuid[], $3::char(64)[], $4::char(64)[], $5::text[], $6::text[])
           WITH ORDINALITY
           AS k(provider_org_id, payer_org_id, member_id_index, patient_index, codes, dates,
                question)
    CROSS JOIN LATERAL (
      SELECT l.claim_id, l.line_number, l.procedure_code, l.modifiers, l.service_date
        FROM claim_lines l
       WHERE l.member_id_index = k.member_id_index
         AND l.service_date = ANY(string_to_array(k.dates, ',')::date[])
         AND l.procedure_code = ANY(string_to_array(k.codes, ','))
      OFFSET 0
    ) l
    CROSS JOIN LATERAL (
      SELECT c.payer_org_id, c.provider_org_id, c.patient_index, c.status
        FROM claims c WHERE c.id = l.claim_id
      OFFSET 0
    ) c
   WHERE c.payer_org_id = k.payer_org_id AND c.provider_org_id = k.provider_org_id
     AND c.patient_index IS NOT DISTINCT FROM k.patient_index
     AND c.status IN ('paid', 'partially_paid', 'settled')`;

/** PAID_CLAIM_LINES_SQL for these questions, in one statement; none asked, none read. */
export async function findPaidClaimLines(
  db: Queryable,
  questions: PaidLinesQuestion[],
): Promise<PaidClaimLine[]> {
  if (questions.length === 0) return [];
  const { rows } = await db.query<PaidClaimLine>(PAID_CLAIM_LINES_SQL, [
    questions.map((question) => question.providerOrgId),
    questions.map((question) => question.payerOrgId),
    questions.map((question) => question.memberIdIndex),
    questions.map((question) => question.patientIndex),
    questions.map((question) => question.procedureCodes.join(',')),
    questions.map((question) => question.serviceDates.join(',')),
  ]);
  return rows;
}

/** Each of these claims' status, by claim id (a claim that does not exist is left out). */
export async function claimStatusesOf(
  db: Queryable,
  claimIds: string[],
): Promise<Map<string, string>> {
  if (claimIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; status: string }>(
    'SELECT id, status FROM claims WHERE id = ANY($1::uuid[])',
    [claimIds],
  );
  return new Map(rows.map((row) => [row.id, row.status]));
}
