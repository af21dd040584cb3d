// Where each field of our claim came from in a foreign format (a FHIR path, an X12 segment
// and element), so that a problem our claim schema finds later is reported at the place the
// sender wrote it. Shared by every mapper onto the claim submission.

/** "a.b[1].c" -> "a.b[1]" -> "a.b" -> "a" -> "" (the end). */
function parentOf(field: string): string {
  const parent = field.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
  return parent === field ? '' : parent;
}

export class FieldOrigins<Origin> {
  private readonly origins = new Map<string, Origin>();
  private readonly reported = new Set<string>();

  /** `fallback`: the origin of a field with no mapped parent (the claim as a whole). */
  constructor(private readonly fallback: Origin) {}

  /** Our field `field` (e.g. "serviceLines[0].units") came from `origin`. */
  map(field: string, origin: Origin): void {
    this.origins.set(field, origin);
  }

  /** A problem at `origin` was reported that covers `fields`: they need no second report. */
  covered(origin: Origin, fields: readonly string[]): void {
    for (const field of fields) {
      this.origins.set(field, origin);
      this.reported.add(field);
    }
  }

  /** The origin of our field, or of its nearest mapped parent, or the fallback. */
  originOf(field: string): Origin {
    for (let current = field; current; current = parentOf(current)) {
      const origin = this.origins.get(current);
      if (origin !== undefined) return origin;
    }
    return this.fallback;
  }

  /** Whether the field, or a parent of it, already has its problem reported. */
  wasReported(field: string): boolean {
    for (let current = field; current; current = parentOf(current)) {
      if (this.reported.has(current)) return true;
    }
    return false;
  }
}
