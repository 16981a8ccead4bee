import type { DeviceSummary } from '@caretaker/protocol';
import { formatAge, formatValue, pointLabel, TYPE_LABELS } from '../format.js';

const STATUS_TEXT: Record<DeviceSummary['status'], string> = {
  online: 'Online',
  stale: 'Stale',
  offline: 'Offline',
  unknown: 'Unknown',
};

const STATUS_ICON: Record<DeviceSummary['status'], string> = {
  online: '●',
  stale: '◷',
  offline: '✕',
  unknown: '?',
};

/** One device tile: its state as text and colour (never colour alone) and its latest values. */
export function DeviceCard({ device, now }: { device: DeviceSummary; now: number }) {
  const points = Object.entries(device.latest).sort(([a], [b]) => a.localeCompare(b));
  const titleId = `device-${device.id}-title`;
  return (
    <article className={`card status-${device.status}`} aria-labelledby={titleId} data-device={device.id}>
      <header className="card-header">
        <div>
          <h2 id={titleId}>{device.id}</h2>
          <p className="muted">
            {TYPE_LABELS[device.type] ?? device.type} · {device.site} · {device.gateway}
          </p>
        </div>
        <span className={`badge badge-${device.status}`} data-testid="status">
          <span aria-hidden="true">{STATUS_ICON[device.status]}</span> {STATUS_TEXT[device.status]}
        </span>
      </header>
      {device.error && device.status === 'offline' ? <p className="error">{device.error}</p> : null}
      <table className="values">
        <caption className="visually-hidden">Latest values of {device.id}</caption>
        <tbody>
          {points.map(([point, latest]) => (
            <tr
              key={point}
              data-point={point}
              className={`quality-${latest.quality}${latest.stale ? ' stale' : ''}`}
            >
              <th scope="row">{pointLabel(point)}</th>
              <td className="value" data-testid={`value-${point}`}>
                {formatValue(latest)}
                {latest.unit && latest.value !== null && typeof latest.value !== 'boolean' ? (
                  <span className="unit"> {latest.unit}</span>
                ) : null}
                {latest.quality !== 'good' ? <span className="quality"> ({latest.quality})</span> : null}
                {latest.stale ? <span className="quality"> (stale)</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <footer className="muted small">Last reading {formatAge(device.last_seen, now)}</footer>
    </article>
  );
}
