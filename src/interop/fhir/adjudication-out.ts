// A claim and its latest decision as FHIR R4 ClaimResponse and ExplanationOfBenefit. Pure: the
// caller reads the claim (getClaim) and the decision row. Every 835 adjustment (CAS) becomes one
// item.adjudication entry carrying its CARC in `reason` and its group (CO/PR/OA) in an extension,
// so charge = benefit + adjustments holds in FHIR exactly as in the remittance.
import type {
  ClaimResponse,
  ClaimResponseItem,
  ClaimResponseItemAdjudication,
  ClaimResponseProcessNote,
  ClaimResponseTotal,
  ExplanationOfBenefit,
} from '@medplum/fhirtypes';
import { Decimal } from 'decimal.js';
import {
  isDecided,
  type AdjudicatedLine,
  type Adjustment,
  type DecidedRecord,
  type DecisionRecord,
} from '../../domain/adjudication/types.js';
import {
  coverageOf,
  COVERAGE_ID,
  diagnosesOf,
  itemOf,
  organization,
  PATIENT_ID,
  patientOf,
  relatedOf,
  type ClaimForFhir,
} from './claim-out.js';
import {
  adjudicationCategory,
  adjustmentAdjudication,
  categoryNameOf,
  codeableConcept,
  moneyOf,
  professionalClaimType,
  system,
  type CategoryName,
} from './codes.js';

interface Entry {
  name: CategoryName;
  amount: string;
  adjudication: ClaimResponseItemAdjudication;
}

function amountEntry(name: CategoryName, amount: string): Entry {
  return {
    name,
    amount,
    adjudication: { category: { coding: [adjudicationCategory[name]] }, amount: moneyOf(amount) },
  };
}

function adjustmentEntry(adjustment: Adjustment): Entry {
  return {
    name: categoryNameOf(adjustment),
    amount: adjustment.amount,
    adjudication: adjustmentAdjudication(adjustment),
  };
}

function lineEntries(line: AdjudicatedLine): Entry[] {
  return [
    amountEntry('submitted', line.chargeAmount),
    amountEntry('eligible', line.allowedAmount),
    ...line.adjustments.map(adjustmentEntry),
    amountEntry('benefit', line.paidAmount),
  ];
}

/** Sums per category over every line. */
function sumsOf(entries: readonly Entry[]): Map<CategoryName, Decimal> {
  const sums = new Map<CategoryName, Decimal>();
  for (const { name, amount } of entries) {
    sums.set(name, (sums.get(name) ?? new Decimal(0)).plus(amount));
  }
  return sums;
}

/** One total per category present, in the fixed category order. */
function totalsOf(sums: ReadonlyMap<CategoryName, Decimal>): ClaimResponseTotal[] {
  return (Object.keys(adjudicationCategory) as CategoryName[]).flatMap((name) => {
    const sum = sums.get(name);
    return sum === undefined
      ? []
      : [{ category: { coding: [adjudicationCategory[name]] }, amount: moneyOf(sum.toFixed(2)) }];
  });
}

/** The decision must be of this claim and balance: a mismatch is a bug, never shown to a client. */
function assertDecisionFits(
  claim: ClaimForFhir,
  decision: DecidedRecord,
  sums: ReadonlyMap<CategoryName, Decimal>,
): void {
  const { lines, totals } = decision.result;
  const sumOf = (name: CategoryName) => sums.get(name) ?? new Decimal(0);
  const patientShare = sumOf('copay').plus(sumOf('deductible')).plus(sumOf('coinsurance'));
  const fits =
    lines.length === claim.serviceLines.length &&
    lines.every(
      (line, index) =>
        line.lineNumber === index + 1 &&
        new Decimal(line.chargeAmount).eq(claim.serviceLines[index]!.chargeAmount),
    ) &&
    sumOf('submitted').eq(totals.chargeAmount) &&
    sumOf('submitted').eq(claim.totalChargeAmount) &&
    sumOf('eligible').eq(totals.allowedAmount) &&
    sumOf('benefit').eq(totals.paidAmount) &&
    sumOf('benefit').eq(decision.paidAmount) &&
    sumOf('benefit').plus(sumOf('adjustment')).plus(patientShare).eq(totals.chargeAmount) &&
    new Decimal(totals.patientResponsibilityAmount).eq(decision.patientResponsibilityAmount);
  if (!fits) {
    throw new Error(`decision ${decision.id} does not fit claim ${claim.id} or does not balance`);
  }
}

/** RARCs as process notes, one per distinct code, numbered from 1; lines point at theirs. */
function remarkNotesOf(lines: readonly AdjudicatedLine[]) {
  const numbers = new Map<string, number>();
  for (const code of lines.flatMap((line) => line.remarkCodes)) {
    if (!numbers.has(code)) numbers.set(code, numbers.size + 1);
  }
  const notes: ClaimResponseProcessNote[] = [...numbers].map(([code, number]) => ({
    number,
    type: 'display',
    text: `Remark ${code} (${system.remittanceRemark})`,
  }));
  const noteNumbersOf = (line: AdjudicatedLine) =>
    line.remarkCodes.length > 0
      ? { noteNumber: line.remarkCodes.map((code) => numbers.get(code)!) }
      : {};
  return { notes, noteNumbersOf };
}

const dispositionOf: Record<string, string> = {
  paid: 'Paid',
  partially_paid: 'Partially paid: some lines were denied',
  denied: 'Denied',
};

