import { describe, expect, it } from 'vitest';
import { formatLocale, formattersFor } from './format.js';

describe('formatLocale', () => {
  it("takes the browser's region when it speaks the chosen language", () => {
    expect(formatLocale('en', ['en-GB', 'en'])).toBe('en-GB');
    expect(formatLocale('en', ['de-DE', 'en-AU', 'en-GB'])).toBe('en-AU');
    expect(formatLocale('zh-CN', ['zh-SG', 'en-US'])).toBe('zh-SG');
  });

  it('keeps the chosen language when the browser has no region of it, or another script', () => {
    expect(formatLocale('en', ['zh-CN', 'fr-FR'])).toBe('en');
    expect(formatLocale('en', ['en'])).toBe('en');
    expect(formatLocale('zh-CN', ['zh-TW', 'zh-HK'])).toBe('zh-CN');
    expect(formatLocale('zh-CN', [])).toBe('zh-CN');
    expect(formatLocale('en', ['not a tag', 'en-IE'])).toBe('en-IE');
  });

  it('gives a British reader a 24-hour clock and an American one AM/PM', () => {
    const at = Date.UTC(2026, 11, 6, 15, 4, 5);
    const gb = formattersFor(formatLocale('en', ['en-GB'])).dateTime(at);
    const us = formattersFor(formatLocale('en', ['en-US'])).dateTime(at);
    expect(gb).not.toMatch(/AM|PM/);
    expect(us).toMatch(/AM|PM/);
    expect(gb.indexOf('6')).toBeLessThan(gb.indexOf('Dec'));
  });
});
