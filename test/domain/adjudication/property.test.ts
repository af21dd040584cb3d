// Properties of adjudication over random plans, accumulators, fee schedules and claims: every line
// and every claim balances to the cent, no accumulator passes its maximum, nothing is paid below
// zero, and the same input always gives the same decision. Seeded, so every run is the same run.
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adjudicate,
  lineKeyOf,
  type AdjudicatedLine,
  type AdjudicationInput,
  type AdjudicationResult,
  type Coverage,
  type FeeScheduleEntry,
  type PriorAuthorization,
  type ServiceLineToAdjudicate,
} from '../../../src/domain/adjudication/engine.js';

const runs = 500;
const seed = 20260417;

const procedureCodes = ['99213', '80053', '97110', '73721', 'J1885', 'J9035'];
const unknownCode = '99999';
const modifierLists = [[], ['25'], ['RT'], ['25', '59']];
const unitsChoices = ['1', '1', '1', '2', '3', '0.5', '2.5', '1.125', '10'];

function moneyOfCents(cents: number): string {
  return new Decimal(cents).dividedBy(100).toFixed(2);
}

function dateAfter(date: string, days: number): string {
  const time = Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000;
  return new Date(time).toISOString().slice(0, 10);
}

type Generate = fc.GeneratorValue;

const cents = (g: Generate, max: number) => moneyOfCents(g(fc.integer, { min: 0, max }));

function coveragesOf(g: Generate, planYearStart: string): Coverage[] {
  const on = (days: number) => dateAfter(planYearStart, days);
  const shapes: Coverage[][] = [
    [{ planId: 'P1', effectiveFrom: on(-400), effectiveTo: null }],
    [{ planId: 'P1', effectiveFrom: on(-400), effectiveTo: null }],
    [{ planId: 'P1', effectiveFrom: on(-400), effectiveTo: null }],
    [],
    [{ planId: 'P1', effectiveFrom: on(60), effectiveTo: null }],
    [{ planId: 'P1', effectiveFrom: on(-30), effectiveTo: on(200) }],
    [
      { planId: 'P1', effectiveFrom: on(-30), effectiveTo: on(100) },
      { planId: 'P1', effectiveFrom: on(150), effectiveTo: null },
    ],
    [
      { planId: 'P2', effectiveFrom: on(-400), effectiveTo: on(20) },
      { planId: 'P1', effectiveFrom: on(21), effectiveTo: null },
    ],
  ];
  return shapes[g(fc.integer, { min: 0, max: shapes.length - 1 })]!;
}

function feeScheduleOf(g: Generate): FeeScheduleEntry[] {
  const entries: FeeScheduleEntry[] = [];
  for (const procedureCode of procedureCodes) {
    for (const modifier of [null, '25']) {
      const present = g(fc.integer, { min: 0, max: 9 }) < (modifier === null ? 9 : 3);
      if (!present) continue;
      entries.push({
        procedureCode,
        modifier,
        allowedAmount: cents(g, 200_000),
        covered: g(fc.integer, { min: 0, max: 4 }) > 0,
        priorAuthRequired: g(fc.integer, { min: 0, max: 2 }) === 0,
        copayApplies: g(fc.boolean),
      });
    }
  }
  return entries;
}

function priorAuthorizationsOf(g: Generate, claimStart: string): PriorAuthorization[] {
  const count = g(fc.constantFrom, 0, 1, 2, 3, 3);
  return Array.from({ length: count }, (_, index) => {
    const unitsAuthorized = g(fc.integer, { min: 0, max: 12 });
    const validFromDay = g(fc.integer, { min: -60, max: 10 });
    return {
      authorizationId: `PA-${index}`,
      procedureCode: g(fc.constantFrom, '73721', 'J9035', '97110'),
      unitsAuthorized,
      unitsUsed: g(fc.integer, { min: 0, max: Math.floor(unitsAuthorized / 2) }),
      validFrom: dateAfter(claimStart, validFromDay),
      validTo: dateAfter(claimStart, validFromDay + g(fc.integer, { min: 0, max: 150 })),
    };
  });
}

