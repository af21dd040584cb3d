// Family accumulators and coordination of benefits in the engine, worked by hand: every expected
// amount is derived in the comment beside it from the plans at the top of this file.
import { describe, expect, it } from 'vitest';
import {
  adjudicate,
  priorPaidByLine,
  type Accumulators,
  type AdjudicationInput,
  type Coordination,
  type DecidedAdjudication,
  type FeeScheduleEntry,
  type Plan,
} from '../../../src/domain/adjudication/engine.js';

// FAMILY: deductible 500.00 each, 1,000.00 per family (embedded); out-of-pocket 2,000.00 each,
// 2,500.00 per family; no copay; coinsurance 20 %.
const familyPlan: Plan = {
  planId: 'FAMILY',
  deductibleAmount: '500.00',
  outOfPocketMaxAmount: '2000.00',
  copayAmount: '0.00',
  coinsurancePercent: '20',
  planYearStartMonth: 1,
  familyDeductibleAmount: '1000.00',
  familyOutOfPocketMaxAmount: '2500.00',
};

const fee = (procedureCode: string, allowedAmount: string): FeeScheduleEntry => ({
  procedureCode,
  modifier: null,
  allowedAmount,
  covered: true,
  priorAuthRequired: false,
  copayApplies: false,
});
const feeSchedule = [
  fee('29881', '600.00'),
  fee('73721', '400.00'),
  fee('80053', '300.00'),
  fee('27447', '10000.00'),
  fee('99213', '100.00'),
];

const none = (planYear = '2026'): Accumulators => ({
  planYear,
  deductibleMetAmount: '0.00',
  outOfPocketMetAmount: '0.00',
});

function inputOf(
  procedureCode: string,
  chargeAmount: string,
  plan: Plan,
  accumulators: Accumulators,
  familyAccumulators?: Accumulators,
  coordination?: Coordination,
): AdjudicationInput {
  return {
    claim: {
      receivedDate: '2026-03-20',
      lines: [
        {
          lineNumber: 1,
          procedureCode,
          modifiers: [],
          units: '1',
          chargeAmount,
          serviceDate: '2026-03-02',
        },
      ],
      ...(coordination ? { coordination } : {}),
    },
    previouslyAdjudicatedLineKeys: new Set(),
    plan,
    coverages: [{ planId: plan.planId, effectiveFrom: '2026-01-01', effectiveTo: null }],
    feeSchedule,
    priorAuthorizations: [],
    accumulators,
    ...(familyAccumulators ? { familyAccumulators } : {}),
    payerRules: {
      timelyFilingDays: 365,
      autoAdjudicationLimitAmount: '999999.00',
      pendUnknownCodes: true,
    },
  };
}

function decided(input: AdjudicationInput): DecidedAdjudication {
  const result = adjudicate(input);
  if (result.outcome !== 'decided') throw new Error('expected a decision');
  return result;
}

