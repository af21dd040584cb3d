// An X12 837P (005010X222A1) file mapped onto the claims we accept (ClaimSubmission), each checked
// by the same schema as POST /v1/claims. Every problem names the segment, element, loop and place
// in the file the sender wrote, never our field names. A wrong envelope or transaction header
// refuses the whole file; anything else refuses only the claim it belongs to. Pure: no I/O.
// Messages never repeat names, member ids or birth dates: the answer may be logged or forwarded.
import { z } from 'zod';
import { claimSubmissionSchema, type ClaimSubmission } from '../../domain/claims/schema.js';
import type { InterchangeId } from '../../domain/organizations.js';
import { isValidNpi, problemsOf } from '../../domain/validation.js';
import { FieldOrigins } from '../field-origins.js';
import {
  elementName,
  elementOf,
  problemAt,
  readInterchange,
  type InterchangeHeader,
  type X12Interchange,
  type X12Location,
  type X12Problem,
  type X12Segment,
} from './envelope-in.js';
import {
  locationOf,
  readLoops,
  type ClaimLoop,
  type HierarchyLevel,
  type OtherSubscriberLoop,
} from './837p-loops.js';

export const PROFESSIONAL_CLAIM_VERSION = '005010X222A1';

export interface X12ClaimReading {
  /** ST02 of the transaction set holding the claim. */
  transactionSetControlNumber: string;
  /** CLM01 as sent ("" when missing). */
  patientControlNumber: string;
  /** Where the claim's CLM is. */
  segmentPosition: number;
  line: number;
  entry: { submission: ClaimSubmission } | { problems: X12Problem[] };
  /** Where one of our fields came from, for problems found later (an unknown payer). */
  locate: (field: string, message: string) => X12Problem;
  /** The claim's segments as read, for acknowledgments that echo them (277CA). */
  loop: ClaimLoop;
  /** In a clearinghouse's file: the provider the billing provider's NPI (2010AA NM109) names. */
  providerOrgId?: string;
}

export type ProfessionalClaimsReading =
  | {
      status: 'read';
      interchangeControlNumber: string;
      /** The envelope and transaction sets, for acknowledgments (999, 277CA). */
      interchange: X12Interchange;
      claims: X12ClaimReading[];
    }
  | { status: 'malformed'; problems: X12Problem[]; header?: InterchangeHeader<string> };

export interface ReadingContext {
  /** The submitting organization's NPI; the billing provider (2010AA NM109) must be it. */
  providerNpi: string | null;
  /** Most claims one file may hold. */
  claimsMax: number;
  /** The submitter's registered interchange id: ISA05/ISA06 must be it. Absent: any sender. */
  sender?: InterchangeId | null;
  /** Payer organizations by payer id (2010BB NM109 with NM108 "PI"); a payer id absent is unknown. */
  payersByPayerId?: ReadonlyMap<string, string>;
  /**
   * A clearinghouse's file: the providers, by NPI, that authorized the clearinghouse. Each claim's
   * billing provider (2010AA NM109) must be one of them, and its claim is that provider's.
   */
  authorizedProviders?: ReadonlyMap<string, string>;
}

/** Reads every claim of an 837P file; `text` is the whole file. */
export function readProfessionalClaims(
  text: string,
  context: ReadingContext,
): ProfessionalClaimsReading {
  const loops = readClaimLoops(text, context.claimsMax);
  return loops.status === 'read' ? claimsOf(loops, context) : loops;
}

/**
 * The envelope and claim loops of a file, read before any claim is mapped. A file refused whole
 * carries its ISA header when that could be read (for a TA1).
 */
export type ClaimLoopsReading =
  | { status: 'read'; interchange: X12Interchange; claims: ClaimLoop[] }
  | { status: 'malformed'; problems: X12Problem[]; header?: InterchangeHeader<string> };

/**
 * The identifiers of other organizations the claims name, to be looked up before the claims are
 * mapped (the reader does no I/O): payer ids (2010BB NM109 with NM108 "PI", not a UUID) and
 * billing provider NPIs (2010AA NM109). At most one of each per claim.
 */
export function partyIdentifiersOf(claims: readonly ClaimLoop[]): {
  payerIds: string[];
  billingProviderNpis: string[];
} {
  const payerIds = new Set<string>();
  const npis = new Set<string>();
  for (const claim of claims) {
    const payer = subscriberLevelOf(claim.level)?.names.get('2010BB');
    const payerId = payer && elementOf(payer, 9);
    if (payer && elementOf(payer, 8) === 'PI' && payerId && !UUID.safeParse(payerId).success) {
      payerIds.add(payerId);
    }
    const billingProvider = billingLevelOf(claim.level)?.names.get('2010AA');
    if (billingProvider && elementOf(billingProvider, 9) !== '') {
      npis.add(elementOf(billingProvider, 9));
    }
  }
  return { payerIds: [...payerIds], billingProviderNpis: [...npis] };
}

