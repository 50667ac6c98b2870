// fast-check arbitraries for ZeroMQ data: frames, multipart messages, routing
// ids and subscription topic sets, biased toward the edges that break code
// (empty frames, one byte, a size just past a length-field boundary, topics
// that are prefixes of each other).
import fc from "fast-check";

/** One frame: empty and tiny ones often, up to `maxLength` bytes (default 300,
 * past ZMTP's 255-byte short-frame boundary). */
export function frame(o: { maxLength?: number } = {}): fc.Arbitrary<Buffer> {
  const max = o.maxLength ?? 300;
  const sizes = [0, 1, 255, 256].filter((s) => s <= max);
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: Math.min(16, max) }) },
      { weight: 1, arbitrary: fc.constantFrom(...sizes).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: max }) },
    )
    .map((u) => Buffer.from(u));
}

/** A multipart message of 1 to `maxFrames` (default 4) frames. */
export function message(o: { maxFrames?: number; maxLength?: number } = {}): fc.Arbitrary<Buffer[]> {
  return fc.array(frame(o), { minLength: 1, maxLength: o.maxFrames ?? 4 });
}

/** A routing id as ZeroMQ allows an application to set: 1–255 bytes, the
 * first not 0x00 (those are the ids a ROUTER makes up). */
export function routingId(): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.integer({ min: 1, max: 255 }), fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 8 }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 254 }) }))
    .map(([first, rest]) => Buffer.concat([Buffer.from([first]), Buffer.from(rest)]));
}

/** A set of subscription topics over a small alphabet, so that some are
 * prefixes of others; "" (everything) now and then. */
export function topics(o: { maxTopics?: number } = {}): fc.Arbitrary<string[]> {
  const topic = fc.oneof(
    { weight: 1, arbitrary: fc.constant("") },
    { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom("a", "b", "c"), minLength: 1, maxLength: 4 }) },
  );
  return fc.uniqueArray(topic, { maxLength: o.maxTopics ?? 5 });
}

export const arb = { frame, message, routingId, topics };
