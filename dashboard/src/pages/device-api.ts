import { apiPaths, type PredictionsResponse } from '@caretaker/protocol';
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
