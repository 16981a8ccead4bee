/**
 * Daily demand curves of a residential community, as functions of the hour of day (0-24).
 * Shapes follow the usual diurnal pattern of residential water and power use: a sharp morning
 * peak when residents get up, a midday shoulder, a broader evening peak, a night trough.
 */

const HOURS_PER_DAY = 24;

/** Hour of the simulated day at `nowMs`, in [0, 24). Day boundaries fall on multiples of dayMs. */
export function simulatedHour(nowMs: number, dayMs: number): number {
  const phase = (((nowMs % dayMs) + dayMs) % dayMs) / dayMs;
  return phase * HOURS_PER_DAY;
}

/** A bell around `centre` on the 24-hour circle, so that a peak at 23:00 also reaches 01:00. */
function bump(hour: number, centre: number, width: number): number {
  let distance = (hour - centre) % HOURS_PER_DAY;
  if (distance > HOURS_PER_DAY / 2) distance -= HOURS_PER_DAY;
  if (distance < -HOURS_PER_DAY / 2) distance += HOURS_PER_DAY;
  return Math.exp(-0.5 * (distance / width) ** 2);
}

/** About 1 from 07:00 to 23:00 and about 0 at night, with smooth edges. */
function awake(hour: number): number {
  const rise = 1 / (1 + Math.exp(-(hour - 6.5) / 0.5));
  const fall = 1 / (1 + Math.exp((hour - 23) / 0.5));
  return rise * fall;
}

/** Relative water demand, about 0.1 at night and 1.0 at the morning peak. */
export function residentialWaterDemand(hour: number): number {
  return (
    0.1 +
    0.15 * awake(hour) +
    0.75 * bump(hour, 7.5, 1.1) +
    0.25 * bump(hour, 12.5, 1.5) +
    0.65 * bump(hour, 19.5, 1.8)
  );
}

/**
 * Common-area electrical load of the community without the pumps and lifts (corridor and
 * outdoor lighting, lobby air conditioning, ventilation fans, security systems), in kW.
 */
export function buildingBaseLoadKw(hour: number): number {
  return 28 + 12 * awake(hour) + 10 * bump(hour, 7.5, 1.5) + 35 * bump(hour, 19.5, 2.5);
}

/** Passenger journeys per minute for one lift of a residential tower. */
export function liftTrafficPerMinute(hour: number): number {
  // About 900 journeys a day: a tower of ~150 flats whose residents share two lifts.
  return (
    0.1 +
    0.5 * awake(hour) +
    1.6 * bump(hour, 7.75, 1) +
    0.5 * bump(hour, 12.5, 1.5) +
    1.4 * bump(hour, 18.5, 1.5)
  );
}

/**
 * Probability that a journey starts in the lobby (going up): residents leave their flats in
 * the morning (down-peak) and come home in the evening (up-peak).
 */
export function liftUpPeakShare(hour: number): number {
  return 0.5 - 0.35 * bump(hour, 7.75, 1) + 0.35 * bump(hour, 18.5, 1.5);
}

/**
 * Relative gas demand of a residential building (cooking and water heaters), about 0.1 at
 * night and 1.0 at the evening cooking peak.
 */
export function residentialGasDemand(hour: number): number {
  return (
    0.08 +
    0.1 * awake(hour) +
    0.5 * bump(hour, 7, 0.9) +
    0.45 * bump(hour, 12, 0.8) +
    1.0 * bump(hour, 18.5, 1.2)
  );
}