/** The billing provider's level (HL03 "20") above a claim; HL02 may loop, so the walk is bounded. */
export function billingLevelOf(level: HierarchyLevel | undefined): HierarchyLevel | undefined {
  let current = level;
  for (let depth = 0; current && depth < 3; depth++) {
    if (current.levelCode === '20') return current;
    current = current.parent;
  }
  return undefined;
}

/** The subscriber above the claim: its own level (22), or a patient level's (23) parent. */
export function subscriberLevelOf(level: HierarchyLevel | undefined): HierarchyLevel | undefined {
  if (level?.levelCode === '22') return level;
  if (level?.levelCode === '23' && level.parent?.levelCode === '22') return level.parent;
  return undefined;
}

/**
 * ISA05/ISA06 against the submitter's registered interchange id: a file sent under another
 * sender's id is refused whole, as any other envelope fault.
 */
function senderProblems(
  interchange: X12Interchange,
  sender: InterchangeId | null | undefined,
): X12Problem[] {
  if (!sender) return [];
  const { senderQualifier: qualifier, senderId: id } = interchange.header;
  if (qualifier === sender.qualifier && id === sender.id) return [];
  const element = id === sender.id ? 5 : 6;
  return [
    problemAt(
      { segment: 'ISA', element: elementName('ISA', element), line: interchange.isa.line },
      `is "${element === 5 ? qualifier : id}"; the submitting organization sends as ISA05 "${sender.qualifier}", ISA06 "${sender.id}"`,
    ),
  ];
}

/** Maps each claim read by readClaimLoops, with the look-ups its context holds. */
export function claimsOf(
  loops: Extract<ClaimLoopsReading, { status: 'read' }>,
  context: ReadingContext,
): ProfessionalClaimsReading {
  const { interchange, claims } = loops;
  const problems = senderProblems(interchange, context.sender);
  if (problems.length > 0) return { status: 'malformed', problems, header: interchange.header };
  const reader = new ClaimReader(interchange.separators.component, context);
  return {
    status: 'read',
    interchangeControlNumber: interchange.header.controlNumber,
    interchange,
    claims: claims.map((claim) => reader.read(claim)),
  };
}

/** The envelope and the claims' loops, checked for what refuses a whole file. */
export function readClaimLoops(text: string, claimsMax: number): ClaimLoopsReading {
  const interchange = readInterchange(text, {
    functionalIdentifierCode: 'HC',
    version: PROFESSIONAL_CLAIM_VERSION,
    transactionSetIdentifierCode: '837',
  });
  if (interchange.status === 'malformed') return interchange;
  const { transactionSets, header } = interchange.interchange;
  const claims: ClaimLoop[] = [];
  for (const transactionSet of transactionSets) {
    const loops = readLoops(transactionSet);
    if (loops.status === 'malformed') return { ...loops, header };
    claims.push(...loops.claims);
  }
  if (claims.length === 0) {
    return {
      status: 'malformed',
      problems: [problemAt({ segment: 'CLM' }, 'the file holds no claim (CLM)')],
      header,
    };
  }
  if (claims.length > claimsMax) {
    return {
      status: 'malformed',
      problems: [
        problemAt(
          { segment: 'CLM' },
          `the file holds ${claims.length} claims; at most ${claimsMax} per file`,
        ),
      ],
      header,
    };
  }
  return { status: 'read', interchange: interchange.interchange, claims };
}

/** Our field names and the X12 places they came from; the problems found on the way. */
class Mapping extends FieldOrigins<X12Location> {
  readonly problems: X12Problem[] = [];

  /** A problem at `location`; `fields` are ours that it covers, which need no second report. */
  fail(location: X12Location, message: string, ...fields: string[]): void {
    this.problems.push(problemAt(location, message));
    this.covered(location, fields);
  }
}

const UUID = z.uuid();
/** X12 decimal (type R): digits with an optional point, no sign for a charge. */
const X12_DECIMAL = /^(\d+\.?\d*|\.\d+)$/;

/** An X12 amount as our decimal string: "100" becomes "100.00"; anything else goes as sent, for the schema to name. */
function moneyText(value: string): string | undefined {
  if (value === '') return undefined;
  if (!X12_DECIMAL.test(value)) return value;
  const [whole = '', fraction = ''] = value.split('.');
  if (fraction.length > 2) return value;
  return `${whole.replace(/^0+(?=\d)/, '') || '0'}.${fraction.padEnd(2, '0')}`;
}

/** Where a required segment is missing: in `loop`, at the segment after which it belongs. */
function missing(segmentId: string, after: X12Segment, loop: string): X12Location {
  return { segment: segmentId, loop, segmentPosition: after.position, line: after.line };
}

/** CCYYMMDD as YYYY-MM-DD, or undefined (the caller reports it). */
function dateText(value: string): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  return match ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
}

class ClaimReader {
  private readonly providerNpi: string | null;
  private readonly payersByPayerId: ReadonlyMap<string, string>;
  private readonly authorizedProviders: ReadonlyMap<string, string> | undefined;

