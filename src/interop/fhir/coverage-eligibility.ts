// FHIR R4 CoverageEligibilityRequest in, CoverageEligibilityResponse out: the eligibility
// inquiry of GET /v1/eligibility in FHIR terms. The member is the identifier (type MB, or the
// only one) of the Patient contained in the request; the payer is `insurer` (Organization/<id>);
// the date is `servicedDate` (today when absent); each item's productOrService (CPT or HCPCS) is
// a procedure asked. The response holds what the JSON answer holds: insurance[0].inforce, the
// coverage period, and with purpose "benefits" the plan year's benefits (allowedMoney the plan
// amount, usedMoney what is met: remaining = allowed − used) of the member (item.unit
// individual) and, when the plan has family limits, of its family (item.unit family), and one
// item per procedure.
import type {
  CoverageEligibilityResponse,
  CoverageEligibilityResponseInsuranceItem,
  Patient,
} from '@medplum/fhirtypes';
import { z } from 'zod';
import { memberSchema, procedureCode } from '../../domain/claims/schema.js';
import type { EligibilityAnswer } from '../../domain/inquiries/eligibility.js';
import { PROCEDURE_CODES_PER_INQUIRY_MAX } from '../../domain/inquiries/eligibility.js';
import { cleanString, expected, isoDate, problemsOf } from '../../domain/validation.js';
import type { FieldProblem } from '../../infra/errors.js';
import { hcpcsSystemAliases, moneyOf, procedureCoding, system } from './codes.js';

const RESOURCE = 'CoverageEligibilityRequest';
const CONTAINED_MAX = 10;
const PURPOSES = ['validation', 'benefits'] as const;

export const benefitSystem = {
  category: 'http://terminology.hl7.org/CodeSystem/ex-benefitcategory',
  type: 'http://terminology.hl7.org/CodeSystem/benefit-type',
  unit: 'http://terminology.hl7.org/CodeSystem/benefit-unit',
  term: 'http://terminology.hl7.org/CodeSystem/benefit-term',
  /** Ours: what R4's benefit-type lacks (the out-of-pocket maximum, coinsurance). */
  claimChainType: 'https://claimchain.dev/fhir/CodeSystem/benefit-type',
  inquiry: 'https://claimchain.dev/fhir/inquiry',
} as const;

const text = () => cleanString('a string', { lineBreaks: true });
const object = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.looseObject(shape, { error: expected('a JSON object') });
const list = <Item extends z.ZodType>(item: Item, max: number) =>
  z.array(item, { error: expected('a JSON array') }).max(max, `at most ${max} entries`);
const coding = object({ system: text().optional(), code: text().optional() });
const concept = object({ coding: list(coding, 10).optional(), text: text().optional() });

const requestShape = object({
  resourceType: z.literal(RESOURCE, { error: expected(`"${RESOURCE}"`) }),
  status: z.literal('active', { error: expected('"active"') }),
  purpose: list(z.enum(PURPOSES, { error: expected('"validation" or "benefits"') }), 2).min(
    1,
    'is required',
  ),
  patient: object({ reference: text() }),
  servicedDate: isoDate().optional(),
  servicedPeriod: z.undefined({ error: 'is not supported: send servicedDate' }).optional(),
  insurer: object({ reference: text() }),
  contained: list(object({ resourceType: text(), id: text().optional() }), CONTAINED_MAX),
  item: list(
    object({ productOrService: concept.optional() }),
    PROCEDURE_CODES_PER_INQUIRY_MAX,
  ).optional(),
  modifierExtension: z
    .undefined({ error: 'is not supported: it could change the meaning of the request' })
    .optional(),
});

const patientShape = object({
  identifier: list(object({ type: concept.optional(), value: text().optional() }), 10),
});

type RequestShape = z.output<typeof requestShape>;

export interface FhirEligibilityQuestion {
  payerId: string;
  memberId: string;
  date: string | undefined;
  procedureCodes: string[];
  purposes: ('validation' | 'benefits')[];
  /** The contained Patient as sent, echoed so that the response's patient reference resolves. */
  patient: Patient;
}

export type FhirEligibilityMapping =
  | { status: 'accepted'; question: FhirEligibilityQuestion }
  | { status: 'rejected'; httpStatus: 400 | 422; problems: FieldProblem[] };

