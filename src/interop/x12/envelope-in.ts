// Reading an X12 interchange: separators from the ISA, segments with their places in the file,
// and the envelope (ISA/GS/ST … SE/GE/IEA) checked: versions, counts and control numbers. A file
// whose envelope is wrong is refused whole, with the reason named. Pure: no I/O.
//
// x12-parser (LIBRARIES.md's pick for this) is not used to tokenize, on purpose: it reports no
// place in the file for a segment, so no error could name a line; it silently accepts a file
// whose last segment has no terminator (a truncated upload) and makes an empty segment of the
// line break after the last one; it trims and drops characters inside elements; it takes the
// separators from fixed offsets without checking the ISA's fixed width; and it keys the second
// component of SV101 as "1-1", an off-by-one trap for every mapping. The tokenizer below is
// small; a unit test checks it against x12-parser's segments, which is why that is a dev
// dependency now.

export interface X12Separators {
  element: string;
  component: string;
  repetition: string;
  segment: string;
}

export interface X12Segment {
  /** The segment identifier, e.g. "SV1". */
  id: string;
  /** elements[n] is element n (elements[1] is SV101); elements[0] is the identifier. */
  elements: readonly string[];
  /** 1-based line of the file on which the segment starts. */
  line: number;
  /** 1-based place in its transaction set, ST being 1 (as a 999 counts); 0 outside one. */
  position: number;
}

export interface X12TransactionSet {
  /** ST02. */
  controlNumber: string;
  /** GS06 of the functional group holding the set. */
  groupControlNumber: string;
  /** ST to SE, both included. */
  segments: readonly X12Segment[];
}

/** ISA15: "P" production data, "T" test data. */
export type UsageIndicator = 'P' | 'T';

/**
 * The ISA's identifying elements, ids without their padding: who sent the interchange to whom,
 * as an answer swaps them and an acknowledgment echoes them. `Usage` is what ISA15 may be: "P" or
 * "T" in an interchange read, anything in the header of one refused.
 */
export interface InterchangeHeader<Usage extends string = UsageIndicator> {
  /** ISA05 and ISA06. */
  senderQualifier: string;
  senderId: string;
  /** ISA07 and ISA08. */
  receiverQualifier: string;
  receiverId: string;
  /** ISA09 (YYMMDD) and ISA10 (HHMM). */
  date: string;
  time: string;
  /** ISA13. */
  controlNumber: string;
  /** ISA15. */
  usageIndicator: Usage;
}

/** A GS header and how many transaction sets its GE closed. */
export interface X12FunctionalGroup {
  /** GS01. */
  functionalIdentifierCode: string;
  /** GS02 and GS03, the application sender's and receiver's codes: an answer swaps them. */
  senderId: string;
  receiverId: string;
  /** GS06 and GS08. */
  controlNumber: string;
  version: string;
  transactionSetCount: number;
}

export interface X12Interchange {
  /** The ISA segment itself, for its place in the file; its values are in `header`. */
  isa: X12Segment;
  header: InterchangeHeader;
  /** In file order; there is at least one. */
  groups: X12FunctionalGroup[];
  separators: X12Separators;
  /** Every transaction set of every functional group, in file order. */
  transactionSets: X12TransactionSet[];
}

/** Where in the file something is wrong; every problem of X12 intake has this shape. */
export interface X12Location {
  /** The segment identifier, e.g. "SV1". */
  segment: string;
  /** The element, e.g. "SV102", or a component, e.g. "SV101-2"; absent for a whole segment. */
  element?: string;
  /** The 837P loop, e.g. "2400"; absent in the envelope. */
  loop?: string;
  /** 1-based place in the transaction set (ST is 1); absent outside one. */
  segmentPosition?: number;
  /** 1-based line of the file. */
  line?: number;
}

/** `field` is the element (or the segment when a whole segment is at fault), as other APIs name fields. */
export interface X12Problem extends X12Location {
  field: string;
  message: string;
}

/** A malformed interchange carries its ISA header when the ISA itself could be read (for a TA1). */
export type InterchangeReading =
  | { status: 'read'; interchange: X12Interchange }
  | { status: 'malformed'; problems: X12Problem[]; header?: InterchangeHeader<string> };

/** What a reader of one transaction type expects in GS01, GS08/ST03 and ST01. */
export interface EnvelopeExpectation {
  functionalIdentifierCode: string;
  version: string;
  transactionSetIdentifierCode: string;
}

