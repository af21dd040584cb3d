// Generated remittances (payments, partial payments, denials, reversals of earlier payments and
// provider-level adjustments) written as 835s, parsed back with node-x12, and checked from the
// parsed segments: every line, claim and the payment balance, and the envelope's counts and
// control numbers agree.
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { write835 } from '../../../src/interop/x12/835.js';
import {
  reversalOf,
  type AdjustmentGroupCode,
  type ProviderAdjustment,
  type Remittance,
  type RemittanceAdjustment,
  type RemittanceClaim,
  type RemittanceLine,
} from '../../../src/domain/settlement/remittance-document.js';
import { parse835, remittanceProblems } from '../../support/x12.js';

const cents = (value: number) => new Decimal(value).dividedBy(100).toFixed(2);
const REASONS: Record<AdjustmentGroupCode, string[]> = {
  CO: ['45', '96', '97', '197', '18', '29'],
  PR: ['1', '2', '3'],
  OA: ['23'],
  PI: ['94'],
};

/** Splits `total` cents into adjustments (some maybe zero); whatever is left over is paid. */
function lineOf(
  chargeCents: number,
  shares: { group: AdjustmentGroupCode; reason: number; part: number }[],
  denied: boolean,
  details: { code: string; units: string; day: number },
): RemittanceLine {
  let remaining = chargeCents;
  const adjustments: RemittanceAdjustment[] = [];
  for (const share of shares) {
    const amount = Math.min(remaining, Math.floor((chargeCents * share.part) / 100));
    remaining -= amount;
    const reasons = REASONS[share.group];
    adjustments.push({
      group: share.group,
      reasonCode: reasons[share.reason % reasons.length]!,
      amount: cents(amount),
    });
  }
  if (denied && remaining > 0) {
    adjustments.push({ group: 'CO', reasonCode: '96', amount: cents(remaining) });
    remaining = 0;
  }
  return {
    procedureCode: details.code,
    modifiers: details.code.endsWith('3') ? ['25'] : [],
    chargeAmount: cents(chargeCents),
    paidAmount: cents(remaining),
    units: details.units,
    serviceDate: `2026-11-${String(details.day).padStart(2, '0')}`,
    adjustments,
    remarkCodes: denied ? ['N130'] : [],
  };
}

const shareArbitrary = fc.record({
  group: fc.constantFrom<AdjustmentGroupCode>('CO', 'PR', 'OA', 'PI'),
  reason: fc.nat(10),
  part: fc.integer({ min: 0, max: 60 }),
});

const lineArbitrary = (denied: boolean) =>
  fc
    .record({
      chargeCents: fc.integer({ min: 1, max: 2_000_000 }),
      shares: fc.array(shareArbitrary, { maxLength: 9 }),
      code: fc.constantFrom('99213', '80053', '97110', 'J1885'),
      units: fc.constantFrom('1', '2', '2.5', '0.125'),
      day: fc.integer({ min: 1, max: 28 }),
    })
    .map((line) => lineOf(line.chargeCents, line.shares, denied, line));

function claimOf(index: number, lines: RemittanceLine[], denied: boolean): RemittanceClaim {
  const sum = (amounts: string[]) =>
    amounts.reduce((total, amount) => total.plus(amount), new Decimal(0)).toFixed(2);
  const adjustments = lines.flatMap((line) => line.adjustments);
  return {
    patientControlNumber: `PCN-${index}`,
    status: denied ? 'denied' : 'processed',
    chargeAmount: sum(lines.map((line) => line.chargeAmount)),
    paidAmount: sum(lines.map((line) => line.paidAmount)),
    patientResponsibilityAmount: sum(
      adjustments.filter((a) => a.group === 'PR').map((a) => a.amount),
    ),
    claimFilingIndicator: '12',
    payerClaimControlNumber: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    patient: { lastName: 'Doe', firstName: index % 3 === 0 ? null : 'Jane', memberId: `M${index}` },
    claimAdjustments: [],
    lines,
  };
}

const claimArbitrary = fc
  .record({
    kind: fc.constantFrom('paid', 'denied', 'reversal'),
    lineCount: fc.integer({ min: 1, max: 4 }),
  })
  .chain(({ kind, lineCount }) =>
    fc
      .array(lineArbitrary(kind === 'denied'), { minLength: lineCount, maxLength: lineCount })
      .map((lines) => ({ kind, lines })),
  );

const providerAdjustmentArbitrary = fc.record({
  reasonCode: fc.constantFrom('WO', 'L6', 'FB', 'CS'),
  reference: fc.option(fc.constantFrom('REF-1', '00000000-0000-4000-8000-000000000001')),
  amountCents: fc.integer({ min: -50_000, max: 50_000 }),
});

