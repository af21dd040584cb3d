// An organization's remittance profile: the postal address, federal tax id (EIN) and, for a
// payer, the contacts that an 835 carries besides the name and NPI (loops 1000A and 1000B).
// Input is normalized to what the 835 writes (digits only, upper-case codes), so that the
// writer never has to guess, and every value is checked to be writable as X12 text.
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { z } from 'zod';
import { inTransaction, type Database } from '../infra/db.js';
import { InvalidInput, NotFound } from '../infra/errors.js';
import { appendEvents } from '../ledger/append.js';
import type { RemittanceAddress } from './settlement/remittance-document.js';
import { expected } from './validation.js';
import type { OrganizationKind, Principal } from './organizations.js';

/** USPS codes of the states, DC, territories and military post offices (N402). */
const US_STATE_CODES = new Set(
  (
    'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ ' +
    'NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI FM MH PW AA AE AP'
  ).split(' '),
);

// The 835 is X12 text: printable ASCII, and none of our delimiters (element *, component :,
// repetition ^, segment ~). Refused here with the field named rather than blanked by the writer.
const X12_TEXT = /^[ -)+-9;-\]_-}]*$/;
const X12_TEXT_MESSAGE = 'must be printable ASCII without the X12 delimiters * : ^ ~';

function x12Text(lengthMin: number, lengthMax: number) {
  return z
    .string({ error: expected('a string') })
    .trim()
    .min(
      lengthMin,
      lengthMin === 1 ? 'must not be empty' : `must be at least ${lengthMin} characters`,
    )
    .max(lengthMax, `must be at most ${lengthMax} characters`)
    .regex(X12_TEXT, X12_TEXT_MESSAGE);
}

/** Digits typed the way people write them ("06-1234567", "(800) 555-0100"), separators dropped. */
function digitsOf(what: string) {
  return z.string({ error: expected(what) }).transform((text) => text.replace(/[\s().+-]/g, ''));
}

const postalCode = digitsOf('a ZIP code such as "06101" or "06101-1234"').pipe(
  z.string().regex(/^\d{5}(\d{4})?$/, 'must be a ZIP code of 5 or 9 digits'),
);

/** An EIN: 9 digits. The IRS assigns no "00" prefix; the others change too often to list here. */
const taxId = digitsOf('an EIN such as "06-1234567"').pipe(
  z.string().regex(/^(?!00)\d{9}$/, 'must be a 9-digit EIN such as "06-1234567"'),
);

/** A North American number with its area code (NXX NXX XXXX); a leading country code 1 is dropped. */
const phone = digitsOf('a phone number such as "800-555-0100"')
  .transform((digits) =>
    digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits,
  )
  .pipe(
    z
      .string()
      .regex(
        /^[2-9]\d{2}[2-9]\d{6}$/,
        'must be a 10-digit phone number with its area code, such as "800-555-0100"',
      ),
  );

const email = z
  .email({ error: expected('an email address') })
  .max(256, 'must be at most 256 characters')
  .regex(X12_TEXT, X12_TEXT_MESSAGE);

export const postalAddressSchema = z.strictObject({
  line1: x12Text(1, 55),
  line2: x12Text(1, 55).nullish(),
  city: x12Text(2, 30),
  stateCode: z
    .string({ error: expected('a two-letter state code such as "CT"') })
    .toUpperCase()
    .refine((code) => US_STATE_CODES.has(code), 'must be a USPS state code such as "CT"'),
  postalCode,
  // State codes and ZIP codes are US rules; an address elsewhere needs N404/N407 we do not write.
  countryCode: z.literal('US', 'must be "US": only US addresses are supported').default('US'),
});

const contactSchema = z
  .strictObject({
    name: x12Text(1, 60),
    phone: phone.nullish(),
    email: email.nullish(),
  })
  .refine((contact) => contact.phone != null || contact.email != null, {
    path: ['phone'],
    message: 'a contact needs a phone or an email',
  });

