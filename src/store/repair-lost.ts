import type { FanoState } from '../core/types.js';

/**
 * What a damaged checkpoint held beyond the one repair rebuilds from (checkpoint.prev.json): its
 * records were folded into it and the log truncated, so they exist nowhere else. Read from the
 * damaged text as far as it goes (the serialization is fixed: store/checkpoint-serialize.ts, keys
 * sorted, 2-space indent, `lastSeq` before the state), so `fano repair` can name the records it could not keep
 * and what they did: tasks that moved on, module data (answers) that appeared.
 */
export interface LostFromCheckpoint {
  /** The damaged checkpoint's sequence number, when its first line survived. */
  seq: number | null;
  /** Tasks whose state in the damaged file differs from the base: `key: was → now`. */
  tasks: Array<{ key: string; was: string | null; now: string }>;
  /** Module documents in the damaged file that the base lacks: `module/collection/id`. */
  docs: string[];
  /** True when the damaged text ends mid-way (what followed is unknown). */
  truncated: boolean;
}

export function lostFromCheckpoint(damaged: string, base: Readonly<FanoState>): LostFromCheckpoint {
  // Top-level keys come first (sorted: "epoch", "lastSeq", then the state), so they survive a cut.
  const seqMatch = /^ {2}"lastSeq": (\d+),/m.exec(damaged.slice(0, 200));
  const out: LostFromCheckpoint = { seq: seqMatch ? Number(seqMatch[1]) : null, tasks: [], docs: [], truncated: !damaged.trimEnd().endsWith('}') };
  const section = (name: string): string => {
    const at = damaged.search(new RegExp(`^ {4}"${name}": \\{`, 'm'));
    if (at < 0) return '';
    const rest = damaged.slice(at);
    const end = rest.search(/^ {4}\}/m);
    return end < 0 ? rest : rest.slice(0, end);
  };
  for (const m of section('tasks').matchAll(/^ {6}"((?:[^"\\\n]|\\.)+)": \{\n((?: {8}.*\n)*?) {6}\}/gm)) {
    const key = JSON.parse(`"${m[1]}"`) as string;
    const now = /^ {8}"state": "(\w+)"/m.exec(m[2]!)?.[1];
    if (!now) continue;
    const was = base.tasks[key]?.state ?? null;
    if (was !== now) out.tasks.push({ key, was, now });
  }
  const modules = section('modules').split('\n');
  let mod = '';
  let coll = '';
  for (let i = 0; i < modules.length; i++) {
    const line = modules[i]!;
    const m6 = /^ {6}"((?:[^"\\]|\\.)+)": \{/.exec(line);
    if (m6) mod = JSON.parse(`"${m6[1]}"`) as string;
    const m8 = /^ {8}"((?:[^"\\]|\\.)+)": \{/.exec(line);
    if (m8) coll = JSON.parse(`"${m8[1]}"`) as string;
    const m10 = /^ {10}"((?:[^"\\]|\\.)+)": (.*)$/.exec(line);
    if (!m10) continue;
    const id = JSON.parse(`"${m10[1]}"`) as string;
    const was = base.modules[mod]?.[coll]?.[id];
    // The document's whole text, when the damaged file still has all of it.
    let text = m10[2]!;
    if (text === '{' || text === '[') {
      let j = i + 1;
      while (j < modules.length && /^ {11}/.test(modules[j]!)) j++;
      if (j >= modules.length) text = '';
      else text = [text, ...modules.slice(i + 1, j + 1)].join('\n');
    }
    let now: unknown = undefined;
    try {
      now = JSON.parse(text.replace(/,$/, ''));
    } catch {
      // cut off: only its presence is known
    }
    const ref = `${mod}/${coll}/${id}`;
    if (was === undefined) out.docs.push(ref);
    else if (now !== undefined && JSON.stringify(now) !== JSON.stringify(was)) out.docs.push(`${ref} (changed)`);
  }
  return out;
}

/** One line for a person: what the lost records did, as far as the damaged file shows. */
export function describeLost(l: LostFromCheckpoint, max = 8): string {
  const parts: string[] = [];
  const done = l.tasks.filter((t) => t.now === 'completed');
  if (done.length > 0)
    parts.push(
      `${done.length} task(s) completed (${done
        .slice(0, max)
        .map((t) => t.key)
        .join(', ')}${done.length > max ? ', …' : ''})`,
    );
  const other = l.tasks.filter((t) => t.now !== 'completed');
  if (other.length > 0)
    parts.push(
      `${other.length} other task change(s) (${other
        .slice(0, max)
        .map((t) => `${t.key} ${t.was ?? 'new'} → ${t.now}`)
        .join(', ')}${other.length > max ? ', …' : ''})`,
    );
  if (l.docs.length > 0) parts.push(`${l.docs.length} answer(s) and module record(s) (${l.docs.slice(0, max).join(', ')}${l.docs.length > max ? ', …' : ''})`);
  if (parts.length === 0) parts.push('nothing the damaged file still shows');
  return `${parts.join('; ')}${l.truncated ? '; the damaged file ends early, so there may be more' : ''}`;
}