describe('family accumulators (embedded family deductible and out-of-pocket maximum)', () => {
  it('caps the third member’s deductible by what the family has left, then the family out-of-pocket', () => {
    // 1. The subscriber, allowed 600: deductible min(500 own, 1000 family) = 500; coinsurance 20 %
    //    of 100 = 20; patient 520, paid 80. Family: deductible 500, out-of-pocket 520.
    const subscriber = decided(inputOf('29881', '600.00', familyPlan, none(), none()));
    expect(subscriber.lines[0]!.adjustments).toEqual([
      { group: 'PR', reasonCode: '1', amount: '500.00' },
      { group: 'PR', reasonCode: '2', amount: '20.00' },
    ]);
    expect(subscriber.totals.paidAmount).toBe('80.00');
    expect(subscriber.familyAccumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '500.00',
      outOfPocketMetAmount: '520.00',
    });
    // 2. The spouse, allowed 400: deductible min(500, 1000 − 500 = 500) = 400; nothing left for
    //    coinsurance; paid 0. Family: deductible 900, out-of-pocket 920.
    const spouse = decided(
      inputOf('73721', '400.00', familyPlan, none(), subscriber.familyAccumulatorsAfter),
    );
    expect(spouse.lines[0]!.adjustments).toEqual([
      { group: 'PR', reasonCode: '1', amount: '400.00' },
    ]);
    expect(spouse.familyAccumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '900.00',
      outOfPocketMetAmount: '920.00',
    });
    // 3. The child, allowed 300: own deductible left 500, family's 1000 − 900 = 100: deductible
    //    100; coinsurance 20 % of 200 = 40; patient 140, paid 160. Family: 1000, 1060.
    const child = decided(
      inputOf('80053', '300.00', familyPlan, none(), spouse.familyAccumulatorsAfter),
    );
    expect(child.lines[0]!.adjustments).toEqual([
      { group: 'PR', reasonCode: '1', amount: '100.00' },
      { group: 'PR', reasonCode: '2', amount: '40.00' },
    ]);
    expect(child.totals.paidAmount).toBe('160.00');
    expect(child.accumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '100.00',
      outOfPocketMetAmount: '140.00',
    });
    expect(child.familyAccumulatorsAfter).toEqual({
      planYear: '2026',
      deductibleMetAmount: '1000.00',
      outOfPocketMetAmount: '1060.00',
    });
    // 4. The spouse again, allowed 10,000: no deductible left (family met); coinsurance 2,000,
    //    capped by min(own 2000 − 400 = 1600, family 2500 − 1060 = 1440) = 1440; paid 8,560.
    const spouseAgain = decided(
      inputOf(
        '27447',
        '10000.00',
        familyPlan,
        spouse.accumulatorsAfter,
        child.familyAccumulatorsAfter,
      ),
    );
    expect(spouseAgain.lines[0]!.adjustments).toEqual([
      { group: 'PR', reasonCode: '2', amount: '1440.00' },
    ]);
    expect(spouseAgain.lines[0]!.rulesFired).toContain('oop.cap');
    expect(spouseAgain.totals.paidAmount).toBe('8560.00');
    expect(spouseAgain.familyAccumulatorsAfter!.outOfPocketMetAmount).toBe('2500.00');
    // 5. The subscriber, allowed 100: the family has met its out-of-pocket maximum: paid 100.
    const subscriberAgain = decided(
      inputOf(
        '99213',
        '100.00',
        familyPlan,
        subscriber.accumulatorsAfter,
        spouseAgain.familyAccumulatorsAfter,
      ),
    );
    expect(subscriberAgain.lines[0]!.adjustments).toEqual([]);
    expect(subscriberAgain.totals.paidAmount).toBe('100.00');
  });

  it('applies individual limits only when the plan has no family limits', () => {
    // Family met 900 of nothing: the plan has no family deductible, so the child pays its own
    // 300 as deductible (min(500, 300)).
    const individualOnly = {
      ...familyPlan,
      familyDeductibleAmount: null,
      familyOutOfPocketMaxAmount: null,
    };
    const family = {
      planYear: '2026',
      deductibleMetAmount: '900.00',
      outOfPocketMetAmount: '920.00',
    };
    const child = decided(inputOf('80053', '300.00', individualOnly, none(), family));
    expect(child.lines[0]!.adjustments).toEqual([
      { group: 'PR', reasonCode: '1', amount: '300.00' },
    ]);
    // The family's figures still move on, so they are right if the plan gains family limits.
    expect(child.familyAccumulatorsAfter!.deductibleMetAmount).toBe('1200.00');
  });

  it('refuses family accumulators past the family limit, naming the field', () => {
    const family = {
      planYear: '2026',
      deductibleMetAmount: '1000.01',
      outOfPocketMetAmount: '0.00',
    };
    expect(() => adjudicate(inputOf('80053', '300.00', familyPlan, none(), family))).toThrow(
      expect.objectContaining({
        problems: [{ field: 'familyAccumulators.deductibleMetAmount', message: 'exceeds 1000.00' }],
      }),
    );
  });
});

// SECOND: the secondary plan. The member met its deductible already; no copay; coinsurance 20 %.
// A line billed 120.00 is allowed 100.00 (CO-45 20.00); the member's normal share is 20.00 and
// the plan's normal benefit 80.00.
const secondaryPlan = (cobMethod: Plan['cobMethod']): Plan => ({
  planId: 'SECOND',
  deductibleAmount: '500.00',
  outOfPocketMaxAmount: '3000.00',
  copayAmount: '0.00',
  coinsurancePercent: '20',
  planYearStartMonth: 1,
  cobMethod,
});
const deductibleMet = {
  planYear: '2026',
  deductibleMetAmount: '500.00',
  outOfPocketMetAmount: '500.00',
};
const primaryPaid = (paidAmount: string): Coordination => ({
  payerResponsibilityCode: 'S',
  priorPayments: [{ paidAmount, lines: [{ lineNumber: 1, paidAmount }] }],
});

