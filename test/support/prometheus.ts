// Reading a /metrics answer as Prometheus would: parsed by an independent text-format parser
// (parse-prometheus-text-format), then looked up by metric name and labels.
import parsePrometheusTextFormat, {
  type PrometheusFamily,
  type PrometheusSample,
} from 'parse-prometheus-text-format';

export class Scrape {
  readonly families: Map<string, PrometheusFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  }

  /** The family's type, e.g. "COUNTER", or undefined when the name is not exposed. */
  typeOf(name: string): string | undefined {
    return this.families.get(name)?.type;
  }

  /** Every sample of the family. */
  samples(name: string): PrometheusSample[] {
    return this.families.get(name)?.metrics ?? [];
  }

  /** The one sample whose labels include `labels`. */
  sample(name: string, labels: Record<string, string> = {}): PrometheusSample | undefined {
    return onlyMatching(name, this.samples(name), labels);
  }

  /** A counter's or gauge's value (undefined when absent). */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.sample(name, labels)?.value;
    return found === undefined ? undefined : Number(found);
  }

  /**
   * A histogram series' observation count (0 when the series does not exist yet). The parser
   * folds every series of a labelled histogram into one sample, losing their labels, so the
   * histogram's `_count` lines are parsed as a counter family of their own.
   */
  count(name: string, labels: Record<string, string> = {}): number {
    const countName = `${name}_count`;
    const lines = this.text
      .split('\n')
      .filter((line) => line.startsWith(`${countName}{`) || line.startsWith(`${countName} `));
    if (lines.length === 0) return 0;
    const [family] = parsePrometheusTextFormat(
      `# TYPE ${countName} counter\n${lines.join('\n')}\n`,
    );
    return Number(onlyMatching(countName, family?.metrics ?? [], labels)?.value ?? 0);
  }
}

function onlyMatching(
  name: string,
  samples: PrometheusSample[],
  labels: Record<string, string>,
): PrometheusSample | undefined {
  const matching = samples.filter((sample) =>
    Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value),
  );
  if (matching.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: several samples`);
  return matching[0];
}
