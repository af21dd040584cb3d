// The loops of an 837P (005010X222A1) transaction set: which segment starts which loop, which
// segments each loop may hold, and the HL hierarchy (billing provider 20, subscriber 22, patient
// 23) with the claims (2300) and service lines (2400) under it. Only what our claim is made of is
// kept; the other segments are checked to stand in their loops and passed over. Pure: no I/O.
import {
  elementName,
  elementOf,
  problemAt,
  type X12Location,
  type X12Problem,
  type X12Segment,
  type X12TransactionSet,
} from './envelope-in.js';

type Family = 'header' | '2000A' | '2000B' | '2000C' | '2300' | '2320' | '2400' | 'unknown';

/** Loops that start with NM1, by family and NM101 (entity identifier code). */
const NAME_LOOPS: Record<Family, Record<string, string>> = {
  header: { '41': '1000A', '40': '1000B' },
  unknown: {},
  '2000A': { '85': '2010AA', '87': '2010AB', PE: '2010AC' },
  '2000B': { IL: '2010BA', PR: '2010BB' },
  '2000C': { QC: '2010CA' },
  '2300': {
    DN: '2310A',
    P3: '2310A',
    '82': '2310B',
    '77': '2310C',
    DQ: '2310D',
    PW: '2310E',
    '45': '2310F',
  },
  '2320': {
    IL: '2330A',
    PR: '2330B',
    DN: '2330C',
    P3: '2330C',
    '82': '2330D',
    '77': '2330E',
    DQ: '2330F',
    '85': '2330G',
  },
  '2400': {
    '82': '2420A',
    QB: '2420B',
    '77': '2420C',
    DQ: '2420D',
    DK: '2420E',
    DN: '2420F',
    P3: '2420F',
    PW: '2420G',
    '45': '2420H',
  },
};

/** The segments each loop may hold besides the one that starts it (005010X222A1, section 2.4). */
const LOOP_SEGMENTS: Record<string, readonly string[]> = {
  header: ['BHT'],
  '1000A': ['PER'],
  '1000B': [],
  '2000A': ['PRV', 'CUR'],
  '2010AA': ['N3', 'N4', 'REF', 'PER'],
  '2010AB': ['N3', 'N4'],
  '2010AC': ['N3', 'N4', 'REF'],
  '2000B': ['SBR', 'PAT'],
  '2010BA': ['N3', 'N4', 'DMG', 'REF', 'PER'],
  '2010BB': ['N3', 'N4', 'REF'],
  '2000C': ['PAT'],
  '2010CA': ['N3', 'N4', 'DMG', 'REF', 'PER'],
  '2300': ['DTP', 'PWK', 'CN1', 'AMT', 'REF', 'K3', 'NTE', 'CR1', 'CR2', 'CRC', 'HI', 'HCP'],
  '2310': ['PRV', 'N3', 'N4', 'REF', 'PER'], // PER: 2310C service facility contact
  '2320': ['CAS', 'AMT', 'OI', 'MOA'],
  '2330': ['N3', 'N4', 'DTP', 'REF'],
  '2400': [
    'SV1',
    'SV5',
    'PWK',
    'CR1',
    'CR3',
    'CRC',
    'DTP',
    'QTY',
    'MEA',
    'CN1',
    'REF',
    'AMT',
    'K3',
    'NTE',
    'PS1',
    'HCP',
  ],
  '2410': ['CTP', 'REF'],
  '2420': ['PRV', 'N3', 'N4', 'REF', 'PER'], // PER: 2420E ordering provider contact
  '2430': ['CAS', 'DTP', 'AMT'],
  '2440': ['FRM'],
};

function segmentsOfLoop(loop: string): readonly string[] {
  return LOOP_SEGMENTS[loop] ?? LOOP_SEGMENTS[loop.slice(0, 4)] ?? [];
}

export const HIERARCHY_LEVELS = { '20': '2000A', '22': '2000B', '23': '2000C' } as const;

