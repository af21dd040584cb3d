// The X12 envelope: separators from the ISA, segments with their lines and places, and each kind
// of envelope fault named (segment, element and a reason a billing office can act on).
import { Readable } from 'node:stream';
import { X12parser } from 'x12-parser';
import { describe, expect, it } from 'vitest';
import {
  readInterchange,
  type EnvelopeExpectation,
  type X12Problem,
} from '../../../src/interop/x12/envelope-in.js';
import { edited, replaceSegment, sampleFile, segmentsOf } from './samples.js';

const expectation: EnvelopeExpectation = {
  functionalIdentifierCode: 'HC',
  version: '005010X222A1',
  transactionSetIdentifierCode: '837',
};

const sample = sampleFile('commercial-health-insurance');
const isa = segmentsOf(sample)[0]!;

function read(text: string) {
  const reading = readInterchange(text, expectation);
  if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
  return reading.interchange;
}

function problemsOf(text: string): X12Problem[] {
  const reading = readInterchange(text, expectation);
  if (reading.status !== 'malformed') throw new Error('expected the interchange to be refused');
  return reading.problems;
}

/** The sample with its ISA changed at `offset` (0-based) to `characters`. */
function withIsa(offset: number, characters: string): string {
  return sample.replace(
    isa,
    isa.slice(0, offset) + characters + isa.slice(offset + characters.length),
  );
}

describe('a well-formed interchange', () => {
  it('gives the ISA as one header (ids unpadded) and each functional group; a refused one its header', () => {
    const interchange = read(sample);
    expect(interchange.header).toEqual({
      senderQualifier: 'ZZ',
      senderId: 'SUBMITTERS.ID',
      receiverQualifier: 'ZZ',
      receiverId: 'RECEIVERS.ID',
      date: '261015',
      time: '1253',
      controlNumber: '000000905',
      usageIndicator: 'P',
    });
    expect(interchange.groups).toEqual([
      {
        functionalIdentifierCode: 'HC',
        senderId: 'SENDER CODE',
        receiverId: 'RECEIVER CODE',
        controlNumber: '1',
        version: '005010X222A1',
        transactionSetCount: 1,
      },
    ]);
    expect(interchange.isa).toMatchObject({ id: 'ISA', line: 1, position: 0 });
    expect(interchange.transactionSets[0]!.groupControlNumber).toBe('1');
    const refused = readInterchange(withIsa(102, 'X'), expectation);
    expect(refused).toMatchObject({
      status: 'malformed',
      header: { controlNumber: '000000905', usageIndicator: 'X', senderId: 'SUBMITTERS.ID' },
    });
  });

  it('gives its separators, control number and transaction sets, each segment placed', () => {
    const interchange = read(sample);
    expect(interchange.header.controlNumber).toBe('000000905');
    expect(interchange.separators).toEqual({
      element: '*',
      repetition: '^',
      component: ':',
      segment: '~',
    });
    const [set] = interchange.transactionSets;
    expect(interchange.transactionSets).toHaveLength(1);
    expect(set!.controlNumber).toBe('0021');
    expect(set!.segments).toHaveLength(38);
    expect(set!.segments[0]).toEqual({
      id: 'ST',
      elements: ['ST', '837', '0021', '005010X222A1'],
      line: 3,
      position: 1,
    });
    const clm = set!.segments.find((segment) => segment.id === 'CLM')!;
    expect(clm).toMatchObject({ line: 25, position: 23 });
    expect(clm.elements.slice(0, 3)).toEqual(['CLM', '26463774', '100']);
  });

  it('reads the same without line breaks, with CR LF, and wrapped at 80 columns', () => {
    const segmentsOfSample = read(sample).transactionSets[0]!.segments;
    const contents = (text: string) =>
      read(text).transactionSets[0]!.segments.map(({ id, elements }) => ({ id, elements }));
    const expected = segmentsOfSample.map(({ id, elements }) => ({ id, elements }));
    const oneLine = sample.replaceAll('\n', '');
    expect(contents(oneLine)).toEqual(expected);
    expect(read(oneLine).transactionSets[0]!.segments.every((each) => each.line === 1)).toBe(true);
    expect(contents(sample.replaceAll('\n', '\r\n'))).toEqual(expected);
    expect(contents(oneLine.replace(/(.{80})/g, '$1\n'))).toEqual(expected);
  });

  it('takes whatever separators the ISA declares', () => {
    const text = sample
      .replaceAll('*', '|')
      .replaceAll(':', '>')
      .replaceAll('~', '\u001c')
      .replace('|^|', '|!|');
    const interchange = read(text);
    expect(interchange.separators).toEqual({
      element: '|',
      repetition: '!',
      component: '>',
      segment: '\u001c',
    });
    expect(interchange.transactionSets[0]!.segments).toHaveLength(38);
  });

  it('splits segments and elements exactly as x12-parser does (an independent tokenizer)', async () => {
    const theirs: Record<string, string>[] = [];
    for await (const segment of Readable.from([sampleFile('several-service-lines')]).pipe(
      new X12parser(),
    )) {
      // x12-parser turns the line break after the last "~" into an empty segment; we do not.
      if ((segment as { name: string }).name !== '') theirs.push(segment as Record<string, string>);
    }
    const interchange = read(sampleFile('several-service-lines'));
    const ours = segmentsOf(sampleFile('several-service-lines')).map((text, index) => {
      // x12-parser keys component k+1 of element n as "n-k" and trims; the ISA is not split.
      const elements = text.split('*');
      const formatted: Record<string, string> = { name: elements[0]! };
      elements.slice(1).forEach((element, offset) => {
        const [first = '', ...rest] = index === 0 ? [element] : element.split(':');
        formatted[`${offset + 1}`] = first.trim();
        rest.forEach((component, componentIndex) => {
          formatted[`${offset + 1}-${componentIndex + 1}`] = component.trim();
        });
      });
      return formatted;
    });
    expect(theirs).toEqual(ours);
    const st = interchange.transactionSets[0]!.segments;
    expect(st.map((segment) => segment.elements.join('*'))).toEqual(
      segmentsOf(sampleFile('several-service-lines')).slice(2, -2),
    );
  });
});

