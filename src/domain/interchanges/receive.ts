// Receiving an 837P interchange: read it with the look-ups its claims need (payer ids; for a
// clearinghouse, the providers that authorized it), refuse it whole when its envelope is wrong or
// comes from another sender than the submitter's registered one (with a TA1 when the ISA can be
// echoed), refuse the same interchange sent again (same submitter, sender, usage and ISA13) with
// the first answer, and otherwise send its claims through intake and store the interchange, its
// answer, its 999 and its 277CA in the transaction that stores its claims. A test interchange
// (ISA15 "T") is answered in full and recorded; none of its claims is written. A clearinghouse's
// interchange is the clearinghouse's: it alone reads it back, and its claims are its providers'.
import {
  type ClaimOutcome,
  findIdempotencyRecord,
  type IntakeUnit,
  type UnitResult,
} from '../claims/index.js';
import type { Database } from '../../infra/db.js';
import type { Organization } from '../organizations.js';
import { authorizedProvidersByNpi, payersByPayerId } from '../trading-partners.js';
import { Conflict, isUniqueViolation, type FieldProblem } from '../../infra/errors.js';
import { write277ca } from '../../interop/x12/277ca.js';
import { write999 } from '../../interop/x12/999.js';
import {
  claimAcknowledgmentOf,
  implementationAcknowledgmentsOf,
  interchangeNoteCodeOf,
  type ClaimDisposition,
} from '../../interop/x12/837p-acknowledgments.js';
import {
  claimsOf,
  partyIdentifiersOf,
  readClaimLoops,
  type ProfessionalClaimsReading,
  type X12ClaimReading,
} from '../../interop/x12/837p-in.js';
import type { InterchangeHeader, X12Problem } from '../../interop/x12/envelope-in.js';
import { writeTa1Interchange, type AnswerEnvelope } from '../../interop/x12/envelope-out.js';
import { x12TextOf } from '../../interop/x12/segments.js';
import {
  findSameInterchange,
  insertInterchange,
  newInterchangeId,
  nextAnswerControlNumber,
  SAME_INTERCHANGE_CONSTRAINT,
  type InterchangeIdentity,
  type NewInterchange,
  type StoredInterchange,
} from './store.js';

/** NM103 of 2100A in our 277CAs: who acknowledges. */
const INFORMATION_SOURCE_NAME = 'CLAIMCHAIN';

export interface ProfessionalSubmission {
  /**
   * A provider, each claim's billing provider being its NPI; or a clearinghouse, each claim's
   * billing provider one that authorized it. Its registered interchange id, if any, must send.
   */
  submitter: Organization;
  text: string;
  idempotency: { key: string; requestHash: string } | undefined;
  claimsMax: number;
  /** Write a TA1 for a refused envelope (the client asked for X12). */
  ta1Wanted: boolean;
}

export type Receipt =
  /** Received now, or the same request replayed (same Idempotency-Key and body). */
  | { kind: 'answered'; interchange: StoredInterchange }
  /** Received before: the first interchange, and a TA1 (note code 025) when one was wanted. */
  | { kind: 'duplicate'; first: StoredInterchange; ta1: string | undefined }
  /** The envelope is wrong: nothing written. */
  | { kind: 'refused'; problems: X12Problem[]; ta1: string | undefined };

type FileReading = Extract<ProfessionalClaimsReading, { status: 'read' }>;

export async function receiveProfessionalClaims(
  database: Database,
  writeUnit: (unit: IntakeUnit) => Promise<UnitResult>,
  submission: ProfessionalSubmission,
): Promise<Receipt> {
  const submitterOrgId = submission.submitter.id;
  const reading = await readFile(database, submission);
  if (reading.status === 'malformed') {
    const ta1 = submission.ta1Wanted
      ? await refusalTa1(database, reading.header, interchangeNoteCodeOf(reading.problems[0]!))
      : undefined;
    return { kind: 'refused', problems: reading.problems, ta1 };
  }
  const header = reading.interchange.header;
  const identity: InterchangeIdentity = {
    submitterOrgId,
    senderQualifier: header.senderQualifier,
    senderId: header.senderId,
    usageIndicator: header.usageIndicator,
    controlNumber: header.controlNumber,
  };
  const earlier = await findSameInterchange(database, identity);
  if (earlier) return answerToRepeat(database, earlier, submission);
  if (submission.idempotency) {
    const record = await findIdempotencyRecord(
      database,
      submitterOrgId,
      submission.idempotency.key,
    );
    if (record)
      throw new Conflict('this Idempotency-Key was already used with a different request');
  }
  let stored: NewInterchange | undefined;
  const unit: IntakeUnit = {
    kind: 'batch',
    providerOrgId: submitterOrgId,
    entries: reading.claims.map(({ entry, providerOrgId }) =>
      'submission' in entry
        ? { submission: entry.submission, ...(providerOrgId && { providerOrgId }) }
        : { errors: entry.problems },
    ),
    idempotency: submission.idempotency,
    testOnly: identity.usageIndicator === 'T',
    recordWith: async (client, outcomes) => {
      stored = await interchangeOf(client, reading, identity, outcomes, submission);
      await insertInterchange(client, stored);
    },
  };
  try {
    const result = await writeUnit(unit);
    if (result.kind === 'written' && stored) {
      return { kind: 'answered', interchange: { ...stored, ...idempotencyColumns(stored) } };
    }
  } catch (error) {
    if (!isUniqueViolation(error, SAME_INTERCHANGE_CONSTRAINT)) throw error;
  }
  // Another request stored this interchange (or this key) first: answer as it was answered.
  const first = await findSameInterchange(database, identity);
  if (!first) throw new Conflict('this Idempotency-Key was already used with a different request');
  return answerToRepeat(database, first, submission);
}

