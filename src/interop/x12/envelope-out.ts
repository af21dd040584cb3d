// Writing the X12 envelope around transaction sets we send (835, 999, 277CA) and the TA1
// interchange acknowledgment: ISA/GS/ST … SE/GE/IEA with their counts and control numbers. One
// place for it, so every document we write is enveloped the same way. Pure: no I/O.
import {
  controlNumber,
  dateElement,
  delimiters,
  fixedWidth,
  segment,
  utcDateAndTime,
  X12WriteError,
} from './segments.js';

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
  /** GS01, e.g. "FA" (999), "HN" (277), "HP" (835). */
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
const INTERCHANGE_ID = /^[ -~]{1,15}$/;

/** ISA is fixed width (106 characters with its terminator), so it is spelled out here. */
export function interchangeHeader(envelope: InterchangeEnvelope): string {
  for (const [qualifier, id] of [
    [envelope.senderQualifier, envelope.senderId],
    [envelope.receiverQualifier, envelope.receiverId],
  ] as const) {
    if (!INTERCHANGE_ID_QUALIFIER.test(qualifier) || !INTERCHANGE_ID.test(id.trim())) {
      throw new X12WriteError(
        `interchange id ${qualifier}/${id} is not a qualifier and 1-15 characters`,
      );
    }
  }
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
