import { durationSchema, idSchema } from '@caretaker/protocol';
import { z } from 'zod';
import { faultRequestSchema } from './fault-request.js';

/**
 * A scenario file (YAML): the estate (sites, buildings, how many of each device), its clocks,
 * where it is served and which faults happen when. The one source of truth for the file's keys,
 * defaults and ranges; `simulators/scenarios/*.yaml` are checked against it in a test.
 */

/** Modbus over Serial Line v1.02 §2.2: 1-247 are the individually addressable unit ids. */
export const MAX_UNITS_PER_PORT = 247;

const count = (max: number) => z.number().int().min(0).max(max);

const buildingSchema = z
  .object({
    id: idSchema,
    /** Floors served by the lifts (lobby = 1). */
    floors: z.number().int().min(2).max(200).default(18),
    /** Scales loads and flows: 1 is a tower of about 150 flats. */
    size: z.number().gt(0).max(20).default(1),
    devices: z
      .object({
        booster_pumps: count(1000).default(0),
        sewage_pumps: count(1000).default(0),
        elevators: count(1000).default(0),
        /** The power room's incoming meter, which sums the building's pumps and lifts. */
        power_meter: z.boolean().default(false),
        water_meter: z.boolean().default(false),
        gas_meter: z.boolean().default(false),
      })
      .strict(),
    /**
     * Serve this building's Modbus devices as Modbus RTU on a serial line instead of Modbus TCP
     * (a real RS-485 bus, or one end of a socat pseudo-terminal pair).
     */
    rtu: z
      .object({
        path: z.string().min(1),
        baud_rate: z.number().int().min(300).max(921_600).default(19_200),
      })
      .strict()
      .optional(),
  })
  .strict();

const siteSchema = z
  .object({
    id: idSchema,
    buildings: z.array(buildingSchema).min(1, 'a site needs at least one building'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1).max(100).default('scenario'),
    /** Seed of every random source: the same seed and clock give the same run. */
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /**
     * How much faster scenario time runs than real time: fault start, duration and onset are
     * written in scenario time. 4320 puts a month of wear into 10 real minutes.
     */
    time_factor: z.number().min(1).max(10_000_000).default(1),
    /** Real length of a simulated day of the demand curves (morning and evening peaks). */
    day_length: durationSchema.default(600_000),
    /** Hour of the simulated day at start (7 = the morning peak). */
    start_hour: z.number().min(0).lt(24).default(7),
    /** Modbus devices per TCP port before another port is opened (a building starts a new port). */
    units_per_port: z.number().int().min(1).max(MAX_UNITS_PER_PORT).default(MAX_UNITS_PER_PORT),
    sites: z.array(siteSchema).min(1, 'at least one site is required'),
    faults: z.array(faultRequestSchema).default([]),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    if (scenario.day_length < 1_000) {
      ctx.addIssue({ code: 'custom', path: ['day_length'], message: 'must be at least 1s' });
    }
    // Building ids become part of device ids, which the hub keys devices by across the estate.
    const seen = new Map<string, string>();
    scenario.sites.forEach((site, s) => {
      site.buildings.forEach((building, b) => {
        const first = seen.get(building.id);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['sites', s, 'buildings', b, 'id'],
            message: `duplicate building id "${building.id}" (also ${first}); device ids must be unique across the estate`,
          });
        } else {
          seen.set(building.id, `sites.${s}.buildings.${b}`);
        }
      });
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