/** The whole profile; PUT replaces it, so a part left out (or null) is cleared. */
export const organizationProfileSchema = z.strictObject({
  address: postalAddressSchema.nullish(),
  taxId: taxId.nullish(),
  /** A payer's office for remittance questions: 835 loop 1000A PER*CX. */
  businessContact: contactSchema.nullish(),
  /** A payer's EDI support: 835 loop 1000A PER*BL, which the guide requires. */
  technicalContact: contactSchema.nullish(),
});
export type OrganizationProfileInput = z.output<typeof organizationProfileSchema>;

/** A US postal address, held as the 835's N3/N4 write it (5 or 9 digit ZIP, no hyphen). */
export type PostalAddress = RemittanceAddress;

export interface Contact {
  name: string;
  /** 10 digits (PER TE). */
  phone: string | null;
  email: string | null;
}

export interface OrganizationProfile {
  address: PostalAddress | null;
  /** EIN, 9 digits. */
  taxId: string | null;
  businessContact: Contact | null;
  technicalContact: Contact | null;
}

/** The profile columns of an organizations row, named as Prisma names them. */
export interface ProfileColumns {
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  stateCode: string | null;
  postalCode: string | null;
  countryCode: string | null;
  taxId: string | null;
  businessContactName: string | null;
  businessContactPhone: string | null;
  businessContactEmail: string | null;
  technicalContactName: string | null;
  technicalContactPhone: string | null;
  technicalContactEmail: string | null;
}

const PROFILE_COLUMNS_SQL = `address_line1 AS "addressLine1", address_line2 AS "addressLine2", city,
  state_code AS "stateCode", postal_code AS "postalCode", country_code AS "countryCode",
  tax_id AS "taxId", business_contact_name AS "businessContactName",
  business_contact_phone AS "businessContactPhone", business_contact_email AS "businessContactEmail",
  technical_contact_name AS "technicalContactName",
  technical_contact_phone AS "technicalContactPhone",
  technical_contact_email AS "technicalContactEmail"`;

function contactOf(name: string | null, phone: string | null, email: string | null) {
  return name === null ? null : { name, phone, email };
}

export function profileOf(row: ProfileColumns): OrganizationProfile {
  const { addressLine1, city, stateCode, postalCode, countryCode } = row;
  const address =
    addressLine1 !== null &&
    city !== null &&
    stateCode !== null &&
    postalCode !== null &&
    countryCode !== null
      ? { line1: addressLine1, line2: row.addressLine2, city, stateCode, postalCode, countryCode }
      : null;
  return {
    address,
    taxId: row.taxId,
    businessContact: contactOf(
      row.businessContactName,
      row.businessContactPhone,
      row.businessContactEmail,
    ),
    technicalContact: contactOf(
      row.technicalContactName,
      row.technicalContactPhone,
      row.technicalContactEmail,
    ),
  };
}

function profileFromInput(input: OrganizationProfileInput): OrganizationProfile {
  const contact = (value: OrganizationProfileInput['businessContact']) =>
    value ? { name: value.name, phone: value.phone ?? null, email: value.email ?? null } : null;
  return {
    address: input.address ? { ...input.address, line2: input.address.line2 ?? null } : null,
    taxId: input.taxId ?? null,
    businessContact: contact(input.businessContact),
    technicalContact: contact(input.technicalContact),
  };
}

/**
 * What a payer's profile lacks for an 835 a validator accepts: loop 1000A requires the payer's
 * address (N3/N4) and its technical contact (PER*BL; the business contact stands in for it).
 * Empty when the payer may settle.
 */
export function remittanceProfileGaps(profile: OrganizationProfile): string[] {
  const gaps: string[] = [];
  if (profile.address === null) gaps.push('address (835 N3/N4)');
  if (profile.technicalContact === null && profile.businessContact === null) {
    gaps.push('technicalContact (835 PER*BL)');
  }
  return gaps;
}