const rejected = (problems: FieldProblem[], httpStatus: 400 | 422 = 422) =>
  ({ status: 'rejected', httpStatus, problems }) as const;

function memberOf(request: RequestShape, problems: FieldProblem[]) {
  const local = /^#(.+)$/.exec(request.patient.reference)?.[1];
  const index = request.contained.findIndex(
    (each) => each.resourceType === 'Patient' && each.id === local,
  );
  if (index < 0) {
    problems.push({
      field: `${RESOURCE}.patient.reference`,
      message: 'must reference a Patient contained in the request ("#id")',
    });
    return undefined;
  }
  const path = `${RESOURCE}.contained[${index}]`;
  const shaped = patientShape.safeParse(request.contained[index]);
  if (!shaped.success) {
    problems.push(...problemsOf(shaped.error, [RESOURCE, 'contained', index]));
    return undefined;
  }
  const identifiers = shaped.data.identifier;
  const typed = identifiers.findIndex((each) =>
    each.type?.coding?.some((c) => c.system === system.identifierType && c.code === 'MB'),
  );
  const chosen = typed >= 0 ? typed : identifiers.length === 1 ? 0 : -1;
  const memberId = memberSchema.shape.memberId.safeParse(identifiers[chosen]?.value);
  if (!memberId.success) {
    problems.push({
      field: chosen < 0 ? `${path}.identifier` : `${path}.identifier[${chosen}].value`,
      message:
        chosen < 0
          ? `needs the member number: one identifier, or one of type ${system.identifierType}|MB`
          : memberId.error.issues[0]!.message,
    });
    return undefined;
  }
  return { memberId: memberId.data, patient: request.contained[index] as Patient };
}

function procedureCodesOf(request: RequestShape, problems: FieldProblem[]): string[] {
  const codes: string[] = [];
  (request.item ?? []).forEach((item, index) => {
    const codingIndex = (item.productOrService?.coding ?? []).findIndex(
      (c) => c.system === system.cpt || hcpcsSystemAliases.includes(c.system ?? ''),
    );
    const code = item.productOrService?.coding?.[codingIndex]?.code;
    if (!procedureCode.safeParse(code).success) {
      problems.push({
        field: `${RESOURCE}.item[${index}].productOrService`,
        message: 'must hold a CPT or HCPCS coding such as 99213',
      });
    } else if (!codes.includes(code!)) codes.push(code!);
  });
  return codes;
}

export function mapEligibilityRequest(body: unknown): FhirEligibilityMapping {
  const kind = z.looseObject({ resourceType: z.literal(RESOURCE) }).safeParse(body);
  if (!kind.success) {
    return rejected([{ field: 'resourceType', message: `must be "${RESOURCE}"` }], 400);
  }
  const shaped = requestShape.safeParse(body);
  if (!shaped.success) return rejected(problemsOf(shaped.error, [RESOURCE]));
  const request = shaped.data;
  const problems: FieldProblem[] = [];
  const payerId = /^Organization\/(.+)$/.exec(request.insurer.reference)?.[1];
  if (payerId === undefined) {
    problems.push({
      field: `${RESOURCE}.insurer.reference`,
      message: 'must be "Organization/<payer id>"',
    });
  }
  const member = memberOf(request, problems);
  const procedureCodes = procedureCodesOf(request, problems);
  if (problems.length > 0 || !member || payerId === undefined) return rejected(problems);
  return {
    status: 'accepted',
    question: {
      payerId,
      memberId: member.memberId,
      date: request.servicedDate,
      procedureCodes,
      purposes: [...new Set(request.purpose)],
      patient: member.patient,
    },
  };
}

const codeable = (codeSystem: string, code: string, display?: string) => ({
  coding: [{ system: codeSystem, code, ...(display ? { display } : {}) }],
});