const ISA_LENGTH = 106;
/** ISA01 to ISA16: the ISA is fixed-length, each element padded to its width. */
const ISA_ELEMENT_WIDTHS = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];
const INTERCHANGE_VERSION = '00501';
/** Bounds the loops below; a 5 MB file of the shortest real segments stays under it. */
export const SEGMENTS_MAX = 500_000;
const ENVELOPE_IDS = new Set(['ISA', 'GS', 'ST', 'SE', 'GE', 'IEA']);

export function problemAt(location: X12Location, message: string): X12Problem {
  return { field: location.element ?? location.segment, ...location, message };
}

/** The name of element `index` of a segment: elementName("SV1", 2) is "SV102". */
export function elementName(segmentId: string, index: number, component?: number): string {
  const name = `${segmentId}${String(index).padStart(2, '0')}`;
  return component === undefined ? name : `${name}-${component}`;
}

/** Element `index` of a segment, "" when absent. */
export function elementOf(segment: X12Segment, index: number): string {
  return segment.elements[index] ?? '';
}

function at(segment: X12Segment, element?: number): X12Location {
  return {
    segment: segment.id,
    ...(element === undefined ? {} : { element: elementName(segment.id, element) }),
    ...(segment.position > 0 ? { segmentPosition: segment.position } : {}),
    line: segment.line,
  };
}

/** Reads the interchange and checks its envelope; the transaction sets' content is the caller's. */
export function readInterchange(
  text: string,
  expectation: EnvelopeExpectation,
): InterchangeReading {
  // A byte-order mark or blank lines before the ISA are harmless; anything else is not an interchange.
  const start = /^\uFEFF?\s*/.exec(text)![0].length;
  const separators = separatorsOf(text, start);
  if ('problem' in separators) return { status: 'malformed', problems: [separators.problem] };
  const header = headerOf(isaTextOf(text, start).isa.split(separators.element));
  const tokenized = tokenize(text, start, separators);
  if ('problem' in tokenized) return { status: 'malformed', problems: [tokenized.problem], header };
  const reading = readEnvelope(tokenized.segments, separators, header, expectation);
  return reading.status === 'malformed' ? { ...reading, header } : reading;
}

/** The ISA's elements (elements[1] is ISA01) as a header; only called on an ISA of full width. */
function headerOf(elements: readonly string[]): InterchangeHeader<string> {
  const value = (index: number) => (elements[index] ?? '').trim();
  return {
    senderQualifier: value(5),
    senderId: value(6),
    receiverQualifier: value(7),
    receiverId: value(8),
    date: value(9),
    time: value(10),
    controlNumber: elements[13] ?? '',
    usageIndicator: value(15),
  };
}

/**
 * The separators, from the ISA's fixed offsets once each element is checked to have its width:
 * a short ISA would otherwise hand us data characters as separators and every later error would
 * be nonsense.
 */
function separatorsOf(text: string, start: number): X12Separators | { problem: X12Problem } {
  const isaLocation = { segment: 'ISA', line: 1 + countLines(text, 0, start) };
  const fail = (message: string, element?: number) => ({
    problem: problemAt(
      element === undefined
        ? isaLocation
        : { ...isaLocation, element: elementName('ISA', element) },
      message,
    ),
  });
  const { isa, terminator } = isaTextOf(text, start);
  if (!isa.startsWith('ISA')) {
    return fail('the file must begin with an ISA segment (interchange control header)');
  }
  const element = isa[3];
  if (element === undefined || /[\sA-Za-z0-9]/.test(element)) {
    return fail('the character after "ISA" must be the element separator (such as "*")');
  }
  let offset = 3;
  for (const [index, width] of ISA_ELEMENT_WIDTHS.entries()) {
    const number = index + 1;
    const end = number === 16 ? offset + 2 : isa.indexOf(element, offset + 1);
    if (end < 0 || (number === 16 && terminator === undefined)) {
      return fail(`the ISA segment is incomplete: it must be ${ISA_LENGTH} characters`, number);
    }
    if (end - offset - 1 !== width) {
      return fail(
        `is ${end - offset - 1} characters; the ISA is fixed-length (${ISA_LENGTH} characters) and ISA${String(number).padStart(2, '0')} must be exactly ${width}, padded with spaces`,
        number,
      );
    }
    offset = end;
  }
  const separators = {
    element,
    repetition: isa[82]!,
    component: isa[104]!,
    segment: terminator!,
  };
  return separatorProblem(separators, isaLocation) ?? separators;
}

