// The pure eligibility answer: figures worked by hand.
import { describe, expect, it } from 'vitest';
import { accumulatedOf, planYearRange } from '../../../src/domain/inquiries/eligibility.js';

describe('accumulatedOf', () => {
  it('leaves the plan amount less what was met', () => {
    expect(accumulatedOf('500.00', '200.00')).toEqual({
      amount: '500.00',
      metAmount: '200.00',
      remainingAmount: '300.00',
    });
  });

  it('never leaves less than nothing', () => {
    expect(accumulatedOf('500', '500.00').remainingAmount).toBe('0.00');
    expect(accumulatedOf('0.00', '0.00').remainingAmount).toBe('0.00');
  });
});

describe('planYearRange', () => {
  it('is the calendar year for a plan year starting in January', () => {
    expect(planYearRange('2026', 1)).toEqual({ start: '2026-01-01', end: '2026-12-31' });
  });

  it('runs to the last day of the month before the start month, across a leap day', () => {
    expect(planYearRange('2027', 3)).toEqual({ start: '2027-03-01', end: '2028-02-29' });
    expect(planYearRange('2026', 7)).toEqual({ start: '2026-07-01', end: '2027-06-30' });
  });
});
