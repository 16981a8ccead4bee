import { memo, useDeferredValue, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { StateBadge } from '../components/StateBadge.js';
import { useTitle } from '../components/use-title.js';
import { useFormat } from '../i18n/format.js';
import { useDevice, useLayout } from '../store/hooks.js';

/** Every device in one searchable table, a way to a device page by keyboard or on a phone. */
export function DevicesPage() {
  const { t } = useTranslation();
  const layout = useLayout();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query.trim().toLowerCase());
  const searchId = useId();
  useTitle(t('devices.title'));
  const rows = layout.sites.flatMap((site) =>
    site.buildings.flatMap((building) => building.devices.map((id) => ({ id, site, building }))),
  );
  const shown = deferred
    ? rows.filter(
        (r) =>
          r.id.toLowerCase().includes(deferred) ||
          r.site.name.toLowerCase().includes(deferred) ||
          (r.building.name ?? '').toLowerCase().includes(deferred),
      )
    : rows;
  return (
    <section aria-labelledby="devices-title">
      <div className="page-head">
        <h1 id="devices-title">{t('devices.title')}</h1>
        <label htmlFor={searchId} className="visually-hidden">
          {t('devices.search')}
        </label>
        <input
          id={searchId}
          type="search"
          placeholder={t('devices.search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <p className="muted small" role="status">
          {t('devices.count', { shown: shown.length, total: rows.length })}
        </p>
      </div>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('devices.columns.device')}</th>
              <th scope="col">{t('devices.columns.type')}</th>
              <th scope="col">{t('devices.columns.site')}</th>
              <th scope="col">{t('devices.columns.building')}</th>
              <th scope="col">{t('devices.columns.state')}</th>
              <th scope="col">{t('devices.columns.lastSeen')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <DeviceRow key={r.id} id={r.id} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const DeviceRow = memo(function DeviceRow({ id }: { id: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const view = useDevice(id);
  if (!view) return null;
  return (
    <tr>
      <th scope="row">
        <Link to={`/devices/${encodeURIComponent(id)}`}>{id}</Link>
      </th>
      <td>{t(`types.${view.summary.type}`)}</td>
      <td>{view.site.name}</td>
      <td>{view.building?.name ?? '—'}</td>
      <td>
        <StateBadge state={view.state} t={t} />
      </td>
      <td>{view.summary.last_seen === null ? t('values.never') : format.time(view.summary.last_seen)}</td>
    </tr>
  );
});