/**
 * The ISA's first 105 characters, line breaks left out (some systems wrap whole files at 80
 * columns), and the character after them: the segment terminator, which may be a line break.
 */
function isaTextOf(text: string, start: number): { isa: string; terminator: string | undefined } {
  let isa = '';
  let offset = start;
  while (isa.length < ISA_LENGTH - 1 && offset < text.length) {
    const character = text[offset]!;
    if (character !== '\r' && character !== '\n') isa += character;
    offset += 1;
  }
  return { isa, terminator: isa.length === ISA_LENGTH - 1 ? text[offset] : undefined };
}

function separatorProblem(
  separators: X12Separators,
  isaLocation: X12Location,
): { problem: X12Problem } | undefined {
  const named: [keyof X12Separators, string, string | undefined][] = [
    ['element', 'the element separator (after "ISA")', undefined],
    ['repetition', 'the repetition separator', 'ISA11'],
    ['component', 'the component separator', 'ISA16'],
    ['segment', 'the segment terminator (after ISA16)', undefined],
  ];
  for (const [index, [key, description, element]] of named.entries()) {
    const character = separators[key];
    const location = element === undefined ? isaLocation : { ...isaLocation, element };
    // A line break may end segments; a letter, digit or space would split data.
    if (/[A-Za-z0-9 ]/.test(character) || (key !== 'segment' && /\s/.test(character))) {
      return {
        problem: problemAt(
          location,
          `${description} is "${character}": a separator must be a special character such as ${key === 'repetition' ? '"^" (X12 5010; "U" was 4010)' : '"*", ":" or "~"'}`,
        ),
      };
    }
    for (const [otherKey, otherDescription] of named.slice(0, index)) {
      if (separators[otherKey] === character) {
        return {
          problem: problemAt(
            location,
            `${description} and ${otherDescription} are both "${character}": the separators must differ`,
          ),
        };
      }
    }
  }
  return undefined;
}

function countLines(text: string, from: number, to: number): number {
  let lines = 0;
  for (let index = text.indexOf('\n', from); index >= 0 && index < to;) {
    lines += 1;
    index = text.indexOf('\n', index + 1);
  }
  return lines;
}

/**
 * Segments in file order. Line breaks between segments, and inside them (files wrapped at 80
 * columns), are not data; they only count lines.
 */
function tokenize(
  text: string,
  start: number,
  separators: X12Separators,
): { segments: X12Segment[] } | { problem: X12Problem } {
  const segments: X12Segment[] = [];
  let line = 1 + countLines(text, 0, start);
  let offset = start;
  for (;;) {
    while (
      offset < text.length &&
      /\s/.test(text[offset]!) &&
      text[offset] !== separators.segment
    ) {
      if (text[offset] === '\n') line += 1;
      offset += 1;
    }
    if (offset >= text.length) return { segments };
    const end = text.indexOf(separators.segment, offset);
    const raw = text.slice(offset, end < 0 ? text.length : end);
    const id = raw.split(separators.element, 1)[0]!.replace(/[\r\n]/g, '');
    const location = { segment: /^[A-Z][A-Z0-9]{1,2}$/.test(id) ? id : '(unknown)', line };
    if (end < 0) {
      return {
        problem: problemAt(
          location,
          `the file ends inside a segment: the last segment has no terminator "${printable(separators.segment)}" (is the file truncated?)`,
        ),
      };
    }
    if (location.segment === '(unknown)') {
      return {
        problem: problemAt(
          location,
          `segment ${segments.length + 1} does not begin with a segment identifier (2 or 3 capital letters or digits)`,
        ),
      };
    }
    if (segments.length >= SEGMENTS_MAX) {
      return { problem: problemAt(location, `the file has more than ${SEGMENTS_MAX} segments`) };
    }
    const elements = raw.replace(/[\r\n]/g, '').split(separators.element);
    segments.push({ id, elements, line, position: 0 });
    line += countLines(raw, 0, raw.length);
    offset = end + 1;
  }
}

function printable(character: string): string {
  return character === '\n' ? '\\n' : character === '\r' ? '\\r' : character;
}

const isCount = (text: string) => /^\d{1,10}$/.test(text);

