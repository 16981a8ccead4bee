import { useEffect, useState } from 'react';
import { connectLive, fetchDevices } from './api/client.js';
import { DeviceCard } from './components/DeviceCard.js';
import { applyDevice, applyReadings, type DeviceMap, fromList, sortedDevices } from './store/devices.js';

type Connection = 'connecting' | 'live' | 'reconnecting';

/** The live equipment board: every device with its live values and online/offline state. */
export function App() {
  const [devices, setDevices] = useState<DeviceMap>(new Map());
  const [connection, setConnection] = useState<Connection>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    const socket = connectLive();
    const controller = new AbortController();
    // Subscribe first, then load the snapshot: anything that arrives in between is merged by
    // timestamp, so nothing is missed and nothing goes back in time.
    socket.on('device.changed', ({ device }) => setDevices((state) => applyDevice(state, device)));
    socket.on('readings.updated', ({ devices: updates }) =>
      setDevices((state) => {
        const receivedAt = Date.now();
        return updates.reduce((acc, update) => applyReadings(acc, update, receivedAt), state);
      }),
    );
    const load = () =>
      fetchDevices(controller.signal).then(
        ({ devices: list }) => {
          setDevices((state) => list.reduce(applyDevice, state.size === 0 ? fromList([]) : state));
          setError(null);
        },
        (err: Error) => {
          if (!controller.signal.aborted) setError(err.message);
        },
      );
    socket.on('connect', () => {
      setConnection('live');
      void load();
    });
    socket.on('disconnect', () => setConnection('reconnecting'));
    socket.on('connect_error', (err) => {
      setConnection('reconnecting');
      setError(err.message);
    });
    const clock = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      controller.abort();
      clearInterval(clock);
      socket.close();
    };
  }, []);

  const list = sortedDevices(devices);
  const online = list.filter((d) => d.status === 'online').length;
  return (
    <>
      <header className="topbar">
        <h1>Caretaker</h1>
        <p className="summary">
          {list.length} devices · {online} online · {list.length - online} not online
        </p>
        <p className={`connection connection-${connection}`} role="status" data-testid="connection">
          {connection === 'live' ? 'Live' : connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </p>
      </header>
      <main>
        {error ? (
          <p className="banner" role="alert">
            {error}
          </p>
        ) : null}
        {list.length === 0 ? (
          <p className="empty">Waiting for the first device to report…</p>
        ) : (
          <section className="board" aria-label="Equipment">
            {list.map((device) => (
              <DeviceCard key={device.id} device={device} now={now} />
            ))}
          </section>
        )}
      </main>
    </>
  );
}
