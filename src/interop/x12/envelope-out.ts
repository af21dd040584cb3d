// Writing the X12 5010 envelope around every document we send (the 835; the 271 answering a 270;
// the 999 and 277CA acknowledging an 837P) and the TA1 interchange acknowledgment: ISA (fixed
// width), GS, each ST … SE with its segment count, GE, IEA. One place for it, so every document
// is enveloped the same way. Pure: the caller brings the control number (unique per sender, from
// a database sequence) and the parties, for an answer those of the file it answers, swapped.
import {
  controlNumber,
  dateElement,
  delimiters,
  fixedWidth,
  segment,
  utcDateAndTime,
  X12WriteError,
} from './segments.js';

/** ISA05/ISA07 codes of 005010 (X12 element I05). */
export const INTERCHANGE_QUALIFIERS = [
  '01',
  '14',
  '20',
  '27',
  '28',
  '29',
  '30',
  '33',
  'ZZ',
] as const;
export type InterchangeQualifier = (typeof INTERCHANGE_QUALIFIERS)[number];

/** The ISA of an interchange we send. */
export interface InterchangeEnvelope {
  /** ISA05/ISA06: who sends (we do). ISA05 is a code such as "ZZ" (mutually defined) or "30". */
  senderQualifier: string;
  senderId: string;
  /** ISA07/ISA08: who receives it. */
  receiverQualifier: string;
  receiverId: string;
  /** ISA13: unique per interchange sent, 1 to 999999999. */
  controlNumber: number;
  /** ISA15: P production data, T test data. */
  usageIndicator: 'P' | 'T';
  /** ISA09/ISA10, and GS04/GS05 of its groups (UTC). */
  preparedAt: Date;
}

/**
 * An answer to a file received (271, 999, 277CA): an interchange of one functional group, whose
 * GS06 is the ISA13 and whose GS02/GS03 are these.
 */
export interface AnswerEnvelope extends InterchangeEnvelope {
  applicationSenderId: string;
  applicationReceiverId: string;
}

/** One transaction set: what stands between its ST and SE. */
export interface TransactionSetContent {
  /** ST01, e.g. "999". */
  identifierCode: string;
  /** ST02: 4 to 9 characters, unique within its group. */
  controlNumber: string;
  /** ST03, or undefined where the guide leaves it unused (the 835). */
  version: string | undefined;
  /** The segments after ST and before SE, each written by segment(). */
  segments: readonly string[];
}

export interface FunctionalGroupContent {
  /** GS01, e.g. "FA" (999), "HN" (277), "HP" (835), "HB" (271). */
  functionalIdentifierCode: string;
  /** GS02/GS03: application sender's and receiver's codes. */
  senderId: string;
  receiverId: string;
  /** GS06: 1 to 999999999. */
  controlNumber: number;
  /** GS08, e.g. "005010X231A1". */
  version: string;
  transactionSets: readonly TransactionSetContent[];
}

const INTERCHANGE_ID_QUALIFIER = /^[0-9A-Z]{2}$/;
/** 1-15 printable characters (spaces around it are padding, not the id). */
const INTERCHANGE_ID = /^[ -~]{1,15}$/;
const APPLICATION_CODE = /^[ -~]{2,15}$/;
const DELIMITER = /[*:^~]/;

type InterchangeParties = Pick<
  InterchangeEnvelope,
  'senderQualifier' | 'senderId' | 'receiverQualifier' | 'receiverId'
>;

function assertWritableInterchangeParties(envelope: InterchangeParties): void {
  for (const [qualifier, id] of [
    [envelope.senderQualifier, envelope.senderId],
    [envelope.receiverQualifier, envelope.receiverId],
  ] as const) {
    if (
      !INTERCHANGE_ID_QUALIFIER.test(qualifier) ||
      !INTERCHANGE_ID.test(id.trim()) ||
      DELIMITER.test(id)
    ) {
      throw new X12WriteError(
        'an interchange party is not a 2-character qualifier and an id of 1-15 characters',
      );
    }
  }
}

/**
 * Throws X12WriteError unless an answer's parties can be written: ISA qualifiers of 2 letters or
 * digits, ids of 1-15 printable characters and GS02/GS03 of 2-15, none holding our delimiters.
 * Call it before acting on a file whose parties the answer will name, so a file that cannot be
 * answered is refused having done nothing.
 */
export function assertWritableParties(
  envelope: InterchangeParties &
    Pick<AnswerEnvelope, 'applicationSenderId' | 'applicationReceiverId'>,
): void {
  assertWritableInterchangeParties(envelope);
  for (const code of [envelope.applicationSenderId, envelope.applicationReceiverId]) {
    if (!APPLICATION_CODE.test(code) || DELIMITER.test(code)) {
      throw new X12WriteError('GS02 and GS03 must be 2-15 characters');
    }
  }
}

