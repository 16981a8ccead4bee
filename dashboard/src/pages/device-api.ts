import {
  apiPaths,
  type PredictionsResponse,
  type RuleSummary,
  type RulesResponse,
} from '@caretaker/protocol';
import { useEffect, useState } from 'react';
import { request } from '../api/client.js';

/** What the device page reads besides the live store: the trend rules' predictions and the device's orders. */
export interface DeviceOrder {
  id: number;
  code: string;
  title: string;
  status: string;
  priority: number;
  source: 'sensor' | 'manual' | 'qr' | 'preventive';
  kind: string;
  created_at: number;
  completed_at: number | null;
}

export const deviceApi = {
  predictions: (device: string, signal?: AbortSignal) =>
    request<PredictionsResponse>(apiPaths.predictions(device), { signal: signal ?? null }),
  orders: (device: string, query: { limit: number }, signal?: AbortSignal) =>
    request<{ work_orders: DeviceOrder[]; total: number }>('/api/work-orders', {
      query: { device, ...query },
      signal: signal ?? null,
    }),
};

/** The rules of each device type, asked once per page load (the rule pack changes only with a restart). */
const rulesByType = new Map<string, Promise<RuleSummary[]>>();

/** The alarm rules of a device type (GET /api/rules), for the limits drawn on its charts; [] until loaded or on error. */
export function useRules(deviceType: string | undefined): readonly RuleSummary[] {
  const [rules, setRules] = useState<readonly RuleSummary[]>([]);
  useEffect(() => {
    if (!deviceType) return;
    let cached = rulesByType.get(deviceType);
    if (!cached) {
      cached = request<RulesResponse>(apiPaths.rules, { query: { device_type: deviceType } }).then(
        (r) => r.rules,
        (err: unknown) => {
          // Not cached: the next page visit asks again.
          rulesByType.delete(deviceType);
          throw err;
        },
      );
      rulesByType.set(deviceType, cached);
    }
    let live = true;
    cached.then(
      (r) => live && setRules(r),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [deviceType]);
  return rules;
}