/** A problem of a hierarchy level, carried by every claim under it. */
export interface LevelProblem {
  problem: X12Problem;
  /** Our claim fields it makes unreadable, which then need no second report. */
  fields: string[];
}

export interface HierarchyLevel {
  hl: X12Segment;
  /** HL01. */
  id: string;
  /** HL03: "20", "22", "23", or an unknown code. */
  levelCode: string;
  loop: string;
  parent: HierarchyLevel | undefined;
  problems: LevelProblem[];
  /** The NM1 (and DMG, SBR) segments of this level's name loops, by loop ("2010AA"). */
  names: Map<string, X12Segment>;
  demographics: X12Segment | undefined;
  subscriberInformation: X12Segment | undefined;
  /** PAT of a patient level (2000C): the patient's relationship to the subscriber. */
  patientInformation: X12Segment | undefined;
}

/** How another payer adjudicated one line (loop 2430): SVD, its CAS and DTP*573. */
export interface LineAdjudicationLoop {
  svd: X12Segment;
  adjustments: X12Segment[];
  adjudicationDate: X12Segment | undefined;
}

/** Another payer of the claim (loop 2320 with its 2330B payer name): SBR, CAS, AMT*D. */
export interface OtherSubscriberLoop {
  sbr: X12Segment;
  adjustments: X12Segment[];
  /** AMT*D: what that payer paid. */
  paidAmount: X12Segment | undefined;
  /** NM1*PR of loop 2330B. */
  payerName: X12Segment | undefined;
}

export interface ServiceLineLoop {
  lx: X12Segment;
  professionalService: X12Segment | undefined;
  serviceDate: X12Segment | undefined;
  /** REF*6R: the provider's line item control number. */
  lineControlNumber: X12Segment | undefined;
  /** Loops 2430: other payers' adjudication of the line. */
  priorAdjudications: LineAdjudicationLoop[];
  problems: X12Problem[];
}

export interface ClaimLoop {
  clm: X12Segment;
  transactionSetControlNumber: string;
  level: HierarchyLevel | undefined;
  /** REF*F8 of loop 2300. */
  originalReference: X12Segment | undefined;
  /** HI whose HI01-1 is ABK (ICD-10-CM) or BK (ICD-9-CM). */
  diagnoses: X12Segment | undefined;
  /** Loops 2320: the claim's other payers, in file order. */
  otherSubscribers: OtherSubscriberLoop[];
  lines: ServiceLineLoop[];
  problems: X12Problem[];
  /** Why the whole transaction set is refused (BHT06 not "CH"): then nothing else matters. */
  transactionSetProblem: X12Problem | undefined;
}

export type TransactionSetLoops =
  { status: 'read'; claims: ClaimLoop[] } | { status: 'malformed'; problems: X12Problem[] };

export function locationOf(segment: X12Segment, loop: string, element?: string): X12Location {
  return {
    segment: segment.id,
    ...(element === undefined ? {} : { element }),
    loop,
    segmentPosition: segment.position,
    line: segment.line,
  };
}

/** Walks one transaction set's segments (between ST and SE) loop by loop. */
class LoopWalker {
  private loop = 'header';
  private family: Family = 'header';
  private readonly levels = new Map<string, HierarchyLevel>();
  private level: HierarchyLevel | undefined;
  private claim: ClaimLoop | undefined;
  private line: ServiceLineLoop | undefined;
  readonly claims: ClaimLoop[] = [];
  /** Problems before the first HL: the transaction set's header, which no claim owns. */
  readonly headerProblems: X12Problem[] = [];
  /** A fault of the transaction set that refuses its claims, not the whole file. */
  transactionSetProblem: X12Problem | undefined;
  private readonly headerNames = new Set<string>();

  constructor(private readonly transactionSetControlNumber: string) {}

  private at(segment: X12Segment, element?: number, component?: number): X12Location {
    const name = element === undefined ? undefined : elementName(segment.id, element, component);
    return locationOf(segment, this.loop, name);
  }

