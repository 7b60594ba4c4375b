/**
 * Number arrays as PostgreSQL array literals ('{1,2,3}'), for the parameters of the ingest's hot statements.
 * node-pg would serialise a JS array element by element (escaping and quoting each one); one join is several times
 * cheaper, and a literal is still a single text parameter that PostgreSQL parses with its own array input.
 */

/** int4/int8 elements: integers only (a fraction or NaN here is a bug, and PostgreSQL refuses it). */
export function intArrayLiteral(values: ArrayLike<number>): string {
  return `{${Array.prototype.join.call(values, ',')}}`;
}

/**
 * float8 elements, exact to the bit: JS prints the shortest text that reads back as the same double; NaN, Infinity and
 * -Infinity are spelled as float8 input reads them; -0 keeps its sign (JS prints it as "0").
 */
export function float8ArrayLiteral(values: ArrayLike<number>): string {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) text += ',';
    text += v === 0 && Object.is(v, -0) ? '-0' : String(v);
  }
  return `${text}}`;
}
