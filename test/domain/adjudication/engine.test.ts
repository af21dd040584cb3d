// Automatic adjudication, worked by hand: every expected amount below is derived in the comment
// beside it from the plan, fee schedule and accumulators at the top of this file.
import { describe, expect, it } from 'vitest';
import {
  adjudicate,
  formatAdjustments,
  lineKeyOf,
  planYearOf,
  type AdjudicatedLine,
  type AdjudicationInput,
  type Coverage,
  type DecidedAdjudication,
  type FeeScheduleEntry,
  type PriorAuthorization,
  type ServiceLineToAdjudicate,
} from '../../../src/domain/adjudication/engine.js';
import { InvalidInput } from '../../../src/infra/errors.js';

// Plan GOLD: deductible 500.00, out-of-pocket maximum 3000.00, copay 25.00, coinsurance 20 %,
// calendar plan year. The member is covered from 2026-01-01 with no end.
const plan = {
  planId: 'GOLD',
  deductibleAmount: '500.00',
  outOfPocketMaxAmount: '3000.00',
  copayAmount: '25.00',
  coinsurancePercent: '20',
  planYearStartMonth: 1,
};
const coveredFrom2026: Coverage[] = [
  { planId: 'GOLD', effectiveFrom: '2026-01-01', effectiveTo: null },
];

function fee(
  procedureCode: string,
  allowedAmount: string,
  options: Partial<FeeScheduleEntry> = {},
): FeeScheduleEntry {
  return {
    procedureCode,
    modifier: null,
    allowedAmount,
    covered: true,
    priorAuthRequired: false,
    copayApplies: false,
    ...options,
  };
}

// Allowed amounts are per unit.
const feeSchedule: FeeScheduleEntry[] = [
  fee('99213', '100.00', { copayApplies: true }), // office visit
  fee('99213', '95.00', { modifier: '25', copayApplies: true }), // office visit, same day as a procedure
  fee('80053', '40.00'), // metabolic panel
  fee('80048', '10.05'), // basic metabolic panel (for the half-cent coinsurance)
  fee('29881', '1500.00'), // knee arthroscopy
  fee('97110', '35.00'), // therapeutic exercise, per 15 minutes
  fee('J1885', '4.01'), // ketorolac, per 15 mg
  fee('73721', '600.00', { priorAuthRequired: true }), // MRI of a lower-extremity joint
  fee('J9035', '70.00', { priorAuthRequired: true }), // bevacizumab, per 10 mg
  fee('97810', '60.00', { covered: false }), // acupuncture: not a benefit of the plan
];

type LineDraft = Partial<ServiceLineToAdjudicate> & Pick<ServiceLineToAdjudicate, 'procedureCode'>;

