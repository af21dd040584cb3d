// Automatic adjudication of the everyday line details of issue 10, worked by hand: anesthesia
// minutes priced by base and time units, and service periods (coverage to the last day, timely
// filing from it).
import { describe, expect, it } from 'vitest';
import {
  adjudicate,
  feeSchedulePriceOf,
  type AdjudicationInput,
  type DecidedAdjudication,
  type FeeScheduleEntry,
  type ServiceLineToAdjudicate,
} from '../../../src/domain/adjudication/engine.js';

// Plan SILVER: no deductible, no copay, coinsurance 20 %, calendar plan year; covered from
// 2026-01-01 to 2026-06-30.
const plan = {
  planId: 'SILVER',
  deductibleAmount: '0.00',
  outOfPocketMaxAmount: '5000.00',
  copayAmount: '0.00',
  coinsurancePercent: '20',
  planYearStartMonth: 1,
};

const entry = (procedureCode: string, options: Partial<FeeScheduleEntry> = {}) => ({
  procedureCode,
  modifier: null,
  allowedAmount: '0.00',
  covered: true,
  priorAuthRequired: false,
  copayApplies: false,
  ...options,
});

// 00400: anesthesia for procedures on the skin of the extremities, 3 base units (CMS).
const anesthesia = entry('00400', { anesthesiaBaseUnits: 3 });
const officeVisit = entry('99213', { allowedAmount: '100.00' });

