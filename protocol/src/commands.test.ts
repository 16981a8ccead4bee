import { describe, expect, it } from 'vitest';
import { commandRequestSchema, commandResponseSchema } from './commands.js';
import { parsePayload } from './payloads.js';

const request = { v: 1, id: 'cmd-1', point: 'run_command', value: true, ts: 1_700_000_000_000 };

describe('command payloads', () => {
  it('accepts a request and a correlated response', () => {
    expect(parsePayload(commandRequestSchema, JSON.stringify(request))).toEqual({ ok: true, value: request });
    const full = { ...request, value: 4.5, ttl_ms: 5000, verify: false };
    expect(parsePayload(commandRequestSchema, JSON.stringify(full)).ok).toBe(true);
    const response = {
      v: 1,
      id: 'cmd-1',
      device: 'pump-1',
      point: 'run_command',
      status: 'ok',
      ts: 1_700_000_000_100,
      value: true,
    };
    expect(parsePayload(commandResponseSchema, JSON.stringify(response))).toEqual({
      ok: true,
      value: response,
    });
  });

  it.each([
    [{ ...request, id: '' }, 'id:'],
    [{ ...request, id: 'a/b' }, 'id:'],
    [{ ...request, value: 'on' }, 'value:'],
    [{ ...request, value: null }, 'value:'],
    [{ ...request, ttl_ms: 0 }, 'ttl_ms:'],
    [{ ...request, point: '#' }, 'point:'],
    [{ ...request, extra: 1 }, 'extra'],
  ])('rejects a bad request and names the field (%#)', (bad, field) => {
    const result = parsePayload(commandRequestSchema, JSON.stringify(bad));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(field);
  });

  it('rejects a response with an unknown status', () => {
    const result = parsePayload(
      commandResponseSchema,
      JSON.stringify({ v: 1, id: 'x', device: 'd', point: 'p', status: 'maybe', ts: 1 }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('status:');
  });
});
