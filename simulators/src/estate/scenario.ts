import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlFile, validateFile } from '@caretaker/protocol/yaml-file';
import { faultDefinition } from '../faults/catalogue.js';
import type { DeviceKind, DevicePlan, EstatePlan, FaultPlan, SerialLinePlan } from './plan.js';
import { type Scenario, scenarioSchema } from './scenario.schema.js';

/** Absolute path of `simulators/scenarios/`, where the shipped scenarios live. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** The scenario `npm start` runs. */
export const DEFAULT_SCENARIO = 'default-estate';

/** The file a scenario name or path refers to: a bare name means `SCENARIOS_DIR/<name>.yaml`. */
export function scenarioPath(nameOrPath: string): string {
  const isPath = nameOrPath.includes('/') || nameOrPath.includes('\\') || /\.ya?ml$/i.test(nameOrPath);
  return isPath ? path.resolve(nameOrPath) : path.join(SCENARIOS_DIR, `${nameOrPath}.yaml`);
}

/** Thrown for a scenario that does not validate; the message names the file and every field. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Validates parsed scenario data; every problem is reported at once, each with its field. */
export function parseScenario(data: unknown, source = 'scenario'): Scenario {
  return validateFile(scenarioSchema, data, source, scenarioError);
}

const scenarioError = (message: string) => new ScenarioError(message);

export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const file = scenarioPath(nameOrPath);
  const source = `scenario ${file}`;
  return parseScenario(await readYamlFile(file, source, scenarioError), source);
}

/** Device ids: `<building>-pump-1`, `<building>-lift-2`, `<building>-power-meter`... */
const ID_SUFFIX: Record<DeviceKind, string> = {
  booster_pump: 'pump',
  sewage_pump: 'sewage-pump',
  elevator: 'lift',
  power_meter: 'power-meter',
  water_meter: 'water-meter',
  gas_meter: 'gas-meter',
};

/**
 * Turns a validated scenario into an estate plan: device ids, Modbus unit ids and ports (a
 * building's bus behind its own port, as a serial-to-Ethernet gateway per plant room; another
 * port when a building has more devices than `units_per_port`), serial lines, and faults.
 */
export function compileScenario(scenario: Scenario, source = 'scenario'): EstatePlan {
  const devices: DevicePlan[] = [];
  const serialLines: SerialLinePlan[] = [];
  const problems: string[] = [];
  let tcpPorts = 0;
  scenario.sites.forEach((site, s) => {
    site.buildings.forEach((building, b) => {
      const counts = building.devices;
      const place = { site: site.id, building: building.id, floors: building.floors, size: building.size };
      const numbered = (kind: DeviceKind, n: number) =>
        Array.from({ length: n }, (_, i) => ({ kind, id: `${building.id}-${ID_SUFFIX[kind]}-${i + 1}` }));
      const single = (kind: DeviceKind, present: boolean) =>
        present ? [{ kind, id: `${building.id}-${ID_SUFFIX[kind]}` }] : [];
      // The meter first: unit 1 of a building's bus is its power room, as installers tend to do.
      const modbus = [
        ...single('power_meter', counts.power_meter),
        ...numbered('booster_pump', counts.booster_pumps),
        ...numbered('sewage_pump', counts.sewage_pumps),
        ...single('water_meter', counts.water_meter),
        ...single('gas_meter', counts.gas_meter),
      ];
      if (building.rtu) {
        if (modbus.length > 247) {
          problems.push(
            `sites.${s}.buildings.${b}.devices: ${modbus.length} Modbus devices do not fit on one serial line (247 at most)`,
          );
        }
        const line = serialLines.length;
        serialLines.push({ path: building.rtu.path, baudRate: building.rtu.baud_rate });
        modbus.forEach((device, i) => {
          devices.push({
            ...device,
            ...place,
            seed: 0,
            transport: { protocol: 'modbus-rtu', line, unitId: i + 1 },
          });
        });
      } else {
        modbus.forEach((device, i) => {
          const port = tcpPorts + Math.floor(i / scenario.units_per_port);
          const unitId = (i % scenario.units_per_port) + 1;
          devices.push({ ...device, ...place, seed: 0, transport: { protocol: 'modbus-tcp', port, unitId } });
        });
        tcpPorts += Math.ceil(modbus.length / scenario.units_per_port);
      }
      for (const device of numbered('elevator', counts.elevators)) {
        devices.push({ ...device, ...place, seed: 0, transport: { protocol: 'opcua' } });
      }
    });
  });
  devices.forEach((device, index) => {
    device.seed = (scenario.seed + index * 7919) >>> 0;
  });

  const ids = new Set(devices.map((d) => d.id));
  const faults: FaultPlan[] = [];
  scenario.faults.forEach((fault, i) => {
    if (!ids.has(fault.device)) {
      problems.push(`faults.${i}.device: no device ${fault.device} in the estate`);
      return;
    }
    faults.push(toFaultPlan(fault));
  });
  if (problems.length > 0) throw new ScenarioError(`${source}: ${problems.join('; ')}`);

  return {
    name: scenario.name,
    seed: scenario.seed,
    timeFactor: scenario.time_factor,
    dayMs: scenario.day_length,
    startHour: scenario.start_hour,
    devices,
    tcpPorts,
    serialLines,
    faults,
  };
}

/** Resolves the defaults of a fault request: onset per kind, onset time = duration. */
export function toFaultPlan(fault: Scenario['faults'][number]): FaultPlan {
  const durationMs = fault.duration ?? (fault.end !== undefined ? fault.end - fault.start : null);
  return {
    device: fault.device,
    kind: fault.kind,
    startMs: fault.start,
    durationMs,
    onset: fault.onset ?? faultDefinition(fault.kind).defaultOnset,
    onsetMs: fault.onset_time ?? durationMs ?? 0,
    severity: fault.severity,
    ...(fault.point !== undefined ? { point: fault.point } : {}),
    ...(fault.delay_ms !== undefined ? { delayMs: fault.delay_ms } : {}),
    ...(fault.exception_code !== undefined ? { exceptionCode: fault.exception_code } : {}),
  };
}
