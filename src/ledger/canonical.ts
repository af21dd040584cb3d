// Canonical JSON (RFC 8785, JCS): the single spelling of a JSON value that ledger hashes cover.
// Serialized here in one pass: members sorted by UTF-16 code units (what Array.prototype.sort
// compares), strings and numbers spelled by JSON.stringify (ES2019 well-formed escaping and
// ECMAScript number formatting, which is what RFC 8785 prescribes). The canonicalize library
// is the oracle in tests. Validating and spelling in one walk took the canonical form of the
// bench's 120,908 claim payloads from 575 ms (our validation walk, then the library) to
// 275 ms; verification and intake pay it per event.

export type JsonPrimitive = null | boolean | number | string;
export type JsonArray = JsonValue[];
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;

// Deeper nesting than this is a bug or an attack, not an event payload; the bound also keeps the
// recursive walk far from the stack limit, and stops a circular value.
export const canonicalNestingDepthMax = 256;

/** A value that has no RFC 8785 form; `path` says where in the value it sits (JSONPath-like). */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`canonicalJson: ${path} ${problem}`);
  }
}

/**
 * RFC 8785 canonical form of `value`.
 *
 * Throws CanonicalJsonError instead of guessing for anything JSON cannot represent: undefined
 * (at the top level or in an array), NaN, ±Infinity, bigint, functions, symbols, strings with
 * lone surrogates, cycles, and objects that are not plain (Date, Map, class instances, Decimal),
 * whose JSON.stringify form would be silent and lossy. Object members whose value is undefined
 * are omitted, exactly as JSON.stringify (and so Postgres jsonb, which stores that text) omits
 * them: an absent optional field hashes the same in memory and after a database round trip.
 */
export function canonicalJson(value: unknown): string {
  try {
    return serialize(value, 0);
  } catch (error) {
    if (error !== NOT_JSON) throw error;
    // Rare, so the value is walked again to name where and why (building every member's
    // path on the fast path would cost more than the serializing itself).
    assertJsonValue(value, '$', 0, new Set());
    throw new CanonicalJsonError('$', 'has no JSON form');
  }
}

/** Thrown by serialize for anything without a JSON form; canonicalJson says what and where. */
const NOT_JSON = Symbol('not JSON');

function serialize(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (hasLoneSurrogate(value)) throw NOT_JSON;
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_JSON;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= canonicalNestingDepthMax) throw NOT_JSON;
      if (Array.isArray(value)) {
        // An index loop: holes in sparse arrays are read as undefined and refused.
        let text = '[';
        for (let index = 0; index < value.length; index++) {
          if (index > 0) text += ',';
          text += serialize(value[index], depth + 1);
        }
        return `${text}]`;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) throw NOT_JSON;
      const record = value as Record<string, unknown>;
      let text = '{';
      for (const key of sortedKeys(record)) {
        const member = record[key];
        if (member === undefined) continue;
        if (hasLoneSurrogate(key)) throw NOT_JSON;
        if (text.length > 1) text += ',';
        text += `${JSON.stringify(key)}:${serialize(member, depth + 1)}`;
      }
      return `${text}}`;
    }
    default:
      throw NOT_JSON;
  }
}

/**
 * The object's keys in UTF-16 code unit order (what `<` on strings and the default sort compare).
 * An insertion sort in place for the few keys a payload's objects have: Array.prototype.sort
 * allocates a work array each call, and every object of every event is sorted (8 % of what the
 * adjudication bench allocated, in a sampling heap profile).
 */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  if (keys.length > 32) return keys.sort();
  for (let index = 1; index < keys.length; index++) {
    const key = keys[index]!;
    let before = index - 1;
    while (before >= 0 && keys[before]! > key) {
      keys[before + 1] = keys[before]!;
      before -= 1;
    }
    keys[before + 1] = key;
  }
  return keys;
}

function assertJsonValue(
  value: unknown,
  path: string,
  depth: number,
  ancestors: Set<object>,
): void {
  switch (typeof value) {
    case 'string':
      if (hasLoneSurrogate(value)) {
        throw new CanonicalJsonError(path, 'is a string with a lone UTF-16 surrogate');
      }
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CanonicalJsonError(path, `is ${String(value)}, which JSON cannot represent`);
      }
      return;
    case 'boolean':
      return;
    case 'object':
      if (value === null) return;
      assertJsonContainer(value, path, depth, ancestors);
      return;
    case 'bigint':
      throw new CanonicalJsonError(path, 'is a bigint; encode it as a decimal string');
    case 'undefined':
      throw new CanonicalJsonError(path, 'is undefined, which JSON cannot represent');
    default:
      throw new CanonicalJsonError(path, `is a ${typeof value}, which JSON cannot represent`);
  }
}

function assertJsonContainer(
  value: object,
  path: string,
  depth: number,
  ancestors: Set<object>,
): void {
  if (depth >= canonicalNestingDepthMax) {
    throw new CanonicalJsonError(path, `nests deeper than ${canonicalNestingDepthMax} levels`);
  }
  if (ancestors.has(value)) throw new CanonicalJsonError(path, 'is a circular reference');
  ancestors.add(value);
  if (Array.isArray(value)) {
    assertJsonArray(value as unknown[], path, depth, ancestors);
  } else {
    assertJsonObject(value, path, depth, ancestors);
  }
  ancestors.delete(value);
}

function assertJsonArray(
  items: unknown[],
  path: string,
  depth: number,
  ancestors: Set<object>,
): void {
  // An index loop, not forEach, so holes in sparse arrays are seen (as undefined) and rejected.
  for (let index = 0; index < items.length; index++) {
    assertJsonValue(items[index], `${path}[${index}]`, depth + 1, ancestors);
  }
}

function assertJsonObject(
  value: object,
  path: string,
  depth: number,
  ancestors: Set<object>,
): void {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = value.constructor?.name ?? 'non-plain object';
    throw new CanonicalJsonError(path, `is a ${kind}, not a plain object; convert it explicitly`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const member = record[key];
    if (member === undefined) continue; // omitted, as JSON.stringify does (see canonicalJson)
    const memberPath = memberPathOf(path, key);
    if (hasLoneSurrogate(key)) {
      throw new CanonicalJsonError(memberPath, 'has a key with a lone UTF-16 surrogate');
    }
    assertJsonValue(member, memberPath, depth + 1, ancestors);
  }
}

function memberPathOf(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
    ? `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;
}

// RFC 8785 requires well-formed Unicode: a lone surrogate has no UTF-8 encoding, so two different
// strings could hash alike once encoders substitute U+FFFD. In a /u regex a correctly paired
// surrogate is one code point, so only lone halves match.
const loneSurrogatePattern = /\p{Surrogate}/u;

function hasLoneSurrogate(text: string): boolean {
  return loneSurrogatePattern.test(text);
}
