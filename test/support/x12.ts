// Reading an 835 back with node-x12 (an independent, maintained X12 parser) and checking the
// remittance's balancing and envelope rules from the parsed segments alone, never from the
// value the writer was given: a writer bug that also fooled our own reader would pass otherwise.
import { Decimal } from 'decimal.js';
import { X12Parser, type X12Interchange, type X12Segment } from 'node-x12';

export interface ParsedLine {
  svc: string[];
  adjustments: Decimal[];
  patientAdjustments: Decimal[];
}

export interface ParsedClaim {
  clp: string[];
  claimAdjustments: Decimal[];
  patientAdjustments: Decimal[];
  lines: ParsedLine[];
}

export interface Parsed835 {
  interchange: X12Interchange;
  /** The raw ISA13 and IEA02 as written (node-x12 reads them as integers). */
  rawIsa13: string;
  rawIea02: string;
  isaLength: number;
  bpr: string[];
  trn: string[];
  claims: ParsedClaim[];
  plbAmounts: Decimal[];
  /** Tags of the transaction set's segments between ST and SE, in order. */
  tags: string[];
  /** Loop 1000A (N1*PR up to N1*PE) and loop 1000B (N1*PE up to LX or PLB), as values. */
  payerLoop: string[][];
  payeeLoop: string[][];
}

const valuesOf = (segment: X12Segment): string[] => [
  segment.tag,
  ...segment.elements.map((element) => element.value),
];

/** CAS amounts: CAS03, CAS06, …, CAS18 (the second of each reason/amount/quantity triplet). */
function casAmounts(values: string[]): Decimal[] {
  const amounts: Decimal[] = [];
  for (let position = 3; position < values.length; position += 3) {
    if (values[position]) amounts.push(new Decimal(values[position]!));
  }
  return amounts;
}

/** PLB amounts: PLB04, PLB06, …, PLB14. */
function plbAmounts(values: string[]): Decimal[] {
  const amounts: Decimal[] = [];
  for (let position = 4; position < values.length; position += 2) {
    if (values[position]) amounts.push(new Decimal(values[position]!));
  }
  return amounts;
}

function addCas(values: string[], claim: ParsedClaim | undefined): void {
  if (!claim) throw new Error('CAS outside a claim');
  const amounts = casAmounts(values);
  const line = claim.lines[claim.lines.length - 1];
  const target = line ?? claim;
  if (line) line.adjustments.push(...amounts);
  else claim.claimAdjustments.push(...amounts);
  if (values[1] === 'PR') target.patientAdjustments.push(...amounts);
}

/** Parses strictly (node-x12 throws on a wrong SE01, GE01, IEA01 or a control number mismatch). */
export function parse835(text: string): Parsed835 {
  const parsed = new X12Parser(true).parse(text);
  if (!('functionalGroups' in parsed)) throw new Error('more than one interchange');
  const interchange = parsed;
  const transaction = interchange.functionalGroups[0]!.transactions[0]!;
  const result: Parsed835 = {
    interchange,
    rawIsa13: text.slice(90, 99),
    rawIea02: /IEA\*\d+\*(\d+)~/.exec(text)?.[1] ?? '',
    isaLength: text.indexOf('~') + 1,
    bpr: [],
    trn: [],
    claims: [],
    plbAmounts: [],
    tags: transaction.segments.map((segment) => segment.tag),
    payerLoop: [],
    payeeLoop: [],
  };
  let claim: ParsedClaim | undefined;
  let partyLoop: string[][] | undefined;
  for (const segment of transaction.segments) {
    const values = valuesOf(segment);
    if (segment.tag === 'N1') partyLoop = values[1] === 'PR' ? result.payerLoop : result.payeeLoop;
    else if (segment.tag === 'LX' || segment.tag === 'PLB') partyLoop = undefined;
    partyLoop?.push(values);
    if (segment.tag === 'BPR') result.bpr = values;
    else if (segment.tag === 'TRN') result.trn = values;
    else if (segment.tag === 'CLP') {
      claim = { clp: values, claimAdjustments: [], patientAdjustments: [], lines: [] };
      result.claims.push(claim);
    } else if (segment.tag === 'SVC') {
      if (!claim) throw new Error('SVC outside a claim');
      claim.lines.push({ svc: values, adjustments: [], patientAdjustments: [] });
    } else if (segment.tag === 'CAS') addCas(values, claim);
    else if (segment.tag === 'PLB') result.plbAmounts.push(...plbAmounts(values));
  }
  return result;
}

const sum = (amounts: Decimal[]) =>
  amounts.reduce((total, amount) => total.plus(amount), new Decimal(0));

function claimProblems(claim: ParsedClaim): string[] {
  const problems: string[] = [];
  const id = claim.clp[7];
  for (const [index, line] of claim.lines.entries()) {
    const paid = new Decimal(line.svc[2]!).minus(sum(line.adjustments));
    if (!paid.equals(line.svc[3]!)) {
      problems.push(
        `claim ${id} line ${index + 1}: SVC02 − CAS = ${paid.toFixed(2)} ≠ SVC03 ${line.svc[3]}`,
      );
    }
  }
  const lineAdjustments = claim.lines.flatMap((line) => line.adjustments);
  const paid = new Decimal(claim.clp[3]!).minus(
    sum([...claim.claimAdjustments, ...lineAdjustments]),
  );
  if (!paid.equals(claim.clp[4]!)) {
    problems.push(`claim ${id}: CLP03 − CAS = ${paid.toFixed(2)} ≠ CLP04 ${claim.clp[4]}`);
  }
  const charges = sum(claim.lines.map((line) => new Decimal(line.svc[2]!)));
  if (!charges.equals(claim.clp[3]!)) {
    problems.push(`claim ${id}: Σ SVC02 ${charges.toFixed(2)} ≠ CLP03 ${claim.clp[3]}`);
  }
  const patient = sum([
    ...claim.patientAdjustments,
    ...claim.lines.flatMap((line) => line.patientAdjustments),
  ]);
  if (!patient.equals(claim.clp[5]!)) {
    problems.push(`claim ${id}: Σ PR ${patient.toFixed(2)} ≠ CLP05 ${claim.clp[5]}`);
  }
  return problems;
}