/** Lines on 2026-03-02, 1 unit, no modifiers, numbered 1, 2, ... unless the draft says otherwise. */
function inputOf(
  drafts: LineDraft[],
  overrides: Partial<Omit<AdjudicationInput, 'claim'>> & { receivedDate?: string } = {},
): AdjudicationInput {
  const { receivedDate = '2026-03-20', ...rest } = overrides;
  return {
    claim: {
      receivedDate,
      lines: drafts.map((draft, index) => ({
        lineNumber: index + 1,
        modifiers: [],
        units: '1',
        chargeAmount: '100.00',
        serviceDate: '2026-03-02',
        ...draft,
      })),
    },
    previouslyAdjudicatedLineKeys: new Set(),
    plan,
    coverages: coveredFrom2026,
    feeSchedule,
    priorAuthorizations: [],
    accumulators: { planYear: '2026', deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' },
    payerRules: {
      timelyFilingDays: 90,
      autoAdjudicationLimitAmount: '10000.00',
      pendUnknownCodes: false,
    },
    ...rest,
  };
}

/** The deductible already met for the year, and some out-of-pocket spending. */
const deductibleMet = {
  planYear: '2026',
  deductibleMetAmount: '500.00',
  outOfPocketMetAmount: '1000.00',
};

function decide(input: AdjudicationInput): DecidedAdjudication {
  const result = adjudicate(input);
  if (result.outcome !== 'decided') throw new Error(`pended: ${result.pendReasons.join('; ')}`);
  return result;
}

function line(result: DecidedAdjudication, lineNumber: number): AdjudicatedLine {
  const found = result.lines.find((each) => each.lineNumber === lineNumber);
  if (!found) throw new Error(`no line ${lineNumber}`);
  return found;
}

/** The rules every line that reaches pricing has passed. */
const screened = [
  'coverage.active',
  'timely-filing.on-time',
  'duplicate.none',
  'fee-schedule.priced',
  'prior-auth.not-required',
];

function denial(reasonCode: string, chargeAmount: string) {
  return {
    allowedAmount: '0.00',
    paidAmount: '0.00',
    patientResponsibilityAmount: '0.00',
    adjustments: [{ group: 'CO', reasonCode, amount: chargeAmount }],
    denied: true,
  };
}

describe('deductible and coinsurance', () => {
  it('spends the rest of the deductible over two lines, then applies coinsurance', () => {
    // Deductible met 350.00 of 500.00 (150.00 left); out-of-pocket met 350.00 of 3000.00.
    const result = decide(
      inputOf(
        [
          { procedureCode: '80053', chargeAmount: '40.00' },
          { procedureCode: '29881', chargeAmount: '1800.00' },
        ],
        {
          accumulators: {
            planYear: '2026',
            deductibleMetAmount: '350.00',
            outOfPocketMetAmount: '350.00',
          },
        },
      ),
    );
    // Line 1: allowed 40.00 x 1 = 40.00 = charge, no CO-45. No copay on 80053.
    //   PR-1 = min(150.00 left, 40.00) = 40.00; PR-2 = 20 % of (40.00 - 40.00) = 0.00.
    //   Paid 40.00 - 40.00 = 0.00. Deductible met 390.00, out-of-pocket met 390.00.
    expect(line(result, 1)).toEqual({
      lineNumber: 1,
      chargeAmount: '40.00',
      allowedAmount: '40.00',
      paidAmount: '0.00',
      patientResponsibilityAmount: '40.00',
      adjustments: [{ group: 'PR', reasonCode: '1', amount: '40.00' }],
      remarkCodes: [],
      rulesFired: [...screened, 'deductible'],
      denied: false,
    });
    // Line 2: allowed 1500.00; CO-45 = 1800.00 - 1500.00 = 300.00.
    //   PR-1 = min(500.00 - 390.00 = 110.00, 1500.00) = 110.00.
    //   PR-2 = 20 % of (1500.00 - 110.00 = 1390.00) = 278.00.
    //   Patient 388.00 <= out-of-pocket left 3000.00 - 390.00 = 2610.00: no cap.
    //   Paid 1500.00 - 388.00 = 1112.00. Deductible met 500.00, out-of-pocket met 778.00.
    expect(line(result, 2)).toEqual({
      lineNumber: 2,
      chargeAmount: '1800.00',
      allowedAmount: '1500.00',
      paidAmount: '1112.00',
      patientResponsibilityAmount: '388.00',
      adjustments: [
        { group: 'CO', reasonCode: '45', amount: '300.00' },
        { group: 'PR', reasonCode: '1', amount: '110.00' },
        { group: 'PR', reasonCode: '2', amount: '278.00' },
      ],
      remarkCodes: [],
      rulesFired: [...screened, 'fee-schedule.reduction', 'deductible', 'coinsurance'],
      denied: false,
    });
    // Totals: 40 + 1800 = 1840.00 charged; 40 + 1500 = 1540.00 allowed; 0 + 1112 = 1112.00 paid;
    // 40 + 388 = 428.00 patient; adjustments 40 + 300 + 110 + 278 = 728.00 = 1840.00 - 1112.00.
    expect(result.totals).toEqual({
      chargeAmount: '1840.00',
      allowedAmount: '1540.00',
      paidAmount: '1112.00',
      patientResponsibilityAmount: '428.00',
      adjustmentAmount: '728.00',
    });
    expect(result.accumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '500.00',
      outOfPocketMetAmount: '778.00',
    });
    // Line 1 is paid 0.00 but not denied: the claim is paid, the patient owes that line.
    expect(result.status).toBe('paid');
    expect(result.planId).toBe('GOLD');
    expect(result.planYear).toBe('2026');
  });
});

