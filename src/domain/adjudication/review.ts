// Manual review: pended claims wait in the payer's queue until a person decides them line
// by line with 835 group and reason codes and a note. The decision goes through the same
// recording path as an automatic one (decision row, claim status, accumulators, a ledger
// event naming the person's API key), so everything downstream treats both alike.
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { Database } from '../../infra/db.js';
import { inTransaction } from '../../infra/db.js';
import { Conflict, Forbidden, InvalidInput, NotFound } from '../../infra/errors.js';
import { lockClaim, paramAfter, pendedClaimsOf, readLinesOfClaim } from '../claims/index.js';
import { moneyAmount } from '../claims/schema.js';
import type { Principal } from '../organizations.js';
import { findClaimPatient } from '../payers/index.js';
import { parseOrThrow, text } from '../validation.js';
import { latestOfEachClaim } from './decisions.js';
import { planYearOf } from './engine.js';
import { lockFamilyAccumulators, saveFamilyAccumulators } from './family.js';
import {
  earliestServiceDate,
  lockAccumulators,
  planFor,
  readPatientCoverages,
  recordDecision,
  saveAccumulators,
  type AdjudicationOutcome,
  type LineRow,
} from './service.js';
import type { AdjudicatedLine, Adjustment, DecidedAdjudication } from './types.js';

const NOTE_LENGTH_MAX = 2_000;

export const manualDecisionSchema = z.strictObject({
  // The one free text of several lines: line breaks and tabs are the note's own.
  note: text(NOTE_LENGTH_MAX, { lineBreaks: true }),
  lines: z
    .array(
      z.strictObject({
        lineNumber: z.number().int().min(1).max(50),
        adjustments: z
          .array(
            z.strictObject({
              group: z.enum(['CO', 'PR', 'OA']),
              reasonCode: z.string().regex(/^[A-Z0-9]{1,5}$/, 'must be a CARC code such as "45"'),
              amount: moneyAmount,
            }),
          )
          .max(10),
        remarkCodes: z
          .array(z.string().regex(/^[A-Z]{1,2}\d{1,4}$/, 'must be a RARC code such as "N130"'))
          .max(5)
          .default([]),
      }),
    )
    .min(1)
    .max(50),
});

export type ManualDecision = z.output<typeof manualDecisionSchema>;

function requirePayer(principal: Principal): void {
  if (principal.orgKind !== 'payer') throw new Forbidden('only a payer reviews claims');
}

export interface ReviewItem {
  claimId: string;
  providerId: string;
  totalChargeAmount: string;
  submittedAt: string;
  pendedAt: string;
  pendReasons: string[];
}

/** The payer's pended claims, oldest first. */
export async function listReviewQueue(
  database: Database,
  principal: Principal,
  limit: number,
): Promise<ReviewItem[]> {
  requirePayer(principal);
  // Which claims are pended is the claims area's to say; when and why each was, this area's: its
  // latest decision, one probe of the decisions' claim index a claim; the oldest first.
  const pended = pendedClaimsOf(principal.orgId);
  const { rows } = await database.pool.query<{
    claim_id: string;
    provider_org_id: string;
    total_charge_amount: string;
    submitted_at: Date;
    decided_at: Date;
    reasons: string[] | null;
  }>(
    `SELECT d.claim_id, d.provider_org_id, d.total_charge_amount, d.submitted_at, d.decided_at,
            ARRAY(SELECT jsonb_array_elements_text(d.result->'pendReasons')) AS reasons
       FROM (${latestOfEachClaim('decided_at, result', pended)}) d
      ORDER BY d.decided_at, d.claim_id LIMIT ${paramAfter(pended, 1)}`,
    [...pended.values, limit],
  );
  return rows.map((row) => ({
    claimId: row.claim_id,
    providerId: row.provider_org_id,
    totalChargeAmount: row.total_charge_amount,
    submittedAt: row.submitted_at.toISOString(),
    pendedAt: row.decided_at.toISOString(),
    pendReasons: row.reasons ?? [],
  }));
}

