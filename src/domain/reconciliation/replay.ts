// Balances recomputed from the ledger alone: each money event, read in seq order, posts what
// the domain posted when it happened (the same posting functions), so a journal changed
// behind the ledger's back, or a ledger event without its journal entry, shows up as a
// difference. Pure: the events come in, account balances come out.
import { Decimal } from 'decimal.js';
import {
  type AccountKey,
  accountKeyText,
  claimDecisionPostings,
  type Posting,
  settlementPostings,
} from '../accounts/index.js';

/** The event types that move money, and the ones a reversal needs to look back at. */
export const MONEY_EVENT_TYPES = [
  'ClaimAdjudicated',
  'ClaimPended',
  'ClaimReversed',
  'SettlementBatchIssued',
  'SettlementBatchConfirmed',
] as const;

export interface MoneyEvent {
  id: string;
  type: string;
  /** Claim events: [provider, payer], as the domain appends them. */
  partyOrgIds: readonly string[] | null;
  payload: unknown;
}

export class ReplayError extends Error {}

interface DecisionTotals {
  paid: string;
  patient: string;
}

/** A reversal's claim on the provider: what a batch paid on the claim, to be paid back. */
export interface RecoupmentClaimed {
  claimId: string;
  reversalEventId: string;
  /** Above 0, e.g. "92.00". */
  amount: string;
  /** [provider, payer]. */
  partyOrgIds: [string, string];
}

export class LedgerReplay {
  /** The reversals replayed with money to recoup, in seq order. */
  readonly recoupments: RecoupmentClaimed[] = [];
  private readonly balances = new Map<string, { key: AccountKey; amount: Decimal }>();
  /** Each claim's latest decision, which a reversal takes back. */
  private readonly latestDecisions = new Map<string, DecisionTotals>();
  private readonly batchParties = new Map<string, { payer: string; provider: string }>();
  eventsReplayed = 0;

  /** Starts from balances an earlier replay reached (an incremental run's checkpoint). */
  constructor(balances: readonly { key: AccountKey; amount: Decimal }[] = []) {
    for (const { key, amount } of balances) this.balances.set(accountKeyText(key), { key, amount });
  }

  /**
   * What the events refer to that this replay has not seen: claims they reverse, batches they
   * confirm. A replay that starts from a checkpoint is told of those (remember) first.
   */
  unknownReferences(events: readonly MoneyEvent[]): { claimIds: string[]; batchIds: string[] } {
    const claimIds = new Set<string>();
    const batchIds = new Set<string>();
    for (const event of events) {
      const payload = event.payload as Record<string, unknown>;
      if (event.type === 'ClaimReversed' && typeof payload.claimId === 'string') {
        if (!this.latestDecisions.has(payload.claimId)) claimIds.add(payload.claimId);
      }
      if (event.type === 'SettlementBatchConfirmed' && typeof payload.batchId === 'string') {
        if (!this.batchParties.has(payload.batchId)) batchIds.add(payload.batchId);
      }
    }
    return { claimIds: [...claimIds], batchIds: [...batchIds] };
  }

  /** Learns from an event before the checkpoint what later events refer to; posts nothing. */
  remember(event: MoneyEvent): void {
    const payload = event.payload as Record<string, unknown>;
    if (event.type === 'ClaimAdjudicated' || event.type === 'ClaimPended') {
      const totals =
        event.type === 'ClaimPended'
          ? { paid: '0.00', patient: '0.00' }
          : decisionTotals(event, payload);
      this.latestDecisions.set(text(event, payload, 'claimId'), totals);
    } else if (event.type === 'SettlementBatchIssued') {
      this.batchParties.set(text(event, payload, 'batchId'), {
        payer: text(event, payload, 'payerOrgId'),
        provider: text(event, payload, 'providerOrgId'),
      });
    }
  }

