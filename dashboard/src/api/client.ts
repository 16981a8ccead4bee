import {
  type AlarmsResponse,
  type AssetsResponse,
  apiPaths,
  type ClientToServerEvents,
  type DevicesResponse,
  type LoginRequest,
  type LoginResponse,
  type MeResponse,
  type SeriesResponse,
  type ServerToClientEvents,
} from '@caretaker/protocol';
import { io, type Socket } from 'socket.io-client';

/** The typed REST and socket.io client, built from the protocol's contract. */
export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let unauthorized: (() => void) | null = null;

/** Who to tell when the hub says the session is gone (the sign-in page takes over). */
export function onUnauthorized(listener: (() => void) | null): void {
  unauthorized = listener;
}

/** The live stream was refused (socket.io says `unauthorized`): the same as a 401. */
export function signalUnauthorized(): void {
  unauthorized?.();
}

export type Query = Record<string, string | number | undefined>;

/** One call to the hub's REST API: JSON in and out, the session cookie, errors as ApiError. */
export async function request<T>(path: string, init: RequestInit & { query?: Query } = {}): Promise<T> {
  const { query, ...rest } = init;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined) params.set(key, `${value}`);
  const url = params.size > 0 ? `${path}?${params}` : path;
  const res = await fetch(url, {
    ...rest,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      // Tells the hub this is the dashboard: a 401 without a Basic challenge, so the browser
      // shows our sign-in page rather than its own password dialog.
      'x-requested-with': 'caretaker-dashboard',
      ...(rest.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  if (res.status === 204) return undefined as T;
  const what = `${rest.method ?? 'GET'} ${path}`;
  let body: { error?: string } | null = null;
  try {
    body = (await res.json()) as { error?: string } | null;
  } catch (err) {
    // Aborted while the answer was read (the page moved on): the caller's abort, never an
    // empty answer, which a page would have taken for the data and drawn.
    if (rest.signal?.aborted) throw err;
    if (res.ok) throw new ApiError(res.status, `${what}: the hub's answer is not JSON`);
  }
  if (!res.ok) {
    if (res.status === 401 && path !== apiPaths.login) unauthorized?.();
    throw new ApiError(res.status, body?.error ?? `${what}: HTTP ${res.status}`);
  }
  return body as T;
}

export interface SeriesQuery {
  point: string;
  from: number;
  to: number;
  buckets: number;
}

export const api = {
  devices: (signal?: AbortSignal) => request<DevicesResponse>(apiPaths.devices, { signal: signal ?? null }),
  alarms: (signal?: AbortSignal) => request<AlarmsResponse>(apiPaths.alarms, { signal: signal ?? null }),
  assets: (signal?: AbortSignal) => request<AssetsResponse>(apiPaths.assets, { signal: signal ?? null }),
  series: (device: string, query: SeriesQuery, signal?: AbortSignal) =>
    request<SeriesResponse>(apiPaths.series(device), { query: { ...query }, signal: signal ?? null }),
  me: (signal?: AbortSignal) => request<MeResponse>(apiPaths.me, { signal: signal ?? null }),
  login: (body: LoginRequest) =>
    request<LoginResponse>(apiPaths.login, { method: 'POST', body: JSON.stringify(body) }),
  logout: () => request<void>(apiPaths.logout, { method: 'POST' }),
};

export function connectLive(): LiveSocket {
  // Same origin as the page (the session cookie goes along); WebSocket first, long-polling
  // only if a proxy blocks it.
  return io({ transports: ['websocket', 'polling'] });
}

let prefetched: Promise<[DevicesResponse, AssetsResponse]> | null = null;

/**
 * Starts loading the board's snapshot as the page starts, alongside the session check (on a
 * wall screen the board is the first page); the live store takes it once. A 401 here changes
 * nothing: the session check decides what is shown.
 */
export function prefetchBoard(): void {
  prefetched = Promise.all([api.devices(), api.assets().catch(() => ({ sites: [] }))]);
  prefetched.catch(() => undefined);
}

export function takePrefetchedBoard(): Promise<[DevicesResponse, AssetsResponse]> | null {
  const taken = prefetched;
  prefetched = null;
  return taken;
}
