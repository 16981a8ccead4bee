import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('grants the burst at once, then the rate over time, never more than the burst', () => {
    let t = 0;
    const bucket = new TokenBucket({ ratePerS: 100, burst: 10, now: () => t });
    expect(bucket.take(50)).toBe(10);
    expect(bucket.take(1)).toBe(0);
    t += 50; // 5 tokens
    expect(bucket.take(50)).toBe(5);
    t += 10_000; // far more than the burst
    expect(bucket.available()).toBe(10);
    expect(bucket.take(3)).toBe(3);
    expect(bucket.take(100)).toBe(7);
  });

  it('replays 1000 batches in 10 s at 100 per second', () => {
    let t = 0;
    const bucket = new TokenBucket({ ratePerS: 100, burst: 5, now: () => t });
    let sent = 0;
    while (sent < 1000) {
      sent += bucket.take(1000 - sent);
      if (sent < 1000) t += 50;
    }
    // 5 at once, then 100 per second: 995 more take 9.95 s.
    expect(t).toBe(9950);
  });

  it('refuses a rate or burst that cannot work', () => {
    expect(() => new TokenBucket({ ratePerS: 0, burst: 1, now: () => 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerS: 1, burst: 0, now: () => 0 })).toThrow(RangeError);
  });
});
