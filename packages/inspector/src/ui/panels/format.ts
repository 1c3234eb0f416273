/** How ids, times and types are written across the panels. */

/** The last 8 hex digits of a UUIDv7: the random part, which tells entities apart at a glance. */
export function shortId(id: string | null): string {
  if (id === null) return '—';
  return id.length > 8 ? `…${id.slice(-8)}` : id;
}

/** Epoch milliseconds as UTC time of day with milliseconds (`12:03:04.217`). */
export function timeOfDay(at: number): string {
  const d = new Date(at);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** Epoch milliseconds as a full ISO-8601 UTC timestamp. */
export function isoTime(at: number): string {
  return new Date(at).toISOString();
}

/** Thousands separated by thin spaces, as devtools print large counts. */
export function count(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, '\u2009');
}

/** Milliseconds with a precision that suits their size. */
export function millis(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

// A fixed palette, chosen for contrast on the dark background; a type keeps its colour across
// sessions because the index comes from its name.
const TYPE_COLOURS = [
  '#6cb6ff',
  '#e5c07b',
  '#98c379',
  '#c678dd',
  '#56b6c2',
  '#f0a45d',
  '#e06c75',
  '#a5b4fc',
  '#7ee0b5',
  '#f5a3c7',
];

/** A stable colour for an event type. */
export function colourOfType(type: string): string {
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (h * 31 + type.charCodeAt(i)) >>> 0;
  return TYPE_COLOURS[h % TYPE_COLOURS.length] ?? '#6cb6ff';
}

/** Whether a type is one of the runtime's own (`causeway.TimerScheduled`…). */
export function isBuiltinType(type: string): boolean {
  return type.startsWith('causeway.');
}
