// Group commit for single-claim requests: requests arriving within a few milliseconds of
// each other share one transaction, so 64 concurrent billers cost a handful of fsyncs, not
// 64. Each request still gets its own answer; a failed transaction fails only its group.

export class IntakeGroup<Item, Result> {
  private pending: {
    item: Item;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly windowMs: number,
    private readonly itemsMax: number,
    /** Groups written at once; further requests wait and join the next group. */
    private readonly concurrentWritesMax = 4,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.itemsMax) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.inFlight >= this.concurrentWritesMax) return;
    const group = this.pending.splice(0, this.itemsMax);
    this.inFlight += 1;
    this.write(group.map((entry) => entry.item))
      .then((results) => group.forEach((entry, index) => entry.resolve(results[index]!)))
      .catch((error: unknown) => group.forEach((entry) => entry.reject(error)))
      .finally(() => {
        this.inFlight -= 1;
        if (this.pending.length > 0) this.flush();
      });
  }
}
