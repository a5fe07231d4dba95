/**
 * Decodes a JSON request body the way port-registry's Go server does (`encoding/json` into
 * a struct), so that a body it accepts is accepted here and one it refuses with
 * `400 invalid JSON` is refused here too:
 * - unknown fields are ignored; keys match field names exactly, else case-insensitively;
 * - `null` (as the whole body or as a field) leaves the zero value (`''`, `0`);
 * - a string field must be a string, an integer field an integer number (`"80"`, `80.5` and
 *   `1e99` are refused); anything else, an empty body or a non-object is invalid.
 */

/** Field kinds of a request struct. */
export type FieldKind = 'string' | 'int';

/** The decoded value of a struct with the given fields. */
export type Decoded<F extends Record<string, FieldKind>> = {
  [K in keyof F]: F[K] extends 'int' ? number : string;
};

/**
 * Decodes `text` into the fields, or returns `undefined` when Go would answer `invalid JSON`.
 *
 * @example
 * decodeStruct('{"App":"shop","port":null}', { app: 'string', port: 'int' }); // { app: 'shop', port: 0 }
 * decodeStruct('{"port":"80"}', { port: 'int' }); // undefined
 */
export function decodeStruct<F extends Record<string, FieldKind>>(text: string, fields: F): Decoded<F> | undefined {
  let parsed: unknown;
  try {
    // V8's JSON.parse is not recursive, so deep nesting cannot overflow the stack; the
    // body is capped at 64 KiB before it gets here.
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result: Record<string, string | number> = {};
  const names = Object.keys(fields);
  for (const name of names) result[name] = fields[name] === 'int' ? 0 : '';
  if (parsed === null) return result as Decoded<F>;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;

  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const name = names.find((candidate) => candidate === key) ?? names.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (name === undefined || value === null) continue;
    if (fields[name] === 'string') {
      if (typeof value !== 'string') return undefined;
      result[name] = value;
    } else {
      // Go's int is 64-bit; beyond 2^53 JSON numbers lose precision, so refuse them too.
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
      result[name] = value;
    }
  }
  return result as Decoded<F>;
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
