// ROUTER's map from routing id to pipe (libzmq routing_socket_base_t).
import type { PipeEnd } from "../lib/core/pipe.js";

export class RoutingTable {
  private byId = new Map<string, PipeEnd>();
  // libzmq: generated ids are 0x00 + a 32-bit counter starting at a random value
  private next: number;

  constructor(random: () => number) {
    this.next = (random() * 0x100000000) >>> 0;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: Buffer): PipeEnd | undefined {
    return this.byId.get(id.toString("latin1"));
  }

  has(id: Buffer): boolean {
    return this.byId.has(id.toString("latin1"));
  }

  set(id: Buffer, pipe: PipeEnd): void {
    this.byId.set(id.toString("latin1"), pipe);
    // owned: the id may be a view of a read buffer, or a Buffer the application holds
    pipe.routingId = Buffer.from(id);
  }

  delete(pipe: PipeEnd): void {
    const id = pipe.routingId;
    if (id === undefined) return;
    const key = id.toString("latin1");
    if (this.byId.get(key) === pipe) this.byId.delete(key);
  }

  generate(): Buffer {
    const id = Buffer.alloc(5);
    do {
      id.writeUInt32BE(this.next, 1);
      this.next = (this.next + 1) >>> 0;
    } while (this.has(id));
    return id;
  }

  pipes(): IterableIterator<PipeEnd> {
    return this.byId.values();
  }
}
