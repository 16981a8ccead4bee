import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial-queue.js';

describe('SerialQueue', () => {
  it('runs jobs one at a time in order; a failed job does not stop the next', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    let release: () => void = () => undefined;
    const first = queue.run(async () => {
      log.push('a start');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      log.push('a end');
      return 'a';
    });
    const failing = queue.run(async () => {
      log.push('b');
      throw new Error('b failed');
    });
    const third = queue.run(async () => {
      log.push('c');
      return 'c';
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    release();
    expect(await first).toBe('a');
    await expect(failing).rejects.toThrow('b failed');
    expect(await third).toBe('c');
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
  });

  it('idle waits for jobs queued while it waits', async () => {
    const queue = new SerialQueue();
    const done: string[] = [];
    void queue.run(async () => {
      void queue.run(async () => {
        done.push('queued meanwhile');
      });
      done.push('first');
    });
    await queue.idle();
    expect(done).toEqual(['first', 'queued meanwhile']);
  });
});