  /** The problem belongs to the innermost thing it makes wrong: line, claim, level or header. */
  private report(problem: X12Problem): void {
    if (this.line) this.line.problems.push(problem);
    else if (this.claim) this.claim.problems.push(problem);
    else if (this.level) this.level.problems.push({ problem, fields: [] });
    else this.headerProblems.push(problem);
  }

  /** `segments`: ST to SE, both included. */
  walk(segments: readonly X12Segment[]): void {
    const bht = segments[1]!; // the envelope reader ends every set with SE, so there is a second
    if (bht.id !== 'BHT') {
      this.headerProblems.push(
        problemAt(
          locationOf(bht, 'header'),
          'BHT (beginning of hierarchical transaction) must follow ST',
        ),
      );
      return;
    }
    this.checkBeginning(bht);
    for (const segment of segments.slice(2, -1)) this.take(segment);
    this.closeClaim();
    for (const [entity, loop] of [
      ['41', 'submitter name (1000A)'],
      ['40', 'receiver name (1000B)'],
    ]) {
      if (!this.headerNames.has(entity!)) {
        this.headerProblems.push(
          problemAt(locationOf(bht, 'header'), `NM1*${entity} (${loop}) is required after BHT`),
        );
      }
    }
  }

  private checkBeginning(bht: X12Segment): void {
    if (elementOf(bht, 1) !== '0019') {
      this.report(
        problemAt(this.at(bht, 1), 'must be "0019" (information source, subscriber, dependent)'),
      );
    }
    // 005010X222A1 BHT06: CH chargeable (a claim for payment), RP reporting (an encounter, "not
    // a claim for payment"), 31 subrogation demand (a state agency claiming back what it paid).
    // Only CH asks a payer to pay; the others refuse their own transaction set, not the file.
    const claimOrEncounter = elementOf(bht, 6);
    if (claimOrEncounter !== 'CH') {
      const messages: Record<string, string> = {
        RP: 'is "RP" (reporting: an encounter, not a claim for payment): ClaimChain takes claims for payment only ("CH"); this transaction set is refused',
        '31': 'is "31" (subrogation demand): ClaimChain takes claims for payment from providers only ("CH"); this transaction set is refused',
      };
      this.transactionSetProblem = problemAt(
        this.at(bht, 6),
        messages[claimOrEncounter] ??
          'must be "CH" (chargeable: a claim for payment); this transaction set is refused',
      );
    }
  }

  private take(segment: X12Segment): void {
    switch (segment.id) {
      case 'HL':
        this.startLevel(segment);
        return;
      case 'CLM':
        this.startClaim(segment);
        return;
      case 'LX':
        if (this.family === '2300' || this.family === '2320' || this.family === '2400') {
          this.startLine(segment);
          return;
        }
        break;
      case 'NM1':
        if (this.startNameLoop(segment)) return;
        break;
      case 'SBR':
        if (this.family === '2300' || this.family === '2320') {
          this.enter('2320', '2320', true);
          this.claim?.otherSubscribers.push({
            sbr: segment,
            adjustments: [],
            paidAmount: undefined,
            payerName: undefined,
          });
          return;
        }
        break;
      case 'LIN':
      case 'SVD':
      case 'LQ':
        if (this.family === '2400') {
          this.enter(
            segment.id === 'LIN' ? '2410' : segment.id === 'SVD' ? '2430' : '2440',
            '2400',
            true,
          );
          if (segment.id === 'SVD') {
            this.line?.priorAdjudications.push({
              svd: segment,
              adjustments: [],
              adjudicationDate: undefined,
            });
          }
          return;
        }
        break;
    }
    if (!segmentsOfLoop(this.loop).includes(segment.id)) {
      this.report(
        problemAt(
          this.at(segment),
          `${segment.id} is not a segment of loop ${this.loop === 'header' ? 'header (BHT)' : this.loop}`,
        ),
      );
      return;
    }
    this.keep(segment);
  }

  /** `keepInner`: the loop is inside the current claim (2310-2330) or line (2410-2440). */
  private enter(loop: string, family: Family, keepInner: boolean): void {
    this.loop = loop;
    this.family = family;
    if (!keepInner) {
      this.claim = undefined;
      this.line = undefined;
    }
  }