  constructor(
    private readonly componentSeparator: string,
    context: ReadingContext,
  ) {
    this.providerNpi = context.providerNpi;
    this.payersByPayerId = context.payersByPayerId ?? new Map();
    this.authorizedProviders = context.authorizedProviders;
  }

  private components(segment: X12Segment, element: number): string[] {
    const value = elementOf(segment, element);
    return value === '' ? [] : value.split(this.componentSeparator);
  }

  read(claim: ClaimLoop): X12ClaimReading {
    if (claim.transactionSetProblem) return this.refusedWithTransactionSet(claim);
    const clmLocation = locationOf(claim.clm, '2300');
    const mapping = new Mapping(clmLocation);
    for (const problem of claim.level ? this.levelProblems(claim.level) : []) {
      mapping.fail(problem.problem, problem.problem.message, ...problem.fields);
    }
    // A claim outside any subscriber loop has no member or payer: say where it is, once.
    const unplaced = subscriberLevelOf(claim.level) === undefined ? ['member', 'payerId'] : [];
    for (const problem of [...claim.problems, ...claim.lines.flatMap((line) => line.problems)]) {
      mapping.fail(problem, problem.message, ...unplaced);
    }
    const draft = this.draftOf(claim, mapping);
    const parsed = claimSubmissionSchema.safeParse(draft);
    const schemaProblems = parsed.success
      ? []
      : problemsOf(parsed.error).filter((problem) => !mapping.wasReported(problem.field));
    for (const problem of schemaProblems) {
      mapping.fail(mapping.originOf(problem.field), problem.message);
    }
    const problems = mapping.problems;
    const billingProvider = billingLevelOf(claim.level)?.names.get('2010AA');
    const providerOrgId =
      billingProvider && this.authorizedProviders?.get(elementOf(billingProvider, 9));
    return {
      ...(providerOrgId === undefined ? {} : { providerOrgId }),
      transactionSetControlNumber: claim.transactionSetControlNumber,
      patientControlNumber: elementOf(claim.clm, 1),
      segmentPosition: claim.clm.position,
      line: claim.clm.line,
      entry: problems.length === 0 && parsed.success ? { submission: parsed.data } : { problems },
      locate: (field, message) => problemAt(mapping.originOf(field), message),
      loop: claim,
    };
  }

  /** A claim of a transaction set that is not claims for payment: that is its only problem. */
  private refusedWithTransactionSet(claim: ClaimLoop): X12ClaimReading {
    const problem = claim.transactionSetProblem!;
    return {
      transactionSetControlNumber: claim.transactionSetControlNumber,
      patientControlNumber: elementOf(claim.clm, 1),
      segmentPosition: claim.clm.position,
      line: claim.clm.line,
      entry: { problems: [problem] },
      locate: () => problem,
      loop: claim,
    };
  }

  /** Problems of the claim's billing provider, subscriber and patient levels, outermost first. */
  private levelProblems(level: HierarchyLevel): HierarchyLevel['problems'] {
    const levels: HierarchyLevel[] = [];
    for (let current: HierarchyLevel | undefined = level; current; current = current.parent) {
      if (levels.includes(current) || levels.length > 3) break; // HL02 may loop back on itself
      levels.unshift(current);
    }
    return levels.flatMap((each) => [...this.structureProblems(each), ...each.problems]);
  }

  /** What a level lacks or holds that our claim cannot take, found once the level is read. */
  private structureProblems(level: HierarchyLevel): HierarchyLevel['problems'] {
    if (level.levelCode === '20') return this.billingProviderProblems(level);
    if (level.levelCode === '23' && !level.patientInformation) {
      const problem = problemAt(
        missing('PAT', level.hl, '2000C'),
        `PAT (patient information) is required after HL03 "23" (HL ${elementOf(level.hl, 1)})`,
      );
      return [{ problem, fields: ['patient'] }];
    }
    return [];
  }

  private billingProviderProblems(level: HierarchyLevel): HierarchyLevel['problems'] {
    const name = level.names.get('2010AA');
    if (!name) {
      const problem = problemAt(
        missing('NM1', level.hl, '2010AA'),
        'NM1*85 (billing provider name, loop 2010AA) is required after HL03 "20"',
      );
      return [{ problem, fields: [] }];
    }
    const at = (element: number) => locationOf(name, '2010AA', elementName('NM1', element));
    const npi = elementOf(name, 9);
    const fail = (element: number, message: string) => [
      { problem: problemAt(at(element), message), fields: [] },
    ];
    if (elementOf(name, 8) !== 'XX') {
      return fail(8, 'must be "XX": the billing provider is identified by its NPI');
    }
    if (this.authorizedProviders !== undefined) {
      if (!isValidNpi(npi)) return fail(9, 'must be a 10-digit NPI with a valid check digit');
      if (this.authorizedProviders.has(npi)) return [];
      return fail(
        9,
        `is NPI ${npi}: no provider with this NPI has authorized the submitting clearinghouse`,
      );
    }
    if (this.providerNpi !== null && npi !== this.providerNpi) {
      return fail(
        9,
        `is ${npi === '' ? 'empty' : `NPI ${npi}`}; the billing provider must be the organization submitting the file (NPI ${this.providerNpi})`,
      );
    }
    if (!isValidNpi(npi)) return fail(9, 'must be a 10-digit NPI with a valid check digit');
    return [];
  }

