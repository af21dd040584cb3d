// Replacements (frequency 7) and voids (frequency 8) never edit the original claim's
// decision: they reverse it with new rows and events. What the original took from the
// member's accumulators and prior authorizations is given back, the original becomes
// "replaced" or "voided", and money already paid on it is owed back by the provider
// (a recoupment, collected by the next settlement).
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import { claimDecisionPostings, postJournalEntry } from '../accounts/index.js';
import { lockClaim, setClaimStatuses } from '../claims/index.js';
import { returnToFamily } from './family.js';
import type { ClaimRow } from './stored-claim.js';
import { latestDecisionOf } from './decisions.js';
import type { AdjudicationResult } from './types.js';
import type { EventsToAppend } from './writes.js';
import { findClaimPatient, moveAuthorizationUnits } from '../payers/index.js';
import { recordReversal } from '../settlement/index.js';

export type Reversal =
  | { kind: 'reversed'; originalClaimId: string; recoupmentAmount: string }
  | { kind: 'nothing-to-reverse'; originalClaimId: string }
  | { kind: 'already-ended'; originalClaimId: string; originalStatus: string };

const ENDED_STATUSES = ['voided', 'replaced'];

/**
 * Reverses the original of a replacement or void claim, inside the caller's transaction. Its
 * ClaimReversed event goes to `events`, for the caller to append last with the others.
 */
export async function reverseOriginal(
  client: pg.PoolClient,
  claim: ClaimRow & { frequency_code: string; original_claim_id: string },
  events: EventsToAppend[],
): Promise<Reversal> {
  const originalClaimId = claim.original_claim_id;
  const original = (await lockClaim(client, originalClaimId))!;
  if (ENDED_STATUSES.includes(original.status)) {
    return { kind: 'already-ended', originalClaimId, originalStatus: original.status };
  }
  const newStatus = claim.frequency_code === '8' ? 'voided' : 'replaced';
  await setClaimStatuses(client, new Map([[originalClaimId, newStatus]]));
  const decision = (await latestDecisionOf(client, originalClaimId))?.result;
  const returned =
    decision?.outcome === 'decided'
      ? await giveBack(
          client,
          {
            payer_org_id: claim.payer_org_id,
            member_id_index: original.member_id_index,
            patient_index: original.patient_index,
          },
          decision,
        )
      : undefined;
  const paid = decision?.outcome === 'decided' ? decision.totals.paidAmount : '0.00';
  const patient =
    decision?.outcome === 'decided' ? decision.totals.patientResponsibilityAmount : '0.00';
  const eventId = randomUUID();
  const reversedAt = new Date();
  await postJournalEntry(client, {
    kind: 'claim_reversal',
    claimId: originalClaimId,
    ledgerEventId: eventId,
    createdAt: reversedAt,
    postings: claimDecisionPostings(claim.provider_org_id, claim.payer_org_id, paid, patient, -1),
  });
  // What a batch already paid on the original, the provider now owes back (settlement's to net).
  await recordReversal(client, {
    claimId: originalClaimId,
    payerOrgId: original.payer_org_id,
    providerOrgId: original.provider_org_id,
    reversalEventId: eventId,
    amount: paid,
  });
  events.push({
    createdAt: reversedAt,
    events: [
      {
        id: eventId,
        type: 'ClaimReversed',
        aggregateId: originalClaimId,
        actorOrgId: claim.payer_org_id,
        payload: {
          claimId: originalClaimId,
          byClaimId: claim.id,
          newStatus,
          paidAmountReversed: paid,
          recoupmentAmount: paid,
          accumulatorsReturned: returned ?? null,
        },
        partyOrgIds: [claim.provider_org_id, claim.payer_org_id],
      },
    ],
  });
  return returned
    ? { kind: 'reversed', originalClaimId, recoupmentAmount: paid }
    : { kind: 'nothing-to-reverse', originalClaimId };
}

/**
 * Returns the original's deductible, out-of-pocket and authorization units to the member it was
 * for (the subscriber or a dependent) and to the family: family first, as adjudication locks.
 */
async function giveBack(
  client: pg.PoolClient,
  original: { payer_org_id: string; member_id_index: string; patient_index: string | null },
  decision: Extract<AdjudicationResult, { outcome: 'decided' }>,
) {
  const adjustments = decision.lines.flatMap((line) => line.adjustments);
  const sumOf = (keep: (group: string, reason: string) => boolean) =>
    adjustments
      .filter((adjustment) => keep(adjustment.group, adjustment.reasonCode))
      .reduce((sum, adjustment) => sum.plus(adjustment.amount), new Decimal(0))
      .toFixed(2);
  const deductible = sumOf((group, reason) => group === 'PR' && reason === '1');
  const outOfPocket = sumOf((group) => group === 'PR');
  const patient = await findClaimPatient(client, original);
  if (patient) {
    await returnToFamily(client, patient.familyRowId, decision, {
      deductibleAmount: deductible,
      outOfPocketAmount: outOfPocket,
    });
    await client.query(
      `UPDATE accumulators
          SET deductible_met_amount = deductible_met_amount - $3,
              out_of_pocket_met_amount = out_of_pocket_met_amount - $4, updated_at = now()
        WHERE member_id = $1 AND plan_id::text = $2 AND plan_year = $5`,
      [patient.memberRowId, decision.planId, deductible, outOfPocket, decision.planYear],
    );
  }
  await moveAuthorizationUnits(client, decision.priorAuthorizationUnitsUsed, -1);
  return { deductibleAmount: deductible, outOfPocketAmount: outOfPocket };
}
