import type { OrderEvidence } from '@caretaker/protocol';

/**
 * The points to chart for a sensor order: those its rule names (conditions, trend), then the
 * rest of its recorded values, then the device's key points (what else moved), four at most.
 */
export function evidencePoints(evidence: OrderEvidence, deviceKeys: readonly string[] = []): string[] {
  const points = new Set<string>();
  for (const c of evidence.rule?.when ?? []) if (c.point) points.add(c.point);
  if (evidence.rule?.trend?.point) points.add(evidence.rule.trend.point);
  for (const key of [...Object.keys(evidence.values ?? {}), ...deviceKeys])
    if (points.size < 4) points.add(key);
  return [...points];
}
