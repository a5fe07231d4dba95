/**
 * Reads the first JSON value of a text the way Go's `json.Decoder.Decode` does: strict
 * RFC 8259 syntax, whatever follows the first complete value is left unread (port-registry
 * decodes request bodies this way, so `{…} trailing` is accepted there). For a top-level
 * object it also keeps each member's raw text, in order and with repeats, because
 * `JSON.parse` cannot tell `43e0` from `43`, and Go's int fields refuse the former.
 */

/** One member of the top-level object, as written. */
export interface RawMember {
  /** The decoded key. */
  key: string;
  /** The value's text exactly as written (`"shop"`, `43e0`, `null`, `{…}`). */
  raw: string;
}

/** What the first value of a body is. */
export type FirstValue = { kind: 'object'; members: RawMember[] } | { kind: 'null' } | { kind: 'other' };

// Go's decoder gives up beyond this nesting depth (encoding/json maxNestingDepth).
const MAX_DEPTH = 10_000;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/**
 * The first JSON value of `text`, or `undefined` when it is not valid JSON up to its end
 * (an empty body, `{`, `{"a":01}`, a raw control character in a string).
 *
 * @example
 * firstValue('{"port":43e0} xyz'); // { kind: 'object', members: [{ key: 'port', raw: '43e0' }] }
 */
export function firstValue(text: string): FirstValue | undefined {
  let pos = skipSpace(text, 0);
  if (text[pos] !== '{') {
    const end = skipValue(text, pos, 0);
    if (end === undefined) return undefined;
    return text.startsWith('null', pos) ? { kind: 'null' } : { kind: 'other' };
  }
  const members: RawMember[] = [];
  pos = skipSpace(text, pos + 1);
  if (text[pos] === '}') return { kind: 'object', members };
  for (;;) {
    const keyEnd = scanString(text, pos);
    if (keyEnd === undefined) return undefined;
    const key = decodeString(text.slice(pos, keyEnd));
    pos = skipSpace(text, keyEnd);
    if (text[pos] !== ':') return undefined;
    const start = skipSpace(text, pos + 1);
    const end = skipValue(text, start, 1);
    if (end === undefined) return undefined;
    members.push({ key, raw: text.slice(start, end) });
    pos = skipSpace(text, end);
    if (text[pos] === '}') return { kind: 'object', members };
    if (text[pos] !== ',') return undefined;
    pos = skipSpace(text, pos + 1);
  }
}

/**
 * Decodes a JSON string literal already checked by the scanner. Escaped lone surrogates
 * (`"\ud800"`) become U+FFFD, as Go decodes them.
 *
 * @example
 * decodeString('"caf\\u00e9"'); // 'café'
 */
export function decodeString(literal: string): string {
  return (JSON.parse(literal) as string).replace(/\p{Cs}/gu, '\ufffd');
}

function skipSpace(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    // JSON whitespace only: space, tab, LF, CR (not U+FEFF, not U+00A0).
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    pos++;
  }
  return pos;
}

/** End of the string literal starting at `pos`, or `undefined`. */
function scanString(text: string, pos: number): number | undefined {
  if (text[pos] !== '"') return undefined;
  for (let i = pos + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return undefined;
    if (c === 0x5c) {
      const next = text[i + 1];
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return undefined;
        i += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
        i += 1;
      } else {
        return undefined;
      }
    }
  }
  return undefined;
}

/** End of the scalar (string, number, literal) at `pos`, or `undefined`. */
function scanScalar(text: string, pos: number): number | undefined {
  if (text[pos] === '"') return scanString(text, pos);
  for (const pattern of [NUMBER, LITERAL]) {
    pattern.lastIndex = pos;
    if (pattern.test(text)) return pattern.lastIndex;
  }
  return undefined;
}

/**
 * End of the value starting at `pos` (after `depth` enclosing containers), or `undefined`.
 * Iterative, with an explicit stack: deep nesting cannot overflow the call stack.
 */
function skipValue(text: string, pos: number, depth: number): number | undefined {
  const stack: string[] = [];
  for (;;) {
    // A value is expected at pos.
    pos = skipSpace(text, pos);
    const open = text[pos];
    let end: number | undefined;
    if (open === '{' || open === '[') {
      if (depth + stack.length + 1 > MAX_DEPTH) return undefined;
      stack.push(open === '{' ? '}' : ']');
      pos = skipSpace(text, pos + 1);
      if (text[pos] !== stack[stack.length - 1]) {
        if (open === '{') {
          const next = memberValue(text, pos);
          if (next === undefined) return undefined;
          pos = next;
        }
        continue;
      }
      stack.pop();
      end = pos + 1;
    } else {
      end = scanScalar(text, pos);
      if (end === undefined) return undefined;
    }
    // A value ended at `end`: close containers, or move to the next element.
    pos = end;
    for (;;) {
      if (stack.length === 0) return pos;
      pos = skipSpace(text, pos);
      const close = stack[stack.length - 1];
      if (text[pos] === close) {
        stack.pop();
        pos += 1;
        continue;
      }
      if (text[pos] !== ',') return undefined;
      pos += 1;
      if (close === '}') {
        const next = memberValue(text, skipSpace(text, pos));
        if (next === undefined) return undefined;
        pos = next;
      }
      break;
    }
  }
}

/** Skips `"key" :` at `pos`; returns where the member's value starts, or `undefined`. */
function memberValue(text: string, pos: number): number | undefined {
  const keyEnd = scanString(text, pos);
  if (keyEnd === undefined) return undefined;
  const colon = skipSpace(text, keyEnd);
  return text[colon] === ':' ? colon + 1 : undefined;
}
