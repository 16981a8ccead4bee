import { ORDER_PRIORITIES, type ServiceLevelsResponse } from '@caretaker/protocol';
import { type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { FormOutcome, SelectField } from '../../components/page-parts.js';
import { useTitle } from '../../components/use-title.js';
import { useLayout, useLiveStore } from '../../store/hooks.js';
import { problemName } from './badges.js';
import { errorText, type NewOrder, ordersApi } from './orders.api.js';

/** The manual categories, for a hub that does not list its service levels. */
const FALLBACK_TYPES = ['general', 'water_leak', 'electrical', 'plumbing', 'lighting', 'door_access', 'hvac'];

/**
 * A manual order (POST /api/work-orders): a device from the live board (its site and building
 * follow) or a site, the problem type (its priority preset from the service levels), a title
 * and a description. `?device=pump-1` preselects a device (a link from its page).
 */
export function CreateOrderPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const store = useLiveStore();
  const layout = useLayout();
  const id = useId();
  useTitle(t('orders.create.heading'));
  const devices = useMemo(
    () =>
      layout.sites
        .flatMap((s) => s.buildings.flatMap((b) => b.devices))
        .flatMap((d) => {
          const view = store.device(d);
          return view ? [view] : [];
        }),
    [layout, store],
  );
  const [levels, setLevels] = useState<ServiceLevelsResponse['problem_types'] | null>(null);
  const [device, setDevice] = useState(params.get('device') ?? '');
  const [site, setSite] = useState(layout.sites.length === 1 ? (layout.sites[0]?.id ?? '') : '');
  const [problemType, setProblemType] = useState('general');
  const [priority, setPriority] = useState(3);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [location, setLocation] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    ordersApi.serviceLevels().then(
      (res) => setLevels(res.problem_types),
      () => setLevels([]),
    );
  }, []);
  const types = levels && levels.length > 0 ? levels.map((l) => l.problem_type) : FALLBACK_TYPES;
  const chosen = devices.find((d) => d.summary.id === device);

  const pickType = (type: string) => {
    setProblemType(type);
    const preset = levels?.find((l) => l.problem_type === type)?.priority;
    if (preset) setPriority(preset);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const orderSite = chosen?.site.id ?? site;
    if (!orderSite) {
      setError(t('orders.create.needSite'));
      return;
    }
    const body: NewOrder = {
      site: orderSite,
      problem_type: problemType,
      priority,
      title,
      description,
      ...(chosen ? { device: chosen.summary.id } : {}),
      ...(chosen?.building ? { building: chosen.building.id } : {}),
      ...(location.trim() ? { location: location.trim() } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      const { work_order } = await ordersApi.create(body);
      navigate(`/orders/${work_order.id}`);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="create-title" className="create-order">
      <p className="small">
        <Link to="/orders">← {t('orders.page.back')}</Link>
      </p>
      <h1 id="create-title">{t('orders.create.heading')}</h1>
      <form className="panel order-form" onSubmit={(e) => void submit(e)}>
        <SelectField
          id={`${id}-device`}
          label={t('orders.create.device')}
          value={device}
          onChange={setDevice}
          options={devices.map((d) => ({
            value: d.summary.id,
            label: `${d.summary.id} · ${t(`types.${d.summary.type}`, { defaultValue: d.summary.type })} · ${d.site.name}${d.building ? ` · ${d.building.name}` : ''}`,
          }))}
        >
          <option value="">{t('orders.create.noDevice')}</option>
        </SelectField>
        {!chosen ? (
          <SelectField
            id={`${id}-site`}
            label={t('orders.create.site')}
            required
            value={site}
            onChange={setSite}
            options={layout.sites.map((s) => ({ value: s.id, label: s.name }))}
          >
            <option value="" />
          </SelectField>
        ) : null}
        <SelectField
          id={`${id}-type`}
          label={t('orders.create.problemType')}
          value={problemType}
          onChange={pickType}
          options={types.map((type) => ({ value: type, label: problemName(t, type) }))}
        />
        <SelectField
          id={`${id}-priority`}
          label={t('orders.create.priority')}
          value={priority}
          onChange={(p) => setPriority(Number(p))}
          options={ORDER_PRIORITIES.map((p) => ({ value: p, label: t(`orders.priority.p${p}`) }))}
        />
        <label htmlFor={`${id}-title`}>
          {t('orders.create.titleField')}
          <input
            id={`${id}-title`}
            required
            maxLength={200}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
          />
        </label>
        <label htmlFor={`${id}-location`}>
          {t('orders.form.optionalField', { field: t('orders.create.location') })}
          <input
            id={`${id}-location`}
            maxLength={200}
            value={location}
            onChange={(e) => setLocation(e.target.value)}
          />
        </label>
        <label htmlFor={`${id}-description`}>
          {t('orders.create.description')}
          <textarea
            id={`${id}-description`}
            rows={4}
            maxLength={4000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </label>
        <FormOutcome error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('orders.create.creating') : t('orders.create.submit')}
        </button>
      </form>
    </section>
  );
}
