// Turning schema failures into field-named problems: every 4xx names the exact field.
import { z } from 'zod';
import { InvalidInput, type FieldProblem } from '../infra/errors.js';

export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text || '(body)';
}

export function problemsOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldProblem[] {
  return error.issues.flatMap((issue) =>
    // zod reports unknown keys at their parent object; name each key itself instead.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: fieldPath([...prefix, ...issue.path, key]),
          message: 'is not a known field',
        }))
      : [{ field: fieldPath([...prefix, ...issue.path]), message: issue.message }],
  );
}

/** Parses `value` or throws InvalidInput naming every bad field. */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInput(`invalid ${what}`, problemsOf(result.error));
  return result.data;
}

// A missing field says "is required" rather than zod's "expected string, received undefined".
z.config({
  customError: (issue) =>
    issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined,
});

/** Error message for a wrong type that still says "is required" when the field is absent. */
export function expected(what: string) {
  return (issue: { input: unknown }) =>
    issue.input === undefined ? 'is required' : `must be ${what}`;
}