describe('out-of-pocket maximum', () => {
  it('caps line 2 when the claim reaches the maximum, and line 3 owes nothing', () => {
    // Deductible met 500.00 (nothing left); out-of-pocket met 2900.00 of 3000.00 (100.00 left).
    const result = decide(
      inputOf(
        [
          { procedureCode: '80053', chargeAmount: '40.00' },
          { procedureCode: '29881', chargeAmount: '1500.00' },
          { procedureCode: '97110', chargeAmount: '35.00' },
        ],
        {
          accumulators: {
            planYear: '2026',
            deductibleMetAmount: '500.00',
            outOfPocketMetAmount: '2900.00',
          },
        },
      ),
    );
    // Line 1: allowed 40.00; PR-2 = 20 % of 40.00 = 8.00 <= 100.00 left. Paid 32.00.
    //   Out-of-pocket met 2908.00 (92.00 left).
    expect(line(result, 1)).toMatchObject({
      allowedAmount: '40.00',
      paidAmount: '32.00',
      adjustments: [{ group: 'PR', reasonCode: '2', amount: '8.00' }],
    });
    // Line 2: allowed 1500.00; PR-2 = 20 % of 1500.00 = 300.00, but only 92.00 is left:
    //   PR-2 cut by 300.00 - 92.00 = 208.00 to 92.00. Paid 1500.00 - 92.00 = 1408.00.
    //   Out-of-pocket met 3000.00.
    expect(line(result, 2)).toEqual({
      lineNumber: 2,
      chargeAmount: '1500.00',
      allowedAmount: '1500.00',
      paidAmount: '1408.00',
      patientResponsibilityAmount: '92.00',
      adjustments: [{ group: 'PR', reasonCode: '2', amount: '92.00' }],
      remarkCodes: [],
      rulesFired: [...screened, 'coinsurance', 'oop.cap'],
      denied: false,
    });
    // Line 3: allowed 35.00; PR-2 would be 7.00, but nothing is left: the plan pays 35.00.
    expect(line(result, 3)).toMatchObject({
      allowedAmount: '35.00',
      paidAmount: '35.00',
      patientResponsibilityAmount: '0.00',
      adjustments: [],
      rulesFired: [...screened, 'oop.cap'],
    });
    // Paid 32 + 1408 + 35 = 1475.00; patient 8 + 92 = 100.00, exactly what was left.
    expect(result.totals).toEqual({
      chargeAmount: '1575.00',
      allowedAmount: '1575.00',
      paidAmount: '1475.00',
      patientResponsibilityAmount: '100.00',
      adjustmentAmount: '100.00',
    });
    expect(result.accumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '500.00',
      outOfPocketMetAmount: '3000.00',
    });
  });

  it('takes the cut from coinsurance first, then the deductible', () => {
    // Deductible met 450.00 (50.00 left); out-of-pocket met 2960.00 (40.00 left).
    const result = decide(
      inputOf([{ procedureCode: '99213', chargeAmount: '100.00' }], {
        accumulators: {
          planYear: '2026',
          deductibleMetAmount: '450.00',
          outOfPocketMetAmount: '2960.00',
        },
      }),
    );
    // Allowed 100.00. Copay 25.00; PR-1 = min(50.00, 100.00 - 25.00) = 50.00;
    // PR-2 = 20 % of (100.00 - 25.00 - 50.00 = 25.00) = 5.00. Together 80.00, 40.00 over.
    // Coinsurance 5.00 -> 0.00 (35.00 still over), deductible 50.00 -> 15.00. Copay untouched.
    // Patient 25.00 + 15.00 = 40.00; paid 60.00. Deductible met 465.00, out-of-pocket 3000.00.
    const only = line(result, 1);
    expect(formatAdjustments(only)).toBe('PR-3 25.00, PR-1 15.00');
    expect(only.paidAmount).toBe('60.00');
    expect(only.rulesFired).toEqual([...screened, 'copay', 'deductible', 'oop.cap']);
    expect(result.accumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '465.00',
      outOfPocketMetAmount: '3000.00',
    });
  });

  it('takes the cut from the copay last', () => {
    // As above but out-of-pocket met 2990.00 (10.00 left): 80.00 is 70.00 over.
    // Coinsurance 5.00 -> 0.00 (65.00 over), deductible 50.00 -> 0.00 (15.00 over),
    // copay 25.00 -> 10.00. Patient 10.00; paid 90.00. The deductible met does not move.
    const result = decide(
      inputOf([{ procedureCode: '99213', chargeAmount: '100.00' }], {
        accumulators: {
          planYear: '2026',
          deductibleMetAmount: '450.00',
          outOfPocketMetAmount: '2990.00',
        },
      }),
    );
    expect(formatAdjustments(line(result, 1))).toBe('PR-3 10.00');
    expect(line(result, 1).paidAmount).toBe('90.00');
    expect(result.accumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '450.00',
      outOfPocketMetAmount: '3000.00',
    });
  });
});

describe('copay, fee schedule reduction and charges below the fee schedule', () => {
  it('applies the copay, then coinsurance on the rest, after a CO-45 reduction', () => {
    // 99213 billed 180.00, allowed 100.00: CO-45 = 80.00. Copay 25.00 (min(25.00, 100.00)).
    // Deductible met: PR-1 0.00. PR-2 = 20 % of (100.00 - 25.00 = 75.00) = 15.00.
    // Patient 40.00; paid 100.00 - 40.00 = 60.00. Check: 60 + 80 + 25 + 15 = 180.00.
    const result = decide(
      inputOf([{ procedureCode: '99213', chargeAmount: '180.00' }], {
        accumulators: deductibleMet,
      }),
    );
    expect(line(result, 1)).toEqual({
      lineNumber: 1,
      chargeAmount: '180.00',
      allowedAmount: '100.00',
      paidAmount: '60.00',
      patientResponsibilityAmount: '40.00',
      adjustments: [
        { group: 'CO', reasonCode: '45', amount: '80.00' },
        { group: 'PR', reasonCode: '3', amount: '25.00' },
        { group: 'PR', reasonCode: '2', amount: '15.00' },
      ],
      remarkCodes: [],
      rulesFired: [...screened, 'fee-schedule.reduction', 'copay', 'coinsurance'],
      denied: false,
    });
    expect(formatAdjustments(line(result, 1))).toBe('CO-45 80.00, PR-3 25.00, PR-2 15.00');
    // Out-of-pocket met 1000.00 + 40.00.
    expect(result.accumulatorsAfter.outOfPocketMetAmount).toBe('1040.00');
  });

  it('reduces a lab line above the fee schedule to the allowed amount', () => {
    // 80053 billed 65.50, allowed 40.00: CO-45 = 25.50. PR-2 = 20 % of 40.00 = 8.00; paid 32.00.
    const result = decide(
      inputOf([{ procedureCode: '80053', chargeAmount: '65.50' }], { accumulators: deductibleMet }),
    );
    expect(formatAdjustments(line(result, 1))).toBe('CO-45 25.50, PR-2 8.00');
    expect(line(result, 1).paidAmount).toBe('32.00');
    expect(line(result, 1).allowedAmount).toBe('40.00');
  });

  it('allows no more than was billed', () => {
    // 99213 billed 80.00 under a 100.00 fee: allowed 80.00, no CO-45. Copay 25.00;
    // PR-2 = 20 % of (80.00 - 25.00 = 55.00) = 11.00; paid 80.00 - 36.00 = 44.00.
    const result = decide(
      inputOf([{ procedureCode: '99213', chargeAmount: '80.00' }], { accumulators: deductibleMet }),
    );
    expect(line(result, 1)).toMatchObject({
      allowedAmount: '80.00',
      paidAmount: '44.00',
      patientResponsibilityAmount: '36.00',
      rulesFired: [...screened, 'allowed.limited-to-charge', 'copay', 'coinsurance'],
    });
    expect(formatAdjustments(line(result, 1))).toBe('PR-3 25.00, PR-2 11.00');
  });

  it('takes no more copay than the allowed amount', () => {
    // 99213 billed 20.00: allowed 20.00; copay min(25.00, 20.00) = 20.00; nothing left for
    // deductible or coinsurance; paid 0.00, yet the line is paid, not denied.
    const result = decide(inputOf([{ procedureCode: '99213', chargeAmount: '20.00' }]));
    expect(formatAdjustments(line(result, 1))).toBe('PR-3 20.00');
    expect(line(result, 1).paidAmount).toBe('0.00');
    expect(result.status).toBe('paid');
    expect(result.accumulatorsAfter).toMatchObject({
      deductibleMetAmount: '0.00',
      outOfPocketMetAmount: '20.00',
    });
  });

  it("prices by the first modifier's entry, else by the any-modifier entry", () => {
    // 99213-25 is priced 95.00; 99213-59-25 has no entry for 59 and falls back to 100.00.
    // Both billed 150.00: CO-45 55.00 and 50.00. (Different modifiers: not duplicates.)
    const result = decide(
      inputOf(
        [
          { procedureCode: '99213', modifiers: ['25'], chargeAmount: '150.00' },
          { procedureCode: '99213', modifiers: ['59', '25'], chargeAmount: '150.00' },
        ],
        { accumulators: deductibleMet },
      ),
    );
    expect(line(result, 1).allowedAmount).toBe('95.00');
    expect(line(result, 2).allowedAmount).toBe('100.00');
    // Line 1: copay 25.00, PR-2 = 20 % of 70.00 = 14.00, paid 95.00 - 39.00 = 56.00.
    expect(formatAdjustments(line(result, 1))).toBe('CO-45 55.00, PR-3 25.00, PR-2 14.00');
    expect(line(result, 1).paidAmount).toBe('56.00');
  });
});

