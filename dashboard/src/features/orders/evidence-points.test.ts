import { describe, expect, it } from 'vitest';
import { evidencePoints } from './evidence-points.js';

describe('evidence chart points', () => {
  it('charts the rule’s points first, then its recorded values, then the device’s key points, four at most', () => {
    const evidence = {
      rule: {
        id: 'pump.clogging',
        when: [{ point: 'motor_current' }, { point: 'flow' }],
        trend: { point: 'vibration' },
      },
      values: { flow: 3, outlet_pressure: 2.1 },
    };
    expect(evidencePoints(evidence, ['flow', 'bearing_temp'])).toEqual([
      'motor_current',
      'flow',
      'vibration',
      'outlet_pressure',
    ]);
  });

  it('falls back to the device’s key points for an order without a rule', () => {
    expect(evidencePoints({}, ['flow', 'outlet_pressure'])).toEqual(['flow', 'outlet_pressure']);
    expect(evidencePoints({})).toEqual([]);
  });
});
