import { describe, expect, it } from 'vitest';
import { startModbusTestServer } from '../testing/modbus-test-server.js';
import { formatInterpretations, interpretWindow, readWindow } from './probe.js';

describe('probe', () => {
  it('shows every interpretation of a window, so the right layout can be recognised', () => {
    // 123.456 as float32 in CDAB (word order little): the device's layout is found by eye.
    const rows = interpretWindow([0xe979, 0x42f6, 0x4142, 0x4300], 100);
    const float = rows.find((r) => r.type === 'float32' && r.address === 100);
    expect(float?.values.CDAB).toBe('123.456001');
    expect(float?.values.ABCD).not.toBe('123.456001');
    const first = rows.find((r) => r.type === '16-bit' && r.address === 100);
    expect(first?.values).toMatchObject({
      hex: '0xE979',
      uint16: '59769',
      int16: '-5767',
      bits: '1110 1001 0111 1001',
    });
    // Every 32-bit start (3) × 3 types, and one 64-bit start × 3 types.
    expect(rows.filter((r) => ['uint32', 'int32', 'float32'].includes(r.type))).toHaveLength(9);
    expect(rows.filter((r) => ['uint64', 'int64', 'float64'].includes(r.type))).toHaveLength(3);
    const text = formatInterpretations(rows);
    expect(text).toContain('CDAB (word little, byte big)');
    expect(text).toMatch(/100 +float32 .*123\.456001/);
    expect(text).toContain('byte_order big:');
  });

  it('reads a window from a real device', async () => {
    const server = await startModbusTestServer({ 3: { input: { 10: 0x42f6, 11: 0xe979 } } });
    try {
      const result = await readWindow({
        link: { kind: 'tcp', host: server.host, port: server.port },
        unit: 3,
        table: 'input',
        address: 10,
        count: 2,
        timeoutMs: 1000,
      });
      expect(result.words).toEqual([0x42f6, 0xe979]);
      await expect(
        readWindow({
          link: { kind: 'tcp', host: server.host, port: server.port },
          unit: 3,
          table: 'input',
          address: 50,
          count: 1,
          timeoutMs: 1000,
        }),
      ).rejects.toMatchObject({ modbusCode: 2 });
    } finally {
      await server.close();
    }
  });
});
