import type { DeviceModel, PointValue } from '../models/model.js';

/** A model whose values the test sets by hand, for exposer tests (no physics). */
export class FakeModel implements DeviceModel {
  constructor(public current: Record<string, PointValue>) {}
  step(): void {}
  values(): Record<string, PointValue> {
    return { ...this.current };
  }
}