describe('units and rounding', () => {
  it('prices three whole units', () => {
    // 97110 x 3 at 35.00 = 105.00; billed 120.00: CO-45 15.00. PR-2 = 20 % of 105.00 = 21.00.
    // Paid 105.00 - 21.00 = 84.00.
    const result = decide(
      inputOf([{ procedureCode: '97110', units: '3', chargeAmount: '120.00' }], {
        accumulators: deductibleMet,
      }),
    );
    expect(line(result, 1)).toMatchObject({ allowedAmount: '105.00', paidAmount: '84.00' });
    expect(formatAdjustments(line(result, 1))).toBe('CO-45 15.00, PR-2 21.00');
  });

  it('rounds 2.5 units at half a cent up, not to even and not through floating point', () => {
    // J1885 x 2.5 at 4.01 = 10.025 -> 10.03 (half up; round-half-even would say 10.02, and
    // JS 4.01 * 2.5 = 10.024999999999999 would say 10.02 too). Billed 12.00: CO-45 1.97.
    // PR-2 = 20 % of 10.03 = 2.006 -> 2.01. Paid 10.03 - 2.01 = 8.02.
    // Check: 8.02 + 1.97 + 2.01 = 12.00.
    // (Coinsurance is taken of an allowed amount already in cents, so a 20 % share is never a
    // half cent: the half cent of "20 % of 10.025" is settled in the allowed amount.)
    const result = decide(
      inputOf([{ procedureCode: 'J1885', units: '2.5', chargeAmount: '12.00' }], {
        accumulators: deductibleMet,
      }),
    );
    expect(line(result, 1)).toMatchObject({
      allowedAmount: '10.03',
      paidAmount: '8.02',
      patientResponsibilityAmount: '2.01',
    });
    expect(formatAdjustments(line(result, 1))).toBe('CO-45 1.97, PR-2 2.01');
  });

  it('rounds coinsurance at half a cent up', () => {
    // A 10 % plan. 80048 allowed 10.05; PR-2 = 10 % of 10.05 = 1.005 -> 1.01 (half up; JS
    // (10.05 * 10 / 100).toFixed(2) gives "1.00"). Paid 10.05 - 1.01 = 9.04.
    const result = decide(
      inputOf([{ procedureCode: '80048', chargeAmount: '10.05' }], {
        plan: { ...plan, coinsurancePercent: '10' },
        accumulators: deductibleMet,
      }),
    );
    expect(formatAdjustments(line(result, 1))).toBe('PR-2 1.01');
    expect(line(result, 1).paidAmount).toBe('9.04');
  });

  it('takes a fractional coinsurance percent', () => {
    // 12.5 % of 99213 allowed 100.00 after a 25.00 copay: 12.5 % of 75.00 = 9.375 -> 9.38.
    const result = decide(
      inputOf([{ procedureCode: '99213', chargeAmount: '100.00' }], {
        plan: { ...plan, coinsurancePercent: '12.5' },
        accumulators: deductibleMet,
      }),
    );
    expect(formatAdjustments(line(result, 1))).toBe('PR-3 25.00, PR-2 9.38');
    expect(line(result, 1).paidAmount).toBe('65.62');
  });
});

