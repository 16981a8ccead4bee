import { spawn } from 'node:child_process';
import { parsePayload, telemetryBatchSchema } from '@caretaker/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../support/require-binary.js';
import { GATEWAY, SITE, type Stack, startStack } from '../support/stack.js';

const installed = requireBinary('mosquitto_sub', 'apt-get install mosquitto-clients');

/** Runs mosquitto_sub until it has printed `count` messages (-C) or `timeoutS` passed (-W). */
function mosquittoSub(port: number, topic: string, count: number, timeoutS: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      topic,
      '-C',
      String(count),
      '-W',
      String(timeoutS),
      '-q',
      '1',
      '-v',
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`mosquitto_sub exited with ${code}: ${err}`));
      else resolve(out.trim().split('\n'));
    });
  });
}

describe.runIf(installed)('the embedded broker is a standard MQTT broker', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves live telemetry to mosquitto_sub', async () => {
    const port = Number(new URL(stack.hub.mqttUrl).port);
    const lines = await mosquittoSub(port, `caretaker/v1/${SITE}/${GATEWAY}/device/pump-1/telemetry`, 2, 30);
    expect(lines).toHaveLength(2);
    const seqs: number[] = [];
    for (const line of lines) {
      const space = line.indexOf(' ');
      expect(line.slice(0, space)).toBe(`caretaker/v1/${SITE}/${GATEWAY}/device/pump-1/telemetry`);
      const parsed = parsePayload(telemetryBatchSchema, line.slice(space + 1));
      if (!parsed.ok) throw new Error(parsed.error);
      expect(parsed.value.device).toBe('pump-1');
      seqs.push(parsed.value.seq);
    }
    expect(seqs[1]).toBeGreaterThan(seqs[0] ?? Number.POSITIVE_INFINITY);
  });

  it('keeps the retained gateway status for late subscribers', async () => {
    const port = Number(new URL(stack.hub.mqttUrl).port);
    const [line] = await mosquittoSub(port, `caretaker/v1/${SITE}/${GATEWAY}/status`, 1, 10);
    expect(line).toContain('"state":"online"');
  });
});
