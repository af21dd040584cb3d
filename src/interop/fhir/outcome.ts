// Errors as FHIR R4 OperationOutcome: each problem becomes an issue naming the FHIR path
// (expression) or, for an HTTP header or parameter, `http.<name>` (location), as R4 prescribes.
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { FieldProblem } from '../../infra/errors.js';

export type IssueType = OperationOutcomeIssue['code'];

const issueTypeOfStatus: Record<number, IssueType> = {
  400: 'structure',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  422: 'invalid',
};

export function issueTypeOf(status: number, message = ''): IssueType {
  if (status === 422 && message.startsWith('is required')) return 'required';
  return issueTypeOfStatus[status] ?? (status >= 500 ? 'exception' : 'processing');
}

/** A FHIR path starts with a resource type ("Claim.item[1].net.value"); anything else is HTTP. */
function whereOf(field: string): Pick<OperationOutcomeIssue, 'expression' | 'location'> {
  return /^[A-Z][A-Za-z]*(\.|\[|$)/.test(field)
    ? { expression: [field] }
    : { location: [`http.${field}`] };
}

export function operationOutcomeOf(
  status: number,
  message: string,
  problems: readonly FieldProblem[] = [],
): OperationOutcome {
  const issues: OperationOutcomeIssue[] =
    problems.length === 0
      ? [{ severity: 'error', code: issueTypeOf(status, message), details: { text: message } }]
      : problems.map((problem) => ({
          severity: 'error',
          code: issueTypeOf(status, problem.message),
          details: { text: problem.message },
          ...whereOf(problem.field),
        }));
  return { resourceType: 'OperationOutcome', issue: issues };
}
