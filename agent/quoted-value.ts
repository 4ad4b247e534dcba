// How a one-line error message shows a bad value from a file or a flag: as JSON, cut short,
// since a file may hold anything (a 10,000-character string must not become the message).

const MAX_SHOWN = 60;

export function quotedValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}…` : text;
}
