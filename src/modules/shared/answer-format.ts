import type { z } from 'zod';

/**
 * Reading a model's strict-format answer: one JSON object, checked against the format's zod
 * schema. The error text is what the repair prompt shows the model, so it names the fields.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** The JSON object of an answer: a fenced ```json block, else the outermost {...}. */
export function extractJson(answer: string): ParseResult<unknown> {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/i.exec(answer);
  let body = fenced?.[1];
  if (body === undefined) {
    const start = answer.indexOf('{');
    const end = answer.lastIndexOf('}');
    if (start < 0 || end <= start) return { ok: false, error: 'no JSON object found in the answer' };
    body = answer.slice(start, end + 1);
  }
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    return { ok: false, error: `the JSON does not parse: ${(err as Error).message}` };
  }
}

/** The first three schema issues, as `path: message` (the model fixes a few at a time). */
export function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** The answer's JSON object, checked against `schema`. */
export function parseWith<T>(answer: string, schema: z.ZodType<T>): ParseResult<T> {
  const json = extractJson(answer);
  if (!json.ok) return json;
  const r = schema.safeParse(json.value);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describeIssues(r.error) };
}