/** ISA, then GS … GE groups of ST … SE transaction sets, then IEA and nothing after it. */
function readEnvelope(
  segments: X12Segment[],
  separators: X12Separators,
  header: InterchangeHeader<string>,
  expectation: EnvelopeExpectation,
): InterchangeReading {
  const isa = segments[0]!;
  const problems = isaProblems(isa);
  const transactionSets: X12TransactionSet[] = [];
  const groups: X12FunctionalGroup[] = [];
  let index = 1;
  let groupCount = 0;
  while (segments[index]?.id === 'GS') {
    const gs = segments[index]!;
    groupCount += 1;
    problems.push(...gsProblems(gs, expectation));
    index += 1;
    let setsInGroup = 0;
    while (segments[index]?.id === 'ST') {
      const read = readTransactionSet(segments, index, gs, expectation);
      if ('problem' in read) return { status: 'malformed', problems: [...problems, read.problem] };
      problems.push(...read.problems);
      transactionSets.push(read.transactionSet);
      setsInGroup += 1;
      index += read.transactionSet.segments.length;
    }
    const ge = segments[index];
    if (ge?.id !== 'GE') {
      return withProblems(
        problems,
        unexpected(ge, 'ST or GE', `the functional group (GS on line ${gs.line})`),
      );
    }
    problems.push(...trailerProblems(ge, setsInGroup, 'transaction sets (ST)', gs, 6));
    groups.push({
      functionalIdentifierCode: elementOf(gs, 1),
      senderId: elementOf(gs, 2),
      receiverId: elementOf(gs, 3),
      controlNumber: elementOf(gs, 6),
      version: elementOf(gs, 8),
      transactionSetCount: setsInGroup,
    });
    index += 1;
  }
  if (groupCount === 0) {
    return withProblems(problems, unexpected(segments[index], 'GS', 'the interchange'));
  }
  const iea = segments[index];
  if (iea?.id !== 'IEA') {
    return withProblems(problems, unexpected(iea, 'GS or IEA', 'the interchange'));
  }
  problems.push(...trailerProblems(iea, groupCount, 'functional groups (GS)', isa, 13));
  const after = segments[index + 1];
  if (after) {
    problems.push(
      problemAt(at(after), `${after.id} follows IEA: a file holds one interchange (ISA … IEA)`),
    );
  }
  if (problems.length > 0) return { status: 'malformed', problems };
  return {
    status: 'read',
    interchange: {
      isa,
      // isaProblems refused any ISA15 but "P" and "T".
      header: { ...header, usageIndicator: header.usageIndicator === 'T' ? 'T' : 'P' },
      groups,
      separators,
      transactionSets,
    },
  };
}

function withProblems(problems: X12Problem[], last: X12Problem): InterchangeReading {
  return { status: 'malformed', problems: [...problems, last] };
}

function unexpected(segment: X12Segment | undefined, wanted: string, within: string): X12Problem {
  if (!segment) {
    return problemAt(
      { segment: wanted.split(' ').pop()! },
      `the file ends before ${within} is closed: ${wanted} expected`,
    );
  }
  const where = ENVELOPE_IDS.has(segment.id)
    ? `${wanted} expected here`
    : `it is outside any transaction set (ST … SE); ${wanted} expected here`;
  return problemAt(at(segment), `${segment.id} on line ${segment.line}: ${where}`);
}

function isaProblems(isa: X12Segment): X12Problem[] {
  const problems: X12Problem[] = [];
  const value = (index: number) => elementOf(isa, index).trim();
  if (value(12) !== INTERCHANGE_VERSION) {
    problems.push(
      problemAt(
        at(isa, 12),
        `is "${value(12)}": only interchanges of version ${INTERCHANGE_VERSION} (5010) are read`,
      ),
    );
  }
  if (!/^\d{9}$/.test(elementOf(isa, 13))) {
    problems.push(problemAt(at(isa, 13), 'must be the interchange control number: 9 digits'));
  }
  // "T" is read in full too: its reader answers it and writes nothing (test mode).
  if (value(15) !== 'P' && value(15) !== 'T') {
    problems.push(problemAt(at(isa, 15), 'must be "P" (production data) or "T" (test data)'));
  }
  return problems;
}