  private draftOf(claim: ClaimLoop, mapping: Mapping): Record<string, unknown> {
    const clm = claim.clm;
    const at = (element: number, component?: number) =>
      locationOf(clm, '2300', elementName('CLM', element, component));
    this.requireClaimElements(clm, mapping);
    mapping.map('patientControlNumber', at(1));
    mapping.map('totalChargeAmount', at(2));
    mapping.map('frequencyCode', at(5, 3));
    mapping.map('placeOfServiceCode', at(5, 1));
    const frequencyCode = this.components(clm, 5)[2];
    const subscriberLevel = subscriberLevelOf(claim.level);
    return {
      payerId: subscriberLevel && this.payerIdOf(subscriberLevel, mapping),
      patientControlNumber: elementOf(clm, 1) || undefined,
      frequencyCode: frequencyCode || undefined,
      placeOfServiceCode: this.components(clm, 5)[0] || undefined,
      ...this.originalClaimIdOf(claim, frequencyCode, mapping),
      member:
        subscriberLevel && this.memberOf(subscriberLevel, claim.level === subscriberLevel, mapping),
      ...(claim.level?.levelCode === '23' ? { patient: this.patientOf(claim.level, mapping) } : {}),
      ...(subscriberLevel ? this.coordinationOf(claim, subscriberLevel, mapping) : {}),
      diagnosisCodes: this.diagnosisCodesOf(claim, mapping),
      serviceLines: this.serviceLinesOf(claim, mapping),
      totalChargeAmount: moneyText(elementOf(clm, 2)),
    };
  }

  /** 005010X222A1 requires CLM01, 02, 05 (three components) and 06 to 09. */
  private requireClaimElements(clm: X12Segment, mapping: Mapping): void {
    const required: [number, number | undefined, string][] = [
      [5, 1, 'the place of service code'],
      [5, 2, 'the facility code qualifier "B"'],
      [6, undefined, 'the provider signature indicator (Y or N)'],
      [7, undefined, 'the assignment or plan participation code (A, B or C)'],
      [8, undefined, 'the benefits assignment indicator (Y, N or W)'],
      [9, undefined, 'the release of information code (I or Y)'],
    ];
    for (const [element, component, what] of required) {
      const value =
        component === undefined
          ? elementOf(clm, element)
          : this.components(clm, element)[component - 1];
      if (!value) {
        mapping.fail(
          locationOf(clm, '2300', elementName('CLM', element, component)),
          `is required: ${what}`,
        );
      }
    }
  }

  /**
   * NM1*PR NM109 (2010BB) names the payer: its ClaimChain organization id (a UUID, with NM108
   * "PI" or "XV"), or with NM108 "PI" the payer id clearinghouses know it by.
   */
  private payerIdOf(level: HierarchyLevel, mapping: Mapping): string | undefined {
    const payer = level.names.get('2010BB');
    if (!payer) {
      mapping.fail(
        missing('NM1', level.hl, '2010BB'),
        'NM1*PR (payer name, loop 2010BB) is required in the subscriber loop',
        'payerId',
      );
      return undefined;
    }
    const at = (element: number) => locationOf(payer, '2010BB', elementName('NM1', element));
    if (elementOf(payer, 8) !== 'PI' && elementOf(payer, 8) !== 'XV') {
      mapping.fail(at(8), 'must be "PI" (payer identification)', 'payerId');
      return undefined;
    }
    const payerId = elementOf(payer, 9);
    mapping.map('payerId', at(9));
    if (UUID.safeParse(payerId).success) return payerId;
    const payerOrgId = elementOf(payer, 8) === 'PI' ? this.payersByPayerId.get(payerId) : undefined;
    if (payerOrgId !== undefined) return payerOrgId;
    mapping.fail(
      at(9),
      payerId !== '' && elementOf(payer, 8) === 'PI'
        ? `no payer organization has payer id "${payerId}"`
        : 'must be the payer\'s payer id (with NM108 "PI") or its ClaimChain id (a UUID, as GET /v1/organizations?kind=payer lists)',
      'payerId',
    );
    return undefined;
  }

  /** REF*F8 (payer claim control number) carries our id of the claim replaced or voided. */
  private originalClaimIdOf(
    claim: ClaimLoop,
    frequencyCode: string | undefined,
    mapping: Mapping,
  ): { originalClaimId?: string } {
    const reference = claim.originalReference;
    if (!reference) {
      mapping.map('originalClaimId', missing('REF', claim.clm, '2300'));
      if (frequencyCode === '7' || frequencyCode === '8') {
        mapping.fail(
          missing('REF', claim.clm, '2300'),
          'REF*F8 (payer claim control number: the ClaimChain id of the claim replaced or voided) is required when CLM05-3 is "7" or "8"',
          'originalClaimId',
        );
      }
      return {};
    }
    const at = locationOf(reference, '2300', 'REF02');
    if (frequencyCode === '1') {
      mapping.fail(at, 'must be absent on an original claim (CLM05-3 "1")', 'originalClaimId');
      return {};
    }
    mapping.map('originalClaimId', at);
    const value = elementOf(reference, 2);
    if (!UUID.safeParse(value).success) {
      mapping.fail(
        at,
        'must be the ClaimChain id of the claim replaced or voided (a UUID)',
        'originalClaimId',
      );
      return {};
    }
    return { originalClaimId: value };
  }

