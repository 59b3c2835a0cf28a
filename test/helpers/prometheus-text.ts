// A strict parser of the Prometheus text exposition format (version 0.0.4),
// for tests: every line must be a HELP, a TYPE or a sample of a family whose
// TYPE came first; names, labels and values must be well formed; a series may
// appear once. It throws on the first violation, naming the line.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Scrape {
  /** Family name → its TYPE. */
  types: Map<string, MetricType>;
  /** Family name → its HELP text. */
  help: Map<string, string>;
  /** Series key (see seriesKey) → value. */
  samples: Map<string, number>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

/** The key of a series: its name and its labels sorted by name, e.g. `x{a="1",b="2"}`. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

export function parsePrometheusText(text: string): Scrape {
  const scrape: Scrape = { types: new Map(), help: new Map(), samples: new Map() };
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line)})`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) {
        if (/^# (HELP|TYPE)\b/.test(line))
          throw new Error(`${where}: malformed ${line.slice(2, 6)}`);
        return; // a comment
      }
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (kind === 'TYPE') {
        if (!TYPES.includes(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (scrape.types.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        scrape.types.set(name, rest as MetricType);
      } else {
        if (scrape.help.has(name)) throw new Error(`${where}: second HELP for ${name}`);
        scrape.help.set(name, rest);
      }
      return;
    }
    const { name, labels, value } = parseSample(line, where);
    const family = familyOf(name, scrape.types);
    if (family === null) throw new Error(`${where}: sample of ${name} before its TYPE`);
    const key = seriesKey(name, labels);
    if (scrape.samples.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    scrape.samples.set(key, value);
  });
  return scrape;
}

/** The family a sample belongs to: its own name, or a histogram/summary's base name. */
function familyOf(name: string, types: Map<string, MetricType>): string | null {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m) {
    const t = types.get(m[1] as string);
    if (t === 'histogram' || (t === 'summary' && m[2] !== 'bucket')) return m[1] as string;
  }
  return null;
}

function parseSample(
  line: string,
  where: string,
): { name: string; labels: Record<string, string>; value: number } {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) throw new Error(`${where}: not a sample`);
  const name = line.slice(0, nameEnd);
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
  const labels: Record<string, string> = {};
  let i = nameEnd;
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0) throw new Error(`${where}: label without =`);
      const label = line.slice(i, eq);
      if (!LABEL_NAME.test(label)) throw new Error(`${where}: bad label name ${label}`);
      if (line[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
      let v = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\') {
          const e = line[++j];
          if (e === 'n') v += '\n';
          else if (e === '\\' || e === '"') v += e;
          else throw new Error(`${where}: bad escape \\${e}`);
        } else v += line[j];
      }
      if (j >= line.length) throw new Error(`${where}: unterminated label value`);
      if (label in labels) throw new Error(`${where}: label ${label} twice`);
      labels[label] = v;
      i = j + 1;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`${where}: expected , or } after a label`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
  const fields = line.slice(i + 1).split(' ');
  if (fields.length > 2) throw new Error(`${where}: trailing fields`);
  const text = fields[0] as string;
  // Prometheus reads values with Go's ParseFloat: NaN and Inf in any letter case.
  const special = text.toLowerCase();
  const value =
    special === 'nan'
      ? NaN
      : special === '+inf' || special === 'inf'
        ? Infinity
        : special === '-inf'
          ? -Infinity
          : Number(text);
  if (text === '' || (Number.isNaN(value) && special !== 'nan')) {
    throw new Error(`${where}: bad value ${text}`);
  }
  if (fields.length === 2 && !/^-?\d+$/.test(fields[1] as string)) {
    throw new Error(`${where}: bad timestamp`);
  }
  return { name, labels, value };
}