describe('denials', () => {
  it('denies a service the plan does not cover: CO-96 with N130, no accumulator used', () => {
    const result = decide(inputOf([{ procedureCode: '97810', chargeAmount: '75.00' }]));
    expect(line(result, 1)).toEqual({
      lineNumber: 1,
      chargeAmount: '75.00',
      ...denial('96', '75.00'),
      remarkCodes: ['N130'],
      rulesFired: [
        'coverage.active',
        'timely-filing.on-time',
        'duplicate.none',
        'fee-schedule.not-covered',
      ],
    });
    expect(formatAdjustments(line(result, 1))).toBe('CO-96 75.00');
    expect(result.status).toBe('denied');
    expect(result.accumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '0.00',
      outOfPocketMetAmount: '0.00',
    });
    expect(result.totals).toEqual({
      chargeAmount: '75.00',
      allowedAmount: '0.00',
      paidAmount: '0.00',
      patientResponsibilityAmount: '0.00',
      adjustmentAmount: '75.00',
    });
  });

  it('denies a code missing from the fee schedule with CO-96 when unknown codes do not pend', () => {
    const result = decide(inputOf([{ procedureCode: '99999', chargeAmount: '50.00' }]));
    expect(line(result, 1)).toMatchObject({ ...denial('96', '50.00'), remarkCodes: [] });
    expect(line(result, 1).rulesFired.at(-1)).toBe('fee-schedule.unknown-code');
  });
});

describe('coverage on the service date', () => {
  const visit: LineDraft = { procedureCode: '99213', chargeAmount: '150.00' };

  it('denies with CO-27 after the coverage ended', () => {
    const coverages = [{ planId: 'GOLD', effectiveFrom: '2025-01-01', effectiveTo: '2025-12-31' }];
    const result = decide(inputOf([visit], { coverages }));
    expect(line(result, 1)).toMatchObject(denial('27', '150.00'));
    expect(line(result, 1).rulesFired).toEqual(['coverage.terminated']);
  });

  it('denies with CO-26 before the coverage starts', () => {
    const coverages = [{ planId: 'GOLD', effectiveFrom: '2026-04-01', effectiveTo: null }];
    const result = decide(inputOf([visit], { coverages }));
    expect(line(result, 1)).toMatchObject(denial('26', '150.00'));
    expect(line(result, 1).rulesFired).toEqual(['coverage.not-yet-effective']);
  });

  it('denies with CO-31 when the member has no coverage at all', () => {
    const result = decide(inputOf([visit], { coverages: [] }));
    expect(line(result, 1)).toMatchObject(denial('31', '150.00'));
    expect(line(result, 1).rulesFired).toEqual(['coverage.none']);
    expect(result.status).toBe('denied');
  });

  it('denies a date in a gap between two coverages with CO-27 (the earlier one ended)', () => {
    const coverages = [
      { planId: 'GOLD', effectiveFrom: '2026-04-01', effectiveTo: null },
      { planId: 'GOLD', effectiveFrom: '2025-01-01', effectiveTo: '2025-12-31' },
    ];
    const result = decide(inputOf([visit], { coverages }));
    expect(line(result, 1)).toMatchObject(denial('27', '150.00'));
  });

  it('covers the first and the last day of a coverage', () => {
    const coverages = [{ planId: 'GOLD', effectiveFrom: '2026-03-02', effectiveTo: '2026-03-09' }];
    const result = decide(
      inputOf(
        [visit, { ...visit, serviceDate: '2026-03-09' }, { ...visit, serviceDate: '2026-03-10' }],
        {
          coverages,
        },
      ),
    );
    expect(result.lines.map((each) => each.denied)).toEqual([false, false, true]);
    expect(result.status).toBe('partially_paid');
  });

  it('pends a date covered by another plan of the member', () => {
    const coverages = [
      { planId: 'SILVER', effectiveFrom: '2025-01-01', effectiveTo: '2026-02-28' },
      { planId: 'GOLD', effectiveFrom: '2026-03-01', effectiveTo: null },
    ];
    const result = adjudicate(inputOf([{ ...visit, serviceDate: '2026-02-27' }], { coverages }));
    expect(result).toEqual({
      outcome: 'pend',
      pendReasons: ['line 1: service date 2026-02-27 is covered by plan SILVER, not by plan GOLD'],
    });
  });
});

describe('timely filing', () => {
  it('accepts a claim received exactly at the limit and denies one a day later with CO-29', () => {
    // Received 2026-04-02, limit 90 days. From 2026-01-02: 31 (to Feb 2) + 28 (to Mar 2)
    // + 31 (to Apr 2) = 90 days, on time. From 2026-01-01: 91 days, late.
    const result = decide(
      inputOf(
        [
          { procedureCode: '80053', chargeAmount: '40.00', serviceDate: '2026-01-02' },
          { procedureCode: '80053', chargeAmount: '40.00', serviceDate: '2026-01-01' },
        ],
        { receivedDate: '2026-04-02' },
      ),
    );
    expect(line(result, 1).denied).toBe(false);
    expect(line(result, 2)).toMatchObject(denial('29', '40.00'));
    expect(line(result, 2).rulesFired).toEqual(['coverage.active', 'timely-filing.late']);
    expect(result.status).toBe('partially_paid');
  });
});