  /** The segments our claim is made of, each at most once in its loop. */
  private keep(segment: X12Segment): void {
    const once = (current: X12Segment | undefined, store: (kept: X12Segment) => void) => {
      if (current) {
        this.report(
          problemAt(this.at(segment), `${segment.id} appears more than once in loop ${this.loop}`),
        );
      } else store(segment);
    };
    const level = this.level;
    const qualifier = elementOf(segment, 1);
    if (this.loop === '2000B' && segment.id === 'SBR' && level) {
      once(level.subscriberInformation, (kept) => (level.subscriberInformation = kept));
    } else if (
      (this.loop === '2010BA' || this.loop === '2010CA') &&
      segment.id === 'DMG' &&
      level
    ) {
      once(level.demographics, (kept) => (level.demographics = kept));
    } else if (this.loop === '2000C' && segment.id === 'PAT' && level) {
      once(level.patientInformation, (kept) => (level.patientInformation = kept));
    } else if (this.loop === '2320' || this.loop === '2430') {
      this.keepCoordination(segment, once);
    } else if (this.loop === '2300' && segment.id === 'REF' && qualifier === 'F8' && this.claim) {
      const claim = this.claim;
      once(claim.originalReference, (kept) => (claim.originalReference = kept));
    } else if (this.loop === '2300' && segment.id === 'HI' && this.claim) {
      const claim = this.claim;
      const code = elementOf(segment, 1).split(/[^A-Z0-9]/, 1)[0];
      if (code === 'ABK' || code === 'BK') {
        once(claim.diagnoses, (kept) => (claim.diagnoses = kept));
      }
    } else if (this.loop === '2400' && this.line) {
      const line = this.line;
      if (segment.id === 'SV1') {
        once(line.professionalService, (kept) => (line.professionalService = kept));
      } else if (segment.id === 'DTP' && qualifier === '472') {
        once(line.serviceDate, (kept) => (line.serviceDate = kept));
      } else if (segment.id === 'REF' && qualifier === '6R') {
        once(line.lineControlNumber, (kept) => (line.lineControlNumber = kept));
      }
    }
  }

  /** CAS and AMT*D of another payer (2320), CAS and DTP*573 of its line adjudication (2430). */
  private keepCoordination(
    segment: X12Segment,
    once: (current: X12Segment | undefined, store: (kept: X12Segment) => void) => void,
  ): void {
    if (this.loop === '2320') {
      const other = this.claim?.otherSubscribers.at(-1);
      if (!other) return;
      if (segment.id === 'CAS') other.adjustments.push(segment);
      else if (segment.id === 'AMT' && elementOf(segment, 1) === 'D') {
        once(other.paidAmount, (kept) => (other.paidAmount = kept));
      }
      return;
    }
    const adjudication = this.line?.priorAdjudications.at(-1);
    if (!adjudication) return;
    if (segment.id === 'CAS') adjudication.adjustments.push(segment);
    else if (segment.id === 'DTP' && elementOf(segment, 1) === '573') {
      once(adjudication.adjudicationDate, (kept) => (adjudication.adjudicationDate = kept));
    }
  }

  private startNameLoop(segment: X12Segment): boolean {
    const loop = NAME_LOOPS[this.family][elementOf(segment, 1)];
    if (loop === undefined) return false;
    const inner = this.family === '2300' || this.family === '2320' || this.family === '2400';
    this.enter(loop, this.family, inner);
    const other = this.claim?.otherSubscribers.at(-1);
    if (loop === '2330B' && other && !other.payerName) other.payerName = segment;
    if (this.family === 'header') {
      this.headerNames.add(elementOf(segment, 1));
    } else if (this.level && !inner) {
      if (this.level.names.has(loop)) {
        this.report(problemAt(this.at(segment), `NM1 of loop ${loop} appears more than once`));
      } else this.level.names.set(loop, segment);
    }
    return true;
  }