/** Only a payer's loop (1000A) carries contacts: a provider's would be stored and never sent. */
function kindProblems(kind: OrganizationKind, profile: OrganizationProfile) {
  if (kind === 'payer') return [];
  const fields = (['businessContact', 'technicalContact'] as const).filter(
    (field) => profile[field] !== null,
  );
  return fields.map((field) => ({ field, message: `a ${kind} organization has no 835 contacts` }));
}

export interface ProfileChange {
  profile: OrganizationProfile;
  profileVersion: number;
  profileUpdatedAt: Date | null;
}

interface ProfileRow extends ProfileColumns {
  kind: OrganizationKind;
  profileVersion: number;
  profileUpdatedAt: Date | null;
}

/**
 * Replaces an organization's profile. The organization itself (its admin, checked by the router)
 * or the operator may; anyone else is told it does not exist. Sending the profile already in
 * force changes nothing: no new version, no event.
 */
export async function setOrganizationProfile(
  database: Database,
  actor: Principal | undefined,
  orgId: string,
  input: OrganizationProfileInput,
): Promise<ProfileChange> {
  if (actor && actor.orgKind !== 'operator' && actor.orgId !== orgId) {
    throw new NotFound('organization');
  }
  const profile = profileFromInput(input);
  return inTransaction(database.pool, async (client) => {
    const { rows } = await client.query<ProfileRow>(
      `SELECT kind, ${PROFILE_COLUMNS_SQL}, profile_version AS "profileVersion",
              profile_updated_at AS "profileUpdatedAt"
         FROM organizations WHERE id = $1 FOR UPDATE`,
      [orgId],
    );
    const current = rows[0];
    if (!current) throw new NotFound('organization');
    const problems = kindProblems(current.kind, profile);
    if (problems.length > 0) throw new InvalidInput('invalid organization profile', problems);
    if (isDeepStrictEqual(profileOf(current), profile)) {
      const { profileVersion, profileUpdatedAt } = current;
      return { profile, profileVersion, profileUpdatedAt };
    }
    const updatedAt = new Date();
    const profileVersion = await writeProfile(client, orgId, profile, updatedAt);
    await appendEvents(
      client,
      [
        {
          type: 'OrganizationProfileSet',
          aggregateId: orgId,
          actorOrgId: actor?.orgId ?? orgId,
          // Which parts are set, not their values: a sole proprietor's "EIN" may be a Social
          // Security number and a contact names a person, and the ledger can never forget.
          payload: {
            organizationId: orgId,
            profileVersion,
            partsSet: (Object.keys(profile) as (keyof OrganizationProfile)[]).filter(
              (part) => profile[part] !== null,
            ),
          },
          partyOrgIds: [orgId],
        },
      ],
      updatedAt,
    );
    return { profile, profileVersion, profileUpdatedAt: updatedAt };
  });
}

async function writeProfile(
  client: pg.PoolClient,
  orgId: string,
  profile: OrganizationProfile,
  updatedAt: Date,
): Promise<number> {
  const { address, businessContact, technicalContact } = profile;
  const { rows } = await client.query<{ profile_version: number }>(
    `UPDATE organizations
        SET address_line1 = $2, address_line2 = $3, city = $4, state_code = $5, postal_code = $6,
            country_code = $7, tax_id = $8, business_contact_name = $9,
            business_contact_phone = $10, business_contact_email = $11,
            technical_contact_name = $12, technical_contact_phone = $13,
            technical_contact_email = $14, profile_version = profile_version + 1,
            profile_updated_at = $15
      WHERE id = $1
      RETURNING profile_version`,
    [
      orgId,
      address?.line1 ?? null,
      address?.line2 ?? null,
      address?.city ?? null,
      address?.stateCode ?? null,
      address?.postalCode ?? null,
      address?.countryCode ?? null,
      profile.taxId,
      businessContact?.name ?? null,
      businessContact?.phone ?? null,
      businessContact?.email ?? null,
      technicalContact?.name ?? null,
      technicalContact?.phone ?? null,
      technicalContact?.email ?? null,
      updatedAt,
    ],
  );
  return rows[0]!.profile_version;
}
