// A limit on how many of one kind of work run at once; the rest wait their turn in arrival
// order. Waiting here costs nothing; waiting inside PostgreSQL holds a connection and, for
// ledger appends, a place in the queue for the ledger's lock ahead of other writers.

export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a whole number ≥ 1');
  }

  /** Runs `work` once fewer than `max` others run; its result or error is the caller's. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, so a newcomer cannot take it between.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  /** Work running now, and work waiting for a turn. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
