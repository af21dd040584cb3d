// A settlement batch as a FHIR R4 PaymentReconciliation: the payment the payer issued to the
// provider, one detail per claim paid in it (type payment), one per recoupment (type
// adjustment, a negative amount) and one for a balance carried forward or recovered (type
// adjustment, no claim), so that Σ detail.amount = paymentAmount, as in the batch's 835.
import type { Money, PaymentReconciliation, PaymentReconciliationDetail } from '@medplum/fhirtypes';
import { Decimal } from 'decimal.js';
import type { BatchLine, SettlementBatchDetail } from '../../domain/settlement/service.js';
import { codeableConcept, moneyOf } from './codes.js';

export const paymentReconciliationSystem = {
  paymentType: 'http://terminology.hl7.org/CodeSystem/payment-type',
  settlementBatch: 'https://claimchain.dev/fhir/NamingSystem/settlement-batch',
  /** The value of the batch's 835 TRN02: the payment's trace number once finance confirmed it. */
  paymentTrace: 'https://claimchain.dev/fhir/NamingSystem/payment-trace-number',
} as const;

const OUTCOMES: Record<SettlementBatchDetail['status'], PaymentReconciliation['outcome']> = {
  issued: 'queued',
  confirmed: 'complete',
  exception: 'error',
};

function dispositionOf(batch: SettlementBatchDetail): string {
  if (batch.status === 'issued') return 'Payment issued; not yet confirmed by the payer';
  if (batch.status === 'confirmed') return 'Payment confirmed';
  return `Payment confirmed for ${batch.confirmedAmount}, not the batch amount ${batch.amount}`;
}

/** Money that may be negative (a recoupment); moneyOf accepts amounts of at least zero. */
function signedMoneyOf(amount: string): Money {
  if (!amount.startsWith('-')) return moneyOf(amount);
  const money = moneyOf(amount.slice(1));
  return { ...money, value: -(money.value ?? 0) };
}

function detailOf(
  batch: SettlementBatchDetail,
  line: BatchLine,
  type: 'payment' | 'adjustment',
): PaymentReconciliationDetail {
  const provider = { reference: `Organization/${batch.providerId}` };
  return {
    type: codeableConcept({ system: paymentReconciliationSystem.paymentType, code: type }),
    request: { reference: `Claim/${line.claimId}` },
    ...(type === 'payment' ? { response: { reference: `ClaimResponse/${line.claimId}` } } : {}),
    submitter: provider,
    payee: provider,
    date: batch.createdAt.slice(0, 10),
    amount: signedMoneyOf(line.amount),
  };
}

/** What the provider owes carried into the batch (positive) or recovered by it (negative). */
function balanceForwardDetailOf(batch: SettlementBatchDetail): PaymentReconciliationDetail[] {
  if (new Decimal(batch.balanceForwardAmount).isZero()) return [];
  const provider = { reference: `Organization/${batch.providerId}` };
  return [
    {
      type: codeableConcept({
        system: paymentReconciliationSystem.paymentType,
        code: 'adjustment',
      }),
      submitter: provider,
      payee: provider,
      date: batch.createdAt.slice(0, 10),
      amount: signedMoneyOf(batch.balanceForwardAmount),
    },
  ];
}

export function paymentReconciliationOf(batch: SettlementBatchDetail): PaymentReconciliation {
  const confirmed = batch.status === 'confirmed';
  return {
    resourceType: 'PaymentReconciliation',
    id: batch.id,
    identifier: [{ system: paymentReconciliationSystem.settlementBatch, value: batch.id }],
    status: 'active',
    created: batch.createdAt,
    paymentIssuer: { reference: `Organization/${batch.payerId}` },
    requestor: { reference: `Organization/${batch.providerId}` },
    outcome: OUTCOMES[batch.status],
    disposition: dispositionOf(batch),
    paymentDate: (confirmed ? batch.confirmedDate : null) ?? batch.createdAt.slice(0, 10),
    paymentAmount: moneyOf(batch.amount),
    paymentIdentifier: {
      system: paymentReconciliationSystem.paymentTrace,
      value: (confirmed ? batch.traceNumber : null) ?? batch.id,
    },
    detail: [
      ...batch.claims.map((line) => detailOf(batch, line, 'payment')),
      ...batch.adjustments.map((line) => detailOf(batch, line, 'adjustment')),
      ...balanceForwardDetailOf(batch),
    ],
  };
}
