// Adjudicating a stored claim: loads the claim, the member's coverage, plan, accumulators,
// prior authorizations and the payer's fee schedule and rules, runs the pure engine, and
// writes the decision, the claim's new status, the accumulators, the authorizations' used
// units and a ledger event in one transaction. Claim row first, then the family's accumulator
// row, then the member's, then authorizations (by id): one lock order, so concurrent claims of
// a member, or of two members of one family, queue up instead of double-counting or deadlocking.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction, type Database } from '../../infra/db.js';
import { appendEvents } from '../../ledger/append.js';
import { claimDecisionPostings, postJournalEntry } from '../accounts/journal.js';
import { feeScheduleTermsOf } from '../payers/fee-schedule.js';
import { adjudicationRulesOf } from '../payers/rules.js';
import { planTermsOf } from '../payers/plans.js';
import { inForceOn, readAppliedCoverages } from '../payers/coverages.js';
import { sha256Hex } from '../../ledger/hash.js';
import { lockAuthorizationsOf, moveAuthorizationUnits } from '../payers/prior-authorizations.js';
import { adjudicate, lineKeyOf, planYearOf } from './engine.js';
import {
  findClaimPatient,
  lockFamilyAccumulators,
  saveFamilyAccumulators,
  type ClaimPatient,
} from './family.js';
import { reverseOriginal, type Reversal } from './reversal.js';
import type {
  AdjudicationInput,
  AdjudicationResult,
  Coordination,
  Coverage,
  DecidedAdjudication,
  Plan,
} from './types.js';

/**
 * The plan used when the member has no coverage at all: every line is denied CO-31 first. It
 * has no accumulators (they are kept per member and real plan), so none are locked or saved.
 */
export const NO_PLAN: Plan = {
  planId: 'none',
  deductibleAmount: '0.00',
  outOfPocketMaxAmount: '0.00',
  copayAmount: '0.00',
  coinsurancePercent: '0',
  planYearStartMonth: 1,
};

export type AdjudicationOutcome =
  | { status: 'skipped' }
  | { status: 'voided'; originalClaimId: string; recoupmentAmount: string }
  | { status: 'pended' | 'paid' | 'partially_paid' | 'denied'; decisionId: string };