/** What ClaimResponse and ExplanationOfBenefit say alike of a decided claim. */
function adjudicatedParts(claim: ClaimForFhir, decision: DecidedRecord) {
  const lineEntriesList = decision.result.lines.map(lineEntries);
  const sums = sumsOf(lineEntriesList.flat());
  assertDecisionFits(claim, decision, sums);
  const { notes, noteNumbersOf } = remarkNotesOf(decision.result.lines);
  return {
    adjudicationsOf: (index: number) => lineEntriesList[index]!.map((entry) => entry.adjudication),
    noteNumbersOf: (index: number) => noteNumbersOf(decision.result.lines[index]!),
    total: totalsOf(sums),
    payment: {
      type: codeableConcept({ system: system.paymentType, code: 'complete' }),
      amount: moneyOf(decision.result.totals.paidAmount),
    },
    disposition:
      reversalOf(claim) ?? dispositionOf[decision.result.status] ?? decision.result.status,
    ...(notes.length > 0 ? { processNote: notes } : {}),
  };
}

/** The resource's version is the decision's: it changes when the claim is decided again. */
function metaOf(claim: ClaimForFhir, decision: DecisionRecord | null) {
  return decision
    ? { versionId: decision.id, lastUpdated: decision.decidedAt }
    : { lastUpdated: claim.submittedAt };
}

/**
 * A decision reversed by a later replacement or void stays as it was, but no longer stands:
 * its resources are "cancelled" (R4 fm-status: the instance is no longer active).
 */
function reversalOf(claim: ClaimForFhir): string | undefined {
  if (claim.status === 'replaced') return 'Reversed: the claim was replaced by a later claim';
  if (claim.status === 'voided' && claim.frequencyCode !== '8')
    return 'Reversed: the claim was voided';
  return undefined;
}

function common(claim: ClaimForFhir, decision: DecisionRecord | null) {
  return {
    id: claim.id,
    meta: metaOf(claim, decision),
    contained: [patientOf(claim.member)],
    status: reversalOf(claim) === undefined ? ('active' as const) : ('cancelled' as const),
    type: professionalClaimType,
    use: 'claim' as const,
    patient: { reference: `#${PATIENT_ID}` },
    insurer: organization(claim.payerId),
  };
}

/**
 * The payer's answer to the claim. No decision yet, or a pended one: outcome "queued", no items.
 * Decided (paid, partially paid or denied): outcome "complete", since every line was adjudicated;
 * R4's "partial" means adjudication of some lines is still to come, which a decision never leaves.
 * A processed void has no decision of its own (it reverses its original's): "complete", no items.
 */
export function claimResponseOf(
  claim: ClaimForFhir,
  decision: DecisionRecord | null,
): ClaimResponse {
  const base = {
    resourceType: 'ClaimResponse' as const,
    ...common(claim, decision),
    requestor: organization(claim.providerId),
    request: { reference: `Claim/${claim.id}` },
  };
  if (!isDecided(decision)) {
    const voidDone = claim.frequencyCode === '8' && claim.status === 'voided';
    return {
      ...base,
      created: decision ? decision.decidedAt : claim.submittedAt,
      outcome: voidDone ? 'complete' : 'queued',
      disposition: voidDone
        ? "Void processed: the original claim's decision was reversed"
        : decision
          ? 'Pended for review by the payer'
          : 'Received; not yet adjudicated',
    };
  }
  const parts = adjudicatedParts(claim, decision);
  return {
    ...base,
    created: decision.decidedAt,
    outcome: 'complete',
    disposition: parts.disposition,
    item: claim.serviceLines.map((_, index): ClaimResponseItem => ({
      itemSequence: index + 1,
      ...parts.noteNumbersOf(index),
      adjudication: parts.adjudicationsOf(index),
    })),
    total: parts.total,
    payment: parts.payment,
    ...(parts.processNote ? { processNote: parts.processNote } : {}),
  };
}

/** The explanation of benefits of a decided claim: the claim's lines with their adjudication. */
export function explanationOfBenefitOf(
  claim: ClaimForFhir,
  decision: DecidedRecord,
): ExplanationOfBenefit {
  const parts = adjudicatedParts(claim, decision);
  const serviceDates = claim.serviceLines
    .flatMap((line) => [line.serviceDate, line.serviceDateTo ?? line.serviceDate])
    .sort();
  const base = common(claim, decision);
  return {
    resourceType: 'ExplanationOfBenefit',
    ...base,
    contained: [...base.contained, coverageOf(claim)],
    billablePeriod: { start: serviceDates[0]!, end: serviceDates[serviceDates.length - 1]! },
    created: decision.decidedAt,
    provider: organization(claim.providerId),
    ...relatedOf(claim),
    claim: { reference: `Claim/${claim.id}` },
    claimResponse: { reference: `ClaimResponse/${claim.id}` },
    outcome: 'complete',
    disposition: parts.disposition,
    diagnosis: diagnosesOf(claim.diagnosisCodes),
    insurance: [{ focal: true, coverage: { reference: `#${COVERAGE_ID}` } }],
    item: claim.serviceLines.map((line, index) => ({
      ...itemOf(line, index),
      ...parts.noteNumbersOf(index),
      adjudication: parts.adjudicationsOf(index),
    })),
    total: parts.total,
    payment: parts.payment,
    ...(parts.processNote ? { processNote: parts.processNote } : {}),
  };
}
