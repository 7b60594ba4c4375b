import type pg from 'pg';

/**
 * The parameters of one statement assembled from parts (each part's SQL takes its values' placeholders from `add`), and
 * a stable name per statement text so a statement run often is parsed and planned once per connection.
 */
export class StatementParams {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder ($1, $2, …). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const names = new Map<string, string>();

/**
 * The prepared-statement name for `text` (node-pg prepares a named statement once per connection and refuses one
 * name for two texts, so each text gets its own). Only for statements whose text is fixed: every text is kept.
 */
export function preparedName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `plenum_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

type Queryable = { query: pg.Pool['query'] };

/**
 * Runs a statement of fixed text as a prepared statement: parsed once per connection, and planned once PostgreSQL
 * settles on a generic plan (after five runs). For statements a timer runs every second or so, whose planning costs
 * as much as running them. The text must name its columns (no `SELECT *`): a prepared statement whose result columns
 * change under it (a migration applied by a newer instance) fails instead of re-planning.
 */
export function preparedQuery<R extends pg.QueryResultRow>(db: Queryable, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
  return db.query<R>({ name: preparedName(text), text, values });
}