  apply(event: MoneyEvent): void {
    this.eventsReplayed += 1;
    const payload = event.payload as Record<string, unknown>;
    switch (event.type) {
      case 'ClaimAdjudicated':
      case 'ClaimPended': {
        const [provider, payer] = claimParties(event);
        const totals =
          event.type === 'ClaimPended'
            ? { paid: '0.00', patient: '0.00' }
            : decisionTotals(event, payload);
        this.latestDecisions.set(text(event, payload, 'claimId'), totals);
        this.post(claimDecisionPostings(provider, payer, totals.paid, totals.patient));
        return;
      }
      case 'ClaimReversed': {
        const [provider, payer] = claimParties(event);
        const claimId = text(event, payload, 'claimId');
        const reversed = this.latestDecisions.get(claimId) ?? { paid: '0.00', patient: '0.00' };
        if (!new Decimal(reversed.paid).equals(text(event, payload, 'paidAmountReversed'))) {
          throw new ReplayError(
            `event ${event.id} reverses ${text(event, payload, 'paidAmountReversed')} ` +
              `but the claim's latest decision paid ${reversed.paid}`,
          );
        }
        // Read before posting: an event that lacks it posts nothing.
        const recoupment = text(event, payload, 'recoupmentAmount');
        this.post(claimDecisionPostings(provider, payer, reversed.paid, reversed.patient, -1));
        if (new Decimal(recoupment).greaterThan(0)) {
          this.recoupments.push({
            claimId,
            reversalEventId: event.id,
            amount: recoupment,
            partyOrgIds: [provider, payer],
          });
        }
        return;
      }
      case 'SettlementBatchIssued': {
        const parties = {
          payer: text(event, payload, 'payerOrgId'),
          provider: text(event, payload, 'providerOrgId'),
        };
        this.batchParties.set(text(event, payload, 'batchId'), parties);
        this.post(
          settlementPostings(
            'issued',
            parties.payer,
            parties.provider,
            text(event, payload, 'amount'),
          ),
        );
        return;
      }
      case 'SettlementBatchConfirmed': {
        const batchId = text(event, payload, 'batchId');
        const parties = this.batchParties.get(batchId);
        if (!parties) {
          throw new ReplayError(`event ${event.id} confirms batch ${batchId}, never issued`);
        }
        this.post(
          settlementPostings(
            'confirmed',
            parties.payer,
            parties.provider,
            text(event, payload, 'batchAmount'),
          ),
        );
        return;
      }
      default:
        return;
    }
  }

  /** Every account the events touched, with its balance (zero balances included). */
  accounts(): { key: AccountKey; amount: Decimal }[] {
    return [...this.balances.values()];
  }

  private post(postings: Posting[]): void {
    for (const posting of postings) {
      const key = {
        ownerOrgId: posting.ownerOrgId,
        counterpartyOrgId: posting.counterpartyOrgId,
        purpose: posting.purpose,
      };
      const id = accountKeyText(key);
      const earlier = this.balances.get(id);
      this.balances.set(id, {
        key,
        amount: (earlier?.amount ?? new Decimal(0)).plus(posting.amount),
      });
    }
  }
}

function claimParties(event: MoneyEvent): [string, string] {
  const [provider, payer] = event.partyOrgIds ?? [];
  if (!provider || !payer) {
    throw new ReplayError(`event ${event.id} does not name its provider and payer`);
  }
  return [provider, payer];
}

function decisionTotals(event: MoneyEvent, payload: Record<string, unknown>): DecisionTotals {
  const totals = (payload.totals ?? {}) as Record<string, unknown>;
  return {
    paid: text(event, totals, 'paidAmount'),
    patient: text(event, totals, 'patientResponsibilityAmount'),
  };
}

function text(event: MoneyEvent, object: Record<string, unknown>, field: string): string {
  const value = object[field];
  if (typeof value !== 'string') {
    throw new ReplayError(`event ${event.id} (${event.type}) has no ${field}`);
  }
  return value;
}
