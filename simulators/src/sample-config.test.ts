import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KIND_PROFILES } from './estate/plan.js';
import { compileScenario, DEFAULT_SCENARIO, loadScenario } from './estate/scenario.js';

const SAMPLE = fileURLToPath(new URL('../../gateway/config/sample.yaml', import.meta.url));

/** The CLI's default ports, which `npm start` uses. */
const MODBUS_BASE_PORT = 5020;
const OPCUA_PORT = 4840;

interface SampleDevice {
  id: string;
  protocol: string;
  endpoint: string;
  unit_id?: number;
  profile?: string;
}

describe('gateway/config/sample.yaml and the default estate', () => {
  it('polls exactly the default estate: ids, profiles, protocols, ports and unit ids', async () => {
    const text = await readFile(SAMPLE, 'utf8');
    // The sample's endpoints keep the simulator host configurable; its default is what counts.
    const config = parseYaml(text.replaceAll(/\$\{SIMULATOR_HOST:-([^}]*)\}/g, '$1')) as {
      devices: SampleDevice[];
    };
    const plan = compileScenario(await loadScenario(DEFAULT_SCENARIO));
    const expected = plan.devices.map((device) => {
      const profile = KIND_PROFILES[device.kind].profile;
      const transport = device.transport;
      if (transport.protocol === 'modbus-tcp') {
        return {
          id: device.id,
          protocol: 'modbus-tcp',
          profile,
          endpoint: `127.0.0.1:${MODBUS_BASE_PORT + transport.port}`,
          unit_id: transport.unitId,
        };
      }
      return {
        id: device.id,
        protocol: transport.protocol,
        profile,
        endpoint: `opc.tcp://127.0.0.1:${OPCUA_PORT}`,
      };
    });
    const actual = config.devices.map((device) => ({
      id: device.id,
      protocol: device.protocol,
      profile: device.profile,
      endpoint: device.endpoint,
      ...(device.unit_id !== undefined ? { unit_id: device.unit_id } : {}),
    }));
    expect(actual).toEqual(expected);
  });

  it('is an estate of a few buildings with every kind of device and a slow fault', async () => {
    const plan = compileScenario(await loadScenario(DEFAULT_SCENARIO));
    expect(plan.devices.length).toBeGreaterThanOrEqual(12);
    expect(plan.devices.length).toBeLessThanOrEqual(25);
    expect(new Set(plan.devices.map((d) => d.kind))).toEqual(
      new Set(['booster_pump', 'sewage_pump', 'elevator', 'power_meter', 'water_meter', 'gas_meter']),
    );
    const wear = plan.faults.find((f) => f.kind === 'bearing_wear');
    expect(wear).toBeDefined();
    // Visible within minutes: fully developed in under ten real minutes.
    expect(((wear?.startMs ?? 0) + (wear?.onsetMs ?? 0)) / plan.timeFactor).toBeLessThan(10 * 60_000);
  });
});
