import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DeviceProfile,
  deviceProfileSchema,
  type ModbusProfile,
  type OpcuaProfile,
  registerCount,
} from '@caretaker/protocol';
import { readYamlFile, validateFile } from '@caretaker/protocol/yaml-file';

/** Absolute path of `simulators/profiles/`, where the device profiles live. */
export const PROFILES_DIR = fileURLToPath(new URL('../profiles/', import.meta.url));

/** The file a profile name or path refers to: a bare name means `PROFILES_DIR/<name>.yaml`. */
export function profilePath(nameOrPath: string): string {
  const isPath = nameOrPath.includes('/') || nameOrPath.includes('\\') || /\.ya?ml$/i.test(nameOrPath);
  return isPath ? path.resolve(nameOrPath) : path.join(PROFILES_DIR, `${nameOrPath}.yaml`);
}

/**
 * Reads and validates a device profile. Every error names the file and the field
 * (`pump-controller.yaml: points.3.address: ...`), and all problems are reported at once.
 */
export async function loadProfile(nameOrPath: string): Promise<DeviceProfile> {
  const file = profilePath(nameOrPath);
  const source = `profile ${file}`;
  const profile = validateFile(deviceProfileSchema, await readYamlFile(file, source), source);
  const problems = checkProfile(profile);
  if (problems.length > 0) {
    throw new Error(`${source}: ${problems.join('; ')}`);
  }
  return profile;
}

export async function loadModbusProfile(nameOrPath: string): Promise<ModbusProfile> {
  const profile = await loadProfile(nameOrPath);
  if (profile.protocol !== 'modbus') {
    throw new Error(`profile ${profilePath(nameOrPath)}: protocol: expected modbus, got ${profile.protocol}`);
  }
  return profile;
}

export async function loadOpcuaProfile(nameOrPath: string): Promise<OpcuaProfile> {
  const profile = await loadProfile(nameOrPath);
  if (profile.protocol !== 'opcua') {
    throw new Error(`profile ${profilePath(nameOrPath)}: protocol: expected opcua, got ${profile.protocol}`);
  }
  return profile;
}

/**
 * Rules the schema cannot express: point names are unique, and no two Modbus points share a
 * register unless both are bits of it (a status word split into flags).
 */
export function checkProfile(profile: DeviceProfile): string[] {
  const problems: string[] = [];
  const names = new Map<string, number>();
  profile.points.forEach((point, index) => {
    const first = names.get(point.name);
    if (first !== undefined) {
      problems.push(`points.${index}.name: duplicate point name ${point.name} (also points.${first})`);
    } else {
      names.set(point.name, index);
    }
  });
  if (profile.protocol !== 'modbus') return problems;

  const owners = new Map<string, { index: number; bit: boolean }>();
  profile.points.forEach((point, index) => {
    const isBitTable = point.table === 'coil' || point.table === 'discrete';
    if (isBitTable && point.type !== 'bool') {
      problems.push(`points.${index}.type: a ${point.table} holds single bits, so the type must be bool`);
      return;
    }
    const isRegisterBit = !isBitTable && point.type === 'bool';
    const count = isBitTable ? 1 : registerCount(point.type);
    if (point.address + count > 65536) {
      problems.push(`points.${index}.address: ${point.type} at ${point.address} runs past register 65535`);
      return;
    }
    for (let address = point.address; address < point.address + count; address++) {
      const key = `${point.table}:${address}`;
      const owner = owners.get(key);
      if (owner && !(owner.bit && isRegisterBit)) {
        problems.push(
          `points.${index}.address: ${point.table} ${address} is already used by points.${owner.index}`,
        );
        break;
      }
      owners.set(key, { index, bit: isRegisterBit });
    }
  });
  return problems;
}
