import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  it('keeps the newest items and counts what it dropped', () => {
    const queue = new BoundedQueue<number>(3);
    expect([1, 2, 3].map((n) => queue.push(n))).toEqual([undefined, undefined, undefined]);
    expect(queue.push(4)).toBe(1);
    expect(queue.push(5)).toBe(2);
    expect(queue.size).toBe(3);
    expect(queue.dropped).toBe(2);
    expect(queue.drain()).toEqual([3, 4, 5]);
    expect(queue.size).toBe(0);
  });

  it('stays bounded and in order over many items', () => {
    const queue = new BoundedQueue<number>(1000);
    for (let i = 0; i < 100_000; i++) queue.push(i);
    expect(queue.size).toBe(1000);
    expect(queue.dropped).toBe(99_000);
    expect(queue.shift()).toBe(99_000);
    const rest = queue.drain();
    expect(rest[0]).toBe(99_001);
    expect(rest.at(-1)).toBe(99_999);
  });

  it('refuses a capacity below one', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