/** ISA is fixed width (106 characters with its terminator), so it is spelled out here. */
export function interchangeHeader(envelope: InterchangeEnvelope): string {
  assertWritableInterchangeParties(envelope);
  const { date, time } = utcDateAndTime(envelope.preparedAt);
  const elements = [
    'ISA',
    '00',
    fixedWidth('', 10),
    '00',
    fixedWidth('', 10),
    envelope.senderQualifier,
    fixedWidth(envelope.senderId.trim(), 15),
    envelope.receiverQualifier,
    fixedWidth(envelope.receiverId.trim(), 15),
    dateElement(date).slice(2),
    time,
    delimiters.repetition,
    '00501',
    controlNumber(envelope.controlNumber, 9),
    '0',
    envelope.usageIndicator,
    delimiters.component,
  ];
  // segment() would refuse ISA16, which is the component separator itself.
  for (const element of elements.slice(1, 16)) {
    if (/[*:^~]|[^ -~]/.test(element) && element !== delimiters.repetition) {
      throw new X12WriteError('an ISA element holds a delimiter or a character outside ASCII');
    }
  }
  return elements.join(delimiters.element) + delimiters.segment;
}

function transactionSetSegments(content: TransactionSetContent): string[] {
  const header = segment('ST', content.identifierCode, content.controlNumber, content.version);
  // SE01 counts ST and SE themselves.
  const trailer = segment('SE', String(content.segments.length + 2), content.controlNumber);
  return [header, ...content.segments, trailer];
}

function groupSegments(group: FunctionalGroupContent, preparedAt: Date): string[] {
  const { date, time } = utcDateAndTime(preparedAt);
  const groupControl = controlNumber(group.controlNumber, 1);
  return [
    segment(
      'GS',
      group.functionalIdentifierCode,
      group.senderId,
      group.receiverId,
      dateElement(date),
      time,
      groupControl,
      'X',
      group.version,
    ),
    ...group.transactionSets.flatMap(transactionSetSegments),
    segment('GE', String(group.transactionSets.length), groupControl),
  ];
}

/**
 * The whole interchange: ISA, each group with its transaction sets, IEA. Segments end with "~"
 * and a line break, which X12 translators skip, so the file reads one segment per line.
 */
export function writeInterchange(
  envelope: InterchangeEnvelope,
  groups: readonly FunctionalGroupContent[],
): string {
  const segments = [
    interchangeHeader(envelope),
    ...groups.flatMap((group) => groupSegments(group, envelope.preparedAt)),
    segment('IEA', String(groups.length), controlNumber(envelope.controlNumber, 9)),
  ];
  return `${segments.join('\n')}\n`;
}

/**
 * An answer: one group, GS06 the ISA13, GS02/GS03 the envelope's, its transaction sets numbered
 * 0001, 0002, … in ST02.
 */
export function writeAnswer(
  envelope: AnswerEnvelope,
  group: {
    functionalIdentifierCode: string;
    version: string;
    transactionSets: readonly Omit<TransactionSetContent, 'controlNumber'>[];
  },
): string {
  return writeInterchange(envelope, [
    {
      functionalIdentifierCode: group.functionalIdentifierCode,
      senderId: envelope.applicationSenderId,
      receiverId: envelope.applicationReceiverId,
      controlNumber: envelope.controlNumber,
      version: group.version,
      transactionSets: group.transactionSets.map((set, index) => ({
        ...set,
        controlNumber: controlNumber(index + 1, 4),
      })),
    },
  ]);
}

/** TA104: the interchange accepted, accepted with errors noted, or rejected. */
export type InterchangeAcknowledgmentCode = 'A' | 'E' | 'R';

/** The TA1 of one interchange received, echoing its ISA13, ISA09 and ISA10. */
export interface InterchangeAcknowledgment {
  /** ISA13 received: 9 digits. */
  controlNumber: string;
  /** ISA09 (YYMMDD) and ISA10 (HHMM) received. */
  date: string;
  time: string;
  acknowledgmentCode: InterchangeAcknowledgmentCode;
  /** TA105, the interchange note code (X12 element I18), e.g. "001" or "024". */
  noteCode: string;
}

/** An interchange holding a TA1 and no functional group (IEA01 0). */
export function writeTa1Interchange(
  envelope: InterchangeEnvelope,
  acknowledgment: InterchangeAcknowledgment,
): string {
  if (
    !/^\d{9}$/.test(acknowledgment.controlNumber) ||
    !/^\d{6}$/.test(acknowledgment.date) ||
    !/^\d{4}$/.test(acknowledgment.time) ||
    !/^\d{3}$/.test(acknowledgment.noteCode)
  ) {
    throw new X12WriteError('TA1 needs a 9-digit ISA13, ISA09, ISA10 and a 3-digit note code');
  }
  const segments = [
    interchangeHeader(envelope),
    segment(
      'TA1',
      acknowledgment.controlNumber,
      acknowledgment.date,
      acknowledgment.time,
      acknowledgment.acknowledgmentCode,
      acknowledgment.noteCode,
    ),
    segment('IEA', '0', controlNumber(envelope.controlNumber, 9)),
  ];
  return `${segments.join('\n')}\n`;
}