describe('duplicates', () => {
  it('denies the second identical line of a claim with CO-18', () => {
    // Line 1: 80053 allowed 40.00, PR-2 8.00, paid 32.00. Line 2: same code, modifiers, date.
    // Line 3: the same code on another day is no duplicate.
    const result = decide(
      inputOf(
        [
          { procedureCode: '80053', chargeAmount: '40.00' },
          { procedureCode: '80053', chargeAmount: '40.00' },
          { procedureCode: '80053', chargeAmount: '40.00', serviceDate: '2026-03-03' },
        ],
        { accumulators: deductibleMet },
      ),
    );
    expect(line(result, 1).paidAmount).toBe('32.00');
    expect(line(result, 2)).toMatchObject(denial('18', '40.00'));
    expect(line(result, 2).rulesFired.at(-1)).toBe('duplicate.same-claim');
    expect(line(result, 3).paidAmount).toBe('32.00');
    // Only lines 1 and 3 count: out-of-pocket 1000.00 + 8.00 + 8.00.
    expect(result.accumulatorsAfter.outOfPocketMetAmount).toBe('1016.00');
    expect(result.totals).toMatchObject({ paidAmount: '64.00', adjustmentAmount: '56.00' });
  });

  it('denies a line already paid to this provider with CO-18', () => {
    const history = new Set([
      lineKeyOf({ procedureCode: '99213', modifiers: [], serviceDate: '2026-03-02' }),
    ]);
    expect([...history]).toEqual(['99213||2026-03-02']);
    const result = decide(
      inputOf(
        [
          { procedureCode: '99213', chargeAmount: '150.00' },
          { procedureCode: '99213', modifiers: ['25'], chargeAmount: '150.00' },
        ],
        { previouslyAdjudicatedLineKeys: history },
      ),
    );
    expect(line(result, 1)).toMatchObject(denial('18', '150.00'));
    expect(line(result, 1).rulesFired.at(-1)).toBe('duplicate.history');
    expect(line(result, 2).denied).toBe(false);
  });

  it('builds the key from every modifier in order', () => {
    expect(
      lineKeyOf({ procedureCode: '97110', modifiers: ['GP', '59'], serviceDate: '2026-03-02' }),
    ).toBe('97110|GP,59|2026-03-02');
  });
});

describe('prior authorization', () => {
  const mri = (modifiers: string[], serviceDate = '2026-03-02'): LineDraft => ({
    procedureCode: '73721',
    modifiers,
    chargeAmount: '900.00',
    serviceDate,
  });
  const authorization = (overrides: Partial<PriorAuthorization>): PriorAuthorization => ({
    authorizationId: 'PA-1',
    procedureCode: '73721',
    unitsAuthorized: 1,
    unitsUsed: 0,
    validFrom: '2026-02-01',
    validTo: '2026-04-30',
    ...overrides,
  });

  it('denies with CO-197 N54 when there is no authorization', () => {
    const result = decide(inputOf([mri(['RT'])]));
    expect(line(result, 1)).toMatchObject({ ...denial('197', '900.00'), remarkCodes: ['N54'] });
    expect(line(result, 1).rulesFired.at(-1)).toBe('prior-auth.missing');
    expect(result.priorAuthorizationUnitsUsed).toEqual([]);
  });

  it('denies when the only authorization is not valid on the service date', () => {
    const priorAuthorizations = [authorization({ validFrom: '2026-03-03' })];
    const result = decide(inputOf([mri(['RT'])], { priorAuthorizations }));
    expect(line(result, 1).rulesFired.at(-1)).toBe('prior-auth.missing');
  });

  it('denies a second line once the first used the last authorized unit', () => {
    // 2 authorized, 1 already used: line 1 takes the last one, line 2 finds none left.
    // Line 1: allowed 600.00 (CO-45 300.00), deductible met, PR-2 120.00, paid 480.00.
    const priorAuthorizations = [authorization({ unitsAuthorized: 2, unitsUsed: 1 })];
    const result = decide(
      inputOf([mri(['RT']), mri(['LT'])], { priorAuthorizations, accumulators: deductibleMet }),
    );
    expect(formatAdjustments(line(result, 1))).toBe('CO-45 300.00, PR-2 120.00');
    expect(line(result, 1).paidAmount).toBe('480.00');
    expect(line(result, 1).rulesFired).toContain('prior-auth.applied');
    expect(line(result, 2)).toMatchObject({ ...denial('197', '900.00'), remarkCodes: ['N54'] });
    expect(line(result, 2).rulesFired.at(-1)).toBe('prior-auth.exhausted');
    expect(result.priorAuthorizationUnitsUsed).toEqual([{ authorizationId: 'PA-1', units: 1 }]);
    expect(result.status).toBe('partially_paid');
  });

  it('denies when the authorization was used up before this claim', () => {
    const priorAuthorizations = [authorization({ unitsAuthorized: 3, unitsUsed: 3 })];
    const result = decide(inputOf([mri(['RT'])], { priorAuthorizations }));
    expect(line(result, 1).rulesFired.at(-1)).toBe('prior-auth.exhausted');
  });

  it('uses the authorization that runs out first, and reports the units used', () => {
    // PA-SHORT (to 2026-03-31, 1 unit) is used before PA-LONG (to 2026-12-31, 4 units).
    const priorAuthorizations = [
      authorization({ authorizationId: 'PA-LONG', unitsAuthorized: 4, validTo: '2026-12-31' }),
      authorization({ authorizationId: 'PA-SHORT', unitsAuthorized: 1, validTo: '2026-03-31' }),
    ];
    const result = decide(
      inputOf([mri(['RT']), mri(['LT']), mri(['RT'], '2026-03-09')], { priorAuthorizations }),
    );
    expect(result.status).toBe('paid');
    expect(result.priorAuthorizationUnitsUsed).toEqual([
      { authorizationId: 'PA-SHORT', units: 1 },
      { authorizationId: 'PA-LONG', units: 2 },
    ]);
  });

  it('counts a started unit as a whole authorized unit', () => {
    // J9035 2.5 units uses 3 of the 3 authorized; 0.5 units on another day finds none left.
    // Line 1: allowed 70.00 x 2.5 = 175.00 = charge; PR-2 35.00; paid 140.00.
    const priorAuthorizations = [
      authorization({ authorizationId: 'PA-BEV', procedureCode: 'J9035', unitsAuthorized: 3 }),
    ];
    const result = decide(
      inputOf(
        [
          { procedureCode: 'J9035', units: '2.5', chargeAmount: '175.00' },
          {
            procedureCode: 'J9035',
            units: '0.5',
            chargeAmount: '35.00',
            serviceDate: '2026-03-09',
          },
        ],
        { priorAuthorizations, accumulators: deductibleMet },
      ),
    );
    expect(line(result, 1)).toMatchObject({ allowedAmount: '175.00', paidAmount: '140.00' });
    expect(line(result, 2).rulesFired.at(-1)).toBe('prior-auth.exhausted');
    expect(result.priorAuthorizationUnitsUsed).toEqual([{ authorizationId: 'PA-BEV', units: 3 }]);
  });

  it('checks authorization only after the cheaper denials', () => {
    // A duplicate MRI is CO-18, not CO-197, and uses no authorized unit.
    const history = new Set(['73721|RT|2026-03-02']);
    const priorAuthorizations = [authorization({})];
    const result = decide(
      inputOf([mri(['RT'])], { priorAuthorizations, previouslyAdjudicatedLineKeys: history }),
    );
    expect(line(result, 1)).toMatchObject(denial('18', '900.00'));
    expect(result.priorAuthorizationUnitsUsed).toEqual([]);
  });
});