  /** 2010BA: NM1*IL (member name and id) and DMG (birth date, gender). */
  private memberOf(
    level: HierarchyLevel,
    patientIsSubscriber: boolean,
    mapping: Mapping,
  ): Record<string, unknown> | undefined {
    const problems = this.subscriberProblems(level, patientIsSubscriber, mapping);
    const name = level.names.get('2010BA');
    if (!name || problems) return undefined;
    const at = (element: number) => locationOf(name, '2010BA', elementName('NM1', element));
    mapping.map('member', locationOf(name, '2010BA'));
    mapping.map('member.lastName', at(3));
    mapping.map('member.firstName', at(4));
    mapping.map('member.memberId', at(9));
    if (elementOf(name, 2) !== '1') mapping.fail(at(2), 'must be "1": the subscriber is a person');
    if (elementOf(name, 8) !== 'MI') {
      mapping.fail(at(8), 'must be "MI" (member identification number)', 'member.memberId');
    }
    return {
      memberId: elementOf(name, 9) || undefined,
      firstName: elementOf(name, 4) || undefined,
      lastName: elementOf(name, 3) || undefined,
      ...this.demographicsOf(level, name, mapping),
    };
  }

  /** SBR must say primary and self; reports and answers true when the member cannot be read. */
  private subscriberProblems(
    level: HierarchyLevel,
    patientIsSubscriber: boolean,
    mapping: Mapping,
  ): boolean {
    const sbr = level.subscriberInformation;
    const at = (element: number) =>
      sbr ? locationOf(sbr, '2000B', elementName('SBR', element)) : undefined;
    if (!sbr) {
      mapping.fail(
        missing('SBR', level.hl, '2000B'),
        'SBR (subscriber information) is required after HL03 "22"',
      );
    } else if (!['P', 'S', 'T'].includes(elementOf(sbr, 1))) {
      mapping.fail(
        at(1)!,
        'must be "P" (primary), "S" (secondary) or "T" (tertiary): the payer responsibility of this claim',
      );
    } else if (elementOf(sbr, 2) !== '18' && patientIsSubscriber) {
      mapping.fail(
        at(2)!,
        'must be "18" (self) when the subscriber is the patient; a dependent patient goes in loop 2000C',
      );
    }
    if (!level.names.get('2010BA')) {
      mapping.fail(
        missing('NM1', level.hl, '2010BA'),
        'NM1*IL (subscriber name, loop 2010BA) is required in the subscriber loop',
        'member',
      );
      return true;
    }
    return false;
  }

  /** 2000C PAT01 and 2010CA: NM1*QC (names) and DMG (birth date, gender) of a dependent patient. */
  private patientOf(level: HierarchyLevel, mapping: Mapping): Record<string, unknown> | undefined {
    const pat = level.patientInformation;
    const name = level.names.get('2010CA');
    if (!name) {
      mapping.fail(
        missing('NM1', level.hl, '2010CA'),
        'NM1*QC (patient name, loop 2010CA) is required in the patient loop',
        'patient',
      );
      return undefined;
    }
    const at = (element: number) => locationOf(name, '2010CA', elementName('NM1', element));
    mapping.map('patient', locationOf(name, '2010CA'));
    mapping.map('patient.lastName', at(3));
    mapping.map('patient.firstName', at(4));
    if (pat) mapping.map('patient.relationshipCode', locationOf(pat, '2000C', 'PAT01'));
    if (elementOf(name, 2) !== '1') mapping.fail(at(2), 'must be "1": the patient is a person');
    return {
      firstName: elementOf(name, 4) || undefined,
      lastName: elementOf(name, 3) || undefined,
      relationshipCode: (pat && elementOf(pat, 1)) || undefined,
      ...this.demographicsOf(level, name, mapping, 'patient', '2010CA'),
    };
  }

  private demographicsOf(
    level: HierarchyLevel,
    name: X12Segment,
    mapping: Mapping,
    field: 'member' | 'patient' = 'member',
    loop: '2010BA' | '2010CA' = '2010BA',
  ): { birthDate?: string; gender?: string } {
    const dmg = level.demographics;
    if (!dmg) {
      mapping.fail(
        missing('DMG', name, loop),
        `DMG (${field === 'member' ? 'subscriber' : 'patient'} birth date and gender) is required in loop ${loop}: the payer matches the ${field} by it`,
        `${field}.birthDate`,
        `${field}.gender`,
      );
      return {};
    }
    const at = (element: number) => locationOf(dmg, loop, elementName('DMG', element));
    mapping.map(`${field}.birthDate`, at(2));
    mapping.map(`${field}.gender`, at(3));
    if (elementOf(dmg, 1) !== 'D8') mapping.fail(at(1), 'must be "D8" (date CCYYMMDD)');
    const birthDate = dateText(elementOf(dmg, 2));
    if (birthDate === undefined) {
      mapping.fail(at(2), 'must be a date CCYYMMDD', `${field}.birthDate`);
    }
    return {
      ...(birthDate === undefined ? {} : { birthDate }),
      ...(elementOf(dmg, 3) === '' ? {} : { gender: elementOf(dmg, 3) }),
    };
  }