/** The plan-level benefits of the individual: deductible, out-of-pocket, copay, coinsurance. */
function planBenefitItem(answer: EligibilityAnswer): CoverageEligibilityResponseInsuranceItem {
  const { deductible, outOfPocketMaximum } = answer.benefits!.individual;
  return {
    category: codeable(benefitSystem.category, '30', 'Health Benefit Plan Coverage'),
    unit: codeable(benefitSystem.unit, 'individual'),
    term: codeable(benefitSystem.term, 'annual'),
    benefit: [
      {
        type: codeable(benefitSystem.type, 'deductible'),
        allowedMoney: moneyOf(deductible.amount),
        usedMoney: moneyOf(deductible.metAmount),
      },
      {
        type: codeable(benefitSystem.claimChainType, 'out-of-pocket-maximum'),
        allowedMoney: moneyOf(outOfPocketMaximum.amount),
        usedMoney: moneyOf(outOfPocketMaximum.metAmount),
      },
      { type: codeable(benefitSystem.type, 'copay'), allowedMoney: moneyOf(answer.copayAmount!) },
      {
        type: codeable(benefitSystem.claimChainType, 'coinsurance-percent'),
        allowedString: answer.coinsurancePercent!,
      },
    ],
  };
}

/** The family's deductible and out-of-pocket maximum, when the plan has family limits. */
function familyBenefitItems(answer: EligibilityAnswer): CoverageEligibilityResponseInsuranceItem[] {
  const family = answer.benefits!.family;
  if (!family) return [];
  const { deductible, outOfPocketMaximum } = family;
  return [
    {
      category: codeable(benefitSystem.category, '30', 'Health Benefit Plan Coverage'),
      unit: codeable(benefitSystem.unit, 'family'),
      term: codeable(benefitSystem.term, 'annual'),
      benefit: [
        ...(deductible
          ? [
              {
                type: codeable(benefitSystem.type, 'deductible'),
                allowedMoney: moneyOf(deductible.amount),
                usedMoney: moneyOf(deductible.metAmount),
              },
            ]
          : []),
        ...(outOfPocketMaximum
          ? [
              {
                type: codeable(benefitSystem.claimChainType, 'out-of-pocket-maximum'),
                allowedMoney: moneyOf(outOfPocketMaximum.amount),
                usedMoney: moneyOf(outOfPocketMaximum.metAmount),
              },
            ]
          : []),
      ],
    },
  ];
}

function procedureItems(answer: EligibilityAnswer): CoverageEligibilityResponseInsuranceItem[] {
  return answer.procedures.map((procedure) => ({
    productOrService: { coding: [procedureCoding(procedure.procedureCode)] },
    ...(procedure.onFeeSchedule
      ? {
          excluded: procedure.covered === false,
          authorizationRequired: procedure.priorAuthorizationRequired === true,
          benefit: [
            {
              type: codeable(benefitSystem.type, 'benefit'),
              allowedMoney: moneyOf(procedure.allowedAmount!),
            },
          ],
        }
      : { description: 'not on the payer’s fee schedule' }),
  }));
}

/** The response to `question`, created at `created`, naming the inquiry's ledger event. */
export function coverageEligibilityResponseOf(
  question: FhirEligibilityQuestion,
  answer: EligibilityAnswer,
  inquiryId: string,
  created: Date,
): CoverageEligibilityResponse {
  const coverage = answer.plan
    ? { display: `${answer.plan.name} (${answer.plan.code})` }
    : { display: 'no coverage on the date asked' };
  const benefits = question.purposes.includes('benefits') && answer.covered;
  return {
    resourceType: 'CoverageEligibilityResponse',
    contained: [question.patient],
    status: 'active',
    purpose: question.purposes,
    patient: { reference: `#${question.patient.id}` },
    servicedDate: answer.date,
    created: created.toISOString(),
    request: { identifier: { system: benefitSystem.inquiry, value: inquiryId } },
    outcome: 'complete',
    ...(answer.notCovered ? { disposition: answer.notCovered.message } : {}),
    insurer: { reference: `Organization/${question.payerId}` },
    ...(answer.notCovered?.reason === 'member_not_found' ||
    answer.notCovered?.reason === 'patient_not_found'
      ? {}
      : {
          insurance: [
            {
              coverage,
              inforce: answer.covered,
              ...(answer.coverage
                ? {
                    benefitPeriod: {
                      start: answer.coverage.effectiveFrom,
                      ...(answer.coverage.effectiveTo ? { end: answer.coverage.effectiveTo } : {}),
                    },
                  }
                : {}),
              ...(benefits
                ? {
                    item: [
                      planBenefitItem(answer),
                      ...familyBenefitItems(answer),
                      ...procedureItems(answer),
                    ],
                  }
                : {}),
            },
          ],
        }),
  };
}