describe('pending for a person', () => {
  const payerRules = {
    timelyFilingDays: 90,
    autoAdjudicationLimitAmount: '1000.00',
    pendUnknownCodes: true,
  };

  it('pends a claim whose total charge exceeds the auto-adjudication limit', () => {
    // 600.00 + 400.01 = 1000.01 > 1000.00.
    const result = adjudicate(
      inputOf(
        [
          { procedureCode: '99213', chargeAmount: '600.00' },
          { procedureCode: '80053', chargeAmount: '400.01' },
        ],
        { payerRules },
      ),
    );
    expect(result).toEqual({
      outcome: 'pend',
      pendReasons: ['total charge 1000.01 exceeds the auto-adjudication limit 1000.00'],
    });
  });

  it('decides a claim whose total charge equals the limit', () => {
    const result = adjudicate(
      inputOf(
        [
          { procedureCode: '99213', chargeAmount: '600.00' },
          { procedureCode: '80053', chargeAmount: '400.00' },
        ],
        { payerRules },
      ),
    );
    expect(result.outcome).toBe('decided');
  });

  it('pends a claim with a code missing from the fee schedule, naming line and code', () => {
    const result = adjudicate(
      inputOf([{ procedureCode: '99213' }, { procedureCode: '99999' }], { payerRules }),
    );
    expect(result).toEqual({
      outcome: 'pend',
      pendReasons: ['line 2: procedure code 99999 is not on the fee schedule'],
    });
  });

  it('gives every reason at once', () => {
    const result = adjudicate(
      inputOf(
        [
          { procedureCode: '99998', chargeAmount: '900.00' },
          { procedureCode: '99999', chargeAmount: '900.00' },
        ],
        { payerRules },
      ),
    );
    expect(result).toEqual({
      outcome: 'pend',
      pendReasons: [
        'total charge 1800.00 exceeds the auto-adjudication limit 1000.00',
        'line 1: procedure code 99998 is not on the fee schedule',
        'line 2: procedure code 99999 is not on the fee schedule',
      ],
    });
  });

  it('does not pend an unknown code on a line already denied by an earlier rule', () => {
    // Received 151 days after the service: CO-29 decides before the fee schedule is read.
    const result = decide(
      inputOf([{ procedureCode: '99999', serviceDate: '2026-01-01' }], {
        payerRules,
        receivedDate: '2026-06-01',
      }),
    );
    expect(line(result, 1)).toMatchObject(denial('29', '100.00'));
  });
});

