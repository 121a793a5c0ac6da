/**
 * A tiny parser for the two Python literals that R2/R3 qubes.xml stores in attributes:
 * `services` (a dict of str → bool) and `pcidevs` (a list of str). It accepts only that grammar,
 * never evaluates anything, and returns null for any other input (the caller names the VM).
 *
 *   dict  := '{' [ str ':' bool ( ',' str ':' bool )* [','] ] '}'
 *   list  := '[' [ str ( ',' str )* [','] ] ']'
 *   str   := [uU]? ( "'" chars "'" | '"' chars '"' )   with escapes \\ \' \" only
 *   bool  := 'True' | 'False'
 */

/** Longest literal accepted; real ones are under 200 characters. */
export const MAX_LITERAL_LENGTH = 65536;

class Cursor {
  pos = 0;
  constructor(readonly src: string) {}

  skipSpace(): void {
    while (this.pos < this.src.length && ' \t\n\r'.includes(this.src[this.pos] as string)) this.pos++;
  }

  /** Consumes `ch` (after whitespace) when it is next. */
  eat(ch: string): boolean {
    this.skipSpace();
    if (this.src.startsWith(ch, this.pos)) {
      this.pos += ch.length;
      return true;
    }
    return false;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos === this.src.length;
  }

  string(): string | null {
    this.skipSpace();
    if (this.src[this.pos] === 'u' || this.src[this.pos] === 'U') this.pos++;
    const quote = this.src[this.pos];
    if (quote !== "'" && quote !== '"') return null;
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === undefined || ch === '\n') return null;
      this.pos++;
      if (ch === quote) return out;
      if (ch === '\\') {
        const next = this.src[this.pos];
        if (next !== '\\' && next !== "'" && next !== '"') return null;
        out += next;
        this.pos++;
      } else {
        out += ch;
      }
    }
  }

  bool(): boolean | null {
    if (this.eat('True')) return this.wordEnds() ? true : null;
    if (this.eat('False')) return this.wordEnds() ? false : null;
    return null;
  }

  private wordEnds(): boolean {
    const ch = this.src[this.pos];
    return ch === undefined || !/[A-Za-z0-9_]/.test(ch);
  }
}

/** `{'meminfo-writer': True}` → `[['meminfo-writer', true]]` (in order, duplicates kept: the last wins in Python). */
export function parsePythonBoolDict(src: string): Array<[string, boolean]> | null {
  if (src.length > MAX_LITERAL_LENGTH) return null;
  const c = new Cursor(src);
  if (!c.eat('{')) return null;
  const out: Array<[string, boolean]> = [];
  while (!c.eat('}')) {
    const key = c.string();
    if (key === null || !c.eat(':')) return null;
    const value = c.bool();
    if (value === null) return null;
    out.push([key, value]);
    if (!c.eat(',')) {
      if (!c.eat('}')) return null;
      break;
    }
  }
  return c.atEnd() ? out : null;
}

/** `['02:00.0', '03:00.0']` → `['02:00.0', '03:00.0']`. */
export function parsePythonStrList(src: string): string[] | null {
  if (src.length > MAX_LITERAL_LENGTH) return null;
  const c = new Cursor(src);
  if (!c.eat('[')) return null;
  const out: string[] = [];
  while (!c.eat(']')) {
    const item = c.string();
    if (item === null) return null;
    out.push(item);
    if (!c.eat(',')) {
      if (!c.eat(']')) return null;
      break;
    }
  }
  return c.atEnd() ? out : null;
}