  /**
   * SBR01 "S" or "T": this payer is the secondary or tertiary one, and the earlier payers' loops
   * 2320 (SBR01 "P", and "S" for a tertiary claim) carry their adjudication: AMT*D what each
   * paid, CAS its claim-level adjustments, 2330B NM1*PR its name and id, and per line the 2430
   * loops whose SVD01 is that id. Loops 2320 of later payers are passed over, as on a primary claim.
   */
  private coordinationOf(
    claim: ClaimLoop,
    level: HierarchyLevel,
    mapping: Mapping,
  ): { payerResponsibilityCode?: string; priorPayers?: Record<string, unknown>[] } {
    const sequence = level.subscriberInformation && elementOf(level.subscriberInformation, 1);
    if (sequence !== 'S' && sequence !== 'T') return {};
    mapping.map(
      'payerResponsibilityCode',
      locationOf(level.subscriberInformation!, '2000B', 'SBR01'),
    );
    mapping.map('priorPayers', locationOf(level.subscriberInformation!, '2000B', 'SBR01'));
    const earlier = sequence === 'S' ? ['P'] : ['P', 'S'];
    const others = claim.otherSubscribers.filter((other) =>
      earlier.includes(elementOf(other.sbr, 1)),
    );
    return {
      payerResponsibilityCode: sequence,
      priorPayers: others.map((other, index) => this.priorPayerOf(claim, other, index, mapping)),
    };
  }

  private priorPayerOf(
    claim: ClaimLoop,
    other: OtherSubscriberLoop,
    index: number,
    mapping: Mapping,
  ): Record<string, unknown> {
    const field = `priorPayers[${index}]`;
    mapping.map(field, locationOf(other.sbr, '2320'));
    mapping.map(`${field}.responsibilityCode`, locationOf(other.sbr, '2320', 'SBR01'));
    const payer = other.payerName;
    if (payer) {
      mapping.map(`${field}.payerName`, locationOf(payer, '2330B', 'NM103'));
      mapping.map(`${field}.payerIdentifier`, locationOf(payer, '2330B', 'NM109'));
    } else {
      mapping.fail(
        missing('NM1', other.sbr, '2330B'),
        'NM1*PR (other payer name, loop 2330B) is required in loop 2320',
        `${field}.payerName`,
        `${field}.payerIdentifier`,
      );
    }
    if (other.paidAmount) {
      mapping.map(`${field}.paidAmount`, locationOf(other.paidAmount, '2320', 'AMT02'));
    } else {
      mapping.fail(
        missing('AMT', other.sbr, '2320'),
        'AMT*D (what the earlier payer paid) is required in loop 2320 of a secondary or tertiary claim',
        `${field}.paidAmount`,
      );
    }
    const payerIdentifier = payer ? elementOf(payer, 9) : undefined;
    return {
      responsibilityCode: elementOf(other.sbr, 1),
      payerName: (payer && elementOf(payer, 3)) || undefined,
      payerIdentifier: payerIdentifier || undefined,
      paidAmount: other.paidAmount && moneyText(elementOf(other.paidAmount, 2)),
      claimAdjustments: this.adjustmentsOf(
        other.adjustments,
        '2320',
        `${field}.claimAdjustments`,
        mapping,
      ),
      lines: claim.lines
        .flatMap((line, lineIndex) =>
          line.priorAdjudications
            .filter((adjudication) => elementOf(adjudication.svd, 1) === payerIdentifier)
            .slice(0, 1)
            .map((adjudication) => ({ adjudication, lineIndex })),
        )
        .map(({ adjudication, lineIndex }, index) => {
          const lineField = `${field}.lines[${index}]`;
          mapping.map(`${lineField}.paidAmount`, locationOf(adjudication.svd, '2430', 'SVD02'));
          const date = adjudication.adjudicationDate;
          if (date) {
            mapping.map(`${lineField}.adjudicationDate`, locationOf(date, '2430', 'DTP03'));
          }
          return {
            lineNumber: lineIndex + 1,
            paidAmount: moneyText(elementOf(adjudication.svd, 2)),
            adjustments: this.adjustmentsOf(
              adjudication.adjustments,
              '2430',
              `${lineField}.adjustments`,
              mapping,
            ),
            ...(date
              ? { adjudicationDate: dateText(elementOf(date, 3)) ?? elementOf(date, 3) }
              : {}),
          };
        }),
    };
  }

