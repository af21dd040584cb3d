// A submitted claim as adjudication reads it through the claims area (claims/deciding.ts), and
// how its stored lines become the engine's input.
import type { ClaimLineRow, ClaimToDecide } from '../claims/index.js';
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

/** A claim as the claims area gives it to be decided. */
export type ClaimRow = ClaimToDecide;

/** A claim's line as the claims area gives it. */
export type LineRow = ClaimLineRow;

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
