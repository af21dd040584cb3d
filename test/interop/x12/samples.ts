// 837P test material: the sample files (test/fixtures/x12, built from the 005010X222A1 examples)
// with the payer's id filled in, and edits that change one thing and keep SE01 right, so that a
// test sees only the fault it makes.
import { readFileSync } from 'node:fs';

export const PAYER_ID_PLACEHOLDER = '{{PAYER_ID}}';
export const samplePayerId = '11111111-1111-4111-8111-111111111111';
/** The NPI of the billing provider in the samples, and of the provider organizations tests create. */
export const sampleNpi = '1234567893';

export type SampleName =
  | 'commercial-health-insurance'
  | 'several-service-lines'
  | 'cob-claim-to-payer-a'
  | 'cob-claim-to-payer-b';

export function sampleFile(name: SampleName, payerId = samplePayerId): string {
  const text = readFileSync(new URL(`../../fixtures/x12/${name}.x12`, import.meta.url), 'utf8');
  return text.replaceAll(PAYER_ID_PLACEHOLDER, payerId);
}

/**
 * The file with ISA13 and IEA02 set to `controlNumber`: the same ISA13 from the same sender again
 * is a duplicate interchange, so a test sending a sample more than once numbers each copy.
 */
export function withInterchangeControlNumber(text: string, controlNumber: number): string {
  const value = String(controlNumber).padStart(9, '0');
  // The ISA is fixed-width: ISA13 is characters 90 to 98.
  return (text.slice(0, 90) + value + text.slice(99)).replace(
    /IEA\*(\d+)\*\d{9}~/,
    `IEA*$1*${value}~`,
  );
}

/** The file's segments, without terminators (the samples end each with "~" and a line break). */
export function segmentsOf(text: string): string[] {
  return text.split('~\n').filter((segment) => segment !== '');
}

export function fileOf(segments: readonly string[]): string {
  return segments.map((segment) => `${segment}~\n`).join('');
}

/** Sets each SE01 to its transaction set's real count. */
export function recounted(segments: readonly string[]): string[] {
  const result = [...segments];
  let start = -1;
  result.forEach((segment, index) => {
    if (segment.startsWith('ST*')) start = index;
    if (segment.startsWith('SE*') && start >= 0) {
      const [, , controlNumber] = segment.split('*');
      result[index] = `SE*${index - start + 1}*${controlNumber}`;
    }
  });
  return result;
}

/** The file after `edit` changed its segment list (SE01 kept right unless `recount` is false). */
export function edited(
  text: string,
  edit: (segments: string[]) => string[] | void,
  options: { recount?: boolean } = {},
): string {
  const segments = segmentsOf(text);
  const changed = edit(segments) ?? segments;
  return fileOf(options.recount === false ? changed : recounted(changed));
}

/** Replaces the first segment starting with `prefix` by `replacement` (or removes it). */
export function replaceSegment(prefix: string, replacement?: string) {
  return (segments: string[]) => {
    const index = segments.findIndex((segment) => segment.startsWith(prefix));
    if (index < 0) throw new Error(`no segment starts with ${prefix}`);
    if (replacement === undefined) segments.splice(index, 1);
    else segments[index] = replacement;
  };
}

/**
 * The file with the claim of its first subscriber (HL*2 up to the next HL or SE) added once more
 * at the end, as the next subscriber of the same billing provider, with CLM01
 * `patientControlNumber`; `edit` changes the added segments.
 */
export function withAnotherClaim(
  text: string,
  patientControlNumber: string,
  edit: (segments: string[]) => void = () => {},
): string {
  return edited(text, (segments) => {
    const from = segments.findIndex((segment) => segment.startsWith('HL*2*'));
    const next = segments.findIndex((segment, index) => index > from && segment.startsWith('HL*'));
    const end = segments.findIndex((segment) => segment.startsWith('SE*'));
    const levels = segments.filter((segment) => segment.startsWith('HL*')).length;
    const claim = segments
      .slice(from, next < 0 ? end : next)
      .map((segment) =>
        segment.startsWith('HL*2*')
          ? `HL*${levels + 1}*1*22*0`
          : segment.startsWith('CLM*')
            ? segment.replace(/^CLM\*[^*]*/, `CLM*${patientControlNumber}`)
            : segment,
      );
    edit(claim);
    segments.splice(end, 0, ...claim);
  });
}
