// What decisions write, gathered in memory and written with one multi-row statement per table:
// the decision rows, the claims' new statuses (through the claims area), the journal entries
// (each account's balance moved once) and, last, the ledger events in the order the decisions
// were made. A batch of 500 claims and a single decision are written by the same code.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { appendEvents, type NewEvent } from '../../ledger/append.js';
import type { JsonValue } from '../../ledger/canonical.js';
import { sha256Hex } from '../../ledger/hash.js';
import {
  claimDecisionPostings,
  type JournalEntryInput,
  postJournalEntries,
} from '../accounts/index.js';
import { setClaimStatuses } from '../claims/index.js';
import type { AdjudicationResult } from './types.js';

export type AdjudicationOutcome =
  | { status: 'skipped' }
  | { status: 'voided'; originalClaimId: string; recoupmentAmount: string }
  | { status: 'pended' | 'paid' | 'partially_paid' | 'denied'; decisionId: string };

/** The claim fields a decision names. */
export interface DecidedClaim {
  id: string;
  provider_org_id: string;
  payer_org_id: string;
}

/** A claim_decisions row, named as jsonb_to_recordset reads it. */
interface DecisionRow {
  id: string;
  claim_id: string;
  decided_by: string;
  status: string;
  paid_amount: string;
  patient_amount: string;
  result: AdjudicationResult;
  versions: JsonValue;
  event_id: string;
  note: string | null;
}

export class DecisionWrites {
  private readonly decisions: DecisionRow[] = [];
  private readonly statuses = new Map<string, string>();
  private readonly journal: JournalEntryInput[] = [];
  private readonly events: NewEvent[] = [];

  constructor(readonly decidedAt: Date = new Date()) {}

  get isEmpty(): boolean {
    return this.statuses.size === 0;
  }

  /** A decision (or pend): its row, the claim's status, its journal entry and its event. */
  addDecision(
    claim: DecidedClaim,
    result: AdjudicationResult,
    versions: JsonValue,
    decidedBy: string,
    note?: string,
  ): AdjudicationOutcome {
    const decisionId = randomUUID();
    const eventId = randomUUID();
    const status = result.outcome === 'pend' ? 'pended' : result.status;
    const paid = result.outcome === 'pend' ? '0.00' : result.totals.paidAmount;
    const patient = result.outcome === 'pend' ? '0.00' : result.totals.patientResponsibilityAmount;
    this.decisions.push({
      id: decisionId,
      claim_id: claim.id,
      decided_by: decidedBy,
      status,
      paid_amount: paid,
      patient_amount: patient,
      result,
      versions,
      event_id: eventId,
      note: note ?? null,
    });
    this.statuses.set(claim.id, status);
    this.journal.push({
      kind: 'claim_decision',
      claimId: claim.id,
      ledgerEventId: eventId,
      createdAt: this.decidedAt,
      postings: claimDecisionPostings(claim.provider_org_id, claim.payer_org_id, paid, patient),
    });
    this.events.push({
      id: eventId,
      type: result.outcome === 'pend' ? 'ClaimPended' : 'ClaimAdjudicated',
      aggregateId: claim.id,
      actorOrgId: claim.payer_org_id,
      payload: decisionPayload(claim.id, decisionId, decidedBy, result, versions, note),
      partyOrgIds: [claim.provider_org_id, claim.payer_org_id],
    });
    return { status, decisionId };
  }

  /** A void claim ends as voided itself; its original was reversed by reverseOriginal. */
  addVoid(
    claim: DecidedClaim,
    originalClaimId: string,
    recoupmentAmount: string,
  ): AdjudicationOutcome {
    this.statuses.set(claim.id, 'voided');
    this.events.push({
      type: 'ClaimVoided',
      aggregateId: claim.id,
      actorOrgId: claim.payer_org_id,
      payload: { claimId: claim.id, originalClaimId, recoupmentAmount },
      partyOrgIds: [claim.provider_org_id, claim.payer_org_id],
    });
    return { status: 'voided', originalClaimId, recoupmentAmount };
  }

  /** Writes everything gathered; the events last (appendEvents holds the ledger's lock). */
  async write(client: pg.PoolClient): Promise<void> {
    await appendInOrder(client, [await this.writeAllButEvents(client)]);
  }

  /**
   * Writes everything gathered but the events, and gives those back to be appended at the end
   * of the transaction (appendInOrder): a transaction that appended mid-way would hold the
   * ledger's lock while it waits for other rows, and one holding those rows could be waiting for
   * the ledger.
   */
  async writeAllButEvents(client: pg.PoolClient): Promise<EventsToAppend> {
    if (this.decisions.length > 0) {
      // One JSON document rather than an array per column: the results are JSON already, and
      // a text[] of them would be escaped character by character on the way out.
      await client.query(
        `INSERT INTO claim_decisions (id, claim_id, decided_at, decided_by, status, paid_amount,
           patient_responsibility_amount, result, config_versions, ledger_event_id, note)
         SELECT d.id, d.claim_id, $1, d.decided_by, d.status, d.paid_amount, d.patient_amount,
                d.result, d.versions, d.event_id, d.note
           FROM jsonb_to_recordset($2::jsonb) AS d(id uuid, claim_id uuid, decided_by text,
                status text, paid_amount numeric, patient_amount numeric, result jsonb,
                versions jsonb, event_id uuid, note text)`,
        [this.decidedAt, JSON.stringify(this.decisions)],
      );
    }
    await setClaimStatuses(client, this.statuses);
    await postJournalEntries(client, this.journal);
    return { events: this.events, createdAt: this.decidedAt };
  }
}

/** Events made at one instant, waiting for the end of their transaction. */
export interface EventsToAppend {
  events: NewEvent[];
  createdAt: Date;
}

/** Appends each group of events in turn, in the order they were made: the transaction's last statements. */
export async function appendInOrder(
  client: pg.PoolClient,
  groups: EventsToAppend[],
): Promise<void> {
  for (const { events, createdAt } of groups) await appendEvents(client, events, createdAt);
}

function decisionPayload(
  claimId: string,
  decisionId: string,
  decidedBy: string,
  result: AdjudicationResult,
  versions: JsonValue,
  note: string | undefined,
) {
  const common = {
    claimId,
    decisionId,
    decidedBy,
    configVersions: versions,
    // The note is free text a person wrote and may name the patient: the ledger holds its hash.
    ...(note === undefined ? {} : { noteSha256: sha256Hex(note) }),
  };
  if (result.outcome === 'pend') return { ...common, pendReasons: result.pendReasons };
  return {
    ...common,
    status: result.status,
    totals: { ...result.totals },
    lines: result.lines.map((line) => ({
      lineNumber: line.lineNumber,
      paidAmount: line.paidAmount,
      adjustments: line.adjustments.map((adjustment) => ({ ...adjustment })),
      remarkCodes: line.remarkCodes,
      rulesFired: line.rulesFired,
    })),
  };
}