  /** CAS: the group (CAS01) and up to six reason (CAS02, 05…) and amount (CAS03, 06…) pairs. */
  private adjustmentsOf(
    casSegments: readonly X12Segment[],
    loop: string,
    field: string,
    mapping: Mapping,
  ): Record<string, unknown>[] {
    const adjustments: Record<string, unknown>[] = [];
    for (const cas of casSegments) {
      for (let element = 2; element <= 17; element += 3) {
        const reasonCode = elementOf(cas, element);
        if (reasonCode === '') continue;
        // Numbered as they are read, so the schema names the element of the one at fault.
        const each = `${field}[${adjustments.length}]`;
        mapping.map(`${each}.reasonCode`, locationOf(cas, loop, elementName('CAS', element)));
        mapping.map(`${each}.amount`, locationOf(cas, loop, elementName('CAS', element + 1)));
        mapping.map(`${each}.group`, locationOf(cas, loop, 'CAS01'));
        adjustments.push({
          group: elementOf(cas, 1),
          reasonCode,
          amount: moneyText(elementOf(cas, element + 1)),
        });
      }
    }
    return adjustments;
  }

  /** HI01 "ABK:<principal>", HI02 to HI12 "ABF:<other>": ICD-10-CM without the dot. */
  private diagnosisCodesOf(claim: ClaimLoop, mapping: Mapping): (string | undefined)[] | undefined {
    const hi = claim.diagnoses;
    if (!hi) {
      mapping.fail(
        missing('HI', claim.clm, '2300'),
        'HI with the principal diagnosis (HI01-1 "ABK", ICD-10-CM) is required in loop 2300',
        'diagnosisCodes',
      );
      return undefined;
    }
    mapping.map('diagnosisCodes', locationOf(hi, '2300'));
    const codes: (string | undefined)[] = [];
    for (let element = 1; element < hi.elements.length; element++) {
      if (elementOf(hi, element) === '') continue;
      const field = `diagnosisCodes[${codes.length}]`;
      const [qualifier, code] = this.components(hi, element);
      const wanted = element === 1 ? 'ABK' : 'ABF';
      const at = (component: number) =>
        locationOf(hi, '2300', elementName('HI', element, component));
      mapping.map(field, at(2));
      if (qualifier !== wanted) {
        mapping.fail(
          at(1),
          qualifier === wanted.slice(1)
            ? `is "${qualifier}" (ICD-9-CM): send ICD-10-CM codes ("${wanted}")`
            : `must be "${wanted}" (ICD-10-CM ${element === 1 ? 'principal' : 'other'} diagnosis)`,
          field,
        );
      }
      codes.push(code || undefined);
    }
    return codes;
  }

  private serviceLinesOf(claim: ClaimLoop, mapping: Mapping): Record<string, unknown>[] {
    if (claim.lines.length === 0) {
      mapping.fail(
        missing('LX', claim.clm, '2400'),
        'at least one service line (loop 2400, LX) is required',
        'serviceLines',
      );
    }
    mapping.map('serviceLines', locationOf(claim.clm, '2300'));
    return claim.lines.map((line, index) => {
      const field = `serviceLines[${index}]`;
      mapping.map(field, locationOf(line.lx, '2400'));
      if (elementOf(line.lx, 1) !== String(index + 1)) {
        mapping.fail(
          locationOf(line.lx, '2400', 'LX01'),
          `must number the service lines 1, 2, 3… in order; expected ${index + 1}`,
        );
      }
      return {
        ...this.serviceOf(line.lx, line.professionalService, field, mapping),
        ...this.serviceDatesOf(line.lx, line.serviceDate, field, mapping),
        ...this.lineControlNumberOf(line.lineControlNumber, field, mapping),
      };
    });
  }

  /** SV1: HC:code:modifiers in SV101, the charge, UN and the units, diagnosis pointers in SV107. */
  private serviceOf(
    lx: X12Segment,
    sv1: X12Segment | undefined,
    field: string,
    mapping: Mapping,
  ): Record<string, unknown> {
    if (!sv1) {
      mapping.fail(
        missing('SV1', lx, '2400'),
        'SV1 (professional service) is required in loop 2400',
        field,
      );
      return {};
    }
    const at = (element: number, component?: number) =>
      locationOf(sv1, '2400', elementName('SV1', element, component));
    mapping.map(`${field}.chargeAmount`, at(2));
    mapping.map(`${field}.units`, at(4));
    mapping.map(`${field}.unitType`, at(3));
    mapping.map(`${field}.placeOfServiceCode`, at(5));
    // SV103: UN units, or MJ minutes (anesthesia time, which the payer prices in time units).
    const unitType = { UN: 'units', MJ: 'minutes' }[elementOf(sv1, 3)];
    if (unitType === undefined) {
      mapping.fail(at(3), 'must be "UN" (units) or "MJ" (minutes)', `${field}.units`);
    }
    const units = elementOf(sv1, 4);
    if (units !== '' && !/^\d+(\.\d+)?$/.test(units)) {
      mapping.fail(at(4), 'must be a number of units such as 1 or 1.5', `${field}.units`);
    }
    return {
      ...this.procedureOf(sv1, field, mapping),
      units: units === '' ? undefined : Number(units),
      ...(unitType === 'minutes' ? { unitType } : {}),
      chargeAmount: moneyText(elementOf(sv1, 2)),
      ...(elementOf(sv1, 5) === '' ? {} : { placeOfServiceCode: elementOf(sv1, 5) }),
      diagnosisPointers: this.pointersOf(sv1, field, mapping),
    };
  }