describe('coordination of benefits', () => {
  it('non-duplication pays its normal benefit less the primary payment', () => {
    // Primary paid 70: 80 − 70 = 10 paid; OA-23 70; the member owes 100 − 70 − 10 = 20 (PR-2).
    const line = decided(
      inputOf(
        '99213',
        '120.00',
        secondaryPlan('non_duplication'),
        deductibleMet,
        undefined,
        primaryPaid('70.00'),
      ),
    ).lines[0]!;
    expect(line.paidAmount).toBe('10.00');
    expect(line.adjustments).toEqual([
      { group: 'CO', reasonCode: '45', amount: '20.00' },
      { group: 'OA', reasonCode: '23', amount: '70.00' },
      { group: 'PR', reasonCode: '2', amount: '20.00' },
    ]);
    expect(line.rulesFired).toContain('cob.non-duplication');
  });

  it('carve-out applies its cost sharing to what the primary left', () => {
    // Primary paid 70: 100 − 70 = 30 left; coinsurance 20 % of 30 = 6 (PR-2); paid 24.
    const line = decided(
      inputOf(
        '99213',
        '120.00',
        secondaryPlan('carve_out'),
        deductibleMet,
        undefined,
        primaryPaid('70.00'),
      ),
    ).lines[0]!;
    expect(line.paidAmount).toBe('24.00');
    expect(line.adjustments).toEqual([
      { group: 'CO', reasonCode: '45', amount: '20.00' },
      { group: 'OA', reasonCode: '23', amount: '70.00' },
      { group: 'PR', reasonCode: '2', amount: '6.00' },
    ]);
    expect(line.rulesFired).toContain('cob.carve-out');
  });

  it('never pays more than the balance, and non-duplication pays nothing once the primary paid more than its benefit', () => {
    // Primary paid 90. Non-duplication: 80 − 90 < 0, paid 0; the member owes 100 − 90 = 10, its
    // coinsurance of 20 giving way to 10. Carve-out: 10 left, coinsurance 2, paid 8.
    const nonDuplication = decided(
      inputOf(
        '99213',
        '120.00',
        secondaryPlan('non_duplication'),
        deductibleMet,
        undefined,
        primaryPaid('90.00'),
      ),
    );
    expect(nonDuplication.lines[0]!.paidAmount).toBe('0.00');
    expect(nonDuplication.lines[0]!.adjustments.at(-1)).toEqual({
      group: 'PR',
      reasonCode: '2',
      amount: '10.00',
    });
    expect(nonDuplication.accumulatorsAfter.outOfPocketMetAmount).toBe('510.00');
    const carveOut = decided(
      inputOf(
        '99213',
        '120.00',
        secondaryPlan('carve_out'),
        deductibleMet,
        undefined,
        primaryPaid('90.00'),
      ),
    );
    expect(carveOut.lines[0]!.paidAmount).toBe('8.00');
    // The primary paid the whole charge: OA-23 is capped at the allowed 100; nothing is owed.
    const overpaid = decided(
      inputOf(
        '99213',
        '120.00',
        secondaryPlan('carve_out'),
        deductibleMet,
        undefined,
        primaryPaid('120.00'),
      ),
    ).lines[0]!;
    expect(overpaid.paidAmount).toBe('0.00');
    expect(overpaid.adjustments).toEqual([
      { group: 'CO', reasonCode: '45', amount: '20.00' },
      { group: 'OA', reasonCode: '23', amount: '100.00' },
    ]);
  });

  it('a tertiary claim subtracts what the primary and the secondary paid', () => {
    // Primary 50 + secondary 20 = 70 prior; non-duplication: 80 − 70 = 10 paid, 20 owed.
    const coordination: Coordination = {
      payerResponsibilityCode: 'T',
      priorPayments: [
        { paidAmount: '50.00', lines: [{ lineNumber: 1, paidAmount: '50.00' }] },
        { paidAmount: '20.00', lines: [{ lineNumber: 1, paidAmount: '20.00' }] },
      ],
    };
    const line = decided(
      inputOf(
        '99213',
        '120.00',
        secondaryPlan('non_duplication'),
        deductibleMet,
        undefined,
        coordination,
      ),
    ).lines[0]!;
    expect(line.paidAmount).toBe('10.00');
    expect(line.adjustments).toContainEqual({ group: 'OA', reasonCode: '23', amount: '70.00' });
  });

  it('spreads the prior payer’s claim-level adjustments over its line payments in line order', () => {
    // The guide's COB example to payer B: lines 43.00, 15.00, 21.04 paid 40, 15, 21.04 by payer A
    // (SVD02), which paid 39.15 in all (AMT*D) after a claim-level PR of 36.89: line 1 gives up
    // 36.89 (40 → 3.11).
    const lines = [
      ['43.00', '40'],
      ['15.00', '15'],
      ['21.04', '21.04'],
    ].map(([chargeAmount], index) => ({
      lineNumber: index + 1,
      procedureCode: '99213',
      modifiers: [],
      units: '1',
      chargeAmount: chargeAmount!,
      serviceDate: '2026-03-02',
    }));
    const paid = priorPaidByLine(lines, {
      payerResponsibilityCode: 'S',
      priorPayments: [
        {
          paidAmount: '39.15',
          lines: [
            { lineNumber: 1, paidAmount: '40' },
            { lineNumber: 2, paidAmount: '15' },
            { lineNumber: 3, paidAmount: '21.04' },
          ],
        },
      ],
    })!;
    expect([...paid].map(([number, amount]) => [number, amount.toFixed(2)])).toEqual([
      [1, '3.11'],
      [2, '15.00'],
      [3, '21.04'],
    ]);
    // Without line payments, the claim payment fills the lines in order up to each charge.
    const filled = priorPaidByLine(lines, {
      payerResponsibilityCode: 'S',
      priorPayments: [{ paidAmount: '50.00', lines: [] }],
    })!;
    expect([...filled.values()].map((amount) => amount.toFixed(2))).toEqual([
      '43.00',
      '7.00',
      '0.00',
    ]);
  });
});