describe('each kind of envelope fault is named', () => {
  it('no ISA', () => {
    expect(problemsOf(sample.slice(sample.indexOf('GS*')))).toEqual([
      {
        field: 'ISA',
        segment: 'ISA',
        line: 1,
        message: 'the file must begin with an ISA segment (interchange control header)',
      },
    ]);
    expect(problemsOf('')[0]!.field).toBe('ISA');
  });

  it('a short ISA: the element that is not its fixed width', () => {
    const short = sample.replace('SUBMITTERS.ID  *', 'SUBMITTERS.ID*');
    expect(problemsOf(short)).toEqual([
      {
        field: 'ISA06',
        segment: 'ISA',
        element: 'ISA06',
        line: 1,
        message:
          'is 13 characters; the ISA is fixed-length (106 characters) and ISA06 must be exactly 15, padded with spaces',
      },
    ]);
    expect(problemsOf(isa.slice(0, 60))[0]).toMatchObject({
      field: 'ISA08',
      message: 'the ISA segment is incomplete: it must be 106 characters',
    });
  });

  it('bad separators: a letter, or one character for two separators', () => {
    expect(problemsOf(withIsa(82, 'U'))[0]).toMatchObject({
      field: 'ISA11',
      message:
        'the repetition separator is "U": a separator must be a special character such as "^" (X12 5010; "U" was 4010)',
    });
    expect(problemsOf(withIsa(104, '^'))[0]).toMatchObject({
      field: 'ISA16',
      message:
        'the component separator and the repetition separator are both "^": the separators must differ',
    });
    expect(problemsOf(withIsa(3, 'A').replaceAll('*', 'A'))[0]).toMatchObject({
      field: 'ISA',
      message: 'the character after "ISA" must be the element separator (such as "*")',
    });
  });

  it('the interchange version, a usage other than P or T, a wrong functional group or version', () => {
    const fields = (text: string) => problemsOf(text).map((problem) => problem.field);
    expect(fields(withIsa(84, '00401'))).toEqual(['ISA12']);
    expect(read(withIsa(102, 'T')).header.usageIndicator).toBe('T');
    expect(problemsOf(withIsa(102, 'X'))).toMatchObject([
      { field: 'ISA15', message: 'must be "P" (production data) or "T" (test data)' },
    ]);
    expect(problemsOf(sample.replace('GS*HC*', 'GS*HP*'))).toMatchObject([
      {
        field: 'GS01',
        line: 2,
        message: 'is "HP": only functional groups "HC" (health care claims) are read here',
      },
    ]);
    expect(problemsOf(sample.replace('*X*005010X222A1~', '*X*004010X098A1~'))).toMatchObject([
      { field: 'GS08', message: 'is "004010X098A1": only 005010X222A1 is read here' },
    ]);
    expect(problemsOf(sample.replace('ST*837*0021*005010X222A1', 'ST*835*0021'))).toMatchObject([
      {
        field: 'ST01',
        segmentPosition: 1,
        line: 3,
        message: 'is "835": only 837 transaction sets are read here',
      },
      { field: 'ST03', message: 'is "": it must be 005010X222A1' },
    ]);
  });

  it('SE01 that does not count the transaction set, SE02 that is not ST02', () => {
    const withoutOne = edited(sample, replaceSegment('REF*D9'), { recount: false });
    expect(problemsOf(withoutOne)).toEqual([
      {
        field: 'SE01',
        segment: 'SE',
        element: 'SE01',
        segmentPosition: 37,
        line: 39,
        message: 'says 38 segments; the transaction set has 37 (ST to SE, both counted)',
      },
    ]);
    expect(problemsOf(sample.replace('SE*38*0021', 'SE*38*0022'))).toMatchObject([
      { field: 'SE02', message: '"0022" does not match ST02 "0021"' },
    ]);
  });

  it('GE and IEA counts and control numbers', () => {
    expect(problemsOf(sample.replace('GE*1*1~', 'GE*2*1~'))).toMatchObject([
      { field: 'GE01', message: 'says 2; there is 1 transaction sets (ST)' },
    ]);
    expect(problemsOf(sample.replace('GE*1*1~', 'GE*1*2~'))).toMatchObject([
      { field: 'GE02', message: 'GE02 "2" does not match GS06 "1"' },
    ]);
    expect(problemsOf(sample.replace('IEA*1*', 'IEA*3*'))).toMatchObject([
      { field: 'IEA01', message: 'says 3; there is 1 functional groups (GS)' },
    ]);
    expect(problemsOf(sample.replace('IEA*1*000000905', 'IEA*1*000000906'))).toEqual([
      {
        field: 'IEA02',
        segment: 'IEA',
        element: 'IEA02',
        line: 42,
        message: 'IEA02 "000000906" does not match ISA13 "000000905"',
      },
    ]);
  });

  it('a transaction set without SE, a segment outside any, anything after IEA', () => {
    const withoutSe = edited(sample, replaceSegment('SE*'), { recount: false });
    expect(problemsOf(withoutSe)).toMatchObject([
      {
        field: 'ST',
        line: 3,
        message: 'the transaction set ST02 "0021" has no SE: found GE on line 40 first',
      },
    ]);
    const stray = sample.replace('GE*1*1~', 'NTE*ADD*NOTE~\nGE*1*1~');
    expect(problemsOf(stray)).toMatchObject([
      {
        field: 'NTE',
        line: 41,
        message:
          'NTE on line 41: it is outside any transaction set (ST … SE); ST or GE expected here',
      },
    ]);
    expect(problemsOf(`${sample}${isa}~\n`)).toMatchObject([
      {
        field: 'ISA',
        line: 43,
        message: 'ISA follows IEA: a file holds one interchange (ISA … IEA)',
      },
    ]);
    expect(problemsOf(sample.replace(/IEA.*\n$/, ''))).toMatchObject([
      {
        field: 'IEA',
        message: 'the file ends before the interchange is closed: GS or IEA expected',
      },
    ]);
  });

  it('an unterminated file (the last segment cut off) and a segment without an identifier', () => {
    expect(problemsOf(sample.replace(/~\n$/, ''))).toEqual([
      {
        field: 'IEA',
        segment: 'IEA',
        line: 42,
        message:
          'the file ends inside a segment: the last segment has no terminator "~" (is the file truncated?)',
      },
    ]);
    expect(problemsOf(sample.replace('BHT*', '*BHT*'))).toMatchObject([
      {
        line: 4,
        message:
          'segment 4 does not begin with a segment identifier (2 or 3 capital letters or digits)',
      },
    ]);
  });
});
