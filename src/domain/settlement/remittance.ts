// The 835 remittance of one settlement batch, read from PostgreSQL: the batch (only for its payer
// and its provider, as getBatch), both organizations, every claim paid in it with the lines and
// adjustments of its latest decision, and every recoupment as the reversal of the claim it takes
// back. The stored amounts must agree with the decisions (a claim's line in the batch is its
// decision's paid amount; a recoupment is minus the original's), or nothing is written.
//
// The organizations' remittance profiles (address, EIN, a payer's contacts) are read as they are
// now, not as they were when the batch was built: a payer that corrects its address corrects the
// 835s it is asked for again, as a confirmed payment changes the trace number.
//
// The patient's name is PHI. It goes into NM1*QC because the 835 is the HIPAA remittance to the
// provider, who billed that patient, and to the payer, who holds the same record; no one else
// reaches this code (getBatch answers 404 to anyone else).
import { Decimal } from 'decimal.js';
import type { Database } from '../../infra/db.js';
import { Conflict } from '../../infra/errors.js';
import type { PhiKeys } from '../../infra/phi.js';
import {
  reversalOf,
  type ProviderAdjustment,
  type Remittance,
  type RemittanceClaim,
  type RemittanceLine,
  type RemittancePayer,
} from './remittance-document.js';
import { latestDecisionsOf } from '../adjudication/index.js';
import type { DecidedAdjudication, DecisionRecord } from '../adjudication/types.js';
import { type BilledClaim, type BilledLine, readBilledClaims } from '../claims/index.js';
import {
  findOrganizations,
  type InterchangeId,
  type Organization,
  type Principal,
} from '../organizations.js';
import {
  BATCH_LINES_MAX,
  getBatch,
  type BatchLine,
  type SettlementBatchDetail,
} from './service.js';

// CLP06. Our plans carry no product type (PPO, HMO, indemnity…) yet; they are priced from a fee
// schedule with deductible, copay and coinsurance, which is a PPO's shape.
const CLAIM_FILING_INDICATOR = '12';

/** CLP02 of a claim decided as the primary, secondary or tertiary payer. */
const PROCESSED = {
  P: 'processed',
  S: 'processed_as_secondary',
  T: 'processed_as_tertiary',
} as const;

/** A broken agreement between a batch and the decisions it paid: a bug, never input. */
export class RemittanceInvariantError extends Error {
  constructor(message: string) {
    super(`remittance invariant broken: ${message}`);
    this.name = 'RemittanceInvariantError';
  }
}

export interface BatchRemittance {
  batch: SettlementBatchDetail;
  remittance: Remittance;
}

/** The batch's 835 content; the same batch always gives the same remittance until confirmed. */
export async function loadRemittance(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  batchId: string,
  usageIndicator: 'P' | 'T',
): Promise<BatchRemittance> {
  const batch = await getBatch(database, principal, batchId);
  const claimCount = batch.claims.length + batch.adjustments.length;
  if (claimCount > BATCH_LINES_MAX) {
    throw new Conflict(`the batch has ${claimCount} claims; one 835 carries ${BATCH_LINES_MAX}`);
  }
  const organizations = await findOrganizations(database, [batch.payerId, batch.providerId]);
  const payer = organizations.get(batch.payerId)!;
  const provider = organizations.get(batch.providerId)!;
  const claimIds = [...batch.adjustments, ...batch.claims].map((line) => line.claimId);
  const claims = await readPaidClaims(database, phiKeys, claimIds);
  const claimOf = (line: BatchLine) => claims.get(line.claimId)!;
  const reversals = batch.adjustments.map((line) => reversalOf(checked(claimOf(line), line, -1)));
  const payments = batch.claims.map((line) => checked(claimOf(line), line, 1));
  const createdAt = new Date(batch.createdAt);
  const createdDate = batch.createdAt.slice(0, 10);
  const confirmed = batch.status === 'confirmed';
  return {
    batch,
    remittance: {
      interchange: {
        ...interchangeAddressOf(payer, provider),
        controlNumber: batch.remittanceControlNumber,
        usageIndicator,
        preparedAt: createdAt,
      },
      payment: {
        amount: batch.amount,
        method: 'ACH',
        effectiveDate: (confirmed ? batch.confirmedDate : null) ?? createdDate,
        // Until finance confirms the payment, the batch id is the reference both sides share.
        traceNumber: (confirmed ? batch.traceNumber : null) ?? batch.id,
        originatingCompanyId: originatingCompanyIdOf(payer),
      },
      payer: remittancePayerOf(payer),
      payee: {
        name: provider.name,
        npi: provider.npi,
        payerAssignedId: provider.id,
        address: provider.profile.address,
        taxId: provider.profile.taxId,
      },
      productionDate: createdDate,
      // Reversals first, so that a replacement's new claim follows the one it reverses.
      claims: [...reversals, ...payments],
      providerAdjustments: balanceForwardOf(batch),
    },
  };
}

