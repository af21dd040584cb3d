// Writing an X12 5010 interchange around transaction sets: ISA (fixed width), GS, each ST … SE
// with its segment count, GE, IEA. Pure; the caller brings the control number (unique per
// sender, from a database sequence) and the parties, usually those of the file it answers with
// sender and receiver swapped.
import {
  controlNumber,
  dateElement,
  delimiters,
  fixedWidth,
  segment,
  utcDateAndTime,
  X12WriteError,
} from './segments.js';

/** ISA05/ISA06 or ISA07/ISA08: an id qualifier ("ZZ" mutually defined, "30" EIN…) and an id. */
export interface InterchangePartyOut {
  qualifier: string;
  id: string;
}

export interface OutgoingInterchange {
  sender: InterchangePartyOut;
  receiver: InterchangePartyOut;
  /** GS02 and GS03. */
  applicationSenderCode: string;
  applicationReceiverCode: string;
  /** ISA13 and GS06; each ST02 is numbered from 0001 within the group. */
  controlNumber: number;
  usageIndicator: 'P' | 'T';
  preparedAt: Date;
  /** GS01, e.g. "HB" for a 271. */
  functionalIdentifierCode: string;
  /** GS08, e.g. "005010X279A1". */
  implementationGuide: string;
}

const QUALIFIER = /^[A-Z0-9]{2}$/;
const INTERCHANGE_ID = /^[!-~](?:[ -~]{0,14})$/;
const APPLICATION_CODE = /^[ -~]{2,15}$/;

/**
 * Throws X12WriteError unless the parties can be written: qualifiers of 2 letters or digits, ids
 * of 1-15 printable characters without our delimiters. Call it before acting on a file whose
 * parties the answer will name, so a file that cannot be answered is refused having done nothing.
 */
export function assertWritableParties(
  interchange: Pick<
    OutgoingInterchange,
    'sender' | 'receiver' | 'applicationSenderCode' | 'applicationReceiverCode'
  >,
): void {
  for (const party of [interchange.sender, interchange.receiver]) {
    if (
      !QUALIFIER.test(party.qualifier) ||
      !INTERCHANGE_ID.test(party.id) ||
      /[*:^~]/.test(party.id)
    ) {
      throw new X12WriteError(
        'an interchange party is not a 2-character qualifier and an id of 1-15 characters',
      );
    }
  }
  for (const code of [interchange.applicationSenderCode, interchange.applicationReceiverCode]) {
    if (!APPLICATION_CODE.test(code) || /[*:^~]/.test(code)) {
      throw new X12WriteError('GS02 and GS03 must be 2-15 characters');
    }
  }
}

function isaOf(interchange: OutgoingInterchange): string {
  const { date, time } = utcDateAndTime(interchange.preparedAt);
  const elements = [
    'ISA',
    '00',
    fixedWidth('', 10),
    '00',
    fixedWidth('', 10),
    interchange.sender.qualifier,
    fixedWidth(interchange.sender.id, 15),
    interchange.receiver.qualifier,
    fixedWidth(interchange.receiver.id, 15),
    dateElement(date).slice(2),
    time,
    delimiters.repetition,
    '00501',
    controlNumber(interchange.controlNumber, 9),
    '0',
    interchange.usageIndicator,
    delimiters.component,
  ];
  return elements.join(delimiters.element) + delimiters.segment;
}

/**
 * One transaction set: ST (ST03 the guide, where the guide uses it), the body, SE with the count
 * of segments from ST to SE.
 */
export function transactionSetOf(
  transactionSetId: string,
  setControlNumber: number,
  implementationGuide: string | undefined,
  body: readonly string[],
): string[] {
  const control = controlNumber(setControlNumber, 4);
  const segments = [segment('ST', transactionSetId, control, implementationGuide), ...body];
  segments.push(segment('SE', String(segments.length + 1), control));
  return segments;
}

/** The interchange: one functional group holding the transaction sets, one segment per line. */
export function writeInterchange(
  interchange: OutgoingInterchange,
  transactionSets: readonly (readonly string[])[],
): string {
  assertWritableParties(interchange);
  const { date, time } = utcDateAndTime(interchange.preparedAt);
  const groupControl = controlNumber(interchange.controlNumber, 1);
  const segments = [
    isaOf(interchange),
    segment(
      'GS',
      interchange.functionalIdentifierCode,
      interchange.applicationSenderCode,
      interchange.applicationReceiverCode,
      dateElement(date),
      time,
      groupControl,
      'X',
      interchange.implementationGuide,
    ),
    ...transactionSets.flat(),
    segment('GE', String(transactionSets.length), groupControl),
    segment('IEA', '1', controlNumber(interchange.controlNumber, 9)),
  ];
  return `${segments.join('\n')}\n`;
}