function inputOf(
  line: Partial<ServiceLineToAdjudicate>,
  options: {
    conversionFactor?: string;
    receivedDate?: string;
    feeSchedule?: FeeScheduleEntry[];
  } = {},
): AdjudicationInput {
  return {
    claim: {
      receivedDate: options.receivedDate ?? '2026-04-01',
      lines: [
        {
          lineNumber: 1,
          procedureCode: '99213',
          modifiers: [],
          units: '1',
          chargeAmount: '100.00',
          serviceDate: '2026-03-02',
          ...line,
        },
      ],
    },
    previouslyAdjudicatedLineKeys: new Set(),
    plan,
    coverages: [{ planId: 'SILVER', effectiveFrom: '2026-01-01', effectiveTo: '2026-06-30' }],
    feeSchedule: options.feeSchedule ?? [anesthesia, officeVisit],
    priorAuthorizations: [],
    accumulators: { planYear: '2026', deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' },
    payerRules: {
      timelyFilingDays: 90,
      autoAdjudicationLimitAmount: '10000.00',
      pendUnknownCodes: false,
      ...(options.conversionFactor === undefined
        ? { anesthesiaConversionFactor: '22.00' }
        : { anesthesiaConversionFactor: options.conversionFactor }),
    },
  };
}

function decide(input: AdjudicationInput): DecidedAdjudication {
  const result = adjudicate(input);
  if (result.outcome !== 'decided') throw new Error(`pended: ${result.pendReasons.join('; ')}`);
  return result;
}

describe('anesthesia minutes', () => {
  it('00400, 60 minutes at 22.00: (3 base + 4.0 time units) × 22.00 = 154.00 allowed', () => {
    // Charge 200.00: CO-45 200.00 − 154.00 = 46.00; coinsurance 20 % of 154.00 = PR-2 30.80;
    // paid 154.00 − 30.80 = 123.20; 123.20 + 46.00 + 30.80 = 200.00.
    const result = decide(
      inputOf({ procedureCode: '00400', units: '60', unitType: 'minutes', chargeAmount: '200.00' }),
    );
    expect(result.lines).toEqual([
      {
        lineNumber: 1,
        chargeAmount: '200.00',
        allowedAmount: '154.00',
        paidAmount: '123.20',
        patientResponsibilityAmount: '30.80',
        adjustments: [
          { group: 'CO', reasonCode: '45', amount: '46.00' },
          { group: 'PR', reasonCode: '2', amount: '30.80' },
        ],
        remarkCodes: [],
        rulesFired: [
          'coverage.active',
          'timely-filing.on-time',
          'duplicate.none',
          'fee-schedule.priced',
          'prior-auth.not-required',
          'fee-schedule.anesthesia-time',
          'fee-schedule.reduction',
          'coinsurance',
        ],
        denied: false,
      },
    ]);
  });

  it.each([
    // minutes / 15, rounded to one decimal (half up), plus 3 base units, times the factor.
    ['37', '22.00', '121.00'], // 2.466… → 2.5; 5.5 × 22.00
    ['38', '22.00', '121.00'], // 2.533… → 2.5
    ['52', '22.00', '143.00'], // 3.466… → 3.5; 6.5 × 22.00
    ['1', '22.00', '68.20'], // 0.066… → 0.1; 3.1 × 22.00
    ['37', '21.37', '117.54'], // 5.5 × 21.37 = 117.535 → 117.54 (half up)
  ])('%s minutes at %s: %s', (minutes, conversionFactor, allowed) => {
    expect(
      feeSchedulePriceOf({ units: minutes, unitType: 'minutes' }, anesthesia, {
        anesthesiaConversionFactor: conversionFactor,
      }).toFixed(2),
    ).toBe(allowed);
  });

  it('the same code billed in units is priced per unit, as any code', () => {
    const perUnit = entry('00400', { allowedAmount: '50.00', anesthesiaBaseUnits: 3 });
    expect(feeSchedulePriceOf({ units: '2' }, perUnit, {}).toFixed(2)).toBe('100.00');
  });

  it('minutes without base units for the code, or without a conversion factor, pend', () => {
    const noBaseUnits = adjudicate(
      inputOf(
        { procedureCode: '00400', units: '60', unitType: 'minutes' },
        { feeSchedule: [entry('00400', { allowedAmount: '10.00' })] },
      ),
    );
    expect(noBaseUnits).toEqual({
      outcome: 'pend',
      pendReasons: [
        'line 1: procedure code 00400 is billed in minutes, but the payer has no anesthesia base units for it',
      ],
    });
    const input = inputOf({ procedureCode: '00400', units: '60', unitType: 'minutes' });
    delete input.payerRules.anesthesiaConversionFactor;
    expect(adjudicate(input)).toEqual({
      outcome: 'pend',
      pendReasons: [
        'line 1: procedure code 00400 is billed in minutes, but the payer has no anesthesia conversion factor',
      ],
    });
  });
});

describe('service periods', () => {
  it('a period within the coverage is paid', () => {
    const result = decide(inputOf({ serviceDate: '2026-06-01', serviceDateTo: '2026-06-30' }));
    expect(result.lines[0]).toMatchObject({ allowedAmount: '100.00', paidAmount: '80.00' });
  });

  it('a period running past the end of the coverage is CO-27', () => {
    const result = decide(
      inputOf(
        { serviceDate: '2026-06-25', serviceDateTo: '2026-07-02' },
        { receivedDate: '2026-07-10' },
      ),
    );
    expect(result.lines[0]).toMatchObject({
      paidAmount: '0.00',
      adjustments: [{ group: 'CO', reasonCode: '27', amount: '100.00' }],
      rulesFired: ['coverage.terminated-during-period'],
      denied: true,
    });
  });

  it('timely filing counts from the last day of the period', () => {
    // 90 days: from 2026-01-10 to 2026-04-05 is 85 days (on time); from 2026-01-01 it is 94.
    const period = { serviceDate: '2026-01-01', serviceDateTo: '2026-01-10' };
    expect(decide(inputOf(period, { receivedDate: '2026-04-05' })).lines[0]!.denied).toBe(false);
    const oneDay = decide(inputOf({ serviceDate: '2026-01-01' }, { receivedDate: '2026-04-05' }));
    expect(oneDay.lines[0]!.adjustments).toEqual([
      { group: 'CO', reasonCode: '29', amount: '100.00' },
    ]);
  });

  it('a period that ends before it starts, or minutes that are not whole, are refused input', () => {
    expect(() =>
      adjudicate(inputOf({ serviceDate: '2026-03-02', serviceDateTo: '2026-03-01' })),
    ).toThrow(
      expect.objectContaining({
        problems: [
          { field: 'claim.lines[0].serviceDateTo', message: 'must not be before serviceDate' },
        ],
      }),
    );
    expect(() =>
      adjudicate(inputOf({ procedureCode: '00400', units: '60.5', unitType: 'minutes' })),
    ).toThrow(
      expect.objectContaining({
        problems: [{ field: 'claim.lines[0].units', message: 'must be whole minutes' }],
      }),
    );
  });
});