function envelopeProblems(parsed: Parsed835): string[] {
  const problems: string[] = [];
  const { interchange } = parsed;
  const group = interchange.functionalGroups[0]!;
  const transaction = group.transactions[0]!;
  const se = valuesOf(transaction.trailer);
  const st = valuesOf(transaction.header);
  if (Number(se[1]) !== transaction.segments.length + 2)
    problems.push(`SE01 ${se[1]} is not the segment count`);
  if (se[2] !== st[2]) problems.push(`SE02 ${se[2]} ≠ ST02 ${st[2]}`);
  // ST03 is Not Used in 005010X221A1 (GS08 names the guide): exactly ST01 835 and ST02.
  if (st.length !== 3 || st[1] !== '835') problems.push(`ST ${st.join('*')}`);
  const gs = valuesOf(group.header);
  const ge = valuesOf(group.trailer);
  if (Number(ge[1]) !== group.transactions.length) problems.push(`GE01 ${ge[1]}`);
  if (ge[2] !== gs[6]) problems.push(`GE02 ${ge[2]} ≠ GS06 ${gs[6]}`);
  if (gs[1] !== 'HP' || gs[8] !== '005010X221A1') problems.push(`GS ${gs.join('*')}`);
  const iea = valuesOf(interchange.trailer);
  if (Number(iea[1]) !== interchange.functionalGroups.length) problems.push(`IEA01 ${iea[1]}`);
  if (!/^\d{9}$/.test(parsed.rawIsa13)) problems.push(`ISA13 ${parsed.rawIsa13} is not 9 digits`);
  if (parsed.rawIea02 !== parsed.rawIsa13) problems.push(`IEA02 ${parsed.rawIea02} ≠ ISA13`);
  if (parsed.isaLength !== 106) problems.push(`ISA is ${parsed.isaLength} characters, not 106`);
  return problems;
}

/**
 * Loops 1000A and 1000B in the guide's order: N1, then N3 and N4 together; the payer's PER*CX
 * before its PER*BL, and a PER*BL whenever there is a contact at all (the guide requires it);
 * TRN03 "1" + an EIN or "9" + a payer-assigned number.
 */
function partyProblems(parsed: Parsed835): string[] {
  const problems: string[] = [];
  const tagsOf = (loop: string[][]) =>
    loop.map((values) =>
      (values[0] === 'PER' || values[0] === 'REF' ? values.slice(0, 2) : values.slice(0, 1)).join(
        '*',
      ),
    );
  const payer = tagsOf(parsed.payerLoop).join(' ');
  const payee = tagsOf(parsed.payeeLoop).join(' ');
  if (!/^N1( N3 N4)?( REF\*(2U|EO|HI|NF))*( PER\*CX)?( PER\*BL)*( PER\*IE)?$/.test(payer)) {
    problems.push(`loop 1000A is ${payer}`);
  }
  if (/PER\*CX/.test(payer) && !/PER\*BL/.test(payer)) problems.push('PER*CX without PER*BL');
  if (!/^N1( N3 N4)?( REF\*(0B|D3|PQ|TJ))*$/.test(payee)) problems.push(`loop 1000B is ${payee}`);
  if (!/^[19]\d{9}$/.test(parsed.trn[3] ?? '')) problems.push(`TRN03 ${parsed.trn[3]}`);
  return problems;
}

/** Every broken balancing or envelope rule, read from the parsed segments; none if all hold. */
export function remittanceProblems(parsed: Parsed835): string[] {
  const problems = [
    ...envelopeProblems(parsed),
    ...partyProblems(parsed),
    ...parsed.claims.flatMap(claimProblems),
  ];
  const claimPayments = sum(parsed.claims.map((claim) => new Decimal(claim.clp[4]!)));
  const expected = claimPayments.minus(sum(parsed.plbAmounts));
  if (!expected.equals(parsed.bpr[2]!)) {
    problems.push(`BPR02 ${parsed.bpr[2]} ≠ Σ CLP04 − Σ PLB = ${expected.toFixed(2)}`);
  }
  const zero = new Decimal(parsed.bpr[2]!).isZero();
  if ((parsed.bpr[1] === 'H') !== zero || (parsed.bpr[4] === 'NON') !== zero) {
    problems.push(
      `BPR01/BPR04 ${parsed.bpr[1]}/${parsed.bpr[4]} for an amount of ${parsed.bpr[2]}`,
    );
  }
  return problems;
}

/**
 * An acknowledgment (999, 277CA) parsed strictly by node-x12: its ISA13, and each transaction
 * set's segments as [tag, ...values], from the parse alone.
 */
export function parseAcknowledgment(text: string): {
  isa13: string;
  groups: { gs: string[]; sets: string[][][] }[];
} {
  const parsed = new X12Parser(true).parse(text);
  if (!('functionalGroups' in parsed)) throw new Error('more than one interchange');
  return {
    isa13: text.slice(90, 99),
    groups: parsed.functionalGroups.map((group) => ({
      gs: valuesOf(group.header),
      sets: group.transactions.map((transaction) => [
        valuesOf(transaction.header),
        ...transaction.segments.map(valuesOf),
        valuesOf(transaction.trailer),
      ]),
    })),
  };
}
