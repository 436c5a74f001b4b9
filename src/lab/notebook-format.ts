/**
 * The `.bnlab` notebook file: JSON with a fixed key order and sources split into lines, so diffs
 * stay readable. Pure; the extension's NotebookSerializer maps it to and from vscode.NotebookData.
 *
 *   { "bnlab": 1, "metadata": {}, "cells": [ { "kind": "lab", "source": ["model: seed", …], "outputs": [ … ] } ] }
 */
import { z } from 'zod';

export const NOTEBOOK_TYPE = 'bnlab-notebook';
export const FORMAT_VERSION = 1;

export type CellKind = 'markdown' | 'lab';

export interface OutputItem {
  mime: string;
  /** Text outputs (text/*), JSON outputs (*json) as values, anything else as base64. */
  data: { text: string } | { json: unknown } | { base64: string };
}

export interface CellOutput {
  items: OutputItem[];
}

export interface LabNotebookCell {
  kind: CellKind;
  source: string;
  outputs: CellOutput[];
  metadata: Record<string, unknown>;
}

export interface LabNotebook {
  metadata: Record<string, unknown>;
  cells: LabNotebookCell[];
}

export class NotebookFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotebookFormatError';
  }
}

const lines = z.union([z.string(), z.array(z.string())]);
const outputItem = z.strictObject({
  mime: z.string().min(1),
  text: lines.optional(),
  json: z.unknown().optional(),
  base64: z.string().regex(/^[A-Za-z0-9+/=\s]*$/, 'not base64').optional(),
});
const fileSchema = z.strictObject({
  bnlab: z.number(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  cells: z.array(
    z.strictObject({
      kind: z.enum(['markdown', 'lab']),
      source: lines,
      outputs: z.array(z.strictObject({ items: z.array(outputItem) })).optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

const joinLines = (v: string | string[]) => (typeof v === 'string' ? v : v.join('\n'));
const splitLines = (s: string) => s.split('\n');

/** Parses a `.bnlab` file; an empty file is an empty notebook. Throws NotebookFormatError naming the fault and where. */
export function deserializeNotebook(text: string, fileName = 'notebook'): LabNotebook {
  if (text.trim() === '') return { metadata: {}, cells: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new NotebookFormatError(`${fileName} is not valid JSON${jsonErrorWhere(text, (e as Error).message)}`);
  }
  if (raw && typeof raw === 'object' && 'bnlab' in raw && typeof raw.bnlab === 'number' && raw.bnlab > FORMAT_VERSION)
    throw new NotebookFormatError(`${fileName} is BN Lab notebook format ${raw.bnlab}; this version reads format ${FORMAT_VERSION}. Update BN Lab.`);
  const r = fileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
    if (!path) throw new NotebookFormatError(`${fileName} is not a BN Lab notebook: ${Array.isArray(raw) || typeof raw !== 'object' || raw === null ? 'expected a JSON object { "bnlab": 1, "cells": [...] }' : issue.message}`);
    const value = issue.path.reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined), raw);
    const what = value === undefined && issue.code !== 'unrecognized_keys' ? 'is missing' : issue.code === 'invalid_union' ? 'expected text or a list of lines' : issue.message;
    throw new NotebookFormatError(`${fileName} is not a BN Lab notebook: ${path}${what === 'is missing' ? ' ' : ': '}${what}`);
  }
  return {
    metadata: r.data.metadata ?? {},
    cells: r.data.cells.map((c, i) => ({
      kind: c.kind,
      source: joinLines(c.source),
      metadata: c.metadata ?? {},
      outputs: (c.outputs ?? []).map((o, j) => ({
        items: o.items.map((item, k) => {
          const given = (['text', 'json', 'base64'] as const).filter((key) => item[key] !== undefined);
          if (given.length !== 1)
            throw new NotebookFormatError(`${fileName} is not a BN Lab notebook: cells[${i}].outputs[${j}].items[${k}] needs exactly one of text, json, base64`);
          const key = given[0];
          const data = key === 'text' ? { text: joinLines(item.text!) } : key === 'json' ? { json: item.json } : { base64: item.base64!.replace(/\s/g, '') };
          return { mime: item.mime, data };
        }),
      })),
    })),
  };
}

/** Writes a notebook as stable, diff-friendly JSON (fixed key order, sorted metadata, one line per source line). */
export function serializeNotebook(nb: LabNotebook): string {
  const file = {
    bnlab: FORMAT_VERSION,
    metadata: sortKeys(nb.metadata),
    cells: nb.cells.map((c) => ({
      kind: c.kind,
      source: splitLines(c.source),
      ...(Object.keys(c.metadata).length ? { metadata: sortKeys(c.metadata) } : {}),
      ...(c.outputs.length
        ? {
            outputs: c.outputs.map((o) => ({
              items: o.items.map((item) => ({
                mime: item.mime,
                ...('text' in item.data ? { text: splitLines(item.data.text) } : 'json' in item.data ? { json: sortKeys(item.data.json) } : { base64: item.data.base64 }),
              })),
            })),
          }
        : {}),
    })),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** How an output item's bytes are stored: text for text/*, parsed JSON for JSON mimes, else base64. */
export function encodeOutputItem(mime: string, bytes: Uint8Array): OutputItem {
  const text = () => new TextDecoder().decode(bytes);
  if (/json$/i.test(mime)) {
    try {
      return { mime, data: { json: JSON.parse(text()) } };
    } catch {
      // not JSON after all: keep the bytes
    }
  } else if (/^text\//i.test(mime) || mime === 'application/vnd.code.notebook.stdout' || mime === 'application/vnd.code.notebook.stderr' || mime === 'application/vnd.code.notebook.error')
    return { mime, data: { text: text() } };
  return { mime, data: { base64: Buffer.from(bytes).toString('base64') } };
}

export function decodeOutputItem(item: OutputItem): Uint8Array {
  if ('text' in item.data) return new TextEncoder().encode(item.data.text);
  if ('json' in item.data) return new TextEncoder().encode(JSON.stringify(item.data.json));
  return new Uint8Array(Buffer.from(item.data.base64, 'base64'));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

function jsonErrorWhere(text: string, message: string): string {
  const pos = /position (\d+)/.exec(message);
  if (!pos) return ` (${message.replace(/ is not valid JSON$/, '')})`;
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const column = Number(pos[1]) - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '')})`;
}
