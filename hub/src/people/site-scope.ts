import {
  type DeleteQueryBuilder,
  type ReferenceExpression,
  type SelectQueryBuilder,
  sql,
  type UpdateQueryBuilder,
  type WhereInterface,
} from 'kysely';
import type { Actor } from './actor.js';

/**
 * Restricts a query (select, update or delete) to the rows of the actor's sites:
 * `scopeToSites(db.selectFrom('work_orders').selectAll(), actor, 'site')`. An actor with every
 * site gets the query unchanged; one with no site gets no rows (never "no filter").
 */
export function scopeToSites<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  actor: Actor,
  column: ReferenceExpression<DB, TB>,
): SelectQueryBuilder<DB, TB, O>;
export function scopeToSites<DB, UT extends keyof DB, TB extends keyof DB, O>(
  query: UpdateQueryBuilder<DB, UT, TB, O>,
  actor: Actor,
  column: ReferenceExpression<DB, TB>,
): UpdateQueryBuilder<DB, UT, TB, O>;
export function scopeToSites<DB, TB extends keyof DB, O>(
  query: DeleteQueryBuilder<DB, TB, O>,
  actor: Actor,
  column: ReferenceExpression<DB, TB>,
): DeleteQueryBuilder<DB, TB, O>;
// The overloads above carry the types; one body serves the three builders alike.
export function scopeToSites(
  // biome-ignore lint/suspicious/noExplicitAny: the overloads type the builder and its column
  query: WhereInterface<any, any>,
  actor: Actor,
  // biome-ignore lint/suspicious/noExplicitAny: as above
  column: ReferenceExpression<any, any>,
  // biome-ignore lint/suspicious/noExplicitAny: as above
): WhereInterface<any, any> {
  if (actor.sites === 'all') return query;
  if (actor.sites.length === 0) return query.where(sql<boolean>`1 = 0`);
  return query.where(column, 'in', [...actor.sites]);
}
