// The ledger replay posts what each money event posted when it happened; balances worked
// out by hand for a claim paid, settled, confirmed and then voided.
import { describe, expect, it } from 'vitest';
import {
  LedgerReplay,
  ReplayError,
  type MoneyEvent,
} from '../../../src/domain/reconciliation/replay.js';

const PROVIDER = '11111111-1111-4111-8111-111111111111';
const PAYER = '22222222-2222-4222-8222-222222222222';

let eventCount = 0;

const claimEvent = (type: string, payload: object): MoneyEvent => ({
  id: `e${(eventCount += 1)}`,
  type,
  partyOrgIds: [PROVIDER, PAYER],
  payload,
});

const adjudicated = (claimId: string, paidAmount: string, patientResponsibilityAmount: string) =>
  claimEvent('ClaimAdjudicated', { claimId, totals: { paidAmount, patientResponsibilityAmount } });

const batchEvent = (type: string, payload: object): MoneyEvent => ({
  id: `e${(eventCount += 1)}`,
  type,
  partyOrgIds: [PROVIDER, PAYER],
  payload,
});

function balancesOf(replay: LedgerReplay): Record<string, string> {
  return Object.fromEntries(
    replay
      .accounts()
      .map(({ key, amount }) => [
        `${key.ownerOrgId === PAYER ? 'payer' : 'provider'}.${key.purpose}`,
        amount.toFixed(2),
      ]),
  );
}

describe('LedgerReplay', () => {
  it('gives each account the balance the journal would hold', () => {
    const replay = new LedgerReplay();
    replay.apply(adjudicated('c1', '60.00', '40.00'));
    replay.apply(adjudicated('c2', '30.00', '0.00'));
    replay.apply(claimEvent('ClaimSubmitted', { claimId: 'c3' }));
    replay.apply(
      batchEvent('SettlementBatchIssued', {
        batchId: 'b1',
        payerOrgId: PAYER,
        providerOrgId: PROVIDER,
        amount: '90.00',
      }),
    );
    replay.apply(batchEvent('SettlementBatchConfirmed', { batchId: 'b1', batchAmount: '90.00' }));
    const reversal = claimEvent('ClaimReversed', {
      claimId: 'c1',
      paidAmountReversed: '60.00',
      recoupmentAmount: '60.00',
    });
    replay.apply(reversal);

    expect(balancesOf(replay)).toEqual({
      'payer.claims_expense': '30.00',
      // The provider owes back the 60.00 paid on the voided claim.
      'payer.payable_to_provider': '60.00',
      'payer.payments_in_transit': '0.00',
      'payer.settled_payments': '-90.00',
      'provider.receivable_from_payer': '-60.00',
      'provider.receivable_from_patients': '0.00',
      'provider.patient_service_revenue': '-30.00',
      'provider.payments_in_transit': '0.00',
      'provider.settled_payments': '90.00',
    });
    expect(replay.eventsReplayed).toBe(6);
    // What settlement must hold the provider to: owed, or taken back by a batch line.
    expect(replay.recoupments).toEqual([
      {
        claimId: 'c1',
        reversalEventId: reversal.id,
        amount: '60.00',
        partyOrgIds: [PROVIDER, PAYER],
      },
    ]);
  });

  it('reverses a pended claim as nothing', () => {
    const replay = new LedgerReplay();
    replay.apply(claimEvent('ClaimPended', { claimId: 'c1', pendReasons: [] }));
    replay.apply(
      claimEvent('ClaimReversed', {
        claimId: 'c1',
        paidAmountReversed: '0.00',
        recoupmentAmount: '0.00',
      }),
    );
    expect(Object.values(balancesOf(replay)).every((amount) => amount === '0.00')).toBe(true);
    // Nothing was paid, so nothing is owed back.
    expect(replay.recoupments).toEqual([]);
  });

  it('refuses events that contradict what came before, or lack what they must hold', () => {
    const replay = new LedgerReplay();
    replay.apply(adjudicated('c1', '60.00', '40.00'));
    expect(() =>
      replay.apply(claimEvent('ClaimReversed', { claimId: 'c1', paidAmountReversed: '61.00' })),
    ).toThrow(ReplayError);
    expect(() =>
      replay.apply(claimEvent('ClaimReversed', { claimId: 'c1', paidAmountReversed: '61.00' })),
    ).toThrow("reverses 61.00 but the claim's latest decision paid 60.00");
    expect(() =>
      replay.apply(batchEvent('SettlementBatchConfirmed', { batchId: 'b9', batchAmount: '1.00' })),
    ).toThrow('confirms batch b9, never issued');
    expect(() =>
      replay.apply(claimEvent('ClaimAdjudicated', { claimId: 'c2', totals: {} })),
    ).toThrow('has no paidAmount');
    expect(() =>
      replay.apply(claimEvent('ClaimReversed', { claimId: 'c1', paidAmountReversed: '60.00' })),
    ).toThrow('has no recoupmentAmount');
    expect(() => replay.apply({ ...adjudicated('c3', '1.00', '0.00'), partyOrgIds: null })).toThrow(
      'does not name its provider and payer',
    );
  });
});