  private procedureOf(
    sv1: X12Segment,
    field: string,
    mapping: Mapping,
  ): { procedureCode?: string; modifiers?: string[] } {
    const at = (component?: number) => locationOf(sv1, '2400', elementName('SV1', 1, component));
    const [qualifier, code, ...rest] = this.components(sv1, 1);
    if (code === undefined) {
      mapping.fail(
        at(),
        `must be a composite: "HC", the procedure code and up to 4 modifiers, such as HC${this.componentSeparator}99213${this.componentSeparator}25`,
        `${field}.procedureCode`,
        `${field}.modifiers`,
      );
      return {};
    }
    if (qualifier !== 'HC') {
      mapping.fail(
        at(1),
        'must be "HC": only CPT and HCPCS procedure codes are taken',
        `${field}.procedureCode`,
      );
    }
    mapping.map(`${field}.procedureCode`, at(2));
    mapping.map(`${field}.modifiers`, at(3));
    // SV101-3 to -6 are modifiers; -7 is a description, which we do not keep.
    const modifiers: string[] = [];
    rest.slice(0, 4).forEach((modifier, offset) => {
      if (modifier === '') return;
      mapping.map(`${field}.modifiers[${modifiers.length}]`, at(3 + offset));
      modifiers.push(modifier);
    });
    if (rest.length > 5) {
      mapping.fail(at(8), 'SV101 has at most 7 components (HC, code, 4 modifiers, description)');
    }
    return { procedureCode: code || undefined, modifiers };
  }

  private pointersOf(sv1: X12Segment, field: string, mapping: Mapping): number[] | undefined {
    const at = (component?: number) => locationOf(sv1, '2400', elementName('SV1', 7, component));
    const pointers = this.components(sv1, 7);
    mapping.map(`${field}.diagnosisPointers`, at());
    if (pointers.length === 0) {
      mapping.fail(
        at(1),
        'is required: the diagnosis pointer (1 to 12) of this line',
        `${field}.diagnosisPointers`,
      );
      return undefined;
    }
    return pointers.map((pointer, index) => {
      const pointerField = `${field}.diagnosisPointers[${index}]`;
      mapping.map(pointerField, at(index + 1));
      if (!/^\d{1,2}$/.test(pointer)) {
        mapping.fail(at(index + 1), 'must be a diagnosis pointer 1 to 12', pointerField);
      }
      return Number(pointer);
    });
  }

  /** REF*6R: the provider's line item control number, which the 835 echoes. */
  private lineControlNumberOf(
    ref: X12Segment | undefined,
    field: string,
    mapping: Mapping,
  ): { lineControlNumber?: string } {
    if (!ref) return {};
    mapping.map(`${field}.lineControlNumber`, locationOf(ref, '2400', 'REF02'));
    return { lineControlNumber: elementOf(ref, 2) };
  }

  /** DTP*472: D8 one date, or RD8 a service period (its first and last day). */
  private serviceDatesOf(
    lx: X12Segment,
    dtp: X12Segment | undefined,
    field: string,
    mapping: Mapping,
  ): { serviceDate?: string; serviceDateTo?: string } {
    const dateField = `${field}.serviceDate`;
    if (!dtp) {
      mapping.fail(
        missing('DTP', lx, '2400'),
        'DTP*472 (date of service) is required in loop 2400',
        dateField,
      );
      return {};
    }
    const at = (element: number) => locationOf(dtp, '2400', elementName('DTP', element));
    mapping.map(dateField, at(3));
    mapping.map(`${field}.serviceDateTo`, at(3));
    const format = elementOf(dtp, 2);
    const value = elementOf(dtp, 3);
    if (format === 'D8') {
      const date = dateText(value);
      if (date === undefined) mapping.fail(at(3), 'must be a date CCYYMMDD', dateField);
      return date === undefined ? {} : { serviceDate: date };
    }
    if (format === 'RD8') {
      const [from = '', to, ...rest] = value.split('-');
      const first = dateText(from);
      const last = to === undefined ? undefined : dateText(to);
      if (first === undefined || last === undefined || rest.length > 0) {
        mapping.fail(at(3), 'must be a date range CCYYMMDD-CCYYMMDD', dateField);
        return {};
      }
      // A range of one day is that day, as D8 would say it.
      return first === last ? { serviceDate: first } : { serviceDate: first, serviceDateTo: last };
    }
    mapping.fail(at(2), 'must be "D8" (a date) or "RD8" (a range of dates)', dateField);
    return {};
  }
}
