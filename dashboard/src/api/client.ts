import {
  apiPaths,
  type ClientToServerEvents,
  type DevicesResponse,
  type ServerToClientEvents,
} from '@caretaker/protocol';
import { io, type Socket } from 'socket.io-client';

/** The typed REST and socket.io client, built from the protocol's contract. */
export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function fetchDevices(signal?: AbortSignal): Promise<DevicesResponse> {
  const res = await fetch(apiPaths.devices, {
    signal: signal ?? null,
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`GET ${apiPaths.devices}: HTTP ${res.status}`);
  return (await res.json()) as DevicesResponse;
}

export function connectLive(): LiveSocket {
  // Same origin as the page; WebSocket first, long-polling only if a proxy blocks it.
  return io({ transports: ['websocket', 'polling'] });
}