/**
 * Reads the file as its submitter sent it: the payer ids and (for a clearinghouse) the billing
 * providers its claims name are looked up first, since the reader itself does no I/O.
 */
async function readFile(
  database: Database,
  submission: ProfessionalSubmission,
): Promise<ProfessionalClaimsReading> {
  const loops = readClaimLoops(submission.text, submission.claimsMax);
  if (loops.status === 'malformed') return loops;
  const { submitter } = submission;
  const { payerIds, billingProviderNpis } = partyIdentifiersOf(loops.claims);
  const clearinghouse = submitter.kind === 'clearinghouse';
  return claimsOf(loops, {
    providerNpi: clearinghouse ? null : submitter.npi,
    claimsMax: submission.claimsMax,
    sender: submitter.interchange,
    payersByPayerId: await payersByPayerId(database.pool, payerIds),
    ...(clearinghouse && {
      authorizedProviders: await authorizedProvidersByNpi(
        database.pool,
        submitter.id,
        billingProviderNpis,
      ),
    }),
  });
}

function idempotencyColumns(row: NewInterchange) {
  return {
    idempotencyKey: row.idempotency?.key ?? null,
    requestHash: row.idempotency?.requestHash ?? null,
  };
}

/** The same request again (its Idempotency-Key and body) replays; anything else is a duplicate. */
async function answerToRepeat(
  database: Database,
  first: StoredInterchange,
  submission: ProfessionalSubmission,
): Promise<Receipt> {
  const { idempotency } = submission;
  if (idempotency && first.idempotencyKey === idempotency.key) {
    if (first.requestHash !== idempotency.requestHash) {
      throw new Conflict('this Idempotency-Key was already used with a different request');
    }
    return { kind: 'answered', interchange: first };
  }
  const ta1 = submission.ta1Wanted ? await duplicateTa1(database, first) : undefined;
  return { kind: 'duplicate', first, ta1 };
}

/** An id or qualifier echoed into our ISA: what X12 can carry of it. */
function echoed(value: string, fallback: string): string {
  return x12TextOf(value).slice(0, 15) || fallback;
}

/** Our answer's envelope: the received ISA's sender and receiver swapped. */
function replyEnvelope(
  header: Pick<
    InterchangeHeader<string>,
    'senderQualifier' | 'senderId' | 'receiverQualifier' | 'receiverId'
  >,
  usageIndicator: 'P' | 'T',
  controlNumber: number,
  application: { senderId: string; receiverId: string },
  preparedAt: Date,
): AnswerEnvelope {
  const qualifier = (value: string) => (/^[0-9A-Z]{2}$/.test(value) ? value : 'ZZ');
  return {
    senderQualifier: qualifier(header.receiverQualifier),
    senderId: echoed(header.receiverId, 'CLAIMCHAIN'),
    receiverQualifier: qualifier(header.senderQualifier),
    receiverId: echoed(header.senderId, 'UNKNOWN'),
    controlNumber,
    usageIndicator,
    preparedAt,
    applicationSenderId: echoed(application.senderId, 'CLAIMCHAIN'),
    applicationReceiverId: echoed(application.receiverId, 'UNKNOWN'),
  };
}

async function refusalTa1(
  database: Database,
  header: InterchangeHeader<string> | undefined,
  noteCode: string,
): Promise<string | undefined> {
  // A TA1 echoes ISA13, ISA09 and ISA10: without them there is nothing to acknowledge.
  if (!header || !/^\d{9}$/.test(header.controlNumber)) return undefined;
  if (!/^\d{6}$/.test(header.date) || !/^\d{4}$/.test(header.time)) return undefined;
  const usage = header.usageIndicator === 'T' ? 'T' : 'P';
  const controlNumber = await nextAnswerControlNumber(database.pool);
  const envelope = replyEnvelope(
    header,
    usage,
    controlNumber,
    {
      senderId: header.receiverId,
      receiverId: header.senderId,
    },
    new Date(),
  );
  return writeTa1Interchange(envelope, {
    controlNumber: header.controlNumber,
    date: header.date,
    time: header.time,
    acknowledgmentCode: 'R',
    noteCode,
  });
}

