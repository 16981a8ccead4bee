// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are configuration placeholders, not templates
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { DEFAULT_PROFILES_DIR, loadGatewayConfig, resolveGatewayConfig } from './load-config.js';

let dir: string;

const PUMP_PROFILE = `
profile: test-pump
protocol: modbus
device_type: pump
word_order: little
points:
  - { name: flow, address: 1, type: uint16, scale: 0.1, unit: m3/h }
  - { name: hours, address: 9, type: uint32 }
`;
const LIFT_PROFILE = `
profile: test-lift
protocol: opcua
device_type: elevator
points:
  - { name: floor, node_id: "ns=1;s={device}.floor" }
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caretaker-gw-config-'));
  await mkdir(path.join(dir, 'profiles'));
  await writeFile(path.join(dir, 'profiles', 'test-pump.yaml'), PUMP_PROFILE);
  await writeFile(path.join(dir, 'profiles', 'test-lift.yaml'), LIFT_PROFILE);
  await writeFile(
    path.join(dir, 'profiles', 'broken.yaml'),
    'profile: broken\nprotocol: modbus\npoints: []\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ConfigError a promise rejects with (fails the test if it resolves or throws another error). */
async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('resolveGatewayConfig', () => {
  it('resolves a good configuration: defaults, profiles, overrides, node ids', async () => {
    const config = await resolveGatewayConfig(
      {
        site: 'estate-1',
        gateway: 'gw-1',
        profiles_dir: 'profiles',
        devices: [
          {
            id: 'pump-1',
            protocol: 'modbus-tcp',
            endpoint: '10.0.0.5:5020',
            unit_id: 3,
            profile: 'test-pump',
            word_order: 'big',
            points: [
              { name: 'flow', address: 2, type: 'uint16', scale: 0.01, unit: 'm3/h' },
              { name: 'running', table: 'coil', address: 0, type: 'bool' },
            ],
          },
          { id: 'lift-1', protocol: 'opcua', endpoint: 'opc.tcp://10.0.0.6:4840', profile: 'test-lift' },
          {
            id: 'meter-9',
            protocol: 'modbus-tcp',
            endpoint: 'meter.local',
            device_type: 'power_meter',
            points: [{ name: 'kwh', table: 'input', address: 0, type: 'float32' }],
          },
        ],
      },
      dir,
      { env: {} },
    );

    expect(config.mqtt).toEqual({
      url: 'mqtt://localhost:1883',
      client_id: 'caretaker-estate-1-gw-1',
      keepalive_s: 30,
      max_inflight: 1000,
    });
    expect(config.spool).toEqual({
      storage: 'sqlite',
      max_bytes: 256 * 1024 * 1024,
      max_age_s: 604_800,
      flush_interval_ms: 200,
      replay_rate: 500,
    });
    expect(config.metrics).toEqual({ stats_interval_s: 10 });
    expect(config.profiles_dir).toBe(path.join(dir, 'profiles'));
    expect(path.isAbsolute(config.data_dir)).toBe(true);

    const [pump, lift, meter] = config.devices;
    expect(pump).toMatchObject({
      id: 'pump-1',
      protocol: 'modbus-tcp',
      device_type: 'pump',
      profile: 'test-pump',
      link: { kind: 'tcp', host: '10.0.0.5', port: 5020 },
      unit_id: 3,
      poll_interval_ms: 1000,
      timeout_ms: 1000,
      max_gap_registers: 124,
    });
    // Profile order, the inline `flow` replacing the profile's, the inline `running` appended.
    const pumpPoints = pump?.protocol === 'modbus-tcp' ? pump.points : [];
    expect(pumpPoints.map((p) => [p.name, p.address, p.word_order])).toEqual([
      ['flow', 2, 'big'],
      // The device's default overrides the profile's (little), and is applied to each point.
      ['hours', 9, 'big'],
      ['running', 0, 'big'],
    ]);
    expect(lift).toMatchObject({
      device_type: 'elevator',
      points: [{ name: 'floor', node_id: 'ns=1;s=lift-1.floor' }],
    });
    expect(meter).toMatchObject({ link: { kind: 'tcp', host: 'meter.local', port: 502 }, unit_id: 1 });
  });

  it('reports every error at once, each with its path', async () => {
    const error = await configError(
      resolveGatewayConfig(
        {
          site: 'bad site',
          gateway: 'gw-1',
          mqtt: { url: 'http://broker', keepalive_s: -1, extra: true },
          profiles_dir: 'profiles',
          devices: [
            {
              id: 'pump-1',
              protocol: 'modbus-tcp',
              endpoint: '10.0.0.5:70000',
              unit_id: 0,
              profile: 'test-pump',
            },
            {
              id: 'pump-1',
              protocol: 'modbus-tcp',
              endpoint: '10.0.0.5',
              unit_id: 248,
              poll_interval_ms: 50,
            },
            { id: 'x', protocol: 'bacnet', endpoint: 'somewhere' },
            {
              id: 'lift-1',
              protocol: 'opcua',
              endpoint: 'tcp://10.0.0.6',
              points: [{ name: 'floor', address: 3 }],
            },
          ],
        },
        dir,
        { env: {} },
      ),
    );
    // Order follows the schema's key order; what matters is that every problem is there.
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      [
        'site',
        'mqtt.url',
        'mqtt.keepalive_s',
        'mqtt',
        'devices.0.endpoint',
        'devices.0.unit_id',
        'devices.1.unit_id',
        'devices.1.poll_interval_ms',
        'devices.2.protocol',
        'devices.3.endpoint',
        'devices.3.points.0.node_id',
        'devices.3.points.0',
        'devices.1.id',
      ].sort(),
    );
    expect(error.issues.find((issue) => issue.path === 'devices.1.id')?.message).toMatch(
      /duplicate device id "pump-1"/,
    );
    expect(error.issues.find((issue) => issue.path === 'mqtt')?.message).toMatch(/extra/);
    // The message lists every issue, one per line, for the command line.
    expect(error.message.split('\n')).toHaveLength(error.issues.length + 1);
  });

  it('refuses the removed mqtt.max_queued_messages and says what bounds the queue now', async () => {
    const error = await configError(
      resolveGatewayConfig(
        { site: 's', gateway: 'g', mqtt: { max_queued_messages: 1000 }, devices: [] },
        dir,
        { env: {} },
      ),
    );
    expect(error.issues).toContainEqual({
      path: 'mqtt.max_queued_messages',
      message: expect.stringMatching(/spool\.max_bytes.*max_inflight/),
    });
  });

  it('reports profile problems against the device that uses them', async () => {
    const error = await configError(
      resolveGatewayConfig(
        {
          site: 's',
          gateway: 'g',
          profiles_dir: 'profiles',
          devices: [
            { id: 'a', protocol: 'modbus-tcp', endpoint: 'h:502', profile: 'no-such-profile' },
            { id: 'b', protocol: 'opcua', endpoint: 'opc.tcp://h:4840', profile: 'test-pump' },
            { id: 'c', protocol: 'modbus-tcp', endpoint: 'h:502', profile: 'broken' },
            { id: 'd', protocol: 'modbus-tcp', endpoint: 'h:502' },
            {
              id: 'e',
              protocol: 'modbus-tcp',
              endpoint: 'h:502',
              device_type: 'pump',
              points: [
                { name: 'p', address: 0 },
                { name: 'p', address: 1 },
              ],
            },
          ],
        },
        dir,
        { env: {} },
      ),
    );
    expect(error.issues).toEqual([
      { path: 'devices.0.profile', message: expect.stringMatching(/profile "no-such-profile" not found/) },
      {
        path: 'devices.1.profile',
        message: expect.stringMatching(/for modbus devices, this device uses opcua/),
      },
      {
        path: 'devices.2.profile',
        message: expect.stringMatching(/broken\.yaml is invalid: device_type: .*points: /),
      },
      { path: 'devices.3.device_type', message: 'required when the device has no profile' },
      { path: 'devices.3.points', message: 'a device needs a profile or at least one point' },
      { path: 'devices.4.points.1.name', message: 'duplicate point name "p"' },
    ]);
  });

  describe('environment interpolation', () => {
    const raw = (mqtt: Record<string, unknown>, device: Record<string, unknown> = {}) => ({
      site: 's',
      gateway: 'g',
      mqtt,
      devices: [
        {
          id: 'm',
          protocol: 'modbus-tcp',
          endpoint: 'h:502',
          device_type: 'pump',
          points: [{ name: 'p', address: 0 }],
          ...device,
        },
      ],
    });

    it('substitutes ${VAR} and ${VAR:-default} in string values, numbers included', async () => {
      const config = await resolveGatewayConfig(
        raw(
          {
            url: '${MQTT_URL:-mqtt://localhost:1883}',
            username: '${MQTT_USER}',
            password: 'pa$$word-${MQTT_PASSWORD}',
            client_id: '${EMPTY:-fallback-id}',
          },
          { poll_interval_ms: '${POLL_MS:-2500}', endpoint: '${PLC_HOST}:502' },
        ),
        dir,
        { env: { MQTT_USER: 'gw', MQTT_PASSWORD: 's3cret', EMPTY: '', PLC_HOST: '192.168.1.7' } },
      );
      expect(config.mqtt).toMatchObject({
        url: 'mqtt://localhost:1883',
        username: 'gw',
        password: 'pa$word-s3cret',
        client_id: 'fallback-id',
      });
      expect(config.devices[0]).toMatchObject({ poll_interval_ms: 2500, link: { host: '192.168.1.7' } });
    });

    it('prefers the environment over the default', async () => {
      const config = await resolveGatewayConfig(raw({ url: '${MQTT_URL:-mqtt://localhost:1883}' }), dir, {
        env: { MQTT_URL: 'mqtts://broker.example:8883' },
      });
      expect(config.mqtt.url).toBe('mqtts://broker.example:8883');
    });

    it('names the field of an unset variable or a malformed placeholder', async () => {
      const error = await configError(
        resolveGatewayConfig(
          raw({ password: '${MQTT_PASSWORD}', username: '${1BAD}' }, { endpoint: '${HOST' }),
          dir,
          {
            env: {},
          },
        ),
      );
      expect(error.issues.slice(0, 3)).toEqual([
        { path: 'mqtt.password', message: expect.stringMatching(/MQTT_PASSWORD is not set/) },
        { path: 'mqtt.username', message: expect.stringMatching(/malformed placeholder/) },
        { path: 'devices.0.endpoint', message: expect.stringMatching(/unterminated placeholder/) },
      ]);
    });
  });
});

describe('acquisition, addressing, transports and commands', () => {
  it('resolves scan classes, deadbands, 1-based addresses, strings and the allow-list', async () => {
    const config = await resolveGatewayConfig(
      {
        site: 's',
        gateway: 'g',
        profiles_dir: 'profiles',
        devices: [
          {
            id: 'pump-1',
            protocol: 'modbus-tcp',
            endpoint: '10.0.0.5',
            profile: 'test-pump',
            report_on_change: true,
            heartbeat_s: 30,
            address_base: 1,
            point_options: { flow: { poll_interval_ms: 100, deadband: 0.5 } },
            points: [
              { name: 'serial', address: 20, type: 'string', length: 4 },
              { name: 'zero_based', address: 0, address_base: 0 },
              { name: 'setpoint', address: 31, type: 'float32' },
            ],
            writable: [{ point: 'setpoint', min: 0, max: 10 }],
          },
        ],
      },
      dir,
      { env: {} },
    );
    const pump = config.devices[0];
    if (pump?.protocol !== 'modbus-tcp') throw new Error('expected a Modbus device');
    const byName = Object.fromEntries(pump.points.map((p) => [p.name, p]));
    // Profile points are 1-based too here: the device sets address_base 1.
    expect(byName.flow).toMatchObject({
      address: 0,
      poll_interval_ms: 100,
      deadband: 0.5,
      report_on_change: true,
    });
    expect(byName.hours).toMatchObject({
      address: 8,
      poll_interval_ms: 1000,
      heartbeat_ms: 30_000,
      word_order: 'little',
    });
    expect(byName.serial).toMatchObject({ address: 19, type: 'string', length: 4 });
    expect(byName.zero_based).toMatchObject({ address: 0 });
    expect(pump.writable).toEqual([{ point: 'setpoint', min: 0, max: 10, verify: true }]);
  });

  it('resolves RTU on a serial line and RTU over TCP, with a gap that follows the line speed', async () => {
    const config = await resolveGatewayConfig(
      {
        site: 's',
        gateway: 'g',
        devices: [
          {
            id: 'a',
            protocol: 'modbus-rtu',
            endpoint: '/dev/ttyUSB0',
            device_type: 'pump',
            serial: { baud_rate: 9600 },
            points: [{ name: 'x', address: 0 }],
          },
          {
            id: 'b',
            protocol: 'modbus-rtu-tcp',
            endpoint: '10.0.0.9:4001',
            device_type: 'pump',
            points: [{ name: 'x', address: 0 }],
          },
        ],
      },
      dir,
      { env: {} },
    );
    expect(config.devices[0]).toMatchObject({
      link: {
        kind: 'rtu',
        path: '/dev/ttyUSB0',
        baud_rate: 9600,
        data_bits: 8,
        parity: 'even',
        stop_bits: 1,
      },
      max_gap_registers: 12,
    });
    expect(config.devices[1]).toMatchObject({
      link: { kind: 'rtu-tcp', host: '10.0.0.9', port: 4001 },
      max_gap_registers: 12,
    });
  });

  it('names every acquisition, addressing, serial and allow-list problem by its path', async () => {
    const error = await configError(
      resolveGatewayConfig(
        {
          site: 's',
          gateway: 'g',
          spool: { flush_interval_ms: 5000, storage: 'tape' },
          metrics: { listen: 'nope:99999' },
          profiles_dir: 'profiles',
          devices: [
            {
              id: 'p',
              protocol: 'modbus-tcp',
              endpoint: '10.0.0.5',
              profile: 'test-pump',
              point_options: { flw: { deadband: 1 } },
              address_base: 1,
              points: [
                { name: 'zero', address: 0 },
                { name: 'text', address: 5, type: 'string' },
              ],
              writable: [{ point: 'ghost' }, { point: 'zero', min: 5, max: 1 }],
            },
            {
              id: 'r1',
              protocol: 'modbus-rtu',
              endpoint: '/dev/ttyS1',
              device_type: 'pump',
              points: [{ name: 'x', address: 0 }],
            },
            {
              id: 'r2',
              protocol: 'modbus-rtu',
              endpoint: '/dev/ttyS1',
              device_type: 'pump',
              serial: { baud_rate: 19200 },
              points: [{ name: 'x', address: 0 }],
            },
            {
              id: 'r3',
              protocol: 'modbus-rtu',
              endpoint: 'COM3',
              device_type: 'pump',
              points: [{ name: 'x', address: 0 }],
            },
            {
              id: 'l',
              protocol: 'opcua',
              endpoint: 'opc.tcp://h:4840',
              mode: 'push',
              device_type: 'elevator',
              points: [],
            },
          ],
        },
        dir,
        { env: {} },
      ),
    );
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      [
        'spool.storage',
        'spool.flush_interval_ms',
        'metrics.listen',
        'devices.0.writable.1.min',
        'devices.3.endpoint',
        'devices.4.mode',
      ].sort(),
    );
    // The rest is found once the schema passes: fix those and the next layer shows.
    const second = await configError(
      resolveGatewayConfig(
        {
          site: 's',
          gateway: 'g',
          profiles_dir: 'profiles',
          devices: [
            {
              id: 'p',
              protocol: 'modbus-tcp',
              endpoint: '10.0.0.5',
              profile: 'test-pump',
              point_options: { flw: { deadband: 1 } },
              address_base: 1,
              points: [
                { name: 'zero', address: 0 },
                { name: 'text', address: 5, type: 'string' },
              ],
              writable: [{ point: 'ghost' }, { point: 'hours' }],
            },
            {
              id: 'r1',
              protocol: 'modbus-rtu',
              endpoint: '/dev/ttyS1',
              device_type: 'pump',
              points: [{ name: 'x', address: 0 }],
            },
            {
              id: 'r2',
              protocol: 'modbus-rtu',
              endpoint: '/dev/ttyS1',
              device_type: 'pump',
              serial: { baud_rate: 19200 },
              points: [{ name: 'x', address: 0 }],
            },
          ],
        },
        dir,
        { env: {} },
      ),
    );
    expect(second.issues).toEqual([
      { path: 'devices.0.points.0.address', message: 'zero: address 0 is below address_base 1' },
      { path: 'devices.0.points.1.length', message: 'text: a string point needs a length (registers)' },
      { path: 'devices.0.point_options.flw', message: 'no point named "flw"' },
      { path: 'devices.0.writable.0.point', message: 'no point named "ghost"' },
      { path: 'devices.2.serial', message: expect.stringMatching(/\/dev\/ttyS1 is also used by devices.1/) },
    ]);
  });
});

describe('loadGatewayConfig', () => {
  it('reads a YAML file and resolves paths against its folder', async () => {
    const file = path.join(dir, 'gateway.yaml');
    await writeFile(
      file,
      [
        'site: s',
        'gateway: g',
        'profiles_dir: ./profiles',
        'data_dir: ./data',
        'devices:',
        '  - { id: lift-1, protocol: opcua, endpoint: "opc.tcp://127.0.0.1:4840", profile: test-lift }',
      ].join('\n'),
    );
    const config = await loadGatewayConfig(file, { env: {} });
    expect(config.data_dir).toBe(path.join(dir, 'data'));
    expect(config.devices[0]?.points).toHaveLength(1);
  });

  it('reports YAML syntax errors and names the file', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'site: s\ndevices: [\n');
    const error = await configError(loadGatewayConfig(file));
    expect(error.issues[0]?.path).toBe('(yaml)');
    expect(error.message).toContain(file);
  });

  it('reports a missing file', async () => {
    const error = await configError(loadGatewayConfig(path.join(dir, 'nope.yaml')));
    expect(error.issues[0]?.message).toMatch(/cannot read/);
  });

  it('defaults profiles_dir to the repository profiles', () => {
    expect(DEFAULT_PROFILES_DIR.endsWith(path.join('simulators', 'profiles'))).toBe(true);
  });
});
