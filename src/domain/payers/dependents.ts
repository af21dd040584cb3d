// Dependents: members who are not the subscriber (a spouse, a child, another relation), found by
// claims through the subscriber. A claim names the subscriber's member id and the patient by name
// and birth date, as the 837P does (loops 2010BA and 2010CA); the payer matches the patient to
// one of the subscriber's dependents by a keyed hash of those, so no one decrypts members to
// adjudicate and no PHI reaches a log.
import { blindIndex, type PhiKeys } from '../../infra/phi.js';
import { canonicalJson } from '../../ledger/canonical.js';
import { x12NameOf } from '../../interop/x12/segments.js';

/** Most dependents one subscriber may have: bounds the look-ups and the family's claims. */
export const DEPENDENTS_MAX = 30;

/**
 * The patient index of a person: names as the 835 writes them (upper case, accents dropped,
 * spaces collapsed, so "José  Peña" and "JOSE PENA" are one person) and the birth date.
 */
export function patientIndexOf(
  phiKeys: PhiKeys,
  person: { firstName: string; lastName: string; birthDate: string },
): string {
  const nameOf = (name: string) =>
    (x12NameOf(name) ?? '').toUpperCase().replace(/\s+/g, ' ').trim();
  return blindIndex(
    phiKeys,
    canonicalJson({
      v: 1,
      kind: 'patient',
      lastName: nameOf(person.lastName),
      firstName: nameOf(person.firstName),
      birthDate: person.birthDate,
    }),
  );
}