function gsProblems(gs: X12Segment, expectation: EnvelopeExpectation): X12Problem[] {
  const problems: X12Problem[] = [];
  if (elementOf(gs, 1) !== expectation.functionalIdentifierCode) {
    problems.push(
      problemAt(
        at(gs, 1),
        `is "${elementOf(gs, 1)}": only functional groups "${expectation.functionalIdentifierCode}" (health care claims) are read here`,
      ),
    );
  }
  if (!/^\d{1,9}$/.test(elementOf(gs, 6))) {
    problems.push(problemAt(at(gs, 6), 'must be the group control number: 1 to 9 digits'));
  }
  if (elementOf(gs, 8) !== expectation.version) {
    problems.push(
      problemAt(at(gs, 8), `is "${elementOf(gs, 8)}": only ${expectation.version} is read here`),
    );
  }
  return problems;
}

/**
 * The transaction set starting at `start` (its ST) up to its SE. A missing SE is fatal: without
 * it no segment after can be placed.
 */
function readTransactionSet(
  segments: X12Segment[],
  start: number,
  gs: X12Segment,
  expectation: EnvelopeExpectation,
): { transactionSet: X12TransactionSet; problems: X12Problem[] } | { problem: X12Problem } {
  const st = segments[start]!;
  let end = start + 1;
  while (end < segments.length && !ENVELOPE_IDS.has(segments[end]!.id)) end += 1;
  const se = segments[end];
  const controlNumber = elementOf(st, 2);
  if (se?.id !== 'SE') {
    const found = se ? `${se.id} on line ${se.line}` : 'the end of the file';
    return {
      problem: problemAt(
        at(st),
        `the transaction set ST02 "${controlNumber}" has no SE: found ${found} first`,
      ),
    };
  }
  const placed = segments
    .slice(start, end + 1)
    .map((segment, offset) => ({ ...segment, position: offset + 1 }));
  const [placedSt, placedSe] = [placed[0]!, placed[placed.length - 1]!];
  const problems: X12Problem[] = [];
  if (elementOf(st, 1) !== expectation.transactionSetIdentifierCode) {
    problems.push(
      problemAt(
        at(placedSt, 1),
        `is "${elementOf(st, 1)}": only ${expectation.transactionSetIdentifierCode} transaction sets are read here`,
      ),
    );
  }
  if (!/^[A-Za-z0-9]{4,9}$/.test(controlNumber)) {
    problems.push(
      problemAt(
        at(placedSt, 2),
        'must be the transaction set control number: 4 to 9 letters or digits',
      ),
    );
  }
  if (elementOf(st, 3) !== expectation.version) {
    problems.push(
      problemAt(at(placedSt, 3), `is "${elementOf(st, 3)}": it must be ${expectation.version}`),
    );
  }
  const count = elementOf(se, 1);
  if (!isCount(count) || Number(count) !== placed.length) {
    problems.push(
      problemAt(
        at(placedSe, 1),
        `says ${count === '' ? 'nothing' : `${count} segments`}; the transaction set has ${placed.length} (ST to SE, both counted)`,
      ),
    );
  }
  if (elementOf(se, 2) !== controlNumber) {
    problems.push(
      problemAt(at(placedSe, 2), `"${elementOf(se, 2)}" does not match ST02 "${controlNumber}"`),
    );
  }
  return {
    transactionSet: { controlNumber, groupControlNumber: elementOf(gs, 6), segments: placed },
    problems,
  };
}

/** GE01/IEA01 count what they close; GE02/IEA02 repeat the header's control number. */
function trailerProblems(
  trailer: X12Segment,
  count: number,
  counted: string,
  header: X12Segment,
  headerControlElement: number,
): X12Problem[] {
  const problems: X12Problem[] = [];
  const countText = elementOf(trailer, 1);
  if (!isCount(countText) || Number(countText) !== count) {
    problems.push(
      problemAt(
        at(trailer, 1),
        `says ${countText === '' ? 'nothing' : countText}; there ${count === 1 ? 'is' : 'are'} ${count} ${counted}`,
      ),
    );
  }
  const controlNumber = elementOf(trailer, 2);
  const headerControlNumber = elementOf(header, headerControlElement);
  // GS06/GE02 are numbers (leading zeros allowed); ISA13/IEA02 are fixed 9-digit text.
  const matches =
    header.id === 'GS'
      ? isCount(controlNumber) && Number(controlNumber) === Number(headerControlNumber)
      : controlNumber === headerControlNumber;
  if (!matches) {
    const headerElement = elementName(header.id, headerControlElement);
    problems.push(
      problemAt(
        at(trailer, 2),
        `${elementName(trailer.id, 2)} "${controlNumber}" does not match ${headerElement} "${headerControlNumber}"`,
      ),
    );
  }
  return problems;
}
