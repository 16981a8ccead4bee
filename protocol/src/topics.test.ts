import { describe, expect, it } from 'vitest';
import { parseCommandFilter, parseTopic, TOPIC_ROOT, topicOwner, topics } from './topics.js';

describe('topics', () => {
  it('builds the topic tree under caretaker/v1', () => {
    expect(topics.gatewayStatus('estate-a', 'gw-1')).toBe('caretaker/v1/estate-a/gw-1/status');
    expect(topics.telemetry('estate-a', 'gw-1', 'pump-1')).toBe(
      'caretaker/v1/estate-a/gw-1/device/pump-1/telemetry',
    );
    expect(topics.deviceStatus('estate-a', 'gw-1', 'pump-1')).toBe(
      'caretaker/v1/estate-a/gw-1/device/pump-1/status',
    );
    expect(topics.all()).toBe(`${TOPIC_ROOT}/#`);
    expect(topics.gatewayStats('estate-a', 'gw-1')).toBe('caretaker/v1/estate-a/gw-1/stats');
    expect(topics.command('estate-a', 'gw-1', 'pump-1')).toBe(
      'caretaker/v1/estate-a/gw-1/device/pump-1/command',
    );
    expect(topics.commandResponse('estate-a', 'gw-1', 'pump-1')).toBe(
      'caretaker/v1/estate-a/gw-1/device/pump-1/response',
    );
    expect(topics.gatewayCommands('estate-a', 'gw-1')).toBe('caretaker/v1/estate-a/gw-1/device/+/command');
  });

  it.each([
    ['a/b', 'slash'],
    ['+', 'single-level wildcard'],
    ['#', 'multi-level wildcard'],
    ['', 'empty'],
    ['-leading', 'leading dash'],
  ])('refuses %j as an id (%s)', (bad) => {
    expect(() => topics.telemetry('site', 'gw', bad)).toThrow(/invalid device id/);
  });

  it('round-trips every builder through the parser', () => {
    expect(parseTopic(topics.gatewayStatus('s', 'g'))).toEqual({
      kind: 'gateway_status',
      site: 's',
      gateway: 'g',
    });
    expect(parseTopic(topics.telemetry('s', 'g', 'd'))).toEqual({
      kind: 'telemetry',
      site: 's',
      gateway: 'g',
      device: 'd',
    });
    expect(parseTopic(topics.deviceStatus('s', 'g', 'd'))).toEqual({
      kind: 'device_status',
      site: 's',
      gateway: 'g',
      device: 'd',
    });
    expect(parseTopic(topics.gatewayStats('s', 'g'))).toEqual({
      kind: 'gateway_stats',
      site: 's',
      gateway: 'g',
    });
    expect(parseTopic(topics.command('s', 'g', 'd'))).toEqual({
      kind: 'command',
      site: 's',
      gateway: 'g',
      device: 'd',
    });
    expect(parseTopic(topics.commandResponse('s', 'g', 'd'))).toEqual({
      kind: 'command_response',
      site: 's',
      gateway: 'g',
      device: 'd',
    });
  });

  it.each([
    'caretaker/v2/s/g/status',
    'other/v1/s/g/status',
    'caretaker/v1/s/g',
    'caretaker/v1/s/g/device/d',
    'caretaker/v1/s/g/device/d/unknown',
    'caretaker/v1/s/g/device/d/telemetry/extra',
    'caretaker/v1/s/g/device/+/telemetry',
    'caretaker/v1/s/g/device//telemetry',
    'caretaker/v1/s/g/status/x',
    'caretaker/v1/s/g/stats/x',
    'caretaker/v1/s/g/device/+/command',
    'caretaker/v1/s/g/device/d/command/x',
  ])('rejects %s', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});

describe('topic filters', () => {
  it('names the gateway a topic or filter is under, only when it is spelled out', () => {
    expect(topicOwner('caretaker/v1/s/g/device/d/telemetry')).toEqual({ site: 's', gateway: 'g' });
    expect(topicOwner('caretaker/v1/s/g/stats')).toEqual({ site: 's', gateway: 'g' });
    for (const filter of [
      'caretaker/v1/+/g/status',
      'caretaker/v1/s/+/status',
      'caretaker/v1/s/#',
      'caretaker/v1/#',
    ]) {
      expect(topicOwner(filter)).toBeNull();
    }
  });

  it("recognises the subscription to one gateway's commands, for one device or all", () => {
    expect(parseCommandFilter(topics.gatewayCommands('s', 'g'))).toEqual({
      site: 's',
      gateway: 'g',
      device: '+',
    });
    expect(parseCommandFilter(topics.command('s', 'g', 'd'))).toEqual({
      site: 's',
      gateway: 'g',
      device: 'd',
    });
    for (const filter of [
      'caretaker/v1/s/g/device/#',
      'caretaker/v1/s/g/device/+/+',
      'caretaker/v1/s/g/device/+/telemetry',
      'caretaker/v1/s/+/device/+/command',
      'caretaker/v1/+/g/device/+/command',
      'caretaker/v1/s/g/#',
      'caretaker/v1/s/g/device/d/command/x',
      '#',
    ]) {
      expect(parseCommandFilter(filter)).toBeNull();
    }
  });
});