/**
 * A balance carried forward (the provider owes what recoupments left over) or recovered,
 * as PLB "FB" forwarding balance: a PLB amount reduces the payment, so it is the negated
 * balance_forward_amount (a carried 30.00 is PLB −30, bringing a −30 claim total up to a
 * 0.00 payment; recovering it later is PLB 30). The reference is the batch carrying it.
 */
function balanceForwardOf(batch: SettlementBatchDetail): ProviderAdjustment[] {
  const balanceForward = new Decimal(batch.balanceForwardAmount);
  if (balanceForward.isZero()) return [];
  return [{ reasonCode: 'FB', reference: batch.id, amount: balanceForward.negated().toFixed(2) }];
}

/** The claim's amount in the batch is what its decision paid (a recoupment: minus that). */
function checked(claim: RemittanceClaim, line: BatchLine, sign: 1 | -1): RemittanceClaim {
  const expected = new Decimal(claim.paidAmount).times(sign);
  if (!expected.equals(line.amount)) {
    throw new RemittanceInvariantError(
      `claim ${line.claimId} is in the batch for ${line.amount}, but its decision paid ${claim.paidAmount}`,
    );
  }
  return claim;
}

/** ISA06/ISA08 for an organization without an identifier partners know: 15 hex digits of its id. */
function interchangeIdOf(organizationId: string): string {
  return organizationId.replaceAll('-', '').slice(0, 15).toUpperCase();
}

/**
 * ISA05/ISA06 (GS02) the payer's registered interchange id, ISA07/ISA08 (GS03) the provider's:
 * the 835 goes to the payee, also when a clearinghouse submitted its claims. Without a registered
 * id, as before: "ZZ" and 15 hex digits of the payer's id; the provider's NPI, else its id's.
 */
function interchangeAddressOf(payer: Organization, provider: Organization) {
  const fallback = (id: string): InterchangeId => ({ qualifier: 'ZZ', id });
  const sender = payer.interchange ?? fallback(interchangeIdOf(payer.id));
  const receiver = provider.interchange ?? fallback(provider.npi ?? interchangeIdOf(provider.id));
  return {
    senderQualifier: sender.qualifier,
    senderId: sender.id,
    receiverQualifier: receiver.qualifier,
    receiverId: receiver.id,
  };
}

/**
 * TRN03: "1" + the payer's EIN, as the guide wants it, once the payer's profile holds one;
 * until then "9" (a number the payer assigns) + 9 digits taken from the payer's id, the same
 * for every 835 of the payer.
 */
function originatingCompanyIdOf(payer: Organization): string {
  if (payer.profile.taxId !== null) return `1${payer.profile.taxId}`;
  const number = BigInt(`0x${payer.id.replaceAll('-', '').slice(0, 15)}`) % 1_000_000_000n;
  return `9${number.toString().padStart(9, '0')}`;
}