async function duplicateTa1(database: Database, first: StoredInterchange): Promise<string> {
  const controlNumber = await nextAnswerControlNumber(database.pool);
  const envelope = replyEnvelope(
    first,
    first.usageIndicator,
    controlNumber,
    {
      senderId: first.receiverId,
      receiverId: first.senderId,
    },
    new Date(),
  );
  // TA102/TA103 echo the first interchange's date and time, as stored in its 999's AK… header.
  const { date, time } = isaDateAndTimeOf(first);
  return writeTa1Interchange(envelope, {
    controlNumber: first.controlNumber,
    date,
    time,
    acknowledgmentCode: 'R',
    noteCode: '025',
  });
}

/** ISA09/ISA10 of a stored interchange, kept in its answer. */
function isaDateAndTimeOf(interchange: StoredInterchange): { date: string; time: string } {
  const answer = JSON.parse(interchange.answerBody) as {
    interchangeDate?: string;
    interchangeTime?: string;
  };
  return { date: answer.interchangeDate ?? '000000', time: answer.interchangeTime ?? '0000' };
}

/** The row of a received interchange: its answer, 999 and 277CA, with fresh control numbers. */
async function interchangeOf(
  client: Parameters<NonNullable<IntakeUnit['recordWith']>>[0],
  reading: FileReading,
  identity: InterchangeIdentity,
  outcomes: ClaimOutcome[],
  submission: ProfessionalSubmission,
): Promise<NewInterchange> {
  const id = newInterchangeId();
  const receivedAt = new Date();
  const header = reading.interchange.header;
  const group = reading.interchange.groups[0]!;
  const application = { senderId: group.receiverId, receiverId: group.senderId };
  const groups = implementationAcknowledgmentsOf(reading);
  const acknowledgment999 = write999(
    replyEnvelope(
      header,
      identity.usageIndicator,
      await nextAnswerControlNumber(client),
      application,
      receivedAt,
    ),
    groups,
  );
  const test = identity.usageIndicator === 'T';
  const dispositions = outcomes.map((outcome) => dispositionOf(outcome, test));
  const claimAcknowledgment = claimAcknowledgmentOf(reading, dispositions, groups, {
    reference: id.replaceAll('-', '').toUpperCase(),
    informationSourceName: INFORMATION_SOURCE_NAME,
    receivedAt,
  });
  const acknowledgment277ca = claimAcknowledgment
    ? write277ca(
        replyEnvelope(
          header,
          identity.usageIndicator,
          await nextAnswerControlNumber(client),
          application,
          receivedAt,
        ),
        claimAcknowledgment,
      )
    : null;
  const answer = answerOf(id, reading, outcomes, test, acknowledgment277ca !== null);
  return {
    ...identity,
    id,
    receiverQualifier: header.receiverQualifier,
    receiverId: header.receiverId,
    receivedAt,
    idempotency: submission.idempotency,
    answerStatus: 200,
    answerBody: JSON.stringify(answer),
    acknowledgment999,
    acknowledgment277ca,
  };
}

function dispositionOf(outcome: ClaimOutcome, test: boolean): ClaimDisposition {
  if (outcome.status === 'accepted') {
    return { status: 'accepted', claimId: test ? undefined : outcome.claim.id };
  }
  if (outcome.status === 'duplicate') return { status: 'duplicate', claimId: outcome.claim.id };
  // Intake's own problems name our fields (payerId); the reader's name segments.
  const fields = outcome.errors
    .filter((error) => !('segment' in error))
    .map((error) => error.field);
  return { status: 'rejected', fields };
}

/** The JSON answer: per claim its place in the file and what became of it. */
function answerOf(
  id: string,
  reading: FileReading,
  outcomes: ClaimOutcome[],
  test: boolean,
  has277ca: boolean,
) {
  const count = (status: ClaimOutcome['status']) =>
    outcomes.filter((outcome) => outcome.status === status).length;
  const path = `/v1/x12/interchanges/${id}`;
  const { header } = reading.interchange;
  return {
    interchangeId: id,
    interchangeControlNumber: reading.interchangeControlNumber,
    interchangeDate: header.date,
    interchangeTime: header.time,
    usageIndicator: header.usageIndicator,
    ...(test ? { test: true } : {}),
    accepted: count('accepted'),
    duplicates: count('duplicate'),
    rejected: count('rejected'),
    acknowledgments: { '999': `${path}/999`, '277ca': has277ca ? `${path}/277ca` : null },
    results: outcomes.map((outcome, index) =>
      resultOf(outcome, index, reading.claims[index]!, test),
    ),
  };
}

function resultOf(outcome: ClaimOutcome, index: number, claim: X12ClaimReading, test: boolean) {
  const place = {
    index,
    status: outcome.status,
    patientControlNumber: claim.patientControlNumber,
    transactionSetControlNumber: claim.transactionSetControlNumber,
    segmentPosition: claim.segmentPosition,
    line: claim.line,
  };
  if (outcome.status === 'rejected') {
    const errors = outcome.errors.map((error: FieldProblem | X12Problem) =>
      'segment' in error ? error : claim.locate(error.field, error.message),
    );
    return { ...place, errors };
  }
  // A test claim is judged, not stored: it has no id.
  if (test && outcome.status === 'accepted') return place;
  return { ...place, claimId: outcome.claim.id, claim: outcome.claim };
}