const ADDRESS = {
  line1: '1 Main St',
  line2: null,
  city: 'Springfield',
  stateCode: 'IL',
  postalCode: '62701',
  countryCode: 'US',
};
const CONTACT = { name: 'Provider Services', phone: '8005550100', email: 'help@payer.example' };

const remittanceArbitrary = fc
  .record({
    claims: fc.array(claimArbitrary, { maxLength: 12 }),
    providerAdjustments: fc.array(providerAdjustmentArbitrary, { maxLength: 8 }),
    controlNumber: fc.integer({ min: 1, max: 999_999_999 }),
    usageIndicator: fc.constantFrom<'P' | 'T'>('P', 'T'),
    profiles: fc.record({
      payerAddress: fc.boolean(),
      businessContact: fc.boolean(),
      technicalContact: fc.boolean(),
      payeeAddress: fc.boolean(),
      payeeTaxId: fc.boolean(),
      payeeNpi: fc.boolean(),
    }),
  })
  .map((generated): Remittance => {
    const { profiles } = generated;
    const claims = generated.claims.map(({ kind, lines }, index) => {
      const claim = claimOf(index, lines, kind === 'denied');
      return kind === 'reversal' ? reversalOf(claim) : claim;
    });
    const claimPayments = claims.reduce((sum, claim) => sum.plus(claim.paidAmount), new Decimal(0));
    const providerAdjustments: ProviderAdjustment[] = generated.providerAdjustments.map((plb) => ({
      reasonCode: plb.reasonCode,
      reference: plb.reference,
      amount: cents(plb.amountCents),
    }));
    let payment = claimPayments.minus(
      providerAdjustments.reduce((sum, plb) => sum.plus(plb.amount), new Decimal(0)),
    );
    // A payer never sends a negative payment: what it cannot take now it carries forward, as a
    // negative forwarding balance (FB) that brings this payment to zero.
    if (payment.isNegative()) {
      providerAdjustments.push({
        reasonCode: 'FB',
        reference: 'CARRIED',
        amount: payment.toFixed(2),
      });
      payment = new Decimal(0);
    }
    return {
      interchange: {
        senderQualifier: 'ZZ',
        senderId: 'PAYER1',
        receiverQualifier: 'ZZ',
        receiverId: '1234567893',
        controlNumber: generated.controlNumber,
        usageIndicator: generated.usageIndicator,
        preparedAt: new Date('2026-11-25T09:05:00Z'),
      },
      payment: {
        amount: payment.toFixed(2),
        method: 'ACH',
        effectiveDate: '2026-11-26',
        traceNumber: 'TRACE-1',
        originatingCompanyId: '9000000001',
      },
      payer: {
        name: 'Payer',
        payerIdentifier: profiles.payerAddress ? '60054' : null,
        address: profiles.payerAddress ? ADDRESS : null,
        // As the loader does: a lone contact is the technical one (PER*BL, required).
        businessContact: profiles.businessContact && profiles.technicalContact ? CONTACT : null,
        technicalContact: profiles.businessContact || profiles.technicalContact ? CONTACT : null,
      },
      payee: {
        name: 'Provider',
        npi: profiles.payeeNpi ? '1234567893' : null,
        payerAssignedId: 'P1',
        address: profiles.payeeAddress ? ADDRESS : null,
        taxId: profiles.payeeTaxId ? '371234567' : null,
      },
      productionDate: '2026-11-25',
      claims,
      providerAdjustments,
    };
  });

describe('generated 835s read back by node-x12', () => {
  it('balance per line, per claim and per payment, with a consistent envelope', () => {
    fc.assert(
      fc.property(remittanceArbitrary, (remittance) => {
        const parsed = parse835(write835(remittance));
        expect(remittanceProblems(parsed)).toEqual([]);
        const control = remittance.interchange.controlNumber;
        expect(parsed.rawIsa13).toBe(String(control).padStart(9, '0'));
        expect(parsed.interchange.header.valueOf(15)).toBe(remittance.interchange.usageIndicator);
        expect(parsed.claims).toHaveLength(remittance.claims.length);
        expect(parsed.claims.map((claim) => claim.clp[2])).toEqual(
          remittance.claims.map(
            (claim) =>
              ({
                processed: '1',
                processed_as_secondary: '2',
                processed_as_tertiary: '3',
                denied: '4',
                reversal: '22',
              })[claim.status],
          ),
        );
      }),
      { numRuns: 300 },
    );
  });
});