  private startLevel(hl: X12Segment): void {
    this.closeClaim();
    const levelCode = elementOf(hl, 3);
    const known = (HIERARCHY_LEVELS as Record<string, Family | undefined>)[levelCode];
    const loop = known ?? '2000';
    const parentId = elementOf(hl, 2);
    const level: HierarchyLevel = {
      hl,
      id: elementOf(hl, 1),
      levelCode,
      loop,
      parent: this.levels.get(parentId),
      problems: [],
      names: new Map(),
      demographics: undefined,
      subscriberInformation: undefined,
      patientInformation: undefined,
    };
    this.level = level;
    this.enter(loop, known ?? 'unknown', false);
    for (const problem of hierarchyProblems(level, parentId, this.levels.size + 1)) {
      // A subscriber level that is not where it belongs can name neither member nor payer.
      level.problems.push({ problem, fields: levelCode === '22' ? ['member', 'payerId'] : [] });
    }
    if (!this.levels.has(level.id)) this.levels.set(level.id, level);
  }

  private startClaim(clm: X12Segment): void {
    this.closeClaim();
    const level = this.level;
    const problems: X12Problem[] = [];
    if (!level) {
      this.headerProblems.push(
        problemAt(this.at(clm), 'CLM must follow an HL subscriber loop (2000B)'),
      );
      return;
    }
    if (level.levelCode !== '22' && level.levelCode !== '23') {
      problems.push(
        problemAt(
          this.at(clm),
          `CLM must be inside a subscriber loop (HL03 "22"); HL ${level.id} is not one`,
        ),
      );
    }
    this.enter('2300', '2300', false);
    this.claim = {
      clm,
      transactionSetControlNumber: this.transactionSetControlNumber,
      level,
      originalReference: undefined,
      diagnoses: undefined,
      otherSubscribers: [],
      lines: [],
      problems: problems.map((problem) => ({ ...problem, loop: '2300' })),
      transactionSetProblem: this.transactionSetProblem,
    };
  }

  private startLine(lx: X12Segment): void {
    this.enter('2400', '2400', true);
    this.line = {
      lx,
      professionalService: undefined,
      serviceDate: undefined,
      lineControlNumber: undefined,
      priorAdjudications: [],
      problems: [],
    };
    this.claim!.lines.push(this.line);
  }

  private closeClaim(): void {
    if (this.claim) this.claims.push(this.claim);
    this.claim = undefined;
    this.line = undefined;
  }
}

function hierarchyProblems(
  level: HierarchyLevel,
  parentId: string,
  expectedId: number,
): X12Problem[] {
  const at = (element: number) => locationOf(level.hl, level.loop, elementName('HL', element));
  const problems: X12Problem[] = [];
  if (level.id !== String(expectedId)) {
    problems.push(
      problemAt(at(1), `must number the HL segments 1, 2, 3… in order; expected ${expectedId}`),
    );
  }
  const parentCode = { '20': undefined, '22': '20', '23': '22' }[level.levelCode];
  if (!(level.levelCode in HIERARCHY_LEVELS)) {
    problems.push(
      problemAt(
        at(3),
        `is "${level.levelCode}": an 837P level is 20 (billing provider), 22 (subscriber) or 23 (patient)`,
      ),
    );
  } else if (parentCode === undefined ? parentId !== '' : level.parent?.levelCode !== parentCode) {
    problems.push(
      problemAt(
        at(2),
        parentCode === undefined
          ? 'must be empty: a billing provider (HL03 "20") has no parent'
          : `must name the HL01 of an earlier ${parentCode === '20' ? 'billing provider (HL03 "20")' : 'subscriber (HL03 "22")'}`,
      ),
    );
  }
  return problems;
}

/** The claims of one transaction set; a header problem makes the whole set (and file) unreadable. */
export function readLoops(transactionSet: X12TransactionSet): TransactionSetLoops {
  const walker = new LoopWalker(transactionSet.controlNumber);
  walker.walk(transactionSet.segments);
  if (walker.headerProblems.length > 0) {
    return { status: 'malformed', problems: walker.headerProblems };
  }
  return { status: 'read', claims: walker.claims };
}
