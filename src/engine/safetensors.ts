/**
 * safetensors: 8-byte little-endian header length, a JSON header
 * { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }, then raw LE bytes.
 * F32 and I64 are written; F32, F64, I64 and I32 are read (into float32 tensors).
 */
import { UserError } from './errors';
import type { StateDict } from './model';
import { Tensor, sizeOf } from './tensor';

const DTYPE_BYTES: Record<string, number> = { F32: 4, F64: 8, I64: 8, I32: 4 };

export function encodeSafetensors(sd: StateDict, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, { tensor, dtype }] of sd) {
    const bytes = tensor.size * (dtype === 'int64' ? 8 : 4);
    header[name] = { dtype: dtype === 'int64' ? 'I64' : 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const headerBytes = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const { tensor, dtype } of sd.values()) {
    for (const x of tensor.data) {
      if (dtype === 'int64') {
        view.setBigInt64(p, BigInt(Math.round(x)), true);
        p += 8;
      } else {
        view.setFloat32(p, x, true);
        p += 4;
      }
    }
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/** Decodes a safetensors file; `file` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors file'): DecodedSafetensors {
  const fail = (why: string) => new UserError(`${file}: ${why}`);
  if (bytes.length < 8) throw fail(`too short for a safetensors header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) throw fail(`header length ${n} exceeds the file size (not a safetensors file?)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw fail('the header is not valid JSON (not a safetensors file?)');
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors: StateDict = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = DTYPE_BYTES[dtype];
    if (!width) throw fail(`tensor ${name} has unsupported dtype ${dtype} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    if (!Array.isArray(shape) || !Array.isArray(data_offsets)) throw fail(`tensor ${name} has a malformed header entry`);
    const [begin, end] = data_offsets;
    const count = sizeOf(shape);
    if (end - begin !== count * width || begin < 0 || end > dataLen) {
      throw fail(`tensor ${name} ${dtype} [${shape.join(', ')}] has bad data offsets [${begin}, ${end}] (data section is ${dataLen} bytes)`);
    }
    const t = new Tensor(shape);
    const p0 = dataStart + begin;
    for (let i = 0; i < count; i++) {
      const p = p0 + i * width;
      t.data[i] =
        dtype === 'F32' ? view.getFloat32(p, true)
        : dtype === 'F64' ? view.getFloat64(p, true)
        : dtype === 'I64' ? Number(view.getBigInt64(p, true))
        : view.getInt32(p, true);
    }
    tensors.set(name, { tensor: t, dtype: dtype === 'I64' || dtype === 'I32' ? 'int64' : 'float32' });
  }
  return { tensors, metadata };
}