describe('claim status', () => {
  it('is paid when no line is denied, partially_paid when some are, denied when all are', () => {
    const paid = decide(inputOf([{ procedureCode: '80053' }, { procedureCode: '99213' }]));
    const partly = decide(inputOf([{ procedureCode: '80053' }, { procedureCode: '97810' }]));
    const denied = decide(inputOf([{ procedureCode: '97810' }, { procedureCode: '73721' }]));
    expect([paid.status, partly.status, denied.status]).toEqual([
      'paid',
      'partially_paid',
      'denied',
    ]);
  });
});

describe('formatAdjustments', () => {
  it('lists group-reason and amount in the order applied, and nothing for no adjustments', () => {
    expect(
      formatAdjustments({
        adjustments: [
          { group: 'CO', reasonCode: '45', amount: '20.00' },
          { group: 'PR', reasonCode: '1', amount: '15.00' },
        ],
      }),
    ).toBe('CO-45 20.00, PR-1 15.00');
    expect(formatAdjustments({ adjustments: [] })).toBe('');
  });
});

describe('plan year', () => {
  it('belongs to the year in which the plan year containing the date starts', () => {
    expect(planYearOf('2026-06-30', 7)).toBe('2025');
    expect(planYearOf('2026-07-01', 7)).toBe('2026');
    expect(planYearOf('2026-01-01', 1)).toBe('2026');
    expect(planYearOf('2026-12-31', 1)).toBe('2026');
    expect(planYearOf('2026-11-30', 12)).toBe('2025');
  });

  const julyPlan = { ...plan, planYearStartMonth: 7 };
  const june = { procedureCode: '80053', chargeAmount: '40.00', serviceDate: '2026-06-15' };

  it("adjudicates a June service under a July plan with the previous plan year's accumulators", () => {
    // Plan year 2025 (2025-07-01 to 2026-06-30): deductible met 480.00, so 20.00 is left.
    // Allowed 40.00: PR-1 20.00; PR-2 = 20 % of 20.00 = 4.00; paid 16.00.
    const result = decide(
      inputOf([june], {
        plan: julyPlan,
        receivedDate: '2026-07-10',
        accumulators: {
          planYear: '2025',
          deductibleMetAmount: '480.00',
          outOfPocketMetAmount: '900.00',
        },
      }),
    );
    expect(result.planYear).toBe('2025');
    expect(formatAdjustments(line(result, 1))).toBe('PR-1 20.00, PR-2 4.00');
    expect(result.accumulatorsAfter).toEqual({
      planYear: '2025',
      deductibleMetAmount: '500.00',
      outOfPocketMetAmount: '924.00',
    });
  });

  it("pends a June service given the new plan year's accumulators", () => {
    const result = adjudicate(inputOf([june], { plan: julyPlan, receivedDate: '2026-07-10' }));
    expect(result).toEqual({
      outcome: 'pend',
      pendReasons: [
        'line 1: service date 2026-06-15 is in plan year 2025, the accumulators are for plan year 2026',
      ],
    });
  });

  it('pends a claim whose lines fall in two plan years', () => {
    const result = adjudicate(
      inputOf(
        [
          { ...june, serviceDate: '2026-06-30' },
          { ...june, serviceDate: '2026-07-01' },
        ],
        { plan: julyPlan, receivedDate: '2026-07-10' },
      ),
    );
    expect(result.outcome).toBe('pend');
  });
});

describe('input checks and purity', () => {
  it('refuses malformed input, naming every field', () => {
    const input = inputOf([{ procedureCode: '80053', chargeAmount: '12.345', units: '0' }], {
      coverages: [
        { planId: 'GOLD', effectiveFrom: '2026-01-01', effectiveTo: null },
        { planId: 'GOLD', effectiveFrom: '2026-06-01', effectiveTo: null },
      ],
      accumulators: { planYear: '2026', deductibleMetAmount: '500.01', outOfPocketMetAmount: '0' },
    });
    let thrown: unknown;
    try {
      adjudicate(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInput);
    expect((thrown as InvalidInput).problems.map((problem) => problem.field).sort()).toEqual([
      'accumulators.deductibleMetAmount',
      'claim.lines[0].chargeAmount',
      'claim.lines[0].units',
      'coverages[1]',
    ]);
  });

  it('refuses a fee schedule with two prices for one code and modifier', () => {
    const input = inputOf([{ procedureCode: '80053' }], {
      feeSchedule: [...feeSchedule, fee('80053', '41.00')],
    });
    expect(() => adjudicate(input)).toThrow(InvalidInput);
  });

  it('refuses an impossible calendar date', () => {
    expect(() =>
      adjudicate(inputOf([{ procedureCode: '80053', serviceDate: '2026-02-30' }])),
    ).toThrow(InvalidInput);
  });

  it('gives the same decision twice and leaves its input as it was', () => {
    const input = inputOf(
      [
        { procedureCode: '29881', chargeAmount: '1800.00' },
        { procedureCode: '73721', modifiers: ['RT'], chargeAmount: '900.00' },
        { procedureCode: '80053', chargeAmount: '40.00' },
      ],
      {
        priorAuthorizations: [
          {
            authorizationId: 'PA-1',
            procedureCode: '73721',
            unitsAuthorized: 1,
            unitsUsed: 0,
            validFrom: '2026-01-01',
            validTo: '2026-12-31',
          },
        ],
      },
    );
    const before = structuredClone(input);
    const first = adjudicate(input);
    expect(adjudicate(input)).toEqual(first);
    expect(input).toEqual(before);
  });
});