export interface ClaimRow {
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
interface PriorPayerRow {
  paidAmount: string;
  lines: { lineNumber: number; paidAmount: string }[];
}

export interface LineRow {
  line_number: number;
  procedure_code: string;
  modifiers: string[] | null;
  units: string;
  charge_amount: string;
  service_date: string;
  service_date_to: string | null;
  unit_type: 'units' | 'minutes';
}

/** Versions of every piece of configuration a decision used, so it can be explained later. */
interface ConfigVersions {
  plan: { id: string; version: number } | null;
  coverages: { id: string; version: number }[];
  payerRules: number | null;
  feeSchedule: { procedureCode: string; modifier: string; version: number }[];
}

/**
 * Adjudicates a submitted claim. Returns skipped when the claim is no longer waiting (already
 * decided, or being decided by another worker right now), which makes a retried or duplicated
 * job harmless.
 */
export async function adjudicateClaim(
  database: Database,
  claimId: string,
): Promise<AdjudicationOutcome> {
  return inTransaction(database.pool, async (client) => {
    const claim = await lockSubmittedClaim(client, claimId);
    if (!claim) return { status: 'skipped' };
    if (claim.original_claim_id !== null) {
      const reversal = await reverseOriginal(client, {
        ...claim,
        original_claim_id: claim.original_claim_id,
      });
      if (reversal.kind === 'already-ended') {
        const reason = `the original claim ${reversal.originalClaimId} is already ${reversal.originalStatus}`;
        return recordDecision(
          client,
          claim,
          { outcome: 'pend', pendReasons: [reason] },
          {},
          'auto',
        );
      }
      if (claim.frequency_code === '8') return recordVoid(client, claim, reversal);
    }
    const lines = await readLines(client, claimId);
    const patient = await findClaimPatient(client, claim);
    const member = patient?.memberRowId;
    const coverages = patient ? await readPatientCoverages(client, patient) : [];
    const plan = await planFor(client, coverages, lines);
    const planYear = planYearOf(earliestServiceDate(lines), plan.plan.planYearStartMonth);
    const familyAccumulators =
      patient && plan.plan.planId !== NO_PLAN.planId
        ? await lockFamilyAccumulators(client, patient.familyRowId, plan.plan.planId, planYear)
        : undefined;
    const accumulators = member
      ? await lockAccumulators(client, member, plan.plan.planId, planYear)
      : { planYear, deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' };
    const feeSchedule = await feeScheduleTermsOf(
      client,
      claim.payer_org_id,
      lines.map((line) => line.procedure_code),
    );
    const authorizations = member ? await lockAuthorizationsOf(client, member, claim) : [];
    const rules = await adjudicationRulesOf(client, claim.payer_org_id);
    const input: AdjudicationInput = {
      claim: {
        receivedDate: claim.received_date,
        lines: lines.map(toEngineLine),
        ...coordinationOf(claim),
      },
      previouslyAdjudicatedLineKeys: member ? await paidLineKeys(client, claim) : new Set<string>(),
      plan: plan.plan,
      coverages: coverages.map((coverage) => coverage.coverage),
      feeSchedule: feeSchedule.entries,
      priorAuthorizations: authorizations,
      accumulators,
      ...(familyAccumulators ? { familyAccumulators } : {}),
      payerRules: rules.rules,
    };
    const result = adjudicate(input);
    const versions: ConfigVersions = {
      plan: plan.version,
      coverages: coverages.map(({ id, version }) => ({ id, version })),
      payerRules: rules.version,
      feeSchedule: feeSchedule.versions,
    };
    if (result.outcome === 'decided' && patient) {
      await saveFamilyAccumulators(client, patient.familyRowId, result);
      await saveAccumulators(client, patient.memberRowId, result);
      await moveAuthorizationUnits(client, result.priorAuthorizationUnitsUsed, 1);
    }
    return recordDecision(client, claim, result, versions, 'auto');
  });
}

export const CLAIM_COLUMNS = `id, provider_org_id, payer_org_id, member_id_index, frequency_code,
  original_claim_id, to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS received_date,
  patient_index, payer_responsibility_code, prior_payers`;

/** A secondary or tertiary claim's earlier payments, as the engine coordinates them. */
function coordinationOf(claim: ClaimRow): { coordination?: Coordination } {
  if (claim.payer_responsibility_code === 'P' || !claim.prior_payers) return {};
  return {
    coordination: {
      payerResponsibilityCode: claim.payer_responsibility_code,
      priorPayments: claim.prior_payers.map((payer) => ({
        paidAmount: payer.paidAmount,
        lines: payer.lines.map(({ lineNumber, paidAmount }) => ({ lineNumber, paidAmount })),
      })),
    },
  };
}

async function lockSubmittedClaim(
  client: pg.PoolClient,
  claimId: string,
): Promise<ClaimRow | undefined> {
  // SKIP LOCKED: a claim another worker is deciding right now is simply not ours to decide.
  const { rows } = await client.query<ClaimRow>(
    `SELECT ${CLAIM_COLUMNS} FROM claims
      WHERE id = $1 AND status = 'submitted' FOR UPDATE SKIP LOCKED`,
    [claimId],
  );
  return rows[0];
}

export async function readLines(client: pg.PoolClient, claimId: string): Promise<LineRow[]> {
  const { rows } = await client.query<LineRow>(
    `SELECT line_number, procedure_code, modifiers, units::text AS units,
            charge_amount::text AS charge_amount, service_date::text AS service_date,
            service_date_to::text AS service_date_to, unit_type
       FROM claim_lines WHERE claim_id = $1 ORDER BY line_number`,
    [claimId],
  );
  return rows;
}

function toEngineLine(line: LineRow) {
  return {
    lineNumber: line.line_number,
    procedureCode: line.procedure_code,
    modifiers: line.modifiers ?? [],
    // NUMERIC(10,3) prints three decimals ("1.000"); the engine wants the plain decimal.
    units: line.units.replace(/\.?0+$/, ''),
    chargeAmount: line.charge_amount,
    serviceDate: line.service_date,
    // Only when they say something, so that the input of an everyday line stays as it was.
    ...(line.service_date_to === null ? {} : { serviceDateTo: line.service_date_to }),
    ...(line.unit_type === 'minutes' ? { unitType: line.unit_type } : {}),
  };
}

export function earliestServiceDate(lines: LineRow[]): string {
  return lines.map((line) => line.service_date).sort()[0]!;
}

/** The row of the member the claim is for (the subscriber or a dependent), if the payer knows them. */
export async function findMember(
  client: pg.PoolClient,
  claim: ClaimRow,
): Promise<string | undefined> {
  return (await findClaimPatient(client, claim))?.memberRowId;
}

/** The patient's coverages, by the rule eligibility answers with too (readAppliedCoverages). */
export async function readPatientCoverages(
  client: pg.PoolClient,
  patient: ClaimPatient,
): Promise<StoredCoverage[]> {
  const coverages = await readAppliedCoverages(client, patient);
  return coverages.map(({ id, version, planId, effectiveFrom, effectiveTo }) => ({
    id,
    version,
    coverage: { planId, effectiveFrom, effectiveTo },
  }));
}

export interface StoredCoverage {
  id: string;
  version: number;
  coverage: Coverage;
}

/** The plan of the coverage in force on the earliest service date (else the latest one). */
export async function planFor(
  client: pg.PoolClient,
  coverages: StoredCoverage[],
  lines: LineRow[],
): Promise<{ plan: Plan; version: { id: string; version: number } | null }> {
  const date = earliestServiceDate(lines);
  const inForce =
    coverages.find(({ coverage }) => inForceOn(coverage, date)) ?? coverages[coverages.length - 1];
  if (!inForce) return { plan: NO_PLAN, version: null };
  return planTermsOf(client, inForce.coverage.planId);
}

export async function lockAccumulators(
  client: pg.PoolClient,
  memberId: string,
  planId: string,
  planYear: string,
) {
  if (planId === NO_PLAN.planId) {
    return { planYear, deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' };
  }
  await client.query(
    `INSERT INTO accumulators (member_id, plan_id, plan_year, deductible_met_amount,
       out_of_pocket_met_amount, updated_at)
     VALUES ($1, $2, $3, 0, 0, now()) ON CONFLICT DO NOTHING`,
    [memberId, planId, planYear],
  );
  const { rows } = await client.query<{ deductible: string; out_of_pocket: string }>(
    `SELECT deductible_met_amount::text AS deductible, out_of_pocket_met_amount::text AS out_of_pocket
       FROM accumulators WHERE member_id = $1 AND plan_id = $2 AND plan_year = $3 FOR UPDATE`,
    [memberId, planId, planYear],
  );
  return {
    planYear,
    deductibleMetAmount: rows[0]!.deductible,
    outOfPocketMetAmount: rows[0]!.out_of_pocket,
  };
}

/** Line keys of the member's earlier claims with this provider whose lines were not denied. */
async function paidLineKeys(client: pg.PoolClient, claim: ClaimRow): Promise<Set<string>> {
  const { rows } = await client.query<{
    procedure_code: string;
    modifiers: string[] | null;
    service_date: string;
  }>(
    `SELECT l.procedure_code, l.modifiers, l.service_date::text AS service_date
       FROM claims c
       JOIN claim_lines l ON l.claim_id = c.id
       JOIN LATERAL (
         SELECT result FROM claim_decisions d WHERE d.claim_id = c.id
          ORDER BY decided_at DESC LIMIT 1
       ) d ON true
      WHERE c.provider_org_id = $1 AND c.payer_org_id = $2 AND c.member_id_index = $3
        AND c.patient_index IS NOT DISTINCT FROM $5
        AND c.id <> $4 AND c.status IN ('paid', 'partially_paid')
        AND EXISTS (
          SELECT 1 FROM jsonb_array_elements(d.result->'lines') decided
           WHERE (decided->>'lineNumber')::int = l.line_number
             AND (decided->>'denied')::boolean = false
        )`,
    [
      claim.provider_org_id,
      claim.payer_org_id,
      claim.member_id_index,
      claim.id,
      claim.patient_index,
    ],
  );
  return new Set(
    rows.map((row) =>
      lineKeyOf({
        procedureCode: row.procedure_code,
        modifiers: row.modifiers ?? [],
        serviceDate: row.service_date,
      }),
    ),
  );
}

export async function saveAccumulators(
  client: pg.PoolClient,
  memberId: string,
  result: DecidedAdjudication,
): Promise<void> {
  if (result.planId === NO_PLAN.planId) return;
  const after = result.accumulatorsAfter;
  await client.query(
    `UPDATE accumulators SET deductible_met_amount = $4, out_of_pocket_met_amount = $5,
            updated_at = now()
      WHERE member_id = $1 AND plan_id = $2 AND plan_year = $3`,
    [
      memberId,
      result.planId,
      after.planYear,
      after.deductibleMetAmount,
      after.outOfPocketMetAmount,
    ],
  );
}

/** A void claim ends as voided itself; its original was reversed by reverseOriginal. */
async function recordVoid(
  client: pg.PoolClient,
  claim: ClaimRow,
  reversal: Exclude<Reversal, { kind: 'already-ended' }>,
): Promise<AdjudicationOutcome> {
  const recoupmentAmount = reversal.kind === 'reversed' ? reversal.recoupmentAmount : '0.00';
  await client.query("UPDATE claims SET status = 'voided' WHERE id = $1", [claim.id]);
  await appendEvents(client, [
    {
      type: 'ClaimVoided',
      aggregateId: claim.id,
      actorOrgId: claim.payer_org_id,
      payload: { claimId: claim.id, originalClaimId: reversal.originalClaimId, recoupmentAmount },
      partyOrgIds: [claim.provider_org_id, claim.payer_org_id],
    },
  ]);
  return { status: 'voided', originalClaimId: reversal.originalClaimId, recoupmentAmount };
}

/** Writes the decision row, the claim's status and the ledger event (no PHI in it). */
export async function recordDecision(
  client: pg.PoolClient,
  claim: Pick<ClaimRow, 'id' | 'provider_org_id' | 'payer_org_id'>,
  result: AdjudicationResult,
  versions: unknown,
  decidedBy: string,
  note?: string,
): Promise<AdjudicationOutcome> {
  const decisionId = randomUUID();
  const eventId = randomUUID();
  const decidedAt = new Date();
  const status = result.outcome === 'pend' ? 'pended' : result.status;
  const paid = result.outcome === 'pend' ? '0.00' : result.totals.paidAmount;
  const patient = result.outcome === 'pend' ? '0.00' : result.totals.patientResponsibilityAmount;
  await client.query(
    `INSERT INTO claim_decisions (id, claim_id, decided_at, decided_by, status, paid_amount,
       patient_responsibility_amount, result, config_versions, ledger_event_id, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      decisionId,
      claim.id,
      decidedAt,
      decidedBy,
      status,
      paid,
      patient,
      JSON.stringify(result),
      JSON.stringify(versions),
      eventId,
      note ?? null,
    ],
  );
  await client.query('UPDATE claims SET status = $2 WHERE id = $1', [claim.id, status]);
  await postJournalEntry(client, {
    kind: 'claim_decision',
    claimId: claim.id,
    ledgerEventId: eventId,
    createdAt: decidedAt,
    postings: claimDecisionPostings(claim.provider_org_id, claim.payer_org_id, paid, patient),
  });
  await appendEvents(
    client,
    [
      {
        id: eventId,
        type: result.outcome === 'pend' ? 'ClaimPended' : 'ClaimAdjudicated',
        aggregateId: claim.id,
        actorOrgId: claim.payer_org_id,
        payload: decisionPayload(claim.id, decisionId, decidedBy, result, versions, note),
        partyOrgIds: [claim.provider_org_id, claim.payer_org_id],
      },
    ],
    decidedAt,
  );
  return { status, decisionId };
}

function decisionPayload(
  claimId: string,
  decisionId: string,
  decidedBy: string,
  result: AdjudicationResult,
  versions: unknown,
  note: string | undefined,
) {
  const common = {
    claimId,
    decisionId,
    decidedBy,
    configVersions: JSON.parse(JSON.stringify(versions)) as never,
    // The note is free text a person wrote and may name the patient: the ledger holds its hash.
    ...(note === undefined ? {} : { noteSha256: sha256Hex(note) }),
  };
  if (result.outcome === 'pend') return { ...common, pendReasons: result.pendReasons };
  return {
    ...common,
    status: result.status,
    totals: { ...result.totals },
    lines: result.lines.map((line) => ({
      lineNumber: line.lineNumber,
      paidAmount: line.paidAmount,
      adjustments: line.adjustments.map((adjustment) => ({ ...adjustment })),
      remarkCodes: line.remarkCodes,
      rulesFired: line.rulesFired,
    })),
  };
}
