import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../src/infra/concurrency.js';

/** A task that finishes when told to, recording when it started. */
function gatedTask(started: number[], id: number) {
  let finish!: (value: number) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    work: () => {
      started.push(id);
      return done;
    },
    finish: () => finish(id),
    fail: (message: string) => fail(new Error(message)),
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most max at once and starts the waiting in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const tasks = [1, 2, 3, 4, 5].map((id) => gatedTask(started, id));
    const results = tasks.map((task) => limit.run(task.work));
    await turn();
    expect(started).toEqual([1, 2]);
    expect(limit.load).toEqual({ running: 2, waiting: 3 });
    tasks[1]!.finish();
    await turn();
    expect(started).toEqual([1, 2, 3]);
    tasks[0]!.finish();
    tasks[2]!.finish();
    await turn();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(limit.load).toEqual({ running: 2, waiting: 0 });
    tasks[3]!.finish();
    tasks[4]!.finish();
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5]);
    expect(limit.load).toEqual({ running: 0, waiting: 0 });
  });

  it('gives a failed task its error and its slot to the next', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const first = gatedTask(started, 1);
    const second = gatedTask(started, 2);
    const failed = limit.run(first.work);
    const next = limit.run(second.work);
    await turn();
    expect(started).toEqual([1]);
    first.fail('the database went away');
    await expect(failed).rejects.toThrow('the database went away');
    await turn();
    expect(started).toEqual([1, 2]);
    second.finish();
    expect(await next).toBe(2);
    expect(limit.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a limit that is not a whole number of at least one', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1.5)).toThrow(RangeError);
  });
});