/** Lines within 30 days from claimStart. */
function linesOf(g: Generate, claimStart: string): ServiceLineToAdjudicate[] {
  const count = g(fc.integer, { min: 1, max: 10 });
  return Array.from({ length: count }, (_, index) => {
    // Few distinct days, so duplicates and shared authorizations come up often.
    const day = g(fc.boolean) ? g(fc.constantFrom, 0, 1) : g(fc.integer, { min: 0, max: 30 });
    const known = g(fc.integer, { min: 0, max: 19 }) > 0;
    return {
      lineNumber: index + 1,
      procedureCode: known ? g(fc.constantFrom, ...procedureCodes) : unknownCode,
      modifiers: g(fc.constantFrom, ...modifierLists),
      units: g(fc.constantFrom, ...unitsChoices),
      chargeAmount: moneyOfCents(g(fc.integer, { min: 1, max: 300_000 })),
      serviceDate: dateAfter(claimStart, day),
    };
  });
}

const inputArbitrary: fc.Arbitrary<AdjudicationInput> = fc.gen().map((g) => {
  const planYearStartMonth = g(fc.integer, { min: 1, max: 12 });
  const planYearStart = `2026-${String(planYearStartMonth).padStart(2, '0')}-01`;
  const deductibleCents = g(fc.integer, { min: 0, max: 300_000 });
  const outOfPocketMaxCents = g(fc.integer, { min: 0, max: 600_000 });
  const plan = {
    planId: 'P1',
    deductibleAmount: moneyOfCents(deductibleCents),
    outOfPocketMaxAmount: moneyOfCents(outOfPocketMaxCents),
    copayAmount: cents(g, 10_000),
    coinsurancePercent: g(fc.constantFrom, '0', '10', '20', '12.5', '33.333', '50', '100'),
    planYearStartMonth,
  };
  // Every service date stays in plan year 2026, which the accumulators are for.
  const claimStart = dateAfter(planYearStart, g(fc.integer, { min: 0, max: 334 }));
  const lines = linesOf(g, claimStart);
  const lastServiceDate = lines.map((line) => line.serviceDate).sort()[lines.length - 1]!;
  const previouslyAdjudicatedLineKeys = new Set(
    lines.filter(() => g(fc.integer, { min: 0, max: 9 }) === 0).map(lineKeyOf),
  );
  return {
    claim: {
      receivedDate: dateAfter(lastServiceDate, g(fc.integer, { min: 0, max: 60 })),
      lines,
    },
    previouslyAdjudicatedLineKeys,
    plan,
    coverages: coveragesOf(g, planYearStart),
    feeSchedule: feeScheduleOf(g),
    priorAuthorizations: priorAuthorizationsOf(g, claimStart),
    accumulators: {
      planYear: '2026',
      deductibleMetAmount: moneyOfCents(g(fc.integer, { min: 0, max: deductibleCents })),
      outOfPocketMetAmount: moneyOfCents(g(fc.integer, { min: 0, max: outOfPocketMaxCents })),
    },
    payerRules: {
      timelyFilingDays: g(fc.constantFrom, 30, 90, 180, 365),
      autoAdjudicationLimitAmount:
        g(fc.integer, { min: 0, max: 3 }) > 0 ? '999999999.99' : cents(g, 1_000_000),
      pendUnknownCodes: g(fc.boolean),
    },
  };
});

const sum = (amounts: readonly string[]) =>
  amounts.reduce((total, amount) => total.plus(amount), new Decimal(0));

/** What the runs reached, so a generator that stopped reaching a rule fails the test. */
const reached = { decided: 0, pended: 0, denied: 0, capped: 0, reduced: 0, authorized: 0 };

