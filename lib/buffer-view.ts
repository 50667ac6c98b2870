// Zero-copy Buffer views for the decoder's hot path. Buffer.prototype.subarray
// builds a FastBuffer through an explicit derived constructor (~60 ns on Node
// 20); a class with V8's default derived constructor costs ~23 ns. Its
// instances are Buffers in every observable way but Object.getPrototypeOf:
// the prototype chain runs through Buffer.prototype (instanceof Buffer,
// Buffer.isBuffer, every Buffer method) and `constructor` is Buffer, exactly
// as for Node's own FastBuffer.
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype);
Object.defineProperty(BufferView.prototype, "constructor", { value: Buffer, writable: true, configurable: true });

/** `length` bytes of `ab` from `offset`, as a Buffer sharing the memory. */
export function bufferView(ab: ArrayBufferLike, offset: number, length: number): Buffer {
  return new BufferView(ab as ArrayBuffer, offset, length) as unknown as Buffer;
}
