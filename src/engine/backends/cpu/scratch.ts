/**
 * Grow-only scratch buffers for kernel workspaces (im2col columns, transposes), so a training
 * step allocates nothing after the first one. Each caller uses its own slot; a buffer is only
 * valid until the next call that asks for the same slot.
 */
const buffers = new Map<string, Float32Array>();

export function scratch(slot: string, size: number): Float32Array {
  let buf = buffers.get(slot);
  if (!buf || buf.length < size) {
    buf = new Float32Array(size);
    buffers.set(slot, buf);
  }
  return buf;
}

const buffers64 = new Map<string, Float64Array>();

/** Like scratch(), zero-filled over [0, size): for float64 accumulators. */
export function zeroedScratch64(slot: string, size: number): Float64Array {
  let buf = buffers64.get(slot);
  if (!buf || buf.length < size) {
    buf = new Float64Array(size);
    buffers64.set(slot, buf);
  } else {
    buf.fill(0, 0, size);
  }
  return buf;
}