function checkBalances(input: AdjudicationInput, result: AdjudicationResult): void {
  if (result.outcome === 'pend') {
    reached.pended += 1;
    expect(result.pendReasons.length).toBeGreaterThan(0);
    return;
  }
  reached.decided += 1;
  expect(result.lines.map((line) => line.lineNumber)).toEqual(
    input.claim.lines.map((line) => line.lineNumber),
  );
  for (const line of result.lines) {
    const amounts = [
      line.chargeAmount,
      line.allowedAmount,
      line.paidAmount,
      line.patientResponsibilityAmount,
      ...line.adjustments.map((adjustment) => adjustment.amount),
    ];
    for (const amount of amounts) expect(amount).toMatch(/^\d+\.\d{2}$/);
    const adjusted = sum(line.adjustments.map((adjustment) => adjustment.amount));
    const patient = sum(
      line.adjustments.filter((each) => each.group === 'PR').map((each) => each.amount),
    );
    expect(new Decimal(line.paidAmount).plus(adjusted).toFixed(2)).toBe(line.chargeAmount);
    expect(patient.toFixed(2)).toBe(line.patientResponsibilityAmount);
    expect(new Decimal(line.paidAmount).plus(patient).toFixed(2)).toBe(line.allowedAmount);
    expect(new Decimal(line.allowedAmount).lte(line.chargeAmount)).toBe(true);
    if (line.denied) {
      reached.denied += 1;
      expect(line.paidAmount).toBe('0.00');
      expect(line.adjustments).toEqual([
        { group: 'CO', reasonCode: expect.any(String), amount: line.chargeAmount },
      ]);
    }
    if (line.rulesFired.includes('oop.cap')) reached.capped += 1;
    if (line.rulesFired.includes('fee-schedule.reduction')) reached.reduced += 1;
  }
  const totalOf = (pick: (line: AdjudicatedLine) => string[]) =>
    sum(result.lines.flatMap(pick)).toFixed(2);
  expect(result.totals).toEqual({
    chargeAmount: totalOf((line) => [line.chargeAmount]),
    allowedAmount: totalOf((line) => [line.allowedAmount]),
    paidAmount: totalOf((line) => [line.paidAmount]),
    patientResponsibilityAmount: totalOf((line) => [line.patientResponsibilityAmount]),
    adjustmentAmount: totalOf((line) => line.adjustments.map((each) => each.amount)),
  });
  const { totals } = result;
  expect(new Decimal(totals.paidAmount).plus(totals.adjustmentAmount).toFixed(2)).toBe(
    totals.chargeAmount,
  );
  const deniedCount = result.lines.filter((line) => line.denied).length;
  const status =
    deniedCount === 0 ? 'paid' : deniedCount === result.lines.length ? 'denied' : 'partially_paid';
  expect(result.status).toBe(status);
}

function checkAccumulators(input: AdjudicationInput, result: AdjudicationResult): void {
  if (result.outcome === 'pend') return;
  const after = result.accumulatorsAfter;
  const before = input.accumulators;
  expect(new Decimal(after.deductibleMetAmount).lte(input.plan.deductibleAmount)).toBe(true);
  expect(new Decimal(after.outOfPocketMetAmount).lte(input.plan.outOfPocketMaxAmount)).toBe(true);
  const adjustments = result.lines.flatMap((line) => line.adjustments);
  const deductibles = adjustments.filter((each) => each.group === 'PR' && each.reasonCode === '1');
  const expectedDeductibleMet = sum([
    before.deductibleMetAmount,
    ...deductibles.map((each) => each.amount),
  ]);
  expect(after.deductibleMetAmount).toBe(expectedDeductibleMet.toFixed(2));
  const expectedOutOfPocketMet = sum([
    before.outOfPocketMetAmount,
    result.totals.patientResponsibilityAmount,
  ]);
  expect(after.outOfPocketMetAmount).toBe(expectedOutOfPocketMet.toFixed(2));
  for (const use of result.priorAuthorizationUnitsUsed) {
    reached.authorized += 1;
    const authorization = input.priorAuthorizations.find(
      (each) => each.authorizationId === use.authorizationId,
    );
    expect(authorization).toBeDefined();
    expect(use.units).toBeGreaterThan(0);
    expect(authorization!.unitsUsed + use.units).toBeLessThanOrEqual(
      authorization!.unitsAuthorized,
    );
  }
}

describe('adjudication properties', () => {
  it(`balances, respects the maximums and repeats itself (${runs} seeded runs)`, () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const before = structuredClone(input);
        const result = adjudicate(input);
        checkBalances(input, result);
        checkAccumulators(input, result);
        expect(adjudicate(input)).toEqual(result);
        expect(adjudicate(structuredClone(input))).toEqual(result);
        expect(input).toEqual(before);
      }),
      { numRuns: runs, seed },
    );
    // The generator must keep reaching the interesting paths, or the properties prove little.
    expect(reached.decided).toBeGreaterThan(runs / 4);
    expect(reached.pended).toBeGreaterThan(0);
    expect(reached.denied).toBeGreaterThan(runs / 4);
    expect(reached.capped).toBeGreaterThan(10);
    expect(reached.reduced).toBeGreaterThan(runs / 4);
    expect(reached.authorized).toBeGreaterThan(10);
  });
});
