/**
 * Decodes a JSON request body the way port-registry's Go server does (`json.NewDecoder(body)
 * .Decode(&struct)`), so that a body it accepts is accepted here and one it refuses with
 * `400 invalid JSON` is refused here too:
 * - only the first JSON value is read: `{…} trailing` is accepted, as Go's decoder reads it;
 * - unknown fields are ignored; keys match field names exactly, else case-insensitively;
 * - `null` (as the whole body or as a field) leaves the zero value (`''`, `0`);
 * - a string field must be a string; an integer field an integer literal that fits in 64
 *   bits (`"80"`, `80.5`, `43e0`, `43005.0` and `1e99` are refused, as Go refuses them);
 *   anything else, an empty body or a non-object is invalid.
 */
import { decodeString, firstValue } from './json-scan.js';

/** Field kinds of a request struct. */
export type FieldKind = 'string' | 'int';

/** The decoded value of a struct with the given fields. */
export type Decoded<F extends Record<string, FieldKind>> = {
  [K in keyof F]: F[K] extends 'int' ? number : string;
};

// An integer literal as Go's strconv.ParseInt reads it from JSON: no fraction, no exponent.
const INTEGER = /^-?\d+$/;

/**
 * Decodes `text` into the fields, or returns `undefined` when Go would answer `invalid JSON`.
 * Integers beyond JavaScript's safe range that still fit in 64 bits come back as
 * `Infinity`/`-Infinity` (no port or id can have them; Go would refuse them later too).
 *
 * @example
 * decodeStruct('{"App":"shop","port":null} x', { app: 'string', port: 'int' }); // { app: 'shop', port: 0 }
 * decodeStruct('{"port":43e0}', { port: 'int' }); // undefined
 */
export function decodeStruct<F extends Record<string, FieldKind>>(text: string, fields: F): Decoded<F> | undefined {
  const value = firstValue(text);
  if (value === undefined || value.kind === 'other') return undefined;
  const result: Record<string, string | number> = {};
  const names = Object.keys(fields);
  for (const name of names) result[name] = fields[name] === 'int' ? 0 : '';
  if (value.kind === 'null') return result as Decoded<F>;

  // Members in order, repeats included: the last one wins, and a bad one anywhere fails.
  for (const { key, raw } of value.members) {
    const name = names.find((candidate) => candidate === key) ?? names.find((candidate) => fold(candidate) === fold(key));
    if (name === undefined || raw === 'null') continue;
    if (fields[name] === 'string') {
      if (!raw.startsWith('"')) return undefined;
      result[name] = decodeString(raw);
    } else {
      const number = INTEGER.test(raw) ? parseGoInt(raw) : undefined;
      if (number === undefined) return undefined;
      result[name] = number;
    }
  }
  return result as Decoded<F>;
}

/** Case folding close to Go's for field names (`ſ` folds to `s`, as in Go). */
function fold(name: string): string {
  return name.toLowerCase().toUpperCase();
}

/**
 * Parses a decimal integer as Go's `strconv.ParseInt(s, 10, 64)` does (optional sign,
 * digits only), or `undefined`. Values beyond JavaScript's safe integers come back as
 * `Infinity`/`-Infinity` when they still fit in 64 bits, since no lease can have them.
 *
 * @example
 * parseGoInt('+42'); // 42
 * parseGoInt('4x'); // undefined
 */
export function parseGoInt(text: string): number | undefined {
  if (!/^[+-]?\d{1,100}$/.test(text)) return undefined;
  const big = BigInt(text);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  const value = Number(big);
  if (Number.isSafeInteger(value)) return value;
  return big > 0n ? Infinity : -Infinity;
}
