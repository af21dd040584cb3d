// The pure eligibility answer: figures worked by hand.
import { describe, expect, it } from 'vitest';
import {
  accumulatedOf,
  effectiveRemainingOf,
  familyBenefitsOf,
  planYearRange,
} from '../../../src/domain/inquiries/eligibility.js';

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

describe('family figures', () => {
  // Deductible 500 each and 1000 per family, out-of-pocket 2000 and 2500; the family has met 900
  // and 920, the child asked about nothing yet.
  const individual = {
    deductible: accumulatedOf('500.00', '0.00'),
    outOfPocketMaximum: accumulatedOf('2000.00', '0.00'),
  };
  const family = familyBenefitsOf(
    { familyDeductibleAmount: '1000.00', familyOutOfPocketMaxAmount: '2500.00' },
    { deductibleMetAmount: '900.00', outOfPocketMetAmount: '920.00' },
  );

  it('leaves the family 1000 − 900 = 100 and 2500 − 920 = 1580', () => {
    expect(family).toEqual({
      deductible: { amount: '1000.00', metAmount: '900.00', remainingAmount: '100.00' },
      outOfPocketMaximum: { amount: '2500.00', metAmount: '920.00', remainingAmount: '1580.00' },
    });
  });

  it('lets the member be charged the lesser of its own remaining and the family’s', () => {
    expect(effectiveRemainingOf(individual, family)).toEqual({
      deductibleAmount: '100.00',
      outOfPocketAmount: '1580.00',
    });
    // A subscriber with 450 of its own met, the family 600: its own 50 is the lesser.
    const subscriber = {
      deductible: accumulatedOf('500.00', '450.00'),
      outOfPocketMaximum: accumulatedOf('2000.00', '450.00'),
    };
    const lessMet = familyBenefitsOf(
      { familyDeductibleAmount: '1000.00', familyOutOfPocketMaxAmount: null },
      { deductibleMetAmount: '600.00', outOfPocketMetAmount: '600.00' },
    );
    expect(lessMet!.outOfPocketMaximum).toBeNull();
    expect(effectiveRemainingOf(subscriber, lessMet)).toEqual({
      deductibleAmount: '50.00',
      outOfPocketAmount: '1550.00',
    });
  });

  it('is null for a plan with individual limits only, the member’s own figures then applying', () => {
    const none = familyBenefitsOf(
      { familyDeductibleAmount: null, familyOutOfPocketMaxAmount: null },
      { deductibleMetAmount: '900.00', outOfPocketMetAmount: '920.00' },
    );
    expect(none).toBeNull();
    expect(effectiveRemainingOf(individual, none)).toEqual({
      deductibleAmount: '500.00',
      outOfPocketAmount: '2000.00',
    });
  });
});