/**
 * Loop 1000A's contacts. The guide requires the technical contact (PER*BL) and makes the business
 * contact (PER*CX) situational: a payer that gave only one contact has it written as PER*BL, so
 * the required segment is there and names someone who can answer; with both, each in its place.
 */
function remittancePayerOf(payer: Organization): RemittancePayer {
  const { address, businessContact, technicalContact } = payer.profile;
  // REF02 is AN 1-50; a longer payer id (NM109 allows 80) cannot be written and is left out.
  const payerIdentifier =
    payer.payerId !== null && payer.payerId.length <= 50 ? payer.payerId : null;
  return {
    name: payer.name,
    payerIdentifier,
    address,
    businessContact: technicalContact === null ? null : businessContact,
    technicalContact: technicalContact ?? businessContact,
  };
}

/** The claims with their latest decision and lines, as the 835 reports them when paid. */
async function readPaidClaims(
  database: Database,
  phiKeys: PhiKeys,
  claimIds: string[],
): Promise<Map<string, RemittanceClaim>> {
  const [billedClaims, decisions] = await Promise.all([
    readBilledClaims(database.pool, phiKeys, claimIds),
    latestDecisionsOf(database.pool, claimIds),
  ]);
  const claims = new Map<string, RemittanceClaim>();
  for (const id of claimIds) {
    const billed = billedClaims.get(id);
    const decision = decisions.get(id);
    if (!billed || !decision) throw new RemittanceInvariantError(`claim ${id} has no decision`);
    claims.set(id, remittanceClaimOf(billed, decision));
  }
  return claims;
}

function remittanceClaimOf(claim: BilledClaim, record: DecisionRecord): RemittanceClaim {
  if (record.result.outcome !== 'decided') {
    throw new RemittanceInvariantError(`claim ${claim.id} was paid without a final decision`);
  }
  const decision = record.result;
  if (!new Decimal(decision.totals.paidAmount).equals(record.paidAmount)) {
    throw new RemittanceInvariantError(`claim ${claim.id}: decision row and result disagree`);
  }
  const { member, patient: dependent } = claim;
  // A dependent's claim: NM1*QC is the patient (without an id of its own: the claim named the
  // subscriber's), NM1*IL the subscriber with the member id.
  const person = (who: typeof member) => ({
    lastName: who.lastName,
    firstName: who.firstName,
    memberId: who.memberId,
  });
  return {
    patientControlNumber: claim.patientControlNumber,
    status: decision.status === 'denied' ? 'denied' : PROCESSED[claim.payerResponsibilityCode],
    chargeAmount: decision.totals.chargeAmount,
    paidAmount: decision.totals.paidAmount,
    patientResponsibilityAmount: decision.totals.patientResponsibilityAmount,
    claimFilingIndicator: CLAIM_FILING_INDICATOR,
    payerClaimControlNumber: claim.id,
    patient: dependent
      ? { lastName: dependent.lastName, firstName: dependent.firstName, memberId: null }
      : person(member),
    ...(dependent ? { subscriber: person(member) } : {}),
    claimAdjustments: [],
    lines: claim.lines.map((line) => remittanceLineOf(claim.id, decision, line)),
  };
}

function remittanceLineOf(
  claimId: string,
  decision: DecidedAdjudication,
  line: BilledLine,
): RemittanceLine {
  const decided = decision.lines.find((candidate) => candidate.lineNumber === line.lineNumber);
  if (!decided) {
    throw new RemittanceInvariantError(`claim ${claimId} line ${line.lineNumber} has no decision`);
  }
  return {
    procedureCode: line.procedureCode,
    modifiers: line.modifiers,
    chargeAmount: decided.chargeAmount,
    paidAmount: decided.paidAmount,
    units: line.units,
    serviceDate: line.serviceDate,
    serviceDateTo: line.serviceDateTo,
    lineControlNumber: line.lineControlNumber,
    adjustments: decided.adjustments,
    remarkCodes: decided.remarkCodes,
  };
}
