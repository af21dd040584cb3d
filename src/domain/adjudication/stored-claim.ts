// A submitted claim as adjudication reads it from the claims area's tables, and how its stored
// lines become the engine's input.
import { inForceOn } from '../payers/index.js';
import type { Coordination, Coverage, Plan } from './types.js';

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

export const CLAIM_COLUMNS = `id, provider_org_id, payer_org_id, member_id_index, frequency_code,
  original_claim_id, to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS received_date,
  patient_index, payer_responsibility_code, prior_payers`;

/** A secondary or tertiary claim's earlier payments, as the engine coordinates them. */
export function coordinationOf(claim: ClaimRow): { coordination?: Coordination } {
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

export function toEngineLine(line: LineRow) {
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

/** A coverage as a decision names it (id and version) with its terms. */
export interface StoredCoverage {
  id: string;
  version: number;
  coverage: Coverage;
}

/** The plan of the coverage in force on the earliest service date (else the latest one). */
export function planIdFor(
  coverages: readonly StoredCoverage[],
  lines: LineRow[],
): string | undefined {
  const date = earliestServiceDate(lines);
  const inForce =
    coverages.find(({ coverage }) => inForceOn(coverage, date)) ?? coverages[coverages.length - 1];
  return inForce?.coverage.planId;
}