/** Decides a pended claim of the caller's payer, line by line. */
export async function decidePendedClaim(
  database: Database,
  principal: Principal,
  claimId: string,
  body: unknown,
): Promise<AdjudicationOutcome> {
  requirePayer(principal);
  const decision = parseOrThrow(manualDecisionSchema, body, 'decision');
  return inTransaction(database.pool, async (client) => {
    const claim = await lockClaim(client, claimId, { payerOrgId: principal.orgId });
    if (!claim) throw new NotFound('claim');
    if (claim.status !== 'pended') {
      throw new Conflict(
        `the claim is ${claim.status}, not pended; only pended claims are reviewed`,
      );
    }
    const lines = await readLinesOfClaim(client, claimId);
    const decidedLines = decideLines(lines, decision);
    const patient = await findClaimPatient(client, claim);
    const member = patient?.memberRowId;
    const { plan, version } = await planFor(
      client,
      patient ? await readPatientCoverages(client, patient) : [],
      lines,
    );
    const planYear = planYearOf(earliestServiceDate(lines), plan.planYearStartMonth);
    // The same lock order as automatic adjudication: claim, family, member.
    const family =
      patient && plan.planId !== 'none'
        ? await lockFamilyAccumulators(client, patient.familyRowId, plan.planId, planYear)
        : undefined;
    const before = member
      ? await lockAccumulators(client, member, plan.planId, planYear)
      : { planYear, deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' };
    const result = decidedResult(decidedLines, plan.planId, before, plan);
    if (family) result.familyAccumulatorsAfter = familyAfter(result, family, plan);
    if (patient) {
      await saveFamilyAccumulators(client, patient.familyRowId, result);
      await saveAccumulators(client, patient.memberRowId, result);
    }
    return recordDecision(
      client,
      claim,
      result,
      { plan: version, manual: true },
      principal.keyId,
      decision.note,
    );
  });
}

/** Each line of the claim exactly once; charge = paid + adjustments, paid never negative. */
function decideLines(lines: LineRow[], decision: ManualDecision): AdjudicatedLine[] {
  const byNumber = new Map(decision.lines.map((line, index) => [line.lineNumber, { line, index }]));
  const problems = lines
    .filter((line) => !byNumber.has(line.line_number))
    .map((line) => ({ field: 'lines', message: `line ${line.line_number} has no decision` }));
  decision.lines.forEach((line, index) => {
    if (!lines.some((stored) => stored.line_number === line.lineNumber)) {
      problems.push({ field: `lines[${index}].lineNumber`, message: 'the claim has no such line' });
    }
  });
  if (byNumber.size !== decision.lines.length) {
    problems.push({ field: 'lines', message: 'a line is decided twice' });
  }
  if (problems.length > 0) throw new InvalidInput('invalid decision', problems);
  return lines.map((stored) => {
    const { line, index } = byNumber.get(stored.line_number)!;
    const charge = new Decimal(stored.charge_amount);
    const sum = (groups: Adjustment['group'][]) =>
      line.adjustments
        .filter((adjustment) => groups.includes(adjustment.group))
        .reduce((total, adjustment) => total.plus(adjustment.amount), new Decimal(0));
    const paid = charge.minus(sum(['CO', 'PR', 'OA']));
    if (paid.isNegative()) {
      throw new InvalidInput('invalid decision', [
        {
          field: `lines[${index}].adjustments`,
          message: `adjustments exceed the charge ${charge.toFixed(2)}`,
        },
      ]);
    }
    const patient = sum(['PR']);
    return {
      lineNumber: stored.line_number,
      chargeAmount: charge.toFixed(2),
      allowedAmount: charge.minus(sum(['CO', 'OA'])).toFixed(2),
      paidAmount: paid.toFixed(2),
      patientResponsibilityAmount: patient.toFixed(2),
      adjustments: line.adjustments.map((adjustment) => ({
        ...adjustment,
        amount: new Decimal(adjustment.amount).toFixed(2),
      })),
      remarkCodes: line.remarkCodes,
      rulesFired: ['manual-review'],
      denied: paid.isZero() && patient.isZero(),
    };
  });
}

/** The family's accumulators after a reviewed decision; PR may not pass the family's limits. */
function familyAfter(
  result: DecidedAdjudication,
  family: { planYear: string; deductibleMetAmount: string; outOfPocketMetAmount: string },
  plan: { familyDeductibleAmount?: string | null; familyOutOfPocketMaxAmount?: string | null },
) {
  const patientAdjustments = result.lines
    .flatMap((line) => line.adjustments)
    .filter((adjustment) => adjustment.group === 'PR');
  const sum = (amounts: { amount: string }[]) =>
    amounts.reduce((total, adjustment) => total.plus(adjustment.amount), new Decimal(0));
  const deductible = sum(patientAdjustments.filter((each) => each.reasonCode === '1')).plus(
    family.deductibleMetAmount,
  );
  const outOfPocket = sum(patientAdjustments).plus(family.outOfPocketMetAmount);
  const problems = [];
  if (plan.familyDeductibleAmount && deductible.gt(plan.familyDeductibleAmount)) {
    problems.push({
      field: 'lines',
      message: `PR-1 would take the family deductible past ${plan.familyDeductibleAmount}`,
    });
  }
  if (plan.familyOutOfPocketMaxAmount && outOfPocket.gt(plan.familyOutOfPocketMaxAmount)) {
    problems.push({
      field: 'lines',
      message: `patient responsibility would pass the family out-of-pocket maximum ${plan.familyOutOfPocketMaxAmount}`,
    });
  }
  if (problems.length > 0) throw new InvalidInput('invalid decision', problems);
  return {
    planYear: family.planYear,
    deductibleMetAmount: deductible.toFixed(2),
    outOfPocketMetAmount: outOfPocket.toFixed(2),
  };
}

function decidedResult(
  lines: AdjudicatedLine[],
  planId: string,
  before: { planYear: string; deductibleMetAmount: string; outOfPocketMetAmount: string },
  plan: { deductibleAmount: string; outOfPocketMaxAmount: string },
): DecidedAdjudication {
  const total = (pick: (line: AdjudicatedLine) => string) =>
    lines.reduce((sum, line) => sum.plus(pick(line)), new Decimal(0));
  const deductible = lines
    .flatMap((line) => line.adjustments)
    .filter((adjustment) => adjustment.group === 'PR' && adjustment.reasonCode === '1')
    .reduce((sum, adjustment) => sum.plus(adjustment.amount), new Decimal(0));
  const patient = total((line) => line.patientResponsibilityAmount);
  const deductibleAfter = deductible.plus(before.deductibleMetAmount);
  const outOfPocketAfter = patient.plus(before.outOfPocketMetAmount);
  const problems = [];
  if (planId !== 'none' && deductibleAfter.gt(plan.deductibleAmount)) {
    problems.push({
      field: 'lines',
      message: `PR-1 would take the deductible past ${plan.deductibleAmount}`,
    });
  }
  if (planId !== 'none' && outOfPocketAfter.gt(plan.outOfPocketMaxAmount)) {
    problems.push({
      field: 'lines',
      message: `patient responsibility would pass the out-of-pocket maximum ${plan.outOfPocketMaxAmount}`,
    });
  }
  if (problems.length > 0) throw new InvalidInput('invalid decision', problems);
  const denied = lines.filter((line) => line.denied).length;
  return {
    outcome: 'decided',
    status: denied === lines.length ? 'denied' : denied > 0 ? 'partially_paid' : 'paid',
    lines,
    totals: {
      chargeAmount: total((line) => line.chargeAmount).toFixed(2),
      allowedAmount: total((line) => line.allowedAmount).toFixed(2),
      paidAmount: total((line) => line.paidAmount).toFixed(2),
      patientResponsibilityAmount: patient.toFixed(2),
      adjustmentAmount: total((line) =>
        line.adjustments
          .reduce((sum, adjustment) => sum.plus(adjustment.amount), new Decimal(0))
          .toFixed(2),
      ).toFixed(2),
    },
    accumulatorsAfter: {
      planYear: before.planYear,
      deductibleMetAmount: deductibleAfter.toFixed(2),
      outOfPocketMetAmount: outOfPocketAfter.toFixed(2),
    },
    priorAuthorizationUnitsUsed: [],
    planId,
    planYear: before.planYear,
  };
}
